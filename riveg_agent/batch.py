"""Batch inference over a JSONL file, resumable and loss-free.

Input lines: {"id": str, "text": str, "image": path or null}. Output: one
result or error record per input id, appended and flushed one at a time, so a
stopped run loses at most the post in flight. Ids already in the output are
skipped on the next run (error records too, unless retry_errors)."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Optional

from .errors import InputError, RivegError
from .schema import ERROR_KIND, ErrorInfo, ErrorRecord


@dataclass
class InputRecord:
    line_no: int
    id: str
    data: Optional[dict]  # None when the line itself is unusable
    problem: Optional[InputError] = None


def read_input(path: Path) -> Iterator[InputRecord]:
    """Yield every non-blank line as a record; bad lines carry their problem."""
    with path.open("rb") as f:
        for n, raw in enumerate(f, start=1):
            if not raw.strip():
                continue
            fallback = f"line-{n}"
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                yield InputRecord(n, fallback, None, InputError(
                    fallback, f"{path}:{n}: invalid UTF-8 at byte {exc.start}", "bad_encoding"))
                continue
            try:
                data = json.loads(line)
            except json.JSONDecodeError as exc:
                yield InputRecord(n, fallback, None, InputError(
                    fallback, f"{path}:{n}: not valid JSON: {exc.msg}", "bad_json"))
                continue
            if not isinstance(data, dict):
                yield InputRecord(n, fallback, None, InputError(
                    fallback, f"{path}:{n}: expected a JSON object", "bad_json"))
                continue
            rid = data.get("id")
            if not isinstance(rid, (str, int)) or isinstance(rid, bool) or str(rid) == "":
                yield InputRecord(n, fallback, None, InputError(
                    fallback, f"{path}:{n}: missing or invalid 'id' (a non-empty string)", "bad_id"))
                continue
            yield InputRecord(n, str(rid), data)


def done_ids(out: Path, retry_errors: bool = False) -> set[str]:
    ids: set[str] = set()
    if not out.exists():
        return ids
    with out.open("rb") as f:
        for raw in f:
            try:
                rec = json.loads(raw)
            except (json.JSONDecodeError, UnicodeDecodeError):
                continue  # a line cut by a crash: its post runs again
            if retry_errors and rec.get("kind") == ERROR_KIND:
                continue
            ids.add(str(rec.get("id")))
    return ids


def error_record(rid: str, exc: Exception) -> ErrorRecord:
    code = exc.code if isinstance(exc, RivegError) else "internal"
    message = str(exc) if isinstance(exc, RivegError) else f"record '{rid}': {type(exc).__name__}: {exc}"
    return ErrorRecord(id=rid, error=ErrorInfo(code=code, message=message))


@dataclass
class BatchStats:
    total: int = 0
    skipped: int = 0
    results: int = 0
    errors: int = 0


def run_batch(pipeline, inp: Path, out: Path, retry_errors: bool = False,
              on_record: Callable[[str, bool], None] | None = None) -> BatchStats:
    records = list(read_input(inp))
    done = done_ids(out, retry_errors)
    stats = BatchStats(total=len(records))
    seen: set[str] = set()
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("a", encoding="utf-8") as sink:
        for rec in records:
            if rec.id in done:
                stats.skipped += 1
                continue
            if rec.id in seen:
                rec.problem = InputError(rec.id, f"{inp}:{rec.line_no}: duplicate id (first seen earlier "
                                         "in this run)", "duplicate_id")
            seen.add(rec.id)
            if rec.problem is not None:
                out_rec, ok = error_record(rec.id, rec.problem), False
            else:
                try:
                    image = rec.data.get("image")
                    if isinstance(image, str) and image and not Path(image).is_absolute():
                        image = str(inp.parent / image)  # relative to the input file
                    out_rec = pipeline.run_record(rec.id, rec.data.get("text"), image)
                    ok = True
                except Exception as exc:  # one post must never stop the batch
                    out_rec, ok = error_record(rec.id, exc), False
            sink.write(out_rec.model_dump_json() + "\n")
            sink.flush()
            stats.results += ok
            stats.errors += not ok
            if on_record:
                on_record(rec.id, ok)
    return stats

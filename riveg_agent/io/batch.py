"""Batch inference over a JSONL file, resumable and loss-free.

Input lines: {"id": str, "text": str, "image": path or null}. Output: one
result or error record per input id, appended and flushed one at a time, so a
stopped run loses at most the posts in flight. Ids already in the output are
skipped on the next run (error records too, unless retry_errors); a last line
cut by a crash is cut off before appending. Posts run through `Pipeline.pipe`
(stages that batch do so), here or in Ray Data workers (io/ray_batch.py); an
error of the installation (a missing model, an unusable plugin) stops the run
instead of becoming one error record per post."""
from __future__ import annotations

import json
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator, Optional

from riveg_agent.core.errors import InputError, RivegError
from riveg_agent.core.pipeline import error_record
from riveg_agent.core.schema import ERROR_KIND
from riveg_agent.io.files import replace_atomically, trim_torn_tail


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
            if n == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]  # a UTF-8 byte-order mark (Windows editors write one)
            if not raw.strip():
                continue
            fallback = f"line-{n}"
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                rid = _readable_id(raw) or fallback  # the user's id, when it is readable
                yield InputRecord(n, rid, None, InputError(
                    rid, f"{path}:{n}: invalid UTF-8 at byte {exc.start}", "bad_encoding"))
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


def _readable_id(raw: bytes) -> Optional[str]:
    """The record's id from a line with bad bytes elsewhere (decoded with replacement)."""
    try:
        data = json.loads(raw.decode("utf-8", errors="replace"))
    except json.JSONDecodeError:
        return None
    rid = data.get("id") if isinstance(data, dict) else None
    if isinstance(rid, (str, int)) and not isinstance(rid, bool) and str(rid) and "\ufffd" not in str(rid):
        return str(rid)
    return None


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


@dataclass
class BatchStats:
    total: int = 0
    skipped: int = 0
    results: int = 0
    errors: int = 0


def drop_error_records(out: Path) -> None:
    """Rewrite OUT without its error records (their posts are retried), atomically:
    a temp file next to it, then a rename, so a crash leaves the old file whole."""
    if not out.exists():
        return
    kept = []
    with out.open("rb") as f:
        for raw in f:
            try:
                if json.loads(raw).get("kind") == ERROR_KIND:
                    continue
            except (json.JSONDecodeError, UnicodeDecodeError):
                pass
            kept.append(raw)
    replace_atomically(out, b"".join(kept))


@contextmanager
def exclusive(out: Path) -> Iterator[None]:
    """One writer per OUT: a second `riveg batch` on the same file is refused
    (an advisory lock on OUT.lock; the kernel drops it when the process dies)."""
    import fcntl

    out.parent.mkdir(parents=True, exist_ok=True)
    lock = out.with_name(out.name + ".lock")
    with lock.open("a") as f:
        try:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise RivegError(f"{out}: another riveg batch is writing this file (lock {lock}); "
                             "wait for it or choose another OUT") from None
        try:
            yield
        finally:
            fcntl.flock(f.fileno(), fcntl.LOCK_UN)


def run_batch(pipeline, inp: Path, out: Path, retry_errors: bool = False,
              on_record: Callable[[str, bool], None] | None = None, batch_size: int = 8,
              image_root: Optional[Path] = None) -> BatchStats:
    """image_root: every image path must resolve inside it (symlinks and `..`
    followed), for input files received from others; other records become
    `image_outside_root` error records."""
    return run_jsonl(inp, out, lambda posts: pipeline.pipe(posts, batch_size=batch_size, on_error="record"),
                     retry_errors, on_record, image_root)


def run_jsonl(inp: Path, out: Path, run_posts: Callable[[list[dict]], Iterable], retry_errors: bool = False,
              on_record: Callable[[str, bool], None] | None = None,
              image_root: Optional[Path] = None) -> BatchStats:
    """The batch contract for any engine. `run_posts(posts)` gets the posts to
    run ({"id", "text", "image"} each) and yields one result or error record
    per post, in order, lazily (the local engine: `Pipeline.pipe`; Ray:
    io/ray_batch.py); everything else about records is decided here."""
    with exclusive(out):
        return _run_jsonl(inp, out, run_posts, retry_errors, on_record, image_root)


def _run_jsonl(inp: Path, out: Path, run_posts: Callable[[list[dict]], Iterable], retry_errors: bool,
               on_record: Callable[[str, bool], None] | None, image_root: Optional[Path]) -> BatchStats:
    root = image_root.resolve() if image_root is not None else None
    records = list(read_input(inp))
    trim_torn_tail(out)
    if retry_errors:
        drop_error_records(out)  # each id keeps exactly one record
    done = done_ids(out, retry_errors)
    stats = BatchStats(total=len(records))
    first_line: dict[str, int] = {}  # id -> the line that used it first
    plan: list = []  # in input order: a post to run (dict) or the error record of a bad line
    for rec in records:
        if rec.id in first_line:
            # A later line reusing an id is not run; its error record takes the
            # line's own id, so OUT keeps exactly one record per id.
            dup, rec.id = rec.id, f"line-{rec.line_no}"
            rec.problem = InputError(rec.id, f"{inp}:{rec.line_no}: duplicate id {dup!r} (first used on "
                                     f"line {first_line[dup]}); this line was not run", "duplicate_id")
        first_line.setdefault(rec.id, rec.line_no)
        if rec.id in done:
            stats.skipped += 1
            continue
        if rec.problem is not None:
            plan.append(error_record(rec.id, rec.problem))
            continue
        image = rec.data.get("image")
        if isinstance(image, str) and image and not Path(image).is_absolute():
            image = str(inp.parent / image)  # relative to the input file
        if root is not None and isinstance(image, str) and image \
                and not Path(image).resolve().is_relative_to(root):
            plan.append(error_record(rec.id, InputError(rec.id, f"image path {rec.data.get('image')!r} "
                                                        f"resolves outside --image-root {root}",
                                                        "image_outside_root")))
            continue
        plan.append({"id": rec.id, "text": rec.data.get("text"), "image": image})
    results = iter(run_posts([item for item in plan if isinstance(item, dict)]))
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("a", encoding="utf-8") as sink:
        for item in plan:  # the posts' records as they come, the bad lines' in between: input order
            rec = next(results) if isinstance(item, dict) else item
            ok = rec.kind != ERROR_KIND
            sink.write(rec.model_dump_json() + "\n")
            sink.flush()
            stats.results += ok
            stats.errors += not ok
            if on_record:
                on_record(rec.id, ok)
    return stats

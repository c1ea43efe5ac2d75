"""`riveg batch --engine ray`: the same JSONL batch, its posts run by Ray Data.

Everything about records is io/batch.py's, shared with the local engine:
reading IN, skipping the ids already in OUT, the error records of bad lines,
duplicates and `--image-root`, the lock, the torn tail, and the writer that
appends and flushes one record at a time on the driver. Only the running of
the posts differs: one Ray dataset over them, `map_batches` with an actor
per worker that holds a Pipeline (its models load once per worker), and the
results streamed back in input order, so OUT reads exactly as the local
engine writes it. A post that fails is an error record made by the worker's
`Pipeline.pipe`, as locally; an error of the installation in a worker comes
back as a marker row and stops the run (exit 2), nothing written for the
posts after it.

Relative image paths mean what they mean locally: each worker runs in the
driver's folder. On a cluster, IN's images must be readable at the same paths
on every node (a shared filesystem).
"""
from __future__ import annotations

import json
import logging
import math
import os
import socket
from pathlib import Path
from typing import Any, Callable, Iterator, Optional

from riveg_agent.core.config import PipelineConfig
from riveg_agent.core.errors import RivegError
from riveg_agent.core.schema import ERROR_KIND
from riveg_agent.io.batch import BatchStats, run_jsonl

log = logging.getLogger("riveg.ray")


def _ray():
    try:
        import ray
        import ray.data  # noqa: F401  (the `ray[data]` extra: pyarrow, pandas)
    except ImportError:
        raise RivegError("--engine ray needs Ray Data: pip install 'riveg-agent[ray]'") from None
    return ray


class Line:
    """A record a worker already serialised: written to OUT as it came."""

    def __init__(self, id: str, kind: str, line: str):
        self.id, self.kind, self._line = id, kind, line

    def model_dump_json(self) -> str:
        return self._line


class PipelineWorker:
    """Ray Data actor: one Pipeline per worker process; a batch of posts in
    (JSON text each), one output row per post out, in order."""

    def __init__(self, config: PipelineConfig, plugins: Optional[dict], cwd: str, batch_size: int):
        if os.path.isdir(cwd):
            os.chdir(cwd)  # relative image paths resolve as on the driver
        # One CPU per worker: llama.cpp's spinning threads would fight each other.
        os.environ.setdefault("RIVEG_THREADS", "1")
        from riveg_agent.core.pipeline import Pipeline
        self.pipeline = Pipeline(config, plugins=plugins)
        self.batch_size = batch_size

    def __call__(self, batch: dict) -> dict:
        from riveg_agent.core.pipeline import FATAL
        posts = [json.loads(p) for p in batch["post"]]
        rows: dict[str, list] = {"id": [], "kind": [], "line": [], "fatal": []}
        try:
            for rec in self.pipeline.pipe(posts, batch_size=self.batch_size, on_error="record"):
                rows["id"].append(rec.id)
                rows["kind"].append(rec.kind)
                rows["line"].append(rec.model_dump_json())
                rows["fatal"].append("")
        except FATAL as exc:  # the installation, not a post: the driver stops the run
            for post in posts[len(rows["id"]):]:
                rows["id"].append(post["id"])
                rows["kind"].append(ERROR_KIND)
                rows["line"].append("")
                rows["fatal"].append(str(exc) or type(exc).__name__)
        return rows


def ray_posts(config: PipelineConfig, num_workers: int, batch_size: int = 8,
              plugins: Optional[dict] = None) -> Callable[[list[dict]], Iterator[Line]]:
    """`run_posts` for io/batch.run_jsonl: the posts through Ray Data, in input order."""
    ray = _ray()

    def run(posts: list[dict]) -> Iterator[Line]:
        if not posts:
            return
        ctx = ray.data.DataContext.get_current()
        ctx.execution_options.preserve_order = True  # OUT in input order, as the local engine writes it
        items = [{"post": json.dumps(p, ensure_ascii=False)} for p in posts]  # any JSON value, one column type
        ds = ray.data.from_items(items, override_num_blocks=max(1, math.ceil(len(items) / batch_size)))
        ds = ds.map_batches(PipelineWorker, batch_size=batch_size, batch_format="numpy",
                            compute=ray.data.ActorPoolStrategy(size=max(1, min(num_workers, len(items)))),
                            num_cpus=1,
                            fn_constructor_kwargs={"config": config, "plugins": plugins, "cwd": os.getcwd(),
                                                   "batch_size": batch_size})
        rows = iter(ds.iter_rows())
        for post in posts:
            try:
                row = next(rows)
            except StopIteration:
                row = {"id": None}
            except Exception as exc:  # a worker died, Ray lost its cluster...: stop, OUT keeps what it has
                first = (str(exc).strip().splitlines() or [type(exc).__name__])[-1]
                raise RivegError(f"the Ray run stopped at record '{post['id']}': {first}; the records "
                                 "before it are in OUT, rerun to resume") from None
            if row["id"] != post["id"]:  # order is the contract; never write a record under another id
                raise RivegError(f"Ray returned record {row['id']!r} where '{post['id']}' was expected")
            if row["fatal"]:
                raise RivegError(str(row["fatal"]))
            yield Line(str(row["id"]), str(row["kind"]), str(row["line"]))

    return run


def _check_reachable(address: str) -> None:
    """Fail in seconds where nothing answers at HOST:PORT (ray.init would retry for minutes)."""
    if address == "auto":
        return
    hostport = address.removeprefix("ray://")
    host, _, port = hostport.rpartition(":")
    if not host or not port.isdigit():
        raise RivegError(f"--address {address!r}: expected auto, HOST:PORT or ray://HOST:PORT")
    try:
        socket.create_connection((host, int(port)), timeout=10).close()
    except OSError as exc:
        raise RivegError(f"cannot reach the Ray cluster at {address}: {exc.strerror or exc}") from None


def run_ray_batch(config: PipelineConfig, inp: Path, out: Path, retry_errors: bool = False,
                  on_record: Callable[[str, bool], None] | None = None, batch_size: int = 8,
                  image_root: Optional[Path] = None, address: Optional[str] = None,
                  num_workers: Optional[int] = None, plugins: Optional[dict[str, Any]] = None) -> BatchStats:
    """The JSONL batch on Ray: a local Ray with `num_workers` CPUs (default: all
    cores) unless Ray is already initialised or `address` names a cluster
    ("auto", "ray://host:10001", "host:6379"). `plugins`: ready instances per
    role handed to every worker's Pipeline, as `Pipeline(config, plugins=...)`."""
    ray = _ray()
    started = not ray.is_initialized()
    if started:
        if address is None:
            ray.init(num_cpus=num_workers or os.cpu_count() or 1, include_dashboard=False,
                     logging_level=logging.WARNING)
        else:
            _check_reachable(address)
            try:
                ray.init(address=address, logging_level=logging.WARNING)
            except (ConnectionError, RuntimeError, ValueError) as exc:
                raise RivegError(f"cannot connect to the Ray cluster at {address}: {exc}") from None
    try:
        workers = num_workers or max(1, int(ray.cluster_resources().get("CPU", 1)))
        return run_jsonl(inp, out, ray_posts(config, workers, batch_size, plugins), retry_errors,
                         on_record, image_root)
    finally:
        if started:
            ray.shutdown()

"""The process's one Pipeline behind a bounded thread pool and queue, and its chat sessions.

The chain is CPU-bound and its plugins are not safe to run re-entrantly for
heavy work, so every call that reaches it (a post to ground, a chat turn)
goes through `Runner.submit`: `threads` run, at most `queue` wait, and one
more is refused at once with `Busy` (HTTP 429 + Retry-After), never piled up.
Chat sessions are bound to a post whose chain already ran; at most
`max_sessions` are kept, the least recently used one is dropped first.
"""
from __future__ import annotations

import asyncio
import base64
import io
import math
import os
import secrets
import shutil
import tempfile
import threading
import time
from collections import OrderedDict, deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

from riveg_agent.core.errors import RivegError
from riveg_agent.core.state import STAGES, ChainState

ENV_PREFIX = "RIVEG_SERVE_"


@dataclass
class ServeSettings:
    config: str = "default"
    threads: int = 1                  # chain threads per process
    queue: int = 8                    # requests that may wait for a chain thread; one more is a 429
    max_sessions: int = 32            # chat sessions kept per process (LRU)
    max_request_bytes: int = 20 * 2**20   # a request body over this is a 413, before it is read
    warmup: bool = True               # run the demo post at start-up, so /readyz means "models loaded"

    def to_env(self) -> dict[str, str]:
        """The settings as environment variables, for uvicorn's worker processes."""
        return {ENV_PREFIX + k.upper(): str(v) for k, v in self.__dict__.items()}

    @classmethod
    def from_env(cls) -> "ServeSettings":
        out = cls()
        for name, default in cls().__dict__.items():
            raw = os.environ.get(ENV_PREFIX + name.upper())
            if raw is not None:
                setattr(out, name, raw == "True" if isinstance(default, bool) else type(default)(raw))
        return out


class Busy(RivegError):
    """The chain's queue is full: try again after `retry_after` seconds."""

    code = "busy"

    def __init__(self, retry_after: int):
        self.retry_after = retry_after
        super().__init__(f"the server is busy (queue full); retry after {retry_after} s")


class UnknownSession(RivegError):
    code = "unknown_session"

    def __init__(self, sid: str):
        super().__init__(f"chat session '{sid}' does not exist in this server process or was dropped "
                         f"(least recently used); post the image again with session=true")


class Runner:
    """A bounded thread pool: `threads` jobs run, `queue` more wait, the next is refused."""

    def __init__(self, threads: int = 1, queue: int = 8):
        if threads < 1 or queue < 0:
            raise ValueError("threads must be at least 1 and queue at least 0")
        self.threads, self.capacity = threads, threads + queue
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="riveg-chain")
        self._lock = threading.Lock()
        self._pending = 0
        self._seconds: deque[float] = deque(maxlen=16)  # recent job times, for Retry-After

    @property
    def pending(self) -> int:
        return self._pending

    def retry_after(self) -> int:
        """Seconds until a slot is likely free: the queue ahead times the recent job time."""
        mean = sum(self._seconds) / len(self._seconds) if self._seconds else 1.0
        return max(1, math.ceil(mean * self._pending / self.threads))

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future:
        with self._lock:
            if self._pending >= self.capacity:
                raise Busy(self.retry_after())
            self._pending += 1
        try:
            future = self._pool.submit(self._timed, fn, *args)
        except BaseException:
            self._release(None)
            raise
        future.add_done_callback(self._release)
        return future

    async def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.wrap_future(self.submit(fn, *args))

    def _timed(self, fn: Callable[..., Any], *args: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return fn(*args)
        finally:
            self._seconds.append(time.perf_counter() - t0)

    def _release(self, _future: Optional[Future]) -> None:
        with self._lock:
            self._pending -= 1

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


@dataclass
class _Entry:
    session: Any  # ChatSession
    folder: Path
    lock: threading.Lock = field(default_factory=threading.Lock)  # one turn at a time per session


class Sessions:
    """Chat sessions by id, at most `maximum`, least recently used dropped first."""

    def __init__(self, maximum: int):
        if maximum < 1:
            raise ValueError("max_sessions must be at least 1")
        self.maximum = maximum
        self.root = Path(tempfile.mkdtemp(prefix="riveg-serve-"))  # the sessions' overlay PNGs
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def open(self, pipeline, state: ChainState, result) -> str:
        """A chat session about the post of `state` (its chain already ran: not rerun)."""
        from riveg_agent.agent.chat import ChatSession

        sid = secrets.token_urlsafe(12)
        folder = self.root / sid
        post = state.post
        session = ChatSession(post.text, post.image, pipeline=pipeline, out_dir=folder, post_id=post.id)
        # ChatSession computes its state on first use; hand it the state this request computed.
        session._state, session._result = state, result
        with self._lock:
            self._entries[sid] = _Entry(session, folder)
            while len(self._entries) > self.maximum:
                _, old = self._entries.popitem(last=False)
                shutil.rmtree(old.folder, ignore_errors=True)
        return sid

    def get(self, sid: str) -> _Entry:
        with self._lock:
            entry = self._entries.get(sid)
            if entry is None:
                raise UnknownSession(sid)
            self._entries.move_to_end(sid)
            return entry

    def ask(self, sid: str, question: str) -> dict:
        """One chat turn: the answer's dict, with its overlays as base64 PNGs (files removed)."""
        entry = self.get(sid)
        with entry.lock:
            answer = entry.session.ask(question)
        out = answer.to_dict()
        pngs = []
        for path in out.pop("overlays"):
            p = Path(path)
            pngs.append(base64.b64encode(p.read_bytes()).decode("ascii"))
            p.unlink(missing_ok=True)
        return {"session_id": sid, **out, "overlays_png": pngs}

    def close(self) -> None:
        with self._lock:
            self._entries.clear()
        shutil.rmtree(self.root, ignore_errors=True)


@dataclass
class Grounded:
    result: Any  # Result
    session_id: Optional[str] = None
    overlay_png: Optional[str] = None
    masks_png: Optional[list[Optional[str]]] = None


def png_b64(image) -> str:
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return base64.b64encode(buf.getvalue()).decode("ascii")


class Service:
    """What the API and the page share: the Pipeline, the Runner, the Sessions, readiness."""

    def __init__(self, pipeline, settings: ServeSettings):
        self.pipeline, self.settings = pipeline, settings
        self.runner = Runner(settings.threads, settings.queue)
        self.sessions = Sessions(settings.max_sessions)
        self.ready = threading.Event()
        self.warmup_error: Optional[str] = None

    # Called in a chain thread (through the Runner), never on the event loop.
    def ground(self, record_id: str, text: Any, image: Any, *, session: bool = False,
               overlay: bool = False, masks: bool = False,
               on_stage: Optional[Callable[[int, str], None]] = None) -> Grounded:
        from riveg_agent.core.pipeline import make_post

        state = ChainState(post=make_post(record_id, text, image))
        t0 = time.perf_counter()
        for i, name in enumerate(STAGES):  # stage by stage, so the page can show progress
            if on_stage is not None:
                on_stage(i, name)
            self.pipeline.advance(state, name)
        state.timings["total"] = round(time.perf_counter() - t0, 4)
        result = self.pipeline.to_result(state)
        out = Grounded(result)
        if session:
            out.session_id = self.sessions.open(self.pipeline, state, result)
        img = state.post.image
        if overlay and img is not None:
            from riveg_agent.io.overlay import render_overlay
            out.overlay_png = png_b64(render_overlay(img.image, result))
        if masks:
            from PIL import Image

            from riveg_agent.io.masks import decode
            out.masks_png = [png_b64(Image.fromarray(decode(e.mask).astype("uint8") * 255))
                             if e.mask is not None else None for e in result.entities]
        return out

    def start(self) -> None:
        """Ready at once, or once the warm-up has loaded every model."""
        if self.settings.warmup:
            self.warm_up()
        else:
            self.ready.set()

    def warm_up(self) -> None:
        """Load every model by running the shipped demo post once (in a chain thread)."""
        from riveg_agent.cli.demo_cmd import demo_post

        def job() -> None:
            post = demo_post()
            self.ground(post["id"], post["text"], post["image"])

        def done(future: Future) -> None:
            exc = future.exception()
            if exc is None:
                self.ready.set()
            else:
                self.warmup_error = str(exc) if isinstance(exc, RivegError) else f"{type(exc).__name__}: {exc}"

        self.runner.submit(job).add_done_callback(done)

    def close(self) -> None:
        self.runner.close()
        self.sessions.close()

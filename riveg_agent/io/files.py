"""Crash-safe file writes shared by every resumable writer (batch output,
knowledge and expansion files, caches): a torn tail is cut in place, and a
whole-file rewrite goes to a temporary file that is renamed over the old one,
so a crash at any point leaves either the old file or the new one."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path


def trim_torn_tail(path: Path, end: bytes = b"\n") -> bytes:
    """Cut what follows the last `end` (a record a crash left unfinished), so
    the next record starts cleanly; returns the file's complete part. One
    truncate, no rewrite: the complete records are never at risk."""
    path = Path(path)
    if not path.exists():
        return b""
    with path.open("rb+") as f:
        data = f.read()
        if not data or data.endswith(end):
            return data
        cut = data.rfind(end)
        keep = cut + len(end) if cut >= 0 else 0
        f.truncate(keep)
        return data[:keep]


def replace_atomically(path: Path, data: bytes) -> None:
    """Write `data` to a temporary file beside `path`, fsync, rename over it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise

"""Loading and checking post images.

Limits (documented in the README):
- a file must exist, be non-empty and decode fully as an image PIL reads;
- images above MAX_PIXELS (50 megapixels) are refused before decoding, so a
  20000x20000 file costs nothing; decompression bombs are refused the same way;
- larger images are processed on a working copy whose long side is at most
  WORK_SIDE pixels; boxes and masks are mapped back to the original pixels.
"""
from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np
from PIL import Image, UnidentifiedImageError

from .errors import InputError

MAX_PIXELS = 50_000_000
WORK_SIDE = 1280
# A dataset's image folder names pictures by id (Twitter: <id>.jpg).
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", "")


def find_image(folder: Path, image_id: str) -> Optional[Path]:
    """The picture of `image_id` in a dataset image folder, if it is there."""
    for suffix in IMAGE_SUFFIXES:
        path = folder / f"{image_id}{suffix}"
        if path.is_file():
            return path
    return None


@dataclass
class PostImage:
    path: Optional[str]
    image: Image.Image  # RGB, original size
    sha256: str
    work: Image.Image  # RGB, long side <= WORK_SIDE
    scale: float  # original pixels per working pixel (>= 1)

    @property
    def width(self) -> int:
        return self.image.width

    @property
    def height(self) -> int:
        return self.image.height

    def array(self) -> np.ndarray:
        return np.asarray(self.image)

    def work_array(self) -> np.ndarray:
        return np.asarray(self.work)


def load_image(path: str | Path, record_id: Optional[str] = None) -> PostImage:
    p = Path(path)
    if not p.exists():
        raise InputError(record_id, f"image not found: {p}", "image_missing")
    if not p.is_file():
        raise InputError(record_id, f"image path is not a file: {p}", "image_invalid")
    data = p.read_bytes()
    if not data:
        raise InputError(record_id, f"image file is empty (0 bytes): {p}", "image_invalid")
    return image_from_bytes(data, str(p), record_id)


def image_from_bytes(data: bytes, path: Optional[str], record_id: Optional[str]) -> PostImage:
    name = path or "<bytes>"
    try:
        with Image.open(io.BytesIO(data)) as probe:
            w, h = probe.size
            if w * h > MAX_PIXELS:
                raise InputError(record_id, f"image too large: {w}x{h} = {w * h / 1e6:.0f} MP "
                                 f"(limit {MAX_PIXELS / 1e6:.0f} MP): {name}", "image_too_large")
            img = Image.open(io.BytesIO(data))
            img.load()  # decode fully now: truncation shows here, not mid-pipeline
    except InputError:
        raise
    except Image.DecompressionBombError as exc:
        # PIL refuses far-too-large images at open, before we can read the size.
        raise InputError(record_id, f"image too large (limit {MAX_PIXELS / 1e6:.0f} MP): {name}: {exc}",
                         "image_too_large") from None
    except UnidentifiedImageError:
        raise InputError(record_id, f"not an image PIL can read: {name}", "image_invalid") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise InputError(record_id, f"image cannot be decoded (truncated or corrupt): {name}: {exc}",
                         "image_invalid") from None
    rgb = img.convert("RGB")
    scale = max(rgb.width, rgb.height) / WORK_SIDE
    if scale > 1:
        work = rgb.resize((max(1, round(rgb.width / scale)), max(1, round(rgb.height / scale))),
                          Image.BILINEAR)
    else:
        work, scale = rgb, 1.0
    return PostImage(path, rgb, hashlib.sha256(data).hexdigest(), work, scale)

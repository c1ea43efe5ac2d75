"""Loading and checking post images.

Limits (documented in the README):
- a file must exist, be a regular file of at most MAX_FILE_BYTES (100 MB),
  be non-empty and decode fully as an image PIL reads;
- images above MAX_PIXELS (50 megapixels) are refused before decoding, so a
  20000x20000 file costs nothing; decompression bombs are refused the same way;
- larger images are processed on a working copy whose long side is at most
  WORK_SIDE pixels; boxes and masks are mapped back to the original pixels;
- EXIF orientation is applied first: a phone photo stored rotated is
  processed, boxed and masked as it is displayed.

`to_post_image` takes what a Python caller has: a path, bytes, a PIL image
or a numpy array (HxW, HxWx3 or HxWx4, uint8).
"""
from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from riveg_agent.core.errors import InputError

MAX_PIXELS = 50_000_000
MAX_FILE_BYTES = 100_000_000
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
        if p.is_symlink():
            raise InputError(record_id, f"image path is a broken or looping symlink: {p}", "image_invalid")
        raise InputError(record_id, f"image not found: {p}", "image_missing")
    if not p.is_file():
        raise InputError(record_id, f"image path is not a file: {p}", "image_invalid")
    size = p.stat().st_size
    if size > MAX_FILE_BYTES:  # refused before reading it into memory
        raise InputError(record_id, f"image file is {size / 1e6:.0f} MB, over the limit of "
                         f"{MAX_FILE_BYTES / 1e6:.0f} MB: {p}", "image_too_large")
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
    return from_pil(ImageOps.exif_transpose(img), path, hashlib.sha256(data).hexdigest())


def from_pil(img: Image.Image, path: Optional[str], sha256: str) -> PostImage:
    """A PostImage from a decoded picture (already in display orientation)."""
    rgb = img.convert("RGB")
    scale = max(rgb.width, rgb.height) / WORK_SIDE
    if scale > 1:
        work = rgb.resize((max(1, round(rgb.width / scale)), max(1, round(rgb.height / scale))),
                          Image.BILINEAR)
    else:
        work, scale = rgb, 1.0
    return PostImage(path, rgb, sha256, work, scale)


def to_post_image(image, record_id: Optional[str] = None) -> PostImage:
    """A PostImage from a path, bytes, a PIL image, a numpy array or a PostImage."""
    if isinstance(image, PostImage):
        return image
    if isinstance(image, (str, Path)):
        if not str(image):
            raise InputError(record_id, "'image' is an empty path", "image_invalid")
        return load_image(image, record_id)
    if isinstance(image, (bytes, bytearray, memoryview)):
        data = bytes(image)
        if not data:
            raise InputError(record_id, "image bytes are empty", "image_invalid")
        return image_from_bytes(data, None, record_id)
    if isinstance(image, Image.Image):
        w, h = image.size
        if w * h > MAX_PIXELS:
            raise InputError(record_id, f"image too large: {w}x{h} (limit {MAX_PIXELS / 1e6:.0f} MP)",
                             "image_too_large")
        rgb = ImageOps.exif_transpose(image).convert("RGB")
        return from_pil(rgb, None, _pixels_sha256(rgb))
    if isinstance(image, np.ndarray):
        arr = image
        if arr.dtype != np.uint8 or arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[2] not in (3, 4)):
            raise InputError(record_id, f"image array must be uint8 HxW, HxWx3 or HxWx4, got "
                             f"{arr.dtype} {arr.shape}", "image_invalid")
        if arr.shape[0] * arr.shape[1] > MAX_PIXELS or 0 in arr.shape[:2]:
            raise InputError(record_id, f"image array of size {arr.shape[:2]} is empty or over "
                             f"{MAX_PIXELS / 1e6:.0f} MP", "image_invalid")
        rgb = Image.fromarray(np.ascontiguousarray(arr)).convert("RGB")
        return from_pil(rgb, None, _pixels_sha256(rgb))
    raise InputError(record_id, f"'image' must be a path, bytes, a PIL image or a numpy array, "
                     f"not {type(image).__name__}", "image_invalid")


def _pixels_sha256(img: Image.Image) -> str:
    h = hashlib.sha256(f"{img.width}x{img.height}:".encode())
    h.update(img.tobytes())
    return h.hexdigest()

"""COCO RLE encoding of masks (pycocotools) and box helpers."""
from __future__ import annotations

import numpy as np
from pycocotools import mask as mask_utils

from riveg_agent.core.schema import RLEMask


def encode(mask: np.ndarray) -> RLEMask:
    """Boolean HxW mask -> compressed COCO RLE."""
    if mask.ndim != 2:
        raise ValueError(f"mask must be 2-D, got shape {mask.shape}")
    rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    return RLEMask(size=(int(rle["size"][0]), int(rle["size"][1])), counts=rle["counts"].decode("ascii"))


def decode(rle: RLEMask) -> np.ndarray:
    return mask_utils.decode({"size": list(rle.size), "counts": rle.counts.encode("ascii")}).astype(bool)


def clip_box(box, width: int, height: int) -> tuple[float, float, float, float]:
    x1, y1, x2, y2 = box
    x1, x2 = sorted((min(max(x1, 0.0), width), min(max(x2, 0.0), width)))
    y1, y2 = sorted((min(max(y1, 0.0), height), min(max(y2, 0.0), height)))
    return (round(float(x1), 1), round(float(y1), 1), round(float(x2), 1), round(float(y2), 1))

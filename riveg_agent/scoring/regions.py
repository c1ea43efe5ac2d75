"""Box IoU and COCO-RLE mask IoU."""
from __future__ import annotations

from typing import Any, Optional, Sequence

from riveg_agent.scoring.errors import ScoringError
from riveg_agent.scoring.triples import Box, Mask, Region, RegionKind


def box_iou(a: Box, b: Box) -> float:
    """IoU of two [x1, y1, x2, y2] boxes in continuous pixel coordinates
    (area = w * h, no +1), 0 for degenerate boxes."""
    iw = min(a[2], b[2]) - max(a[0], b[0])
    ih = min(a[3], b[3]) - max(a[1], b[1])
    if iw <= 0 or ih <= 0:
        return 0.0
    inter = iw * ih
    area_a = max(0.0, a[2] - a[0]) * max(0.0, a[3] - a[1])
    area_b = max(0.0, b[2] - b[0]) * max(0.0, b[3] - b[1])
    union = area_a + area_b - inter
    return inter / union if union > 0 else 0.0


def as_rle(mask: Mask, source: str = "") -> Mask:
    """A pycocotools-ready RLE (bytes counts) from the JSON form (str counts)."""
    try:
        h, w = (int(v) for v in mask["size"])
        counts = mask["counts"]
    except (KeyError, TypeError, ValueError) as exc:
        raise ScoringError(f"{source}: mask is not a COCO RLE {{size: [h, w], counts}}") from exc
    if isinstance(counts, str):
        counts = counts.encode("ascii")
    elif isinstance(counts, list):
        # uncompressed RLE: let pycocotools compress it
        from pycocotools import mask as mask_utils

        return mask_utils.frPyObjects({"size": [h, w], "counts": counts}, h, w)
    return {"size": [h, w], "counts": counts}


def mask_iou(a: Mask, b: Mask, source: str = "") -> float:
    from pycocotools import mask as mask_utils

    if list(a["size"]) != list(b["size"]):
        raise ScoringError(f"{source}: mask size {list(a['size'])} differs from the gold "
                           f"mask size {list(b['size'])}")
    return float(mask_utils.iou([a], [b], [0])[0][0])


def max_iou(pred: Region, gold: Sequence[Region], kind: RegionKind, source: str = "") -> float:
    """Best IoU of the predicted region with any gold region of the entity."""
    best = 0.0
    for g in gold:
        v = box_iou(pred, g) if kind == "box" else mask_iou(pred, g, source)  # type: ignore[arg-type]
        best = max(best, v)
    return best


def parse_box(values: Any, source: str) -> Optional[Box]:
    """[x1, y1, x2, y2] from JSON; None stays None."""
    if values is None:
        return None
    try:
        x1, y1, x2, y2 = (float(v) for v in values)
    except (TypeError, ValueError) as exc:
        raise ScoringError(f"{source}: box must be [x1, y1, x2, y2], got {values!r}") from exc
    return (x1, y1, x2, y2)

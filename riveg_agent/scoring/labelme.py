"""Twitter-SMNER gold: one labelme JSON per image (`shapes` with a `label`
= the entity's surface string and polygon `points`), rasterised to the image
size as COCO RLE. Entities and types come from the tweets' CoNLL file."""
from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from riveg_agent.scoring.conll import gold_from_conll
from riveg_agent.scoring.errors import ScoringError, where
from riveg_agent.scoring.triples import GoldSet, Mask


def _polygon(shape: dict[str, Any], src: str) -> list[float]:
    kind = shape.get("shape_type") or "polygon"
    try:
        pts = [(float(x), float(y)) for x, y in shape["points"]]
    except (KeyError, TypeError, ValueError) as exc:
        raise ScoringError(f"{src}: shape {shape.get('label')!r} has bad points") from exc
    if kind == "rectangle" and len(pts) == 2:
        (x1, y1), (x2, y2) = pts
        pts = [(x1, y1), (x2, y1), (x2, y2), (x1, y2)]
    elif kind != "polygon":
        raise ScoringError(f"{src}: unsupported shape_type {kind!r} (polygon or rectangle)")
    if len(pts) < 3:
        raise ScoringError(f"{src}: polygon {shape.get('label')!r} has fewer than 3 points")
    return [c for p in pts for c in p]


def read_labelme(path: Path) -> dict[str, list[Mask]]:
    """label -> masks. Shapes sharing a label and a non-null group_id are
    parts of one region (labelme's instance convention); otherwise every
    shape is its own region. An absent file means no masks."""
    if not path.exists():
        return {}
    from pycocotools import mask as mask_utils

    src = where(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8-sig"))
        h, w = int(doc["imageHeight"]), int(doc["imageWidth"])
        shapes = doc.get("shapes") or []
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ScoringError(f"{src}: not a labelme JSON with imageHeight/imageWidth ({exc})") from exc
    groups: dict[tuple[str, Any], list[list[float]]] = defaultdict(list)
    for i, shape in enumerate(shapes):
        label = shape.get("label")
        if not isinstance(label, str):
            raise ScoringError(f"{src}: shape #{i + 1} has no label")
        gid = shape.get("group_id")
        key = (label, gid if gid is not None else ("shape", i))
        groups[key].append(_polygon(shape, src))
    masks: dict[str, list[Mask]] = defaultdict(list)
    for (label, _), polys in groups.items():
        masks[label].append(mask_utils.merge(mask_utils.frPyObjects(polys, h, w)))
    return dict(masks)


def read_labelme_gold(folder: Path, conll: Path) -> GoldSet:
    triples, images = gold_from_conll(conll, lambda image: read_labelme(folder / f"{image}.json"))
    return GoldSet(triples, images, "mask", "labelme", str(folder))

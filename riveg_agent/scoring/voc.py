"""Pascal-VOC XML boxes of Twitter-GMNER: one <object> per box, <name> is
the entity's surface string."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

from riveg_agent.scoring.errors import ScoringError
from riveg_agent.scoring.triples import Box


def read_voc(path: Path) -> dict[str, list[Box]]:
    """name -> boxes; an absent file means an image with no boxes."""
    if not path.exists():
        return {}
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as exc:
        raise ScoringError(f"{path}: malformed XML ({exc})") from exc
    boxes: dict[str, list[Box]] = defaultdict(list)
    for i, obj in enumerate(root.iter("object"), start=1):
        name = obj.findtext("name")
        bb = obj.find("bndbox")
        if name is None or bb is None:
            raise ScoringError(f"{path}: <object> #{i} lacks <name> or <bndbox>")
        try:
            box = tuple(float(bb.findtext(k) or "") for k in ("xmin", "ymin", "xmax", "ymax"))
        except ValueError as exc:
            raise ScoringError(f"{path}: <object> #{i} ({name!r}) has a bad <bndbox>") from exc
        boxes[name].append(box)  # type: ignore[arg-type]
    return dict(boxes)

"""The RiVEG paper's line format, shared by its gold file and its
prediction files:
`<img>.jpg###Entity(TYPE)###expansion###0|2###&[x1, y1, x2, y2]&...`
(predictions start with `Imageid:<img>.jpg#<n>`; the box field is optional
there)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

from riveg_agent.scoring.errors import ScoringError
from riveg_agent.scoring.triples import Box, normalise_image_id, normalise_type

SEP = "###"
# the TYPE is the last parenthesised group: names may hold "(" themselves
_ENTITY = re.compile(r"^(?P<name>.*)\((?P<type>[^()]*)\)\s*$", re.DOTALL)
_BOX = re.compile(r"\[([^\]]*)\]")
DUMMY_BOX: Box = (0.0, 0.0, 0.0, 0.0)


@dataclass
class PaperLine:
    image: str
    entity: str
    type: str
    expansion: str
    flag: int
    boxes: list[Box]  # the dummy [0, 0, 0, 0] dropped


def split_entity(field: str, source: str) -> tuple[str, str]:
    m = _ENTITY.match(field)
    if not m or not m.group("name"):
        raise ScoringError(f"{source}: want 'Entity(TYPE)', got {field!r}")
    return m.group("name"), normalise_type(m.group("type"))


def parse_boxes(field: str, source: str) -> list[Box]:
    body = field.strip()
    if not body.startswith("&"):
        raise ScoringError(f"{source}: box field must look like '&[x1, y1, x2, y2]', got {field!r}")
    boxes: list[Box] = []
    for chunk in _BOX.findall(body):
        try:
            vals = tuple(float(v) for v in chunk.split(","))
        except ValueError as exc:
            raise ScoringError(f"{source}: bad box [{chunk}]") from exc
        if len(vals) != 4:
            raise ScoringError(f"{source}: box [{chunk}] needs 4 numbers")
        if vals != DUMMY_BOX:
            boxes.append(vals)  # type: ignore[arg-type]
    if not boxes and "[" not in body:
        raise ScoringError(f"{source}: no box in {field!r}")
    return boxes


def parse_line(line: str, source: str, flags: frozenset[int]) -> PaperLine:
    fields = line.split(SEP)
    if len(fields) < 3:
        raise ScoringError(f"{source}: want at least 'image###Entity(TYPE)###flag', got {line!r}")
    boxes: list[Box] = []
    rest = fields[2:]
    if rest[-1].lstrip().startswith("&"):
        boxes = parse_boxes(rest[-1], source)
        rest = rest[:-1]
    if not rest:
        raise ScoringError(f"{source}: missing the 0/2 groundability field")
    try:
        flag = int(rest[-1].strip())
    except ValueError as exc:
        raise ScoringError(f"{source}: groundability must be an integer, got {rest[-1]!r}") from exc
    if flag not in flags:
        raise ScoringError(f"{source}: groundability must be one of {sorted(flags)}, got {flag}")
    entity, typ = split_entity(fields[1], source)
    image = normalise_image_id(fields[0])
    if not image:
        raise ScoringError(f"{source}: empty image id")
    # an expansion holding '###' itself is glued back together
    return PaperLine(image, entity, typ, SEP.join(rest[:-1]), flag, boxes)


def looks_like_paper(first_line: str) -> bool:
    return SEP in first_line


def format_box(box: Box) -> str:
    return "[" + ", ".join(repr(float(v)) for v in box) + "]"


def format_line(image: str, n: int, entity: str, typ: str, expansion: str,
                groundable: bool, box: Optional[Box]) -> str:
    """A prediction line as the paper writes them."""
    parts = [f"Imageid:{image}.jpg#{n}", f"{entity}({typ})", expansion, "2" if groundable else "0"]
    if groundable and box is not None:
        parts.append("&" + format_box(box))
    return SEP.join(parts)

"""The (image, entity, type, region) triples both sides are reduced to,
and the normalisations that make gold and predictions comparable."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal, Optional, Union

Box = tuple[float, float, float, float]
# COCO RLE as pycocotools takes it: {"size": [h, w], "counts": bytes}
Mask = dict[str, Any]
Region = Union[Box, Mask]
RegionKind = Literal["box", "mask"]

_IMGID_PREFIX = re.compile(r"^(?:imageid|imgid):", re.IGNORECASE)
# RiVEG's released files suffix the image with '#<n>' or '#<hex>' (e.g. '#0a3f')
_LINE_SUFFIX = re.compile(r"#[0-9A-Za-z]+$")


def normalise_image_id(raw: str) -> str:
    """'Imageid:123.jpg#4', 'Imageid:123.jpg#0a3f', 'IMGID:123', '123.jpg' -> '123'."""
    s = _IMGID_PREFIX.sub("", raw.strip())
    s = _LINE_SUFFIX.sub("", s)
    return s[:-4] if s.lower().endswith(".jpg") else s


def normalise_type(raw: str) -> str:
    # Twitter-GMNER says OTHER where the product (and Twitter-2017) say MISC
    t = raw.strip().upper()
    return "MISC" if t == "OTHER" else t


@dataclass(frozen=True)
class GoldTriple:
    image: str
    entity: str
    type: str
    regions: tuple[Region, ...] = ()  # empty = ungroundable
    source: str = ""  # 'file:line' it came from
    expansion: Optional[str] = None

    @property
    def groundable(self) -> bool:
        return bool(self.regions)


@dataclass(frozen=True)
class PredTriple:
    image: str
    entity: str
    type: str
    groundable: bool
    box: Optional[Box] = None
    mask: Optional[Mask] = field(default=None, hash=False, compare=False)
    source: str = ""

    def region(self, kind: RegionKind) -> Optional[Region]:
        """The region scored for `kind`; an ungroundable prediction has none
        whatever box it carries."""
        if not self.groundable:
            return None
        return self.box if kind == "box" else self.mask


@dataclass
class GoldSet:
    triples: list[GoldTriple]
    images: set[str]  # every image the gold covers, with or without entities
    region_kind: RegionKind
    format: str
    path: str


@dataclass
class PredictionSet:
    triples: list[PredTriple]
    images: set[str]
    format: str
    path: str
    has_masks: bool = False
    errors: int = 0  # error records (posts the product could not process)

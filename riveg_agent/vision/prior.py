"""A learned box prior: where, and how large, a grounded entity of each type
tends to be in a Twitter-GMNER picture, learned from the training split's
gold boxes (twitter-gmner/xml: one VOC file per image, objects named by the
entity's surface string; the type comes from the tweet's own BIO tags).

Features of a box in an image of size W x H: its centre (cx/W, cy/H) on a
5 x 5 grid and its area share (w*h / W*H) in 10 log-spaced bins. Per type, the
prior is the smoothed histogram of each feature; `score` is the product of the
two probabilities, relative to a uniform box (1.0 = as likely as chance).
The prior also keeps, per type, the share of entities that have a box and the
mean number of boxes of a boxed entity (a team or a band gets several).
Stored as JSON (no pickle) next to the shipped weights.
"""
from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

TYPES = ("PER", "LOC", "ORG", "MISC")
GRID = 5
AREA_BINS = (0.0025, 0.005, 0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64)  # upper edges; the last bin is > 0.64
ALPHA = 1.0  # add-one smoothing


def area_bin(share: float) -> int:
    for i, edge in enumerate(AREA_BINS):
        if share <= edge:
            return i
    return len(AREA_BINS)


def centre_bin(cx: float, cy: float) -> int:
    col = min(GRID - 1, max(0, int(cx * GRID)))
    row = min(GRID - 1, max(0, int(cy * GRID)))
    return row * GRID + col


def read_voc(path: Path) -> tuple[int, int, list[tuple[str, tuple[float, float, float, float]]]]:
    """(width, height, [(object name, box)]) of one VOC annotation file."""
    root = ET.parse(path).getroot()
    size = root.find("size")
    w, h = int(size.find("width").text), int(size.find("height").text)
    objects = []
    for obj in root.findall("object"):
        bb = obj.find("bndbox")
        box = tuple(float(bb.find(k).text) for k in ("xmin", "ymin", "xmax", "ymax"))
        objects.append((obj.find("name").text.strip(), box))
    return w, h, objects


@dataclass
class BoxPrior:
    centre: dict[str, list[float]]  # type -> probability per grid cell
    area: dict[str, list[float]]  # type -> probability per area bin
    boxed_share: dict[str, float]  # type -> share of entities with at least one box
    boxes_per_entity: dict[str, float]  # type -> mean boxes of a boxed entity
    source: dict

    def score(self, etype: str, box, width: int, height: int) -> float:
        """How typical this box is for an entity of `etype` (1.0 = chance level)."""
        if etype not in self.centre or width <= 0 or height <= 0:
            return 1.0
        x1, y1, x2, y2 = box
        share = max(0.0, (x2 - x1) * (y2 - y1)) / (width * height)
        c = self.centre[etype][centre_bin((x1 + x2) / 2 / width, (y1 + y2) / 2 / height)]
        a = self.area[etype][area_bin(share)]
        return c * GRID * GRID * a * (len(AREA_BINS) + 1)

    def to_json(self) -> dict:
        return {"grid": GRID, "area_bins": list(AREA_BINS), "centre": self.centre, "area": self.area,
                "boxed_share": self.boxed_share, "boxes_per_entity": self.boxes_per_entity,
                "source": self.source}

    @classmethod
    def from_json(cls, data: dict) -> "BoxPrior":
        if data.get("grid") != GRID or data.get("area_bins") != list(AREA_BINS):
            raise ValueError("box prior file was made with other bins; relearn it")
        return cls(data["centre"], data["area"], data["boxed_share"], data["boxes_per_entity"],
                   data.get("source", {}))


def learn(data_dir: Path, split: str = "train") -> BoxPrior:
    """Learn the prior from one Twitter-GMNER split (train: never test)."""
    from riveg_agent.scoring.conll import read_conll
    from riveg_agent.scoring.triples import normalise_type

    tweets = read_conll(data_dir / "twitter-gmner" / "txt" / f"{split}.txt")
    centre = {t: Counter() for t in TYPES}
    area = {t: Counter() for t in TYPES}
    entities, boxed, boxes = Counter(), Counter(), Counter()
    images = 0
    for tweet in tweets:
        voc = data_dir / "twitter-gmner" / "xml" / f"{tweet.image}.xml"
        objects = defaultdict(list)
        w = h = 0
        if voc.is_file():
            w, h, found = read_voc(voc)
            for name, box in found:
                objects[name].append(box)
            images += 1
        for name, raw in tweet.entities():
            etype = normalise_type(raw)
            if etype not in centre:
                continue
            entities[etype] += 1
            mine = objects.get(name, [])
            if mine:
                boxed[etype] += 1
                boxes[etype] += len(mine)
            for x1, y1, x2, y2 in mine:
                centre[etype][centre_bin((x1 + x2) / 2 / w, (y1 + y2) / 2 / h)] += 1
                area[etype][area_bin((x2 - x1) * (y2 - y1) / (w * h))] += 1

    def dist(counts: Counter, n: int) -> list[float]:
        total = sum(counts.values()) + ALPHA * n
        return [round((counts[i] + ALPHA) / total, 6) for i in range(n)]

    return BoxPrior(
        centre={t: dist(centre[t], GRID * GRID) for t in TYPES},
        area={t: dist(area[t], len(AREA_BINS) + 1) for t in TYPES},
        boxed_share={t: round(boxed[t] / entities[t], 4) if entities[t] else 0.0 for t in TYPES},
        boxes_per_entity={t: round(boxes[t] / boxed[t], 4) if boxed[t] else 1.0 for t in TYPES},
        source={"dataset": "twitter-gmner", "split": split, "tweets": len(tweets), "images_with_xml": images,
                "entities": dict(entities), "boxed_entities": dict(boxed), "boxes": dict(boxes)})


def save(prior: BoxPrior, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(prior.to_json(), indent=1) + "\n", encoding="utf-8")


def load(path: Optional[Path] = None) -> BoxPrior:
    """The shipped prior (weights/box-prior/gmner-train.json) or a file."""
    if path is None:
        from importlib import resources
        path = Path(str(resources.files("riveg_weights") / "box-prior" / "gmner-train.json"))
    return BoxPrior.from_json(json.loads(Path(path).read_text(encoding="utf-8")))


def score_entropy(dist: list[float]) -> float:
    return -sum(p * math.log(p) for p in dist if p > 0)

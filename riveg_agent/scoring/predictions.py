"""Prediction readers: the product's JSONL output and the paper's
prediction lines."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from riveg_agent.scoring.conll import read_text
from riveg_agent.scoring.errors import ScoringError, where
from riveg_agent.scoring.paper import looks_like_paper, parse_line
from riveg_agent.scoring.regions import as_rle, parse_box
from riveg_agent.scoring.triples import PredictionSet, PredTriple, normalise_image_id, normalise_type

PredFormat = Literal["riveg-agent", "riveg"]
RESULT_KIND = "riveg-agent/result"
ERROR_KIND = "riveg-agent/error"


def _entity(ent: Any, image: str, src: str) -> PredTriple:
    if not isinstance(ent, dict) or not isinstance(ent.get("text"), str) \
            or not isinstance(ent.get("type"), str):
        raise ScoringError(f"{src}: every entity needs string 'text' and 'type'")
    mask = ent.get("mask")
    return PredTriple(
        image=image,
        entity=ent["text"],
        type=normalise_type(ent["type"]),
        groundable=bool(ent.get("groundable", False)),
        box=parse_box(ent.get("box"), src),
        mask=as_rle(mask, src) if mask is not None else None,
        source=src,
    )


def read_jsonl(path: Path) -> PredictionSet:
    triples: list[PredTriple] = []
    images: set[str] = set()
    errors = 0
    for n, line in enumerate(read_text(path), start=1):
        if not line.strip():
            continue
        src = where(path, n)
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as exc:
            hint = " (paper-format lines? use --format riveg)" if looks_like_paper(line) else ""
            raise ScoringError(f"{src}: not JSON{hint}") from exc
        kind = rec.get("kind") if isinstance(rec, dict) else None
        if kind == ERROR_KIND:
            errors += 1  # the post counts in gold but contributes no prediction
            continue
        if kind != RESULT_KIND:
            if isinstance(kind, str) and kind.startswith("riveg-agent/"):
                continue  # other record kinds of the product carry no entities
            raise ScoringError(f"{src}: not a riveg-agent record (kind={kind!r})")
        if not isinstance(rec.get("id"), str) or not isinstance(rec.get("entities", []), list):
            raise ScoringError(f"{src}: result record needs a string 'id' and an 'entities' list")
        image = normalise_image_id(rec["id"])
        images.add(image)
        triples.extend(_entity(e, image, src) for e in rec.get("entities", []))
    has_masks = any(t.mask is not None for t in triples)
    return PredictionSet(triples, images, "riveg-agent", str(path), has_masks, errors)


def read_paper_predictions(path: Path) -> PredictionSet:
    """Flag 0 = ungroundable (a dummy box is ignored); any other flag is
    groundable with the first box, or no region if none is given."""
    triples: list[PredTriple] = []
    for n, line in enumerate(read_text(path), start=1):
        if not line.strip():
            continue
        src = where(path, n)
        rec = parse_line(line, src, frozenset({0, 1, 2}))
        box = rec.boxes[0] if rec.boxes else None
        triples.append(PredTriple(rec.image, rec.entity, rec.type, rec.flag != 0, box, None, src))
    return PredictionSet(triples, {t.image for t in triples}, "riveg", str(path))


def read_predictions(path: Path, fmt: PredFormat = "riveg-agent") -> PredictionSet:
    if not path.is_file():
        raise ScoringError(f"{path}: no such file")
    if fmt == "riveg-agent":
        return read_jsonl(path)
    if fmt == "riveg":
        return read_paper_predictions(path)
    raise ScoringError(f"unknown prediction format {fmt!r}")

"""Shared helpers for the scorer tests: fixture paths and writers for
small hand-made prediction files."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable, Optional

import pytest

FIXTURES = Path(__file__).parent / "fixtures"

# The gold of fixtures/paper_gold.txt (and of fixtures/gmner: CoNLL + XML),
# as (image, text, type, groundable, box) of a perfect system.
PERFECT: list[tuple[str, str, str, bool, Optional[list[float]]]] = [
    ("img1", "Alice", "PER", True, [0, 0, 10, 10]),
    ("img1", "Paris", "LOC", False, None),
    ("img2", "Bob", "PER", True, [0, 0, 100, 100]),
    ("img2", "Bob", "PER", True, [0, 0, 100, 100]),
    ("img2", "Guns ( band )", "ORG", False, None),
    ("img3", "Nike", "MISC", True, [10, 10, 20, 20]),
    ("img3", "London", "LOC", False, None),
]


def entity(text: str, typ: str, groundable: bool, box: Optional[list[float]] = None,
           mask: Optional[dict[str, Any]] = None) -> dict[str, Any]:
    return {"text": text, "type": typ, "groundable": groundable, "box": box, "mask": mask}


def records(rows: list[tuple[str, str, str, bool, Optional[list[float]]]]) -> list[dict[str, Any]]:
    """One result record per image, entities in the given order."""
    by_image: dict[str, list[dict[str, Any]]] = {}
    for image, text, typ, g, box in rows:
        by_image.setdefault(image, []).append(entity(text, typ, g, box))
    return [{"kind": "riveg-agent/result", "id": i, "entities": e} for i, e in by_image.items()]


@pytest.fixture
def paper_gold() -> Path:
    return FIXTURES / "paper_gold.txt"


@pytest.fixture
def conll_gold() -> Path:
    return FIXTURES / "gmner" / "txt" / "test.txt"


@pytest.fixture
def write_jsonl(tmp_path: Path) -> Callable[[list[dict[str, Any]]], Path]:
    def write(recs: list[dict[str, Any]], name: str = "pred.jsonl") -> Path:
        path = tmp_path / name
        path.write_text("".join(json.dumps(r) + "\n" for r in recs), encoding="utf-8")
        return path

    return write


@pytest.fixture
def write_lines(tmp_path: Path) -> Callable[[list[str]], Path]:
    def write(lines: list[str], name: str = "lines.txt") -> Path:
        path = tmp_path / name
        path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        return path

    return write


@pytest.fixture
def perfect_rows() -> list[tuple[str, str, str, bool, Optional[list[float]]]]:
    return list(PERFECT)


@pytest.fixture
def make_records() -> Callable[..., list[dict[str, Any]]]:
    return records


@pytest.fixture
def make_entity() -> Callable[..., dict[str, Any]]:
    return entity

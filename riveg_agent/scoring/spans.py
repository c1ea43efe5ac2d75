"""The span-matching core shared by every scorer (MNER included):
conlleval chunking and micro precision / recall / F1 counts."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Hashable, Iterable, Sequence

from riveg_agent.scoring.errors import ScoringError

Span = tuple[int, int, str]  # (start, end exclusive, type)

_PREFIXES = {"B", "I", "E", "S"}


def split_tag(tag: str) -> tuple[str, str]:
    """'B-PER' -> ('B', 'PER'); 'O' -> ('O', ''). Raises on anything else."""
    if tag == "O":
        return "O", ""
    prefix, sep, typ = tag.partition("-")
    if prefix not in _PREFIXES or not sep or not typ:
        raise ScoringError(f"bad tag {tag!r} (want O or B-/I-/E-/S-<TYPE>)")
    return prefix, typ


def _ends(prev: str, prev_type: str, tag: str, typ: str) -> bool:
    # conlleval's endOfChunk
    if prev in ("E", "S"):
        return True
    if prev in ("B", "I") and tag in ("B", "S", "O"):
        return True
    return prev != "O" and prev_type != typ


def _starts(prev: str, prev_type: str, tag: str, typ: str) -> bool:
    # conlleval's startOfChunk: an orphan I- (after O or another type) starts one
    if tag in ("B", "S"):
        return True
    if prev in ("E", "S", "O") and tag in ("E", "I"):
        return True
    return tag != "O" and prev_type != typ


def bio_to_spans(tags: Sequence[str]) -> list[Span]:
    """Entity spans of a BIO (or BIOES) tag sequence, chunked as conlleval
    does. Spans are (start, end, type) with `end` exclusive."""
    spans: list[Span] = []
    prev, prev_type, start = "O", "", -1
    for i, raw in enumerate(tags):
        tag, typ = split_tag(raw)
        if start >= 0 and _ends(prev, prev_type, tag, typ):
            spans.append((start, i, prev_type))
            start = -1
        if _starts(prev, prev_type, tag, typ):
            start = i
        prev, prev_type = tag, typ
    if start >= 0:
        spans.append((start, len(tags), prev_type))
    return spans


@dataclass
class PRF:
    """Micro counts; precision/recall/F1 are derived, 0 when undefined."""

    predicted: int = 0
    gold: int = 0
    correct: int = 0

    @property
    def precision(self) -> float:
        return self.correct / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.correct / self.gold if self.gold else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def add(self, other: "PRF") -> None:
        self.predicted += other.predicted
        self.gold += other.gold
        self.correct += other.correct

    def as_dict(self) -> dict[str, float | int]:
        return {"predicted": self.predicted, "gold": self.gold, "correct": self.correct,
                "precision": self.precision, "recall": self.recall, "f1": self.f1}


def count_matches(pred: Iterable[Hashable], gold: Iterable[Hashable]) -> PRF:
    """Exact-match counts of two multisets (e.g. the spans of one sentence)."""
    p, g = Counter(pred), Counter(gold)
    return PRF(sum(p.values()), sum(g.values()), sum((p & g).values()))


def score_spans(pred: Iterable[Iterable[Hashable]], gold: Iterable[Iterable[Hashable]]) -> PRF:
    """Micro P/R/F1 over aligned items (sentences), conlleval-style."""
    total = PRF()
    pred_items, gold_items = list(pred), list(gold)
    if len(pred_items) != len(gold_items):
        raise ScoringError(f"{len(pred_items)} predicted items vs {len(gold_items)} gold items")
    for p, g in zip(pred_items, gold_items):
        total.add(count_matches(p, g))
    return total

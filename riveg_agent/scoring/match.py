"""The paper's matching rule. Predictions are taken in file order; each
takes the first unused gold triple of its image with the same entity string
(and type, unless the task ignores it) whose region agrees: both None, or
the predicted region has IoU >= threshold with any gold region of the
entity. `flag` compares groundability instead of regions."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Literal, Optional

from riveg_agent.scoring.errors import ScoringError
from riveg_agent.scoring.regions import max_iou
from riveg_agent.scoring.spans import PRF
from riveg_agent.scoring.triples import GoldSet, GoldTriple, PredictionSet, PredTriple, RegionKind

Task = Literal["gmner", "eeg", "smner", "ees", "flag"]
TASKS: tuple[str, ...] = ("gmner", "eeg", "smner", "ees", "flag")


@dataclass(frozen=True)
class TaskSpec:
    name: str
    use_type: bool
    region: Optional[RegionKind]  # None: box-agnostic (flag)


SPECS: dict[str, TaskSpec] = {
    "gmner": TaskSpec("gmner", True, "box"),
    "eeg": TaskSpec("eeg", False, "box"),
    "smner": TaskSpec("smner", True, "mask"),
    "ees": TaskSpec("ees", False, "mask"),
    "flag": TaskSpec("flag", True, None),
}


@dataclass
class MatchResult:
    total: PRF
    by_type: dict[str, PRF] = field(default_factory=dict)
    matches: list[Optional[int]] = field(default_factory=list)  # gold index per prediction


class Matcher:
    """Scores one prediction set against one gold set at any threshold;
    IoUs are cached so that a sweep computes each pair once."""

    def __init__(self, task: str, gold: GoldSet, preds: PredictionSet) -> None:
        if task not in SPECS:
            raise ScoringError(f"unknown task {task!r} (one of {', '.join(TASKS)})")
        self.spec = SPECS[task]
        kind = self.spec.region
        if kind == "mask" and gold.region_kind != "mask":
            raise ScoringError(f"{gold.path}: {task} needs mask gold (a labelme folder), "
                               f"this gold has {gold.region_kind}es")
        if kind == "mask" and preds.format != "riveg-agent":
            raise ScoringError(f"{preds.path}: paper-format predictions carry no masks; {task} "
                               "needs riveg-agent JSONL")
        if kind == "box" and gold.region_kind != "box":
            raise ScoringError(f"{gold.path}: {task} needs box gold, this gold has masks")
        self.gold, self.preds = gold, preds
        self._by_image: dict[str, list[int]] = defaultdict(list)
        for i, g in enumerate(gold.triples):
            self._by_image[g.image].append(i)
        self._iou: dict[tuple[int, int], float] = {}

    def _same_entity(self, p: PredTriple, g: GoldTriple) -> bool:
        return p.entity == g.entity and (not self.spec.use_type or p.type == g.type)

    def _region_ok(self, pi: int, p: PredTriple, gi: int, g: GoldTriple, iou: float) -> bool:
        kind = self.spec.region
        if kind is None:
            return p.groundable == g.groundable
        region = p.region(kind)
        if region is None or not g.regions:
            return region is None and not g.regions
        key = (pi, gi)
        if key not in self._iou:
            self._iou[key] = max_iou(region, g.regions, kind, p.source)
        return self._iou[key] >= iou

    def run(self, iou: float = 0.5) -> MatchResult:
        used: set[int] = set()
        matches: list[Optional[int]] = []
        total = PRF(len(self.preds.triples), len(self.gold.triples), 0)
        by_type: dict[str, PRF] = defaultdict(PRF)
        for g in self.gold.triples:
            by_type[g.type].gold += 1
        for pi, p in enumerate(self.preds.triples):
            by_type[p.type].predicted += 1
            hit = next((gi for gi in self._by_image.get(p.image, ())
                        if gi not in used and self._same_entity(p, self.gold.triples[gi])
                        and self._region_ok(pi, p, gi, self.gold.triples[gi], iou)), None)
            matches.append(hit)
            if hit is not None:
                used.add(hit)
                total.correct += 1
                # the predicted type: for eeg/ees it may differ from the gold's
                by_type[p.type].correct += 1
        return MatchResult(total, dict(sorted(by_type.items())), matches)


def score(task: str, gold: GoldSet, preds: PredictionSet, iou: float = 0.5) -> MatchResult:
    return Matcher(task, gold, preds).run(iou)

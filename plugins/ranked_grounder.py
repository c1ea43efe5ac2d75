"""The default Grounder: for the groundable entities of one post, choose
among the detector's candidates jointly.

Each (entity, candidate) pair gets a score:
  compatibility(type, class) x detector score^0.5 x box prior^0.5 x face bonus
- compatibility: PER wants a person; ORG a group of people (a team, a band:
  the box around all people, when there are two or more), a person, or an
  object (logos and products are not COCO classes, so objects rank low);
  MISC an object first; LOC rarely has a box at all (9 % of Twitter-GMNER
  train LOC entities do) and takes only large objects (vehicles, boats);
- box prior: riveg_agent.vision.prior, learned from Twitter-GMNER train boxes
  (where and how large an entity of that type tends to be);
- face bonus: a person whose face was detected is more likely the one named.
Pairs are then taken best first, each candidate used once (two people named,
two people found: one each), the group box excepted. An entity whose best
pair scores below `min_score` gets no box, and the note says why."""
from __future__ import annotations

from typing import Optional

from riveg_agent.core.roles import Detection, EntailmentDecision, Expression, Grounder, ImageEvidence, Post
from riveg_agent.core.schema import ModelRef

VEHICLES = {"car", "bus", "train", "truck", "boat", "airplane", "motorcycle", "bicycle"}
FACE_BONUS = 1.5


def compatibility(etype: str, label: str) -> float:
    if label == "group":
        return {"ORG": 0.8, "MISC": 0.05, "PER": 0.0, "LOC": 0.0}[etype]
    if label == "person":
        return {"PER": 1.0, "ORG": 0.4, "MISC": 0.15, "LOC": 0.02}[etype]
    if etype == "MISC":
        return 0.5
    if etype == "ORG":
        return 0.25
    if etype == "LOC":
        return 0.3 if label in VEHICLES else 0.05
    return 0.02  # PER and an object


def _fmt(box) -> str:
    return "[" + ", ".join(f"{v:.0f}" for v in box) + "]"


class RankedGrounder(Grounder):
    reads_expansions = False  # ranks by entity type and detection scores

    def __init__(self, min_score: float, prior_file: Optional[str]):
        from pathlib import Path

        from riveg_agent.vision.prior import load
        self.min_score = min_score
        self.prior_file = prior_file
        self.prior = load(Path(prior_file) if prior_file else None)

    def models(self) -> list[ModelRef]:
        src = self.prior.source
        return [ModelRef(name=f"box-prior/{src.get('dataset')}-{src.get('split')}",
                         path=self.prior_file, license="derived from Twitter-GMNER annotations (research use)")]

    def candidates(self, post: Post, evidence: ImageEvidence) -> list[Detection]:
        found = list(evidence.persons) + [d for d in evidence.detections if d.label not in ("face", "person")]
        people = evidence.persons
        if len(people) >= 2:
            box = (min(p.box[0] for p in people), min(p.box[1] for p in people),
                   max(p.box[2] for p in people), max(p.box[3] for p in people))
            found.append(Detection(box, max(p.score for p in people), "group", "union of detected people"))
        return found

    def pair_score(self, etype: str, cand: Detection, width: int, height: int) -> float:
        score = compatibility(etype, cand.label) * cand.score ** 0.5
        score *= self.prior.score(etype, cand.box, width, height) ** 0.5
        if cand.label == "person" and cand.face is not None and etype == "PER":
            score *= FACE_BONUS
        return score

    def ground(self, post: Post, expressions: list[Expression], decisions: list[EntailmentDecision],
               evidence: Optional[ImageEvidence] = None) -> list[Optional[Detection]]:
        regions: list[Optional[Detection]] = [None] * len(expressions)
        if evidence is None or post.image is None:
            return regions
        w, h = post.image.width, post.image.height
        cands = self.candidates(post, evidence)
        wanted = [i for i, d in enumerate(decisions) if d.groundable]
        pairs = sorted(((self.pair_score(expressions[i].entity.type, c, w, h), i, j)
                        for i in wanted for j, c in enumerate(cands)), key=lambda x: (-x[0], x[1], x[2]))
        used: set[int] = set()
        for score, i, j in pairs:
            if regions[i] is not None or (j in used and cands[j].label != "group") or score < self.min_score:
                continue
            c = cands[j]
            regions[i] = Detection(c.box, c.score, "person" if c.label == "group" else c.label, c.source,
                                   f"{c.label} {_fmt(c.box)} from {c.source} (detector {c.score:.2f}, "
                                   f"rank score {score:.2f})")
            used.add(j)
        return regions


def factory(min_score: float = 0.2, prior_file: Optional[str] = None) -> RankedGrounder:
    return RankedGrounder(min_score, prior_file)


def register(registry) -> None:
    registry.add("grounder", "riveg.ranked_grounder.v1", factory,
                 description="joint choice among detected people/objects by type, score and a box "
                             "prior learned from Twitter-GMNER")

"""Interim visual entailment and grounding from the detector's evidence.

VE (riveg.detector_entailment.v1): a PER entity is groundable while a
detected face is left over for it (faces are handed out largest first, in
the order the names appear); any other entity is groundable when its
expansion names a person-like thing ("a band", "a football team") and people
are in view.
VG (riveg.detector_grounder.v1): for each groundable entity, in order, a PER
entity takes the person box of the next free face (largest first); an ORG
whose expansion names a group takes the box around all people; without a
face left, a PER entity takes the largest person. Nothing fits: no box.
Weakness: it cannot tell who is who, and it sees nothing but people."""
from __future__ import annotations

import re
from typing import Optional

from riveg_agent.core.roles import (Box, Detection, EntailmentDecision, Entailment, Expression, Grounder,
                                    ImageEvidence, Post)

GROUP_WORDS = re.compile(r"\b(band|group|team|crew|crowd|choir|duo|trio|squad|club|family|couple)\b", re.I)


def _union(boxes: list[Box]) -> Box:
    return (min(b[0] for b in boxes), min(b[1] for b in boxes),
            max(b[2] for b in boxes), max(b[3] for b in boxes))


def _fmt(box: Box) -> str:
    return "[" + ", ".join(f"{v:.0f}" for v in box) + "]"


def _nth(i: int) -> str:
    return "the largest" if i == 0 else f"the #{i + 1} largest"


class DetectorEntailment(Entailment):
    def entail(self, post: Post, caption, expressions: list[Expression], knowledge=None,
               evidence: Optional[ImageEvidence] = None) -> list[EntailmentDecision]:
        if post.image is None or evidence is None:
            return [EntailmentDecision(False, 0.0, "the post has no image") for _ in expressions]
        faces, persons = evidence.faces, evidence.persons
        free = list(range(len(faces)))
        decisions = []
        for expr in expressions:
            if expr.entity.type == "PER":
                if not faces:
                    decisions.append(EntailmentDecision(False, 0.0, "no face detected in the image"))
                elif not free:
                    decisions.append(EntailmentDecision(
                        False, 0.0, f"all {len(faces)} detected faces are taken by earlier person names"))
                else:
                    i = free.pop(0)
                    decisions.append(EntailmentDecision(
                        True, faces[i].score, f"face detected (score {faces[i].score:.2f}) at "
                        f"{_fmt(faces[i].box)}, {_nth(i)} face in the image"))
            elif expr.entity.type == "ORG" and persons and GROUP_WORDS.search(expr.expansion):
                decisions.append(EntailmentDecision(
                    True, max(p.score for p in persons), f"the expansion '{expr.expansion}' names a group "
                    f"of people and {len(persons)} person(s) are in view"))
            else:
                decisions.append(EntailmentDecision(
                    False, 0.0, "no detector class matches this entity type or its expansion"))
        return decisions


class DetectorGrounder(Grounder):
    def ground(self, post: Post, expressions, decisions,
               evidence: Optional[ImageEvidence] = None) -> list[Optional[Detection]]:
        if evidence is None:
            return [None] * len(expressions)
        faces, persons = evidence.faces, evidence.persons
        free = list(range(min(len(faces), len(persons))))
        regions: list[Optional[Detection]] = []
        for expr, dec in zip(expressions, decisions):
            region = None
            if dec.groundable and expr.entity.type == "PER":
                if free:
                    i = free.pop(0)
                    region = Detection(persons[i].box, faces[i].score, "person", persons[i].source,
                                       f"person around {_nth(i)} face (score {faces[i].score:.2f}) at "
                                       f"{_fmt(faces[i].box)}")
                elif persons:
                    region = Detection(persons[0].box, persons[0].score, "person", persons[0].source,
                                       "the largest person (every face is taken by an earlier name)")
            elif dec.groundable and expr.entity.type == "ORG" and persons and GROUP_WORDS.search(expr.expansion):
                region = Detection(_union([p.box for p in persons]), max(p.score for p in persons), "person",
                                   "union of detected people",
                                   f"all {len(persons)} people (the expansion names a group)")
            regions.append(region)
        return regions


def entailment_factory() -> DetectorEntailment:
    return DetectorEntailment()


def grounder_factory() -> DetectorGrounder:
    return DetectorGrounder()


def register(registry) -> None:
    registry.add("entailment", "riveg.detector_entailment.v1", entailment_factory,
                 description="groundable when a detected face/person matches the entity (interim)")
    registry.add("grounder", "riveg.detector_grounder.v1", grounder_factory,
                 description="box of the detected person for each name, faces largest first (interim)")

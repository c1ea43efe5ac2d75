"""Interim visual entailment and grounding from detector evidence.

VE: a PER entity is groundable when a face is detected that no earlier
person name has taken (faces are handed out largest first, in the order the
names appear); any other entity is groundable when its expansion names a
person-like thing ("a band", "a football team") and people are in view.
VG: the box is the person box around the face (or all people, for groups).
Weakness: it cannot tell who is who, and it sees nothing but people."""
from __future__ import annotations

import re
from typing import Optional

from riveg_agent.roles import Box, EntailmentDecision, Entailment, Expression, Grounder, Post
from riveg_agent.schema import ModelRef

from ._vision import BLAZEFACE, detect, mediapipe_check

GROUP_WORDS = re.compile(r"\b(band|group|team|crew|crowd|choir|duo|trio|squad|club|family|couple)\b", re.I)


def _union(boxes: list[Box]) -> Box:
    return (min(b[0] for b in boxes), min(b[1] for b in boxes),
            max(b[2] for b in boxes), max(b[3] for b in boxes))


def _fmt(box: Box) -> str:
    return "[" + ", ".join(f"{v:.0f}" for v in box) + "]"


class DetectorEntailment(Entailment):
    def __init__(self, threshold: float):
        self.threshold = threshold

    def models(self) -> list[ModelRef]:
        return [BLAZEFACE]

    def entail(self, post: Post, caption, expressions: list[Expression]) -> list[EntailmentDecision]:
        if post.image is None:
            return [EntailmentDecision(False, 0.0, "the post has no image") for _ in expressions]
        found = detect(post.image, self.threshold)
        faces = [d for d in found if d.label == "face"]
        persons = [d for d in found if d.label == "person"]
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
                        True, faces[i].score,
                        f"face detected (score {faces[i].score:.2f}) at {_fmt(faces[i].box)}, "
                        f"the {'largest' if i == 0 else f'#{i + 1} largest'} face in the image",
                        persons[i].box, "person"))
            elif expr.entity.type == "ORG" and persons and GROUP_WORDS.search(expr.expansion):
                score = max(p.score for p in persons)
                decisions.append(EntailmentDecision(
                    True, score, f"the expansion '{expr.expansion}' names a group of people and "
                    f"{len(persons)} person(s) are in view", _union([p.box for p in persons]), "person"))
            else:
                decisions.append(EntailmentDecision(
                    False, 0.0, "no detector class matches this entity type or its expansion"))
        return decisions


class DetectorGrounder(Grounder):
    """Uses the region the entailment rests on; without one (another VE
    plugin), falls back to the largest detected person for PER entities."""

    def __init__(self, min_score: float):
        self.min_score = min_score

    def models(self) -> list[ModelRef]:
        return [BLAZEFACE]

    def ground(self, post: Post, expressions, decisions) -> list[Optional[Box]]:
        boxes: list[Optional[Box]] = []
        persons = None
        for expr, dec in zip(expressions, decisions):
            if not dec.groundable or post.image is None:
                boxes.append(None)
            elif dec.region is not None:
                boxes.append(dec.region)
            else:
                if persons is None:
                    persons = [d for d in detect(post.image, self.min_score) if d.label == "person"]
                boxes.append(persons[0].box if persons and expr.entity.type == "PER" else None)
        return boxes


def entailment_factory(threshold: float = 0.5) -> DetectorEntailment:
    return DetectorEntailment(threshold)


def grounder_factory(min_score: float = 0.5) -> DetectorGrounder:
    return DetectorGrounder(min_score)


def register(registry) -> None:
    registry.add("entailment", "riveg.detector_entailment.v1", entailment_factory,
                 description="groundable when a detected face/person matches the entity (interim)",
                 check=mediapipe_check)
    registry.add("grounder", "riveg.detector_grounder.v1", grounder_factory,
                 description="box of the detection behind the VE decision (interim)",
                 check=mediapipe_check)

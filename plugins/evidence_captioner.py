"""The default Captioner: a one-line description composed from the image
evidence, in the shape of the BLIP-2 captions the VE was trained on ("two
people with a microphone", "a close-up of a person"). No captioning model
can be had offline; this says only what the detectors saw: how many people,
how large the main one is in the frame, and the confident COCO objects.
Deterministic."""
from __future__ import annotations

from typing import Optional

from riveg_agent.core.roles import Caption, Captioner, Detection, ImageEvidence, Post

NUMBERS = ["no", "one", "two", "three"]
VOWELS = "aeiou"


def _a(noun: str) -> str:
    return f"{'an' if noun[0] in VOWELS else 'a'} {noun}"


def _share(d: Detection, width: int, height: int) -> float:
    x1, y1, x2, y2 = d.box
    return max(0.0, x2 - x1) * max(0.0, y2 - y1) / (width * height)


def describe(evidence: ImageEvidence, width: int, height: int, object_score: float = 0.5) -> str:
    people = evidence.persons
    objects: list[str] = []
    for d in evidence.detections:
        if d.label not in ("face", "person") and d.score >= object_score and d.label not in objects:
            objects.append(d.label)
    things = " and ".join(_a(o) for o in objects[:2])
    if not people:
        return things or "a picture with no people or common objects in view"
    n = len(people)
    if n == 1:
        main = people[0]
        who = "a close-up of a person" if _share(main, width, height) > 0.3 else "a person"
    elif n < len(NUMBERS):
        who = f"{NUMBERS[n]} people"
    else:
        who = "a group of people"
    return f"{who} with {things}" if things else who


class EvidenceCaptioner(Captioner):
    def __init__(self, object_score: float):
        self.object_score = object_score

    def caption(self, post: Post, evidence: Optional[ImageEvidence] = None) -> Optional[Caption]:
        if post.image is None:
            return None
        return Caption(describe(evidence or ImageEvidence(), post.image.width, post.image.height,
                                self.object_score), "composed from the detector's evidence")


def factory(object_score: float = 0.5) -> EvidenceCaptioner:
    return EvidenceCaptioner(object_score)


def register(registry) -> None:
    registry.add("captioner", "riveg.evidence_captioner.v1", factory,
                 description="one-line caption composed from detected people and COCO objects")

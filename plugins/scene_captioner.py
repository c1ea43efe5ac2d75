"""Interim captioner: a one-sentence scene summary built from the detector's
classes (no captioning model can be had offline). It says how many people
the face detector found and how large they are in the frame."""
from __future__ import annotations

from riveg_agent.images import PostImage
from riveg_agent.roles import Caption, Captioner
from riveg_agent.schema import ModelRef

from ._vision import BLAZEFACE, detect, mediapipe_check

NUMBERS = ["no", "one", "two", "three", "four", "five", "six"]


def describe(image: PostImage, min_score: float) -> str:
    faces = [d for d in detect(image, min_score) if d.label == "face"]
    if not faces:
        return "a picture with no people in view"
    n = len(faces)
    count = NUMBERS[n] if n < len(NUMBERS) else str(n)
    who = "a person" if n == 1 else f"{count} people"
    x1, y1, x2, y2 = faces[0].box
    share = (x2 - x1) * (y2 - y1) / (image.width * image.height)
    framing = "a close-up portrait of" if share > 0.04 else "a photo of"
    return f"{framing} {who}"


class SceneCaptioner(Captioner):
    def __init__(self, min_score: float):
        self.min_score = min_score

    def models(self) -> list[ModelRef]:
        return [BLAZEFACE]

    def caption(self, image: PostImage) -> Caption:
        return Caption(describe(image, self.min_score), "detector scene summary")


def factory(min_score: float = 0.5) -> SceneCaptioner:
    return SceneCaptioner(min_score)


def register(registry) -> None:
    registry.add("captioner", "riveg.scene_captioner.v1", factory,
                 description="scene summary from detected classes (faces/people)",
                 check=mediapipe_check)

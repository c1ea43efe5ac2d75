"""Interim captioner: a one-sentence scene summary built from the image
evidence (no captioning model can be had offline). It says how many people
the detector found and how large they are in the frame."""
from __future__ import annotations

from typing import Optional

from riveg_agent.core.roles import Caption, Captioner, ImageEvidence, Post

NUMBERS = ["no", "one", "two", "three", "four", "five", "six"]


def describe(evidence: ImageEvidence, width: int, height: int) -> str:
    faces = evidence.faces
    if not faces:
        return "a picture with no people in view"
    n = len(faces)
    count = NUMBERS[n] if n < len(NUMBERS) else str(n)
    who = "a person" if n == 1 else f"{count} people"
    x1, y1, x2, y2 = faces[0].box
    share = (x2 - x1) * (y2 - y1) / (width * height)
    framing = "a close-up portrait of" if share > 0.04 else "a photo of"
    return f"{framing} {who}"


class SceneCaptioner(Captioner):
    def caption(self, post: Post, evidence: Optional[ImageEvidence] = None) -> Optional[Caption]:
        if post.image is None:
            return None
        return Caption(describe(evidence or ImageEvidence(), post.image.width, post.image.height),
                       "detector scene summary")


def factory() -> SceneCaptioner:
    return SceneCaptioner()


def register(registry) -> None:
    registry.add("captioner", "riveg.scene_captioner.v1", factory,
                 description="scene summary from the detector's evidence (faces/people)")

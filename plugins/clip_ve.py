"""Visual entailment from the image itself, for users who have image-text
matching weights: a CLIP checkpoint through `transformers` (the standard
public `openai/clip-vit-base-patch32`, any CLIP id, or a local folder).
The score is the cosine similarity between the image and the referring
expression put in a prompt template; groundable when it reaches `threshold`
(CLIP cosines of matching pairs are typically 0.25-0.35; tune it on your
images). A folder written by `riveg train clip-ve` (CLIP fine-tuned on
D_GMNER(VE) with the tweet images) carries its own template, calibration and
dev-chosen threshold in `clip_ve.json`: the score is then P(in image). No
CLIP weights exist offline here, so the default entailment is the caption
cross-encoder; this plugin is tested on a tiny CLIP built from a config.
Weights keep their own licence (OpenAI CLIP: MIT)."""
from __future__ import annotations

import importlib.util
import os
from typing import Optional

from riveg_agent.core.errors import ModelError
from riveg_agent.core.roles import Caption, EntailmentDecision, Entailment, Expression, Post
from riveg_agent.core.schema import ModelRef

DEFAULT_CHECKPOINT = "openai/clip-vit-base-patch32"
DEFAULT_TEMPLATE = "a photo of {expression}"
PLAIN_THRESHOLD = 0.25  # on the raw cosine, for a checkpoint that is not fine-tuned
_cache: dict[str, tuple] = {}


def load_clip(checkpoint: str):
    """(ClipVE in eval mode, CLIPProcessor, calibration or None), cached."""
    if checkpoint not in _cache:
        from riveg_agent.ve.clip import load
        _cache[checkpoint] = load(checkpoint)
    return _cache[checkpoint]


def _check(checkpoint: str = DEFAULT_CHECKPOINT, **_) -> Optional[str]:
    if importlib.util.find_spec("transformers") is None:
        return "package transformers is not installed"
    if os.path.isdir(checkpoint):
        return None
    try:
        from huggingface_hub import try_to_load_from_cache
        if try_to_load_from_cache(checkpoint, "config.json") is None:
            return f"CLIP checkpoint '{checkpoint}' is not in the local Hugging Face cache"
    except Exception as exc:  # noqa: BLE001 - a check reports, never raises
        return f"cannot look up '{checkpoint}': {exc}"
    return None


class ClipEntailment(Entailment):
    def __init__(self, checkpoint: str, threshold: Optional[float], template: Optional[str]):
        if template is not None and "{expression}" not in template:
            raise ModelError("clip_ve template must contain '{expression}'")
        self.checkpoint = checkpoint
        self.threshold = threshold
        self.template = template

    def models(self) -> list[ModelRef]:
        return [ModelRef(name=self.checkpoint, path=self.checkpoint if os.path.isdir(self.checkpoint)
                         else None, license="see the checkpoint's model card (OpenAI CLIP: MIT)")]

    def _settings(self, calibration) -> tuple[str, float, str]:
        """(template, threshold, what the score is): the folder's own unless set here."""
        if calibration is not None:
            return (self.template or calibration["template"],
                    calibration["threshold"] if self.threshold is None else self.threshold,
                    "fine-tuned CLIP P(in image)")
        return (self.template or DEFAULT_TEMPLATE,
                PLAIN_THRESHOLD if self.threshold is None else self.threshold,
                "CLIP image-text cosine")

    def scores(self, post: Post, expressions: list[Expression]) -> list[float]:
        import torch

        from riveg_agent.ve.clip import encode
        model, processor, calibration = load_clip(self.checkpoint)
        template, _, _ = self._settings(calibration)
        batch = encode(processor, [template.format(expression=e.text) for e in expressions],
                       [post.image.image] * len(expressions))
        with torch.no_grad():
            cosines = model.cosines(batch)
            return (torch.sigmoid(model.scale * cosines + model.bias) if calibration
                    else cosines).tolist()

    def entail(self, post: Post, caption: Optional[Caption], expressions: list[Expression],
               knowledge=None, evidence=None) -> list[EntailmentDecision]:
        if not expressions:
            return []
        if post.image is None:
            return [EntailmentDecision(False, 0.0, "the post has no image") for _ in expressions]
        scores = self.scores(post, expressions)
        _, threshold, what = self._settings(load_clip(self.checkpoint)[2])
        decisions = []
        for expr, s in zip(expressions, scores):
            yes = s >= threshold
            decisions.append(EntailmentDecision(
                yes, s, f"{what} {s:.3f} {'>=' if yes else '<'} threshold "
                        f"{threshold:.3f} ({self.checkpoint})"))
        return decisions


def factory(checkpoint: str = DEFAULT_CHECKPOINT, threshold: Optional[float] = None,
            template: Optional[str] = None) -> ClipEntailment:
    """threshold / template: default the fine-tuned folder's own, else 0.25
    on the cosine and 'a photo of {expression}'."""
    return ClipEntailment(checkpoint, threshold, template)


def register(registry) -> None:
    registry.add("entailment", "riveg.clip_ve.v1", factory,
                 description="CLIP image-text similarity of the referring expression "
                             "(needs CLIP weights: a hub id in the HF cache or a folder; "
                             "`riveg train clip-ve` fine-tunes one on Twitter-GMNER images)",
                 check=_check)

"""Visual entailment from the image itself, for users who have image-text
matching weights: a CLIP checkpoint through `transformers` (the standard
public `openai/clip-vit-base-patch32`, any CLIP id, or a local folder).
The score is the cosine similarity between the image and the referring
expression put in a prompt template; groundable when it reaches `threshold`
(CLIP cosines of matching pairs are typically 0.25-0.35; tune it on your
images). No CLIP weights exist offline here, so the default entailment is
the caption cross-encoder; this plugin is tested on a tiny CLIP built from a
config. Weights keep their own licence (OpenAI CLIP: MIT)."""
from __future__ import annotations

import importlib.util
import os
from typing import Optional

from riveg_agent.errors import ModelError
from riveg_agent.roles import Caption, EntailmentDecision, Entailment, Expression, Post
from riveg_agent.schema import ModelRef

DEFAULT_CHECKPOINT = "openai/clip-vit-base-patch32"
_cache: dict[str, tuple] = {}


def load_clip(checkpoint: str):
    """(CLIPModel in eval mode, CLIPProcessor); HF_HUB_OFFLINE is honoured."""
    from transformers import CLIPModel, CLIPProcessor
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if checkpoint not in _cache:
        try:
            model = CLIPModel.from_pretrained(checkpoint).eval()
            processor = CLIPProcessor.from_pretrained(checkpoint)
        except OSError as exc:
            raise ModelError(f"cannot load CLIP checkpoint '{checkpoint}' (a hub id needs the "
                             f"hub or its cache; a folder needs config.json, weights and "
                             f"the processor files): {exc}") from exc
        _cache[checkpoint] = (model, processor)
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
    def __init__(self, checkpoint: str, threshold: float, template: str):
        if "{expression}" not in template:
            raise ModelError("clip_ve template must contain '{expression}'")
        self.checkpoint = checkpoint
        self.threshold = threshold
        self.template = template

    def models(self) -> list[ModelRef]:
        return [ModelRef(name=self.checkpoint, path=self.checkpoint if os.path.isdir(self.checkpoint)
                         else None, license="see the checkpoint's model card (OpenAI CLIP: MIT)")]

    def scores(self, post: Post, expressions: list[Expression]) -> list[float]:
        import torch
        model, processor = load_clip(self.checkpoint)
        texts = [self.template.format(expression=e.text) for e in expressions]
        inputs = processor(text=texts, images=post.image.image, return_tensors="pt",
                           padding=True, truncation=True)
        with torch.no_grad():
            out = model(**inputs)
        img = torch.nn.functional.normalize(out.image_embeds, dim=-1)
        txt = torch.nn.functional.normalize(out.text_embeds, dim=-1)
        return (txt @ img.T).squeeze(-1).tolist()

    def entail(self, post: Post, caption: Optional[Caption],
               expressions: list[Expression]) -> list[EntailmentDecision]:
        if not expressions:
            return []
        if post.image is None:
            return [EntailmentDecision(False, 0.0, "the post has no image") for _ in expressions]
        decisions = []
        for expr, s in zip(expressions, self.scores(post, expressions)):
            yes = s >= self.threshold
            decisions.append(EntailmentDecision(
                yes, s, f"CLIP image-text cosine {s:.3f} {'>=' if yes else '<'} threshold "
                        f"{self.threshold:.3f} ({self.checkpoint})"))
        return decisions


def factory(checkpoint: str = DEFAULT_CHECKPOINT, threshold: float = 0.25,
            template: str = "a photo of {expression}") -> ClipEntailment:
    return ClipEntailment(checkpoint, threshold, template)


def register(registry) -> None:
    registry.add("entailment", "riveg.clip_ve.v1", factory,
                 description="CLIP image-text similarity of the referring expression "
                             "(needs CLIP weights: a hub id in the HF cache or a folder)",
                 check=_check)

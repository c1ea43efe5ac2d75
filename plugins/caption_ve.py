"""Visual entailment by the caption cross-encoder trained on Twitter-GMNER
(riveg_agent.ve): P(entail) of the referring expression against the tweet and
the image description from the Captioner role — `Name (TYPE) – expansion`, or
`Name (TYPE)` for a model trained without expansions (the shipped one: the
0.5B LLM's expansions cost it accuracy) — and the post's auxiliary
knowledge when the model was trained to read it (`knowledge: false` in the
config keeps it out). With an image and
`detector_regions` on, a groundable PER entity also gets the face the
detector VE would give it, so the grounder boxes the right person.
Registering imports no torch; the model loads on first use."""
from __future__ import annotations

from typing import Optional

from riveg_agent.registry import requires
from riveg_agent.roles import Caption, EntailmentDecision, Entailment, Expression, Knowledge, Post
from riveg_agent.schema import ModelRef

DEFAULT_MODEL = "ve-minilm-gmner"
LICENSE = ("Apache-2.0 (fine-tuned from all-MiniLM-L6-v2, Apache-2.0; trained on Twitter-GMNER "
           "research data and its BLIP-2 / RiVEG image descriptions, see weights/README.md)")

_cache: dict[str, tuple] = {}


def _find_default_model():
    from riveg_agent.ve.io import resolve_model
    return resolve_model(DEFAULT_MODEL)


class CaptionEntailment(Entailment):
    def __init__(self, model: str, threshold: Optional[float], detector_regions: bool,
                 threads: Optional[int], knowledge: bool = True):
        self.model_name = model
        self.threshold = threshold
        self.knowledge = knowledge
        self.detector_regions = detector_regions
        self.threads = threads

    def _load(self):
        if self.model_name not in _cache:
            from riveg_agent.ve.io import load
            _cache[self.model_name] = load(self.model_name)
        if self.threads:
            import torch
            torch.set_num_threads(self.threads)
        return _cache[self.model_name]

    def models(self) -> list[ModelRef]:
        from riveg_agent.models import file_sha256
        from riveg_agent.ve.io import WEIGHTS, resolve_model
        path = resolve_model(self.model_name) / WEIGHTS
        refs = [ModelRef(name=f"riveg/{path.parent.name}", path=str(path),
                         sha256=file_sha256(path), license=LICENSE)]
        if self.detector_regions:
            from ._vision import BLAZEFACE
            refs.append(BLAZEFACE)
        return refs

    def entail(self, post: Post, caption: Optional[Caption], expressions: list[Expression],
               knowledge: Optional[Knowledge] = None) -> list[EntailmentDecision]:
        if not expressions:
            return []
        if post.image is None and caption is None:
            return [EntailmentDecision(False, 0.0, "the post has no image") for _ in expressions]
        model, tokenizer, _ = self._load()
        threshold = model.config.threshold if self.threshold is None else self.threshold
        described = caption.text if caption else ""
        known = knowledge.text if knowledge and self.knowledge and model.config.use_knowledge else ""
        from riveg_agent.ve.data import referring_expression
        # the expression in the form the model was trained on
        read = [e.text if model.config.use_expansions
                else referring_expression(e.entity.text, e.entity.type) for e in expressions]
        probs = model.probabilities(tokenizer, read,
                                    [post.text] * len(expressions), [described] * len(expressions),
                                    knowledge=[known] * len(expressions))
        regions = self._detector_regions(post, caption, expressions)
        decisions = []
        for shown, p, region in zip(read, probs, regions):
            yes = p >= threshold
            evidence = (f"caption cross-encoder: P(in image) {p:.2f} {'>=' if yes else '<'} threshold "
                        f"{threshold:.2f} for '{shown}', from the tweet{' and its knowledge' if known else ''} "
                        f"and the image description '{described}'")
            if yes and region is not None:
                evidence += f"; {region.evidence}"
            decisions.append(EntailmentDecision(yes, p, evidence,
                                                region.region if yes and region else None,
                                                region.label if yes and region else None))
        return decisions

    def _detector_regions(self, post, caption, expressions) -> list[Optional[EntailmentDecision]]:
        """The detector VE's decision where it found a region, else None."""
        if not self.detector_regions or post.image is None:
            return [None] * len(expressions)
        from .detector_grounding import DetectorEntailment
        found = DetectorEntailment(0.5).entail(post, caption, expressions)
        return [d if d.groundable and d.region is not None else None for d in found]


def factory(model: str = DEFAULT_MODEL, threshold: Optional[float] = None,
            detector_regions: bool = True, threads: Optional[int] = None,
            knowledge: bool = True) -> CaptionEntailment:
    return CaptionEntailment(model, threshold, detector_regions, threads, knowledge)


def register(registry) -> None:
    registry.add("entailment", "riveg.caption_ve.v1", factory,
                 description="caption cross-encoder (MiniLM) trained on Twitter-GMNER: is the "
                             "referring expression in the image, given tweet + image description",
                 check=requires(("transformers", "safetensors"), _find_default_model))

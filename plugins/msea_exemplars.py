"""MSEA: the top-N hand-annotated exemplars by fused text + image-side
similarity (riveg_agent.retrieval.msea): the PLIM NER encoder's pooled post features
and the caption's MiniLM embedding, weighted by `image_weight`, searched in a
FAISS IndexFlatIP. The index (indexes/<name>, `riveg index build --features
fused`) records which NER model embedded its texts; the query uses the same.

An index built with `--images` also holds EfficientNet-Lite0 features of the
exemplars' pictures: a post with a picture is then matched picture to
picture (a second IndexFlatIP over text + picture); a post without one, or an
index without pictures (the shipped ones: no tweet images exist offline),
goes by the caption."""
from __future__ import annotations

from typing import Optional

from riveg_agent.retrieval.index import index_folder
from riveg_agent.core.registry import requires
from riveg_agent.core.roles import Caption, Exemplar, ExemplarRetriever, Post
from riveg_agent.core.schema import ModelRef

DEFAULT_INDEX = "twitter2017-msea"


class MseaExemplars(ExemplarRetriever):
    def __init__(self, index: str, k: int, image_weight: Optional[float]):
        self.index_name, self.k, self.image_weight = index, k, image_weight
        self._faiss = None
        self._faiss_image = None  # text + picture, when the index has pictures

    def _load(self):
        if self._faiss is None:
            import faiss

            from riveg_agent.core.errors import RivegError
            from riveg_agent.retrieval.index import load_index, load_parts
            from riveg_agent.retrieval.msea import fuse
            _, self.records, self.meta = load_index(self.index_name)
            if self.meta.get("fusion") != "msea-v1":
                raise RivegError(f"index '{self.index_name}' is not a fused MSEA index "
                                 f"(features: {self.meta.get('features')}); use "
                                 f"riveg.minilm_exemplars.v1 for it")
            names = ("text", "caption") + (("image",) if self.has_images else ())
            parts = load_parts(self.index_name, names)
            by_side = {}
            for side in names[1:]:  # one index per image side: text + caption, text + picture
                fused = fuse(parts["text"], parts[side], self.weight)
                by_side[side] = faiss.IndexFlatIP(fused.shape[1])
                by_side[side].add(fused)
            self._faiss, self._faiss_image = by_side["caption"], by_side.get("image")
        return self._faiss

    @property
    def has_images(self) -> bool:
        return "image_encoder" in self.meta

    @property
    def weight(self) -> float:
        return self.meta["image_weight"] if self.image_weight is None else self.image_weight

    def models(self) -> list[ModelRef]:
        from riveg_plugins.minilm_exemplars import ENCODER_NAME, minilm_path
        self._load()
        return [ModelRef(name=f"riveg/{self.meta['ner_model']}", sha256=self.meta["ner_model_sha256"],
                         license="Apache-2.0 (see weights/README.md)"),
                ModelRef(name=ENCODER_NAME, path=str(minilm_path()), license="Apache-2.0")] + (
                [ModelRef(name=self.meta["image_encoder"], sha256=self.meta["image_encoder_sha256"],
                          license=self.meta["image_encoder_license"])] if self.has_images else [])

    def retrieve(self, post: Post, caption: Optional[Caption]) -> list[Exemplar]:
        if self.k <= 0:
            return []
        from riveg_agent.retrieval.msea import caption_features, fuse, text_features
        from riveg_agent.ner.tokens import tokenize
        index = self._load()
        text = text_features([[t for t, _, _ in tokenize(post.text)]], self.meta["ner_model"])
        if post.image is not None and self._faiss_image is not None:
            from riveg_agent.retrieval.effnet import image_features
            index = self._faiss_image
            query = fuse(text, image_features([post.image.image]), self.weight)
        else:
            query = fuse(text, caption_features([caption.text if caption else None]), self.weight)
        # One extra, so a post that is itself an exemplar never sees its own annotation.
        scores, rows = index.search(query, min(self.k + 1, index.ntotal))
        found = [Exemplar(self.records[r].id, self.records[r].text, self.records[r].caption,
                          self.records[r].annotation, float(s))
                 for s, r in zip(scores[0], rows[0]) if r >= 0 and self.records[r].id != post.id]
        return found[:self.k]


def factory(index: str = DEFAULT_INDEX, k: int = 5,
            image_weight: Optional[float] = None) -> MseaExemplars:
    if image_weight is not None and not 0.0 <= image_weight <= 1.0:
        raise ValueError(f"image_weight must be in [0, 1], got {image_weight}")
    return MseaExemplars(index, k, image_weight)


def register(registry) -> None:
    registry.add("exemplars", "riveg.msea_exemplars.v1", factory,
                 description="MSEA: top-N exemplars by fused NER-encoder text + caption "
                             "features (FAISS)",
                 check=requires(("faiss", "transformers", "sentence_transformers"),
                                lambda: index_folder(DEFAULT_INDEX)))

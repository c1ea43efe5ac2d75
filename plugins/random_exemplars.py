"""The ablation baseline of MSEA (paper Table VI, "fixed random"): the same
k exemplars, drawn once at random from an index with a fixed seed, for every
post. Not for real use; it shows what similarity-based choice is worth."""
from __future__ import annotations

import random
from typing import Optional

from riveg_agent.core.roles import Caption, Exemplar, ExemplarRetriever, Post
from riveg_agent.core.schema import ModelRef


class RandomExemplars(ExemplarRetriever):
    def __init__(self, index: str, k: int, seed: int):
        self.index_name, self.k, self.seed = index, k, seed
        self._chosen: Optional[list] = None

    def models(self) -> list[ModelRef]:
        return []

    def retrieve(self, post: Post, caption: Optional[Caption]) -> list[Exemplar]:
        if self._chosen is None:
            from riveg_agent.retrieval.index import load_index
            _, records, _ = load_index(self.index_name)
            # k + 1 drawn, so a post that is itself one of them still gets k others
            self._chosen = random.Random(self.seed).sample(records, min(self.k + 1, len(records)))
        return [Exemplar(r.id, r.text, r.caption, r.annotation, 0.0)
                for r in self._chosen if r.id != post.id][:self.k]


def factory(index: str = "twitter2017-minilm", k: int = 5, seed: int = 13) -> RandomExemplars:
    return RandomExemplars(index, k, seed)


def register(registry) -> None:
    registry.add("exemplars", "riveg.random_exemplars.v1", factory,
                 description="the same k random exemplars for every post (ablation baseline)")

"""ChainState: everything the RiVEG chain knows about one post.

One ChainState per post, filled stage by stage by `Pipeline.advance` (each
stage is one role, in the order of `STAGES`). The LangChain tools and the
chat read from it; `Pipeline.to_result` turns it into the output schema.
Per-entity lists (expressions, decisions, regions, masks) hold exactly one
item per entity, in the order of `entities`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from riveg_agent.core.registry import ROLES
from riveg_agent.core.roles import (Box, Caption, Detection, EntailmentDecision, EntitySpan, Exemplar,
                                    Expression, ImageEvidence, Knowledge, Post)

STAGES: tuple[str, ...] = ROLES  # one stage per role, in chain order


@dataclass
class ChainState:
    post: Post
    evidence: Optional[ImageEvidence] = None  # detector: faces, people, objects, scene labels
    caption: Optional[Caption] = None
    exemplars: list[Exemplar] = field(default_factory=list)
    knowledge: Optional[Knowledge] = None
    entities: list[EntitySpan] = field(default_factory=list)
    expressions: list[Expression] = field(default_factory=list)
    decisions: list[EntailmentDecision] = field(default_factory=list)
    regions: list[Optional[Detection]] = field(default_factory=list)  # grounder's choice per entity
    masks: list[Optional[np.ndarray]] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage (+ "total")
    done: list[str] = field(default_factory=list)  # stages computed, in chain order
    expanded: bool = False  # the expander ran (with `expansions: auto` it runs only for a consumer)
    knowledge_skipped: bool = False  # the recognizer was sure of the post alone: no exemplars, no knowledge

    def has(self, stage: str) -> bool:
        return stage in self.done

    @property
    def boxes(self) -> list[Optional[Box]]:
        return [r.box if r is not None else None for r in self.regions]

    def find(self, name: str, type: Optional[str] = None) -> Optional[int]:
        """Index of the entity with this surface string (case-insensitive), or None."""
        for i, ent in enumerate(self.entities):
            if ent.text.lower() == name.lower() and (type is None or ent.type == type):
                return i
        return None

    def for_text(self, text: str) -> "ChainState":
        """A fresh state for the same image with another text: the image's
        evidence and caption carry over, everything after them is redone."""
        post = Post(self.post.id, text, self.post.image)
        kept = [s for s in ("detector", "captioner") if s in self.done]
        return ChainState(post=post, evidence=self.evidence, caption=self.caption,
                          timings={s: self.timings[s] for s in kept if s in self.timings}, done=kept)

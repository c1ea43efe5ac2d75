"""The eight roles of the RiVEG chain as typed interfaces.

A plugin implements exactly one role: subclass the role and implement its one
method. Inputs and outputs are the small dataclasses below; the pipeline turns
them into the output schema (riveg_agent.schema).
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Optional

import numpy as np

from .images import PostImage
from .schema import ModelRef

Box = tuple[float, float, float, float]  # x1, y1, x2, y2 in original image pixels


@dataclass
class Post:
    id: str
    text: str
    image: Optional[PostImage] = None


@dataclass
class Caption:
    text: str
    source: str  # what made it, e.g. "detector scene summary"


@dataclass
class Exemplar:
    id: str
    text: str
    caption: str
    annotation: str
    score: float


@dataclass
class Knowledge:
    text: str
    prompt_id: str


@dataclass
class EntitySpan:
    text: str
    type: str  # PER / LOC / ORG / MISC
    start: int
    end: int


@dataclass
class Expression:
    entity: EntitySpan
    expansion: str

    @property
    def text(self) -> str:
        """The referring expression `Name (TYPE) – expansion`."""
        return f"{self.entity.text} ({self.entity.type}) – {self.expansion}"


@dataclass
class EntailmentDecision:
    groundable: bool
    score: float
    evidence: str = ""
    # A grounder may use the region the decision rests on (e.g. a detection).
    region: Optional[Box] = None
    label: Optional[str] = None  # detector class behind the region, if any


@dataclass
class Detection:
    box: Box
    score: float
    label: str  # "face", "person", or a COCO class


class Plugin(ABC):
    """What every plugin reports for provenance."""

    def models(self) -> list[ModelRef]:
        return []

    def prompts(self) -> list[str]:
        return []


class Captioner(Plugin):
    @abstractmethod
    def caption(self, image: PostImage) -> Caption: ...


class ExemplarRetriever(Plugin):
    @abstractmethod
    def retrieve(self, post: Post, caption: Optional[Caption]) -> list[Exemplar]: ...


class KnowledgeGenerator(Plugin):
    @abstractmethod
    def generate(self, post: Post, caption: Optional[Caption],
                 exemplars: list[Exemplar]) -> Knowledge: ...


class Recognizer(Plugin):
    @abstractmethod
    def recognize(self, post: Post, knowledge: Optional[Knowledge]) -> list[EntitySpan]: ...


class Expander(Plugin):
    @abstractmethod
    def expand(self, post: Post, caption: Optional[Caption],
               entities: list[EntitySpan]) -> list[Expression]: ...


class Entailment(Plugin):
    """`entail` may also declare a keyword `knowledge` (Optional[Knowledge]):
    the pipeline then hands it the post's auxiliary knowledge from step 1."""

    @abstractmethod
    def entail(self, post: Post, caption: Optional[Caption],
               expressions: list[Expression]) -> list[EntailmentDecision]: ...


def takes_knowledge(plugin: Entailment) -> bool:
    """Whether an Entailment plugin's `entail` declares the `knowledge` keyword."""
    import inspect
    return "knowledge" in inspect.signature(plugin.entail).parameters


class Grounder(Plugin):
    @abstractmethod
    def ground(self, post: Post, expressions: list[Expression],
               decisions: list[EntailmentDecision]) -> list[Optional[Box]]: ...


class Segmenter(Plugin):
    @abstractmethod
    def segment(self, image: PostImage, boxes: list[Optional[Box]],
                labels: list[Optional[str]]) -> list[Optional[np.ndarray]]:
        """One boolean HxW mask (original image size) per box; None where box is None."""


ROLE_CLASSES: dict[str, type[Plugin]] = {
    "captioner": Captioner,
    "exemplars": ExemplarRetriever,
    "knowledge": KnowledgeGenerator,
    "recognizer": Recognizer,
    "expander": Expander,
    "entailment": Entailment,
    "grounder": Grounder,
    "segmenter": Segmenter,
}

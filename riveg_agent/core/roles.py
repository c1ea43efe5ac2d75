"""The nine roles of the RiVEG chain as typed interfaces.

A plugin implements exactly one role: subclass the role and implement its one
method. Inputs and outputs are the small dataclasses below; the pipeline
(riveg_agent.core.pipeline) keeps them in one ChainState per post and turns
that into the output schema (riveg_agent.core.schema).

How a plugin gets its inputs: the role method's signature is the contract.
The pipeline passes every argument the role declares, by keyword for the
optional ones (`knowledge`, `evidence`), which are None when the chain has
none (no image, no knowledge). A plugin never imports or runs another plugin:
what vision models see of an image (faces, people, objects, scene labels) is
computed once by the `detector` role and reaches the captioner, VE, grounder
and segmenter as `evidence`.

Batching: a Recognizer may also implement `recognize_many` and an Entailment
`entail_many` (same output, several posts at once); `Pipeline.pipe` uses them.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from riveg_agent.core.schema import ModelRef
from riveg_agent.io.images import PostImage

Box = tuple[float, float, float, float]  # x1, y1, x2, y2 in original image pixels


@dataclass
class Post:
    id: str
    text: str
    image: Optional[PostImage] = None
    # Pre-split words (a CoNLL dataset's tokens) whose single-space join is
    # `text`; a recognizer tags these instead of cutting the text itself.
    tokens: Optional[list[str]] = None


@dataclass
class Detection:
    """A box some model found (or a grounder chose), in original image pixels."""
    box: Box
    score: float
    label: str  # "face", "person", or a COCO class
    source: str = ""  # the model or rule behind it
    note: str = ""  # why it was chosen, for the result's evidence
    face: Optional[Box] = None  # a person's own face, when a face detection lies in it


@dataclass
class ImageEvidence:
    """Everything the vision models saw in one image, computed once per image."""
    detections: list[Detection] = field(default_factory=list)
    scene: list[tuple[str, float]] = field(default_factory=list)  # image-level labels, best first

    def of(self, *labels: str) -> list[Detection]:
        """The detections of these labels, in the detector's order (best first)."""
        return [d for d in self.detections if d.label in labels]

    @property
    def faces(self) -> list[Detection]:
        return self.of("face")

    @property
    def persons(self) -> list[Detection]:
        return self.of("person")


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
    expansion: str  # "" when no expansion was made

    @property
    def text(self) -> str:
        """The referring expression `Name (TYPE) – expansion` (`Name (TYPE)` without one)."""
        head = f"{self.entity.text} ({self.entity.type})"
        return f"{head} – {self.expansion}" if self.expansion else head


@dataclass
class EntailmentDecision:
    groundable: bool
    score: float
    evidence: str = ""


class Plugin(ABC):
    """What every plugin reports for provenance."""

    def models(self) -> list[ModelRef]:
        return []

    def prompts(self) -> list[str]:
        return []


class Detector(Plugin):
    @abstractmethod
    def detect(self, image: PostImage) -> ImageEvidence: ...


class Captioner(Plugin):
    @abstractmethod
    def caption(self, post: Post, evidence: Optional[ImageEvidence] = None) -> Optional[Caption]:
        """A one-sentence description of the post's image; None when there is none."""


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

    def needs_knowledge(self, post: Post) -> bool:
        """Asked before the exemplar and knowledge stages: False lets the
        chain skip them (a recognizer sure of the post alone)."""
        return True


class Expander(Plugin):
    @abstractmethod
    def expand(self, post: Post, caption: Optional[Caption],
               entities: list[EntitySpan]) -> list[Expression]: ...


class Entailment(Plugin):
    # Whether the decisions read the expansion of `Name (TYPE) – expansion`;
    # with `expansions: auto` the expander runs only when a consumer reads it.
    reads_expansions: bool = True

    @abstractmethod
    def entail(self, post: Post, caption: Optional[Caption], expressions: list[Expression],
               knowledge: Optional[Knowledge] = None,
               evidence: Optional[ImageEvidence] = None) -> list[EntailmentDecision]: ...


class Grounder(Plugin):
    reads_expansions: bool = True  # as Entailment.reads_expansions

    @abstractmethod
    def ground(self, post: Post, expressions: list[Expression], decisions: list[EntailmentDecision],
               evidence: Optional[ImageEvidence] = None) -> list[Optional[Detection | Box]]:
        """One region per expression (None where not grounded); a plain Box is
        accepted where the grounder knows no class."""


class Segmenter(Plugin):
    @abstractmethod
    def segment(self, image: PostImage, regions: list[Optional[Detection]],
                evidence: Optional[ImageEvidence] = None) -> list[Optional[np.ndarray]]:
        """One boolean HxW mask (original image size) per region; None where region is None."""


ROLE_CLASSES: dict[str, type[Plugin]] = {
    "detector": Detector,
    "captioner": Captioner,
    "exemplars": ExemplarRetriever,
    "knowledge": KnowledgeGenerator,
    "recognizer": Recognizer,
    "expander": Expander,
    "entailment": Entailment,
    "grounder": Grounder,
    "segmenter": Segmenter,
}

"""The versioned output schema of riveg-agent (JSON), as pydantic models.

One result record per post; one error record per post that could not be
processed. `docs/output-schema.md` documents every field; bump
SCHEMA_VERSION when a field changes meaning or is removed.
"""
from __future__ import annotations

from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, model_validator

SCHEMA_VERSION = "1.0"
RESULT_KIND = "riveg-agent/result"
ERROR_KIND = "riveg-agent/error"

EntityType = Literal["PER", "LOC", "ORG", "MISC"]
ENTITY_TYPES: tuple[str, ...] = ("PER", "LOC", "ORG", "MISC")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RLEMask(_Strict):
    """A binary mask as COCO run-length encoding (pycocotools, compressed
    counts as an ASCII string); `size` is [height, width]."""

    size: tuple[int, int]
    counts: str


class ImageInfo(_Strict):
    path: Optional[str] = None
    width: int
    height: int
    sha256: Optional[str] = None
    # Factor the image was shrunk by for the vision models (1.0 = not shrunk);
    # boxes and masks are always in the original image's pixels.
    work_scale: float = 1.0


class Entity(_Strict):
    text: str = Field(description="surface string, exactly text[start:end]")
    type: EntityType
    start: int = Field(description="character offset in the post text")
    end: int
    expansion: Optional[str] = Field(default=None, description="short LLM expansion")
    expression: str = Field(description="referring expression 'Name (TYPE) – expansion'")
    groundable: bool = False
    score: Optional[float] = Field(default=None, description="VE confidence that it is groundable")
    evidence: Optional[str] = Field(default=None, description="what the VE decision rests on")
    box: Optional[tuple[float, float, float, float]] = Field(
        default=None, description="[x1, y1, x2, y2] in image pixels, null when not grounded")
    mask: Optional[RLEMask] = None


class ModelRef(_Strict):
    name: str
    path: Optional[str] = None
    sha256: Optional[str] = None
    license: Optional[str] = None


class Provenance(_Strict):
    plugins: dict[str, str] = Field(description="role -> plugin name")
    models: list[ModelRef] = []
    prompts: list[str] = Field(default=[], description="prompt template ids with versions")
    config_name: str
    config_hash: str = Field(description="sha256 of the resolved config (canonical JSON)")
    riveg_agent_version: str


class Result(_Strict):
    kind: Literal["riveg-agent/result"] = RESULT_KIND
    schema_version: str = SCHEMA_VERSION
    id: str
    text: str
    image: Optional[ImageInfo] = None
    caption: Optional[str] = None
    exemplars: list[str] = Field(default=[], description="ids of the in-context exemplars used")
    knowledge: Optional[str] = None
    entities: list[Entity] = []
    provenance: Provenance
    timings: dict[str, float] = Field(default={}, description="seconds per stage, plus 'total'")

    @model_validator(mode="after")
    def _spans_are_slices(self) -> "Result":
        for e in self.entities:
            if not (0 <= e.start <= e.end <= len(self.text)) or self.text[e.start:e.end] != e.text:
                raise ValueError(f"entity {e.text!r} is not text[{e.start}:{e.end}] of post '{self.id}'")
        return self


class ErrorInfo(_Strict):
    code: str
    message: str


class ErrorRecord(_Strict):
    kind: Literal["riveg-agent/error"] = ERROR_KIND
    schema_version: str = SCHEMA_VERSION
    id: str
    error: ErrorInfo


def parse_record(line: str) -> Result | ErrorRecord:
    """Parse one JSONL output line back into its model."""
    import json

    data = json.loads(line)
    if data.get("kind") == ERROR_KIND:
        return ErrorRecord.model_validate(data)
    return Result.model_validate(data)

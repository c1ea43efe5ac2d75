"""Each role of the chain as a LangChain tool, for the chat agent and MCP.

The tools are views onto the pipeline's ChainState of one post (held in a
PostContext): a tool asks `Pipeline.advance` for the stages it needs (a
question about the entities never runs the vision stages) and reads the
answer from the state, so a tool's answer is the answer `riveg run` gives.
A tool given another text than the post's works on a state of its own for
that text (same image, same caption). Tools return (short text for the
model, artifact): boxes and masks stay in the artifact. Expected failures
raise ToolException, which the tool turns into a message for the model.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Optional

from langchain_core.tools import StructuredTool, ToolException
from pydantic import BaseModel, Field

from riveg_agent.core.schema import ENTITY_TYPES
from riveg_agent.core.state import ChainState

if TYPE_CHECKING:
    from riveg_agent.core.pipeline import Pipeline
    from riveg_agent.core.roles import Post


@dataclass
class PostContext:
    """The post a conversation is about, and the chain's state for it."""
    pipeline: "Pipeline"
    state: ChainState
    rewrites: dict[str, ChainState] = field(default_factory=dict)  # text -> its own state

    @property
    def post(self) -> "Post":
        return self.state.post

    def through(self, stage: str, text: Optional[str] = None) -> ChainState:
        """The state of the post (or of `text` over the same image) through `stage`."""
        state = self.state
        if text is not None and text.strip() != self.post.text.strip():
            state = self.rewrites.setdefault(text, self.state.for_text(text))
        return self.pipeline.advance(state, stage)

    def entity(self, name: str, etype: Optional[str], stage: str) -> tuple[ChainState, int]:
        """The post's state through `stage` and the index of the entity `name`."""
        if etype is not None and etype not in ENTITY_TYPES:
            raise ToolException(f"unknown type '{etype}'; use one of {', '.join(ENTITY_TYPES)}")
        i = self.through("recognizer").find(name, etype)
        if i is None:
            raise ToolException(f"'{name}' is not an entity found in the post")
        return self.through(stage), i

    def need_image(self) -> None:
        if self.post.image is None:
            raise ToolException("this post has no image")


class NoArgs(BaseModel):
    pass


class TextArg(BaseModel):
    text: str = Field(description="the post text")


class EntityArg(BaseModel):
    entity: str = Field(description="the entity's surface string as it appears in the post")
    type: Optional[str] = Field(default=None, description="PER, LOC, ORG or MISC, if known")


def _fmt_box(box) -> str:
    return f"[{', '.join(f'{v:.0f}' for v in box)}]"


def make_tools(ctx: PostContext) -> list[StructuredTool]:
    def t_caption():
        ctx.need_image()
        cap = ctx.through("captioner").caption
        if cap is None:
            raise ToolException("the captioner gave no description of this image")
        return cap.text, {"caption": cap.text, "source": cap.source}

    def t_exemplars(text: str):
        found = ctx.through("exemplars", text).exemplars
        return (", ".join(f"{e.id} ({e.score:.2f})" for e in found) or "none",
                [e.__dict__ for e in found])

    def t_knowledge(text: str):
        s = ctx.pipeline.generate_knowledge(ctx.through("captioner", text))  # even where the chain skipped it
        if s.knowledge is None:
            raise ToolException("the knowledge generator gave no knowledge for this text")
        return s.knowledge.text, {"knowledge": s.knowledge.text, "prompt": s.knowledge.prompt_id,
                                  "exemplars": [e.id for e in s.exemplars]}

    def t_recognize(text: str):
        ents = ctx.through("recognizer", text).entities
        return ("; ".join(f"{e.text} ({e.type})" for e in ents) or "no named entities",
                [e.__dict__ for e in ents])

    def t_expand(entity: str, type: Optional[str] = None):
        s, i = ctx.entity(entity, type, "recognizer")
        ex = ctx.pipeline.expand(s).expressions[i]  # on demand: the chain may not need expansions
        return ex.text, {"expression": ex.text, "expansion": ex.expansion}

    def check(s: ChainState, i: int) -> tuple[str, dict]:
        ex, dec = s.expressions[i], s.decisions[i]
        verdict = "in the picture" if dec.groundable else "not in the picture"
        return (f"{ex.text}: {verdict} (score {dec.score:.2f}); {dec.evidence}",
                {"groundable": dec.groundable, "score": dec.score, "evidence": dec.evidence})

    def t_entail(entity: str, type: Optional[str] = None):
        ctx.need_image()
        return check(*ctx.entity(entity, type, "entailment"))

    def locate(s: ChainState, i: int) -> tuple[str, dict]:
        ex, dec, region = s.expressions[i], s.decisions[i], s.regions[i]
        art = {"groundable": dec.groundable, "score": dec.score, "evidence": dec.evidence}
        if region is None:
            return f"{ex.text}: not grounded in the image", {**art, "box": None, "groundable": False}
        note = f" ({region.note})" if region.note else ""
        return (f"{ex.text}: box {_fmt_box(region.box)}{note}",
                {**art, "box": region.box, "label": region.label})

    def t_ground(entity: str, type: Optional[str] = None):
        ctx.need_image()
        return locate(*ctx.entity(entity, type, "grounder"))

    def t_segment(entity: str, type: Optional[str] = None):
        ctx.need_image()
        s, i = ctx.entity(entity, type, "segmenter")
        content, art = locate(s, i)
        mask = s.masks[i]
        if art["box"] is None:
            return content, {**art, "mask": None}
        area = int(mask.sum()) if mask is not None else 0
        return f"{content}; mask of {area} pixels", {**art, "mask": mask}

    specs = [
        ("caption_image", t_caption, NoArgs, "Describe the post's image in one sentence."),
        ("find_exemplars", t_exemplars, TextArg, "Most similar hand-annotated example posts (MSEA)."),
        ("generate_knowledge", t_knowledge, TextArg, "LLM background knowledge about the post's entities."),
        ("recognize_entities", t_recognize, TextArg, "Named entities in the text with types PER/LOC/ORG/MISC."),
        ("expand_entity", t_expand, EntityArg, "Referring expression 'Name (TYPE) – expansion' for an entity."),
        ("check_in_image", t_entail, EntityArg, "Whether an entity is visible in the image, with a score."),
        ("locate_entity", t_ground, EntityArg, "Bounding box of an entity in the image."),
        ("segment_entity", t_segment, EntityArg, "Segmentation mask of an entity in the image."),
    ]
    return [StructuredTool.from_function(func=fn, name=name, description=desc, args_schema=schema,
                                         response_format="content_and_artifact",
                                         handle_tool_error=True)
            for name, fn, schema, desc in specs]

"""Each role of the chain as a LangChain tool, for the chat agent.

Tools work on one post held in a PostContext (the image cannot travel as a
model-facing argument). They feed each role what the chain feeds it (the
recognizer reads the post's knowledge, an Entailment plugin that declares
`knowledge` gets it), so a chat answer agrees with `riveg run`. They return
(short text for the model, artifact): boxes and masks stay in the artifact.
Expected failures raise ToolException, which the tool turns into a message
for the model instead of a crash.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from langchain_core.tools import StructuredTool, ToolException
from pydantic import BaseModel, Field

from .pipeline import Pipeline
from .roles import Caption, EntitySpan, Expression, Knowledge, Post, takes_knowledge
from .schema import ENTITY_TYPES


@dataclass
class PostContext:
    post: Post
    caption: Optional[Caption] = None
    knowledge: Optional[Knowledge] = None  # of the context's own post text
    exemplar_ids: list[str] = field(default_factory=list)  # the exemplars that prompted it
    entities: list[EntitySpan] = field(default_factory=list)
    expressions: dict[str, Expression] = field(default_factory=dict)


class NoArgs(BaseModel):
    pass


class TextArg(BaseModel):
    text: str = Field(description="the post text")


class EntityArg(BaseModel):
    entity: str = Field(description="the entity's surface string as it appears in the post")
    type: Optional[str] = Field(default=None, description="PER, LOC, ORG or MISC, if known")


def make_tools(pipeline: Pipeline, ctx: PostContext) -> list[StructuredTool]:
    def need_image():
        if ctx.post.image is None:
            raise ToolException("this post has no image")
        return ctx.post.image

    def caption():
        if ctx.caption is None:
            ctx.caption = pipeline.plugin("captioner").caption(need_image())
        return ctx.caption

    def knowledge_of(post: Post) -> tuple[Knowledge, list[str]]:
        # cached for the context's post; a rewritten text gets its own
        if post.text == ctx.post.text and ctx.knowledge is not None:
            return ctx.knowledge, ctx.exemplar_ids
        cap = caption() if post.image is not None else None
        ex = pipeline.plugin("exemplars").retrieve(post, cap)
        k, ids = pipeline.plugin("knowledge").generate(post, cap, ex), [e.id for e in ex]
        if post.text == ctx.post.text:
            ctx.knowledge, ctx.exemplar_ids = k, ids
        return k, ids

    def entail(ex: Expression):
        plugin = pipeline.plugin("entailment")
        extra = {"knowledge": knowledge_of(ctx.post)[0]} if takes_knowledge(plugin) else {}
        return plugin.entail(ctx.post, caption(), [ex], **extra)[0]

    def find_entity(name: str, etype: Optional[str]) -> EntitySpan:
        if not ctx.entities:
            ctx.entities = pipeline.plugin("recognizer").recognize(ctx.post, knowledge_of(ctx.post)[0])
        for ent in ctx.entities:
            if ent.text.lower() == name.lower() and (etype is None or ent.type == etype):
                return ent
        if etype is not None and etype not in ENTITY_TYPES:
            raise ToolException(f"unknown type '{etype}'; use one of {', '.join(ENTITY_TYPES)}")
        raise ToolException(f"'{name}' is not an entity found in the post")

    def expression(name: str, etype: Optional[str]) -> Expression:
        ent = find_entity(name, etype)
        key = f"{ent.start}:{ent.end}"
        if key not in ctx.expressions:
            cap = caption() if ctx.post.image is not None else None
            ctx.expressions[key] = pipeline.plugin("expander").expand(ctx.post, cap, [ent])[0]
        return ctx.expressions[key]

    def t_caption():
        c = caption()
        return c.text, {"caption": c.text, "source": c.source}

    def t_exemplars(text: str):
        cap = caption() if ctx.post.image is not None else None
        found = pipeline.plugin("exemplars").retrieve(Post(ctx.post.id, text, ctx.post.image), cap)
        return (", ".join(f"{e.id} ({e.score:.2f})" for e in found) or "none",
                [e.__dict__ for e in found])

    def t_knowledge(text: str):
        k, ids = knowledge_of(Post(ctx.post.id, text, ctx.post.image))
        return k.text, {"knowledge": k.text, "prompt": k.prompt_id, "exemplars": ids}

    def t_recognize(text: str):
        post = Post(ctx.post.id, text, ctx.post.image)
        ents = pipeline.plugin("recognizer").recognize(post, knowledge_of(post)[0])
        if text == ctx.post.text:
            ctx.entities = ents
        return ("; ".join(f"{e.text} ({e.type})" for e in ents) or "no named entities",
                [e.__dict__ for e in ents])

    def t_expand(entity: str, type: Optional[str] = None):
        ex = expression(entity, type)
        return ex.text, {"expression": ex.text, "expansion": ex.expansion}

    def t_entail(entity: str, type: Optional[str] = None):
        need_image()
        ex = expression(entity, type)
        dec = entail(ex)
        verdict = "in the picture" if dec.groundable else "not in the picture"
        return (f"{ex.text}: {verdict} (score {dec.score:.2f}); {dec.evidence}",
                {"groundable": dec.groundable, "score": dec.score, "evidence": dec.evidence,
                 "region": dec.region})

    def t_ground(entity: str, type: Optional[str] = None):
        need_image()
        ex = expression(entity, type)
        dec = entail(ex)
        box = pipeline.plugin("grounder").ground(ctx.post, [ex], [dec])[0] if dec.groundable else None
        if box is None:
            return f"{ex.text}: not grounded in the image", {"box": None, "groundable": False}
        return (f"{ex.text}: box [{', '.join(f'{v:.0f}' for v in box)}]",
                {"box": box, "groundable": True, "label": dec.label})

    def t_segment(entity: str, type: Optional[str] = None):
        img = need_image()
        content, art = t_ground(entity, type)
        if art["box"] is None:
            return content, {**art, "mask": None}
        mask = pipeline.plugin("segmenter").segment(img, [art["box"]], [art.get("label")])[0]
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

"""`riveg mcp`: the role tools over the Model Context Protocol (the official `mcp` SDK).

The tools are the chat agent's LangChain tools (riveg_agent/agent/tools.py),
called through their functions, so an MCP answer is the answer `riveg chat`
and `riveg run` give. One Pipeline per server process; each post's
PostContext (its ChainState) is kept per (text, image sha256), so
recognize -> check -> locate -> segment on one post runs every stage once.
Boxes come back as JSON text, masks and overlays as PNG image content; an
expected failure (bad input, an entity not in the post, a missing model) is
an MCP tool error with its one-line message. Logs go to stderr: on stdio,
stdout is the protocol.
"""
from __future__ import annotations

import base64
import binascii
import io
import json
import logging
import threading
from collections import OrderedDict
from typing import Annotated, Any, Literal, Optional

import numpy as np
from langchain_core.tools import ToolException
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import ImageContent, TextContent
from PIL import Image
from pydantic import Field

from riveg_agent import __version__
from riveg_agent.agent.tools import PostContext, make_tools
from riveg_agent.core.errors import InputError, RivegError
from riveg_agent.core.pipeline import Pipeline, make_post
from riveg_agent.core.schema import Entity
from riveg_agent.core.state import ChainState
from riveg_agent.io.images import PostImage, to_post_image
from riveg_agent.io.masks import clip_box, encode
from riveg_agent.io.overlay import render_overlay

log = logging.getLogger("riveg.mcp")

POST_ID = "post"
MAX_POSTS = 16  # states kept (each holds its image and masks); the oldest is dropped

Text = Annotated[str, Field(description="the post's text")]
ImagePath = Annotated[Optional[str], Field(
    description="the post's image: a file path on the server's machine (or give image_base64)")]
ImageB64 = Annotated[Optional[str], Field(
    description="the post's image as base64 (JPEG, PNG, WebP; a data: URL is accepted), instead of image_path")]
EntityName = Annotated[str, Field(description="the entity's surface string as it appears in the text")]
EntityType = Annotated[Optional[Literal["PER", "LOC", "ORG", "MISC"]], Field(
    description="the entity's type, if known (PER, LOC, ORG or MISC)")]

DESCRIPTIONS = {
    "recognize_entities": "Named entities in the post's text, with types PER/LOC/ORG/MISC and character spans.",
    "check_in_image": "Whether an entity of the post is visible in the post's image, with a score (visual entailment).",
    "locate_entity": "Bounding box [x1, y1, x2, y2] (image pixels) of an entity of the post in its image, "
                     "with an overlay PNG.",
    "segment_entity": "Segmentation mask of an entity of the post in its image: box, mask as COCO RLE, "
                      "mask PNG and overlay PNG.",
    "expand_entity": "Referring expression 'Name (TYPE) - expansion' the chain writes for an entity of the post.",
    "caption_image": "One-sentence description of the post's image, from what the detectors saw.",
    "generate_knowledge": "LLM background knowledge about the post's entities (the knowledge the recognizer reads).",
    "find_exemplars": "The most similar hand-annotated example posts (MSEA exemplars), with scores.",
}


class PostStates:
    """One Pipeline and the PostContexts of recent posts, keyed by (text, image sha256).
    Calls are serialised: the stages of one state must not run twice at once, and
    on a CPU the models gain nothing from running side by side."""

    def __init__(self, pipeline: Pipeline, max_posts: int = MAX_POSTS):
        self.pipeline = pipeline
        self.max_posts = max_posts
        self._posts: OrderedDict[tuple[str, Optional[str]], tuple[PostContext, dict]] = OrderedDict()
        self._lock = threading.Lock()

    def call(self, tool: str, text: str, image_path: Optional[str], image_base64: Optional[str],
             **args: Any) -> list[TextContent | ImageContent]:
        try:
            with self._lock:
                ctx, tools = self._context(text, _image(image_path, image_base64))
                if tool in ("recognize_entities", "generate_knowledge", "find_exemplars"):
                    args["text"] = ctx.post.text
                content, artifact = tools[tool].func(**args)
                return _contents(tool, ctx, content, artifact, args)
        except (ToolException, RivegError) as exc:
            raise ToolError(_one_line(exc)) from None
        except Exception as exc:  # a bug: said in one line to the client, the traceback on stderr
            log.exception("tool %s failed", tool)
            raise ToolError(_one_line(f"internal error: {type(exc).__name__}: {exc}")) from None

    def _context(self, text: str, image: Optional[PostImage]) -> tuple[PostContext, dict]:
        key = (text, image.sha256 if image is not None else None)
        if key in self._posts:
            self._posts.move_to_end(key)
            return self._posts[key]
        ctx = PostContext(self.pipeline, ChainState(post=make_post(POST_ID, text, image)))
        self._posts[key] = ctx, {t.name: t for t in make_tools(ctx)}
        while len(self._posts) > self.max_posts:
            self._posts.popitem(last=False)
        return self._posts[key]


def _image(path: Optional[str], b64: Optional[str]) -> Optional[PostImage]:
    if path and b64:
        raise InputError(None, "give image_path or image_base64, not both", "image_invalid")
    if path:
        return to_post_image(path)
    if b64:
        data = b64.split(",", 1)[1] if b64.startswith("data:") else b64
        try:
            raw = base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError):
            raise InputError(None, "image_base64 is not valid base64", "image_invalid") from None
        return to_post_image(raw)
    return None


def _contents(tool: str, ctx: PostContext, content: str, artifact: Any,
              args: dict) -> list[TextContent | ImageContent]:
    """The tool's answer: one JSON text block ({"answer": the line the chat model
    reads, ...the artifact}), then the PNGs of locate_entity and segment_entity."""
    pngs: list[ImageContent] = []
    if tool in ("locate_entity", "segment_entity"):
        artifact = dict(artifact)
        img = ctx.post.image
        mask = artifact.pop("mask", None)
        if artifact["box"] is not None:
            state = ctx.through("grounder")
            i = state.find(args["entity"], args.get("type"))
            artifact["box"] = list(clip_box(artifact["box"], img.width, img.height))
            ent = _entity(state, i, artifact["box"], mask)
            if tool == "segment_entity":
                artifact["mask"] = ent.mask.model_dump() if ent.mask is not None else None
                artifact["mask_pixels"] = int(mask.sum()) if mask is not None else 0
                if mask is not None:
                    pngs.append(_png(Image.fromarray(mask.astype(np.uint8) * 255, "L")))
            pngs.append(_png(render_overlay(img.image, _Entities([ent]))))
    body = {"answer": content}
    if isinstance(artifact, dict):
        body.update(artifact)
    else:
        body["items"] = artifact
    return [TextContent(type="text", text=json.dumps(body, default=_plain, ensure_ascii=False)), *pngs]


class _Entities:
    """What render_overlay reads of a Result: its entities."""

    def __init__(self, entities: list[Entity]):
        self.entities = entities


def _entity(state: ChainState, i: int, box: list[float], mask: Optional[np.ndarray]) -> Entity:
    ent, dec = state.entities[i], state.decisions[i]
    return Entity(text=ent.text, type=ent.type, start=ent.start, end=ent.end,
                  expression=state.expressions[i].text, groundable=bool(dec.groundable),
                  score=round(float(dec.score), 4), box=tuple(box),
                  mask=encode(mask) if mask is not None else None)


def _png(image: Image.Image) -> ImageContent:
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return ImageContent(type="image", data=base64.b64encode(buf.getvalue()).decode("ascii"),
                        mime_type="image/png")


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)


def _one_line(exc: Exception | str) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def build_server(config: str = "default") -> MCPServer:
    """The MCP server with the eight role tools over one Pipeline (the config is
    checked here, so a bad one fails before the server starts)."""
    states = PostStates(Pipeline(config))
    server = MCPServer("riveg-agent", version=__version__, log_level="INFO",
                       instructions="Grounded multimodal NER on a social-media post: give every tool the "
                                    "post's text and its image (a path or base64); calls on one post "
                                    "share their work.")

    def recognize_entities(text: Text, image_path: ImagePath = None, image_base64: ImageB64 = None):
        return states.call("recognize_entities", text, image_path, image_base64)

    def generate_knowledge(text: Text, image_path: ImagePath = None, image_base64: ImageB64 = None):
        return states.call("generate_knowledge", text, image_path, image_base64)

    def find_exemplars(text: Text, image_path: ImagePath = None, image_base64: ImageB64 = None):
        return states.call("find_exemplars", text, image_path, image_base64)

    def caption_image(text: Text, image_path: ImagePath = None, image_base64: ImageB64 = None):
        return states.call("caption_image", text, image_path, image_base64)

    def expand_entity(text: Text, entity: EntityName, type: EntityType = None,
                      image_path: ImagePath = None, image_base64: ImageB64 = None):
        return states.call("expand_entity", text, image_path, image_base64, entity=entity, type=type)

    def check_in_image(text: Text, entity: EntityName, type: EntityType = None,
                       image_path: ImagePath = None, image_base64: ImageB64 = None):
        return states.call("check_in_image", text, image_path, image_base64, entity=entity, type=type)

    def locate_entity(text: Text, entity: EntityName, type: EntityType = None,
                      image_path: ImagePath = None, image_base64: ImageB64 = None):
        return states.call("locate_entity", text, image_path, image_base64, entity=entity, type=type)

    def segment_entity(text: Text, entity: EntityName, type: EntityType = None,
                       image_path: ImagePath = None, image_base64: ImageB64 = None):
        return states.call("segment_entity", text, image_path, image_base64, entity=entity, type=type)

    for fn in (recognize_entities, check_in_image, locate_entity, segment_entity, expand_entity,
               caption_image, generate_knowledge, find_exemplars):
        server.add_tool(fn, description=DESCRIPTIONS[fn.__name__], structured_output=False)
    return server


def serve(config: str = "default", transport: str = "stdio", host: str = "127.0.0.1", port: int = 8000) -> None:
    server = build_server(config)
    log.info("riveg mcp: config %s, transport %s", config, transport)
    if transport == "stdio":
        server.run("stdio")
    else:
        server.run("streamable-http", host=host, port=port)

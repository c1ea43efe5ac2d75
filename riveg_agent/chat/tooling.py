"""The chat's tool list for one post: the role tools of riveg_agent.tools,
answered from the pipeline state cached for the conversation where it has
the answer (so a turn never reruns the models and always agrees with the
post's result), plus every tool contributed through the registry's `tools`
catalogue by plugins."""
from __future__ import annotations

from typing import Optional

from langchain_core.tools import BaseTool, StructuredTool, ToolException

from ..tools import PostContext, make_tools

CACHED = ("check_in_image", "locate_entity", "segment_entity", "generate_knowledge")


def prefill(ctx: PostContext, state: dict) -> None:
    """Hand the pipeline's caption, entities and expressions to the tools' context."""
    ctx.caption = state["caption"]
    ctx.entities = [ex.entity for ex in state["expressions"]]
    ctx.expressions = {f"{ex.entity.start}:{ex.entity.end}": ex for ex in state["expressions"]}


def _index(state: dict, name: str, etype: Optional[str]) -> Optional[int]:
    for i, ex in enumerate(state["expressions"]):
        if ex.entity.text.lower() == name.lower() and (etype is None or ex.entity.type == etype):
            return i
    return None


def _box(box) -> str:
    return f"[{', '.join(f'{v:.0f}' for v in box)}]"


def chat_tools(pipeline, ctx: PostContext, state: dict, load_errors: list | None = None) -> list[BaseTool]:
    base = {t.name: t for t in make_tools(pipeline, ctx)}

    def need_image():
        if ctx.post.image is None:
            raise ToolException("this post has no image")

    def cached(name, fn):
        def run(entity: str, type: Optional[str] = None):
            need_image()
            i = _index(state, entity, type)
            if i is None:  # not in the cached result: the role tool says why
                return base[name].func(entity=entity, type=type)
            return fn(i)
        return run

    def check(i):
        ex, dec = state["expressions"][i], state["decisions"][i]
        verdict = "in the picture" if dec.groundable else "not in the picture"
        return (f"{ex.text}: {verdict} (score {dec.score:.2f}); {dec.evidence}",
                {"groundable": dec.groundable, "score": dec.score, "evidence": dec.evidence,
                 "region": dec.region})

    def locate(i):
        ex, dec, box = state["expressions"][i], state["decisions"][i], state["boxes"][i]
        if box is None:
            return f"{ex.text}: not grounded in the image", {"box": None, "groundable": False,
                                                              "score": dec.score, "evidence": dec.evidence}
        return f"{ex.text}: box {_box(box)}", {"box": box, "groundable": True, "label": dec.label,
                                               "score": dec.score, "evidence": dec.evidence}

    def segment(i):
        content, art = locate(i)
        mask = state["masks"][i]
        if art["box"] is None:
            return content, {**art, "mask": None}
        area = int(mask.sum()) if mask is not None else 0
        return f"{content}; mask of {area} pixels", {**art, "mask": mask}

    def knowledge(text: str):
        if text.strip() == ctx.post.text.strip() and state.get("knowledge") is not None:
            k = state["knowledge"]
            return k.text, {"knowledge": k.text, "prompt": k.prompt_id,
                            "exemplars": [e.id for e in state["exemplars"]]}
        return base["generate_knowledge"].func(text=text)

    replace = {"check_in_image": cached("check_in_image", check),
               "locate_entity": cached("locate_entity", locate),
               "segment_entity": cached("segment_entity", segment),
               "generate_knowledge": knowledge}
    tools: list[BaseTool] = []
    for name, tool in base.items():
        if name in replace:
            tool = StructuredTool.from_function(
                func=replace[name], name=name, description=tool.description, args_schema=tool.args_schema,
                response_format="content_and_artifact", handle_tool_error=True)
        tools.append(tool)
    for spec in pipeline.registry.tools():
        try:
            made = spec.factory(pipeline, ctx)
        except Exception as exc:  # one broken plugin tool must not end the chat
            if load_errors is not None:
                load_errors.append((f"{spec.distribution}:{spec.module}", f"{type(exc).__name__}: {exc}"))
            continue
        for tool in made if isinstance(made, (list, tuple)) else [made]:
            if tool.name not in base:
                tools.append(tool)
    return tools

"""The chat's tool list for one post: the role tools of riveg_agent.agent.tools
(views onto the post's ChainState, so a turn never reruns a stage and always
agrees with the post's result), plus every tool contributed through the
registry's `tools` catalogue by plugins."""
from __future__ import annotations

from langchain_core.tools import BaseTool

from riveg_agent.agent.tools import PostContext, make_tools


def chat_tools(ctx: PostContext, load_errors: list | None = None) -> list[BaseTool]:
    tools: list[BaseTool] = make_tools(ctx)
    names = {t.name for t in tools}
    for spec in ctx.pipeline.registry.tools():
        try:
            made = spec.factory(ctx.pipeline, ctx)
        except Exception as exc:  # one broken plugin tool must not end the chat
            if load_errors is not None:
                load_errors.append((f"{spec.distribution}:{spec.module}", f"{type(exc).__name__}: {exc}"))
            continue
        for tool in made if isinstance(made, (list, tuple)) else [made]:
            if tool.name not in names:
                tools.append(tool)
    return tools

"""A third-party Captioner: 'a wide picture, mostly blue'. Real, if plain:
it reads the image's shape and mean colour."""
from __future__ import annotations

from riveg_agent.core.roles import Caption, Captioner

COLOURS = {(1, 0, 0): "red", (0, 1, 0): "green", (0, 0, 1): "blue"}


class ColourCaptioner(Captioner):
    def __init__(self, prefix: str):
        self.prefix = prefix

    def caption(self, post, evidence=None) -> Caption | None:
        image = post.image
        if image is None:
            return None
        mean = image.work_array().reshape(-1, 3).mean(axis=0)
        dominant = COLOURS[tuple(int(i == mean.argmax()) for i in range(3))]
        shape = "wide" if image.width > image.height * 1.2 else (
            "tall" if image.height > image.width * 1.2 else "square")
        return Caption(f"{self.prefix}a {shape} picture, mostly {dominant}", "riveg-hello-plugin")


def colour_captioner(prefix: str = "") -> ColourCaptioner:
    return ColourCaptioner(prefix)


def _register_captioner(registry) -> None:
    registry.add("captioner", "hello.colour_captioner.v1", colour_captioner,
                 description="image shape and dominant colour (example third-party plugin)")


def image_colour_tool(pipeline, ctx):
    """A chat tool (the registry's `tools` catalogue): the image's shape and
    dominant colour, for the post held in `ctx` (riveg_agent.agent.tools.PostContext)."""
    from langchain_core.tools import StructuredTool, ToolException

    def run():
        if ctx.post.image is None:
            raise ToolException("this post has no image")
        cap = ColourCaptioner("").caption(ctx.post)
        return cap.text, {"colour": cap.text.rsplit(" ", 1)[-1], "description": cap.text}

    return StructuredTool.from_function(
        func=run, name="image_colour",
        description="The picture's shape (wide, tall or square) and its dominant colour (red, green or blue).",
        response_format="content_and_artifact", handle_tool_error=True,
        metadata={"examples": ["what colour is the picture?", "is the image mostly red or blue?",
                               "is the photo wide or tall?"]})


def register(registry) -> None:
    _register_captioner(registry)
    if hasattr(registry, "add_tool"):  # riveg-agent with the chat tools catalogue
        registry.add_tool("image_colour", image_colour_tool,
                          description="image shape and dominant colour, as a chat tool")

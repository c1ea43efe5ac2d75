"""A third-party Captioner: 'a wide picture, mostly blue'. Real, if plain:
it reads the image's shape and mean colour."""
from __future__ import annotations

from riveg_agent.roles import Caption, Captioner

COLOURS = {(1, 0, 0): "red", (0, 1, 0): "green", (0, 0, 1): "blue"}


class ColourCaptioner(Captioner):
    def __init__(self, prefix: str):
        self.prefix = prefix

    def caption(self, image) -> Caption:
        mean = image.work_array().reshape(-1, 3).mean(axis=0)
        dominant = COLOURS[tuple(int(i == mean.argmax()) for i in range(3))]
        shape = "wide" if image.width > image.height * 1.2 else (
            "tall" if image.height > image.width * 1.2 else "square")
        return Caption(f"{self.prefix}a {shape} picture, mostly {dominant}", "riveg-hello-plugin")


def colour_captioner(prefix: str = "") -> ColourCaptioner:
    return ColourCaptioner(prefix)


def register(registry) -> None:
    registry.add("captioner", "hello.colour_captioner.v1", colour_captioner,
                 description="image shape and dominant colour (example third-party plugin)")

"""Draw a result's boxes and masks over its image (PNG)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from riveg_agent.io.masks import decode
from riveg_agent.core.schema import Result
from riveg_agent.core.errors import RivegError

COLOURS = [(230, 25, 75), (60, 180, 75), (0, 130, 200), (245, 130, 48), (145, 30, 180),
           (70, 240, 240), (240, 50, 230), (210, 245, 60)]


def draw_overlay(image: Image.Image, result: Result, out: str | Path) -> Path:
    canvas = render_overlay(image, result)
    out = Path(out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        canvas.save(out, format="PNG")
    except OSError as exc:  # an unwritable path is the user's to fix: one line, no traceback
        raise RivegError(f"cannot write the overlay to {out}: {exc.strerror or exc}") from None
    return out


def render_overlay(image: Image.Image, result: Result) -> Image.Image:
    """The image with the result's masks tinted and boxes drawn and labelled."""
    base = np.asarray(image.convert("RGB"), dtype=np.float32).copy()
    grounded = [e for e in result.entities if e.box is not None]
    for i, ent in enumerate(grounded):
        if ent.mask is not None:
            m = decode(ent.mask)
            base[m] = 0.55 * base[m] + 0.45 * np.array(COLOURS[i % len(COLOURS)], np.float32)
    canvas = Image.fromarray(base.clip(0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(canvas)
    width = max(2, round(min(canvas.size) / 200))
    for i, ent in enumerate(grounded):
        colour = COLOURS[i % len(COLOURS)]
        x1, y1, x2, y2 = ent.box
        draw.rectangle((x1, y1, x2, y2), outline=colour, width=width)
        label = f"{ent.text} ({ent.type}) {ent.score:.2f}"
        tx, ty = x1 + width, max(0, y1 - 14) if y1 >= 14 else y1 + width
        bbox = draw.textbbox((tx, ty), label)
        draw.rectangle(bbox, fill=colour)
        draw.text((tx, ty), label, fill=(255, 255, 255))
    return canvas

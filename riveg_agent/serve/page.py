"""The web page at /: Gradio Blocks mounted on the API's FastAPI app.

Drop a photo, paste the post text, Run: the entities highlighted in the text
with their types, the boxes and masks drawn on the photo (one toggle per
entity), the VE decision and score per entity, and a chat about the post
answered from the tools (the same ChatSession as `riveg chat`). Every chain
call goes through the service's Runner, so the page and the API share one
Pipeline and one bound.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Optional

import numpy as np

from riveg_agent.core.errors import RivegError
from riveg_agent.core.state import STAGES
from riveg_agent.io.overlay import COLOURS
from riveg_agent.serve.runner import Service

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # offline: no calls home

TYPE_COLOURS = {"PER": "#e6194b", "LOC": "#3cb44b", "ORG": "#0082c8", "MISC": "#f58230"}
TABLE_HEADERS = ["entity", "type", "in image", "VE score", "box [x1, y1, x2, y2]", "evidence"]
WAIT_S = 0.25  # how often the progress bar is refreshed while the chain runs


def label(ent) -> str:
    return f"{ent.text} ({ent.type})"


def highlighted(result) -> list[tuple[str, Optional[str]]]:
    """The post text cut into plain runs and entity spans labelled with their type."""
    parts, at = [], 0
    for e in sorted(result.entities, key=lambda e: e.start):
        if e.start < at:  # overlapping spans: the first one wins
            continue
        if e.start > at:
            parts.append((result.text[at:e.start], None))
        parts.append((result.text[e.start:e.end], e.type))
        at = e.end
    if at < len(result.text):
        parts.append((result.text[at:], None))
    return parts


def outline(size: tuple[int, int], box) -> np.ndarray:
    """A box as a frame (Gradio fills a box tuple, which would hide the mask under it)."""
    w, h = size
    line = max(2, round(min(size) / 200))
    x1, y1, x2, y2 = (int(round(v)) for v in box)
    x1, y1 = min(max(x1, 0), w - 1), min(max(y1, 0), h - 1)
    x2, y2 = max(min(x2, w), x1 + 1), max(min(y2, h), y1 + 1)
    frame = np.zeros((h, w), np.float32)
    frame[y1:y2, x1:x1 + line] = frame[y1:y2, max(x2 - line, x1):x2] = 1.0
    frame[y1:y1 + line, x1:x2] = frame[max(y2 - line, y1):y2, x1:x2] = 1.0
    return frame


def annotations(post_image, result, shown: Optional[list[str]]):
    """(picture, [(box or mask, label)]) on the working copy (long side <= 1280 px), so
    a large photo costs no more than a small one; plus the colour of each label."""
    from PIL import Image

    from riveg_agent.io.masks import decode

    work, scale = post_image.work, post_image.scale
    anns, colours = [], {}
    for i, ent in enumerate(e for e in result.entities if e.box is not None):
        name = label(ent)
        if shown is not None and name not in shown:
            continue
        colour = "#%02x%02x%02x" % COLOURS[i % len(COLOURS)]
        anns.append((outline(work.size, [v / scale for v in ent.box]), name))
        colours[name] = colour
        if ent.mask is not None:
            mask = Image.fromarray(decode(ent.mask)).resize(work.size, Image.NEAREST)
            anns.append((np.asarray(mask, dtype=np.float32) * 0.45, f"{name} · mask"))
            colours[f"{name} · mask"] = colour
    return (work, anns), colours


def table(result) -> list[list[Any]]:
    return [[e.text, e.type, "yes" if e.groundable else "no", round(e.score or 0.0, 3),
             str([round(v) for v in e.box]) if e.box else "-", e.evidence or ""] for e in result.entities]


def build_page(service: Service):
    import gradio as gr

    def fail(exc: Exception):
        return gr.Error(str(exc) if isinstance(exc, RivegError) else f"{type(exc).__name__}: {exc}")

    def session_of(sid: Optional[str]):
        if not sid:
            raise gr.Error("run a post first")
        try:
            return service.sessions.get(sid).session
        except RivegError as exc:
            raise fail(exc) from None

    def run_post(photo: Optional[str], text: str, progress=gr.Progress()):
        if not text or not text.strip():
            raise gr.Error("paste the post's text")
        image = Path(photo).read_bytes() if photo else None
        stage = {"i": -1, "name": "waiting for the chain"}

        def on_stage(i: int, name: str) -> None:
            stage.update(i=i, name=name)

        try:
            future = service.runner.submit(lambda: service.ground("page", text, image, session=True,
                                                                  on_stage=on_stage))
        except RivegError as exc:
            raise fail(exc) from None
        progress(0.0, desc=stage["name"])
        while True:
            try:
                out = future.result(timeout=WAIT_S)
                break
            except TimeoutError:
                i = stage["i"]
                progress(max(i, 0) / len(STAGES),
                         desc=stage["name"] if i < 0 else f"{stage['name']} ({i + 1}/{len(STAGES)})")
            except Exception as exc:
                raise fail(exc) from None
        result = out.result
        grounded = [label(e) for e in result.entities if e.box is not None]
        post_image = service.sessions.get(out.session_id).session.state.post.image
        picture = None
        if post_image is not None:
            value, colours = annotations(post_image, result, None)
            picture = gr.AnnotatedImage(value=value, color_map=colours)
        caption = f"caption: {result.caption}" if result.caption else "no image"
        return (highlighted(result), picture, gr.CheckboxGroup(choices=grounded, value=grounded),
                table(result), caption, out.session_id, [])

    def redraw(shown: list[str], sid: Optional[str]):
        session = session_of(sid)
        post_image = session.state.post.image
        if post_image is None:
            return None
        value, colours = annotations(post_image, session.result, shown)
        return gr.AnnotatedImage(value=value, color_map=colours)

    def ask(question: str, history: list, sid: Optional[str]):
        if not question or not question.strip():
            raise gr.Error("type a question")
        session_of(sid)
        try:
            out = service.runner.submit(service.sessions.ask, sid, question.strip()).result()
        except Exception as exc:
            raise fail(exc) from None
        history = list(history or []) + [{"role": "user", "content": question.strip()},
                                         {"role": "assistant", "content": out["answer"]}]
        return history, ""

    # Uploads and drawn pictures land in Gradio's file cache: files older than an hour are deleted.
    with gr.Blocks(title="riveg-agent", delete_cache=(600, 3600)) as page:
        gr.Markdown("## riveg-agent: grounded multimodal NER\nA photo and the post's text in; the named "
                    "entities, their types, whether each is in the picture, its box and mask out. "
                    "JSON API: [/docs](/docs).")
        sid = gr.State(None)
        with gr.Row():
            with gr.Column(scale=1):
                photo = gr.Image(type="filepath", label="photo", sources=["upload", "clipboard"],
                                 elem_id="riveg-photo", height=360)
                text = gr.Textbox(label="post text", lines=3, elem_id="riveg-text",
                                  placeholder="NASA astronaut Eileen Collins poses for her official portrait…")
                run = gr.Button("Run", variant="primary", elem_id="riveg-run")
            with gr.Column(scale=1):
                picture = gr.AnnotatedImage(label="boxes and masks", elem_id="riveg-image", height=360)
                shown = gr.CheckboxGroup(label="show", choices=[], elem_id="riveg-toggle")
        entities = gr.HighlightedText(label="entities", color_map=TYPE_COLOURS, combine_adjacent=False,
                                      elem_id="riveg-entities")
        caption = gr.Markdown(elem_id="riveg-caption")
        rows = gr.Dataframe(headers=TABLE_HEADERS, label="visual entailment per entity", interactive=False,
                            elem_id="riveg-table", wrap=True)
        chatbot = gr.Chatbot(label="ask about this post", elem_id="riveg-chat", height=280)
        with gr.Row():
            question = gr.Textbox(show_label=False, placeholder="Where is Eileen Collins?", scale=4,
                                  elem_id="riveg-question")
            send = gr.Button("Ask", elem_id="riveg-ask", scale=1)

        run.click(run_post, [photo, text], [entities, picture, shown, rows, caption, sid, chatbot])
        shown.input(redraw, [shown, sid], [picture])
        send.click(ask, [question, chatbot, sid], [chatbot, question])
        question.submit(ask, [question, chatbot, sid], [chatbot, question])
    # The page's events wait in Gradio's queue (bounded) for the Runner's threads.
    page.queue(max_size=service.settings.queue, default_concurrency_limit=service.settings.threads)
    return page


def mount_page(app, service: Service) -> None:
    import gradio as gr

    gr.mount_gradio_app(app, build_page(service), path="/", footer_links=[], ssr_mode=False,
                        max_file_size=service.settings.max_request_bytes)

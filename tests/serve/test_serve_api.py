"""The HTTP API through httpx against real uvicorn servers on loopback: the real
`fast` chain for the demo post and the chat, and a Pipeline of fakes (tests/fakes.py)
with a gated recognizer for the limits (413, 422, 404, 429)."""
from __future__ import annotations

import base64
import io
import struct
import threading
import time
import zlib

import httpx
import numpy as np
import pytest
from PIL import Image

from serving import running
from fakes import CapitalRecognizer, fake_pipeline
from riveg_agent.core.schema import ERROR_KIND, Result
from riveg_agent.io.masks import decode

LIMIT = 64 * 1024


def png_bytes(width=64, height=48) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), (120, 60, 30)).save(buf, format="PNG")
    return buf.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height (almost no pixel data)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 10))
            + chunk(b"IEND", b""))


def assert_error(r: httpx.Response, status: int, code: str, *words: str) -> str:
    assert r.status_code == status, r.text
    body = r.json()
    assert body["kind"] == ERROR_KIND and body["error"]["code"] == code, body
    message = body["error"]["message"]
    assert message and "\n" not in message and "Traceback" not in message
    for w in words:
        assert w in message, message
    return message


class GatedRecognizer(CapitalRecognizer):
    """Blocks on a post whose text starts with 'slow' until the test opens the gate."""

    def __init__(self):
        super().__init__()
        self.gate = threading.Event()

    def recognize(self, post, knowledge):
        if post.text.startswith("slow"):
            assert self.gate.wait(60), "the test never opened the gate"
        return super().recognize(post, knowledge)


@pytest.fixture()
def fake_server():
    from riveg_agent.serve.app import create_app
    from riveg_agent.serve.runner import ServeSettings

    recognizer = GatedRecognizer()
    settings = ServeSettings(config="fast", threads=1, queue=1, max_sessions=2, max_request_bytes=LIMIT,
                             warmup=False)
    app = create_app(settings, pipeline=fake_pipeline(recognizer=recognizer), page=False)
    try:
        with running(app) as base:
            yield base, app.state.service, recognizer
    finally:
        recognizer.gate.set()


# -- the real chain --------------------------------------------------------
def test_health_ready_plugins_docs(fast_server):
    assert httpx.get(f"{fast_server}/healthz").json() == {"status": "ok", "config": None, "error": None}
    ready = httpx.get(f"{fast_server}/readyz").json()  # the fixture waited for the warm-up
    assert ready["status"] == "ready" and ready["config"] == "fast"
    plugins = httpx.get(f"{fast_server}/v1/plugins").json()
    assert plugins["config"] == "fast" and len(plugins["selected"]) == 9
    names = {p["name"] for p in plugins["plugins"]}
    assert set(plugins["selected"].values()) <= names
    assert all(p["status"] == "usable" or p["status"].startswith("unavailable: ") for p in plugins["plugins"])
    spec = httpx.get(f"{fast_server}/openapi.json").json()
    assert {"/v1/ground", "/v1/chat", "/v1/plugins", "/healthz", "/readyz"} <= set(spec["paths"])
    assert "multipart/form-data" in spec["paths"]["/v1/ground"]["post"]["requestBody"]["content"]
    assert "swagger" in httpx.get(f"{fast_server}/docs").text.lower()


def test_ground_the_demo_photo_then_chat(fast_server, demo_image, demo_text):
    with demo_image.open("rb") as f:
        r = httpx.post(f"{fast_server}/v1/ground", timeout=600,
                       files={"image": ("astronaut.jpg", f, "image/jpeg")},
                       data={"text": demo_text, "id": "demo", "overlay": "true", "masks": "true",
                             "session": "true"})
    assert r.status_code == 200, r.text
    body = r.json()
    result = Result.model_validate(body["result"])
    assert result.id == "demo" and (result.image.width, result.image.height) == (512, 512)
    i, ent = next((i, e) for i, e in enumerate(result.entities) if e.text == "Eileen Collins")
    assert ent.type == "PER" and ent.groundable
    x1, y1, x2, y2 = ent.box
    assert 0 <= x1 < x2 <= 512 and 0 <= y1 < y2 <= 512
    overlay = Image.open(io.BytesIO(base64.b64decode(body["overlay_png"])))
    assert overlay.format == "PNG" and overlay.size == (512, 512)
    mask = Image.open(io.BytesIO(base64.b64decode(body["masks_png"][i])))
    assert mask.size == (512, 512) and (decode(ent.mask).sum() > 1000)
    assert (np.asarray(mask) > 0).sum() == decode(ent.mask).sum()

    sid = body["session_id"]
    chat = httpx.post(f"{fast_server}/v1/chat", json={"session_id": sid, "question": "Where is Eileen Collins?"},
                      timeout=600)
    assert chat.status_code == 200, chat.text
    answer = chat.json()
    assert "Eileen Collins" in answer["answer"] and "box" in answer["answer"]
    assert answer["boxes"]["Eileen Collins"] == pytest.approx(list(ent.box))
    assert [c["name"] for c in answer["tool_calls"]] == ["locate_entity"]
    assert Image.open(io.BytesIO(base64.b64decode(answer["overlays_png"][0]))).size == (512, 512)

    # The same post as JSON with a base64 image: the same entities and boxes (deterministic).
    again = httpx.post(f"{fast_server}/v1/ground", timeout=600,
                       json={"text": demo_text, "id": "demo", "image": base64.b64encode(demo_image.read_bytes()).decode()})
    assert again.status_code == 200, again.text
    other = Result.model_validate(again.json()["result"])
    assert [(e.text, e.type, e.box) for e in other.entities] == [(e.text, e.type, e.box) for e in result.entities]
    assert again.json()["session_id"] is None and again.json()["overlay_png"] is None


def test_bad_input_is_422_with_one_line(fast_server):
    url = f"{fast_server}/v1/ground"
    assert_error(httpx.post(url, files={"image": ("x.png", png_bytes(), "image/png")}), 422, "bad_text",
                 "'text' must be a string")
    assert_error(httpx.post(url, data={"text": "   "}), 422, "bad_text", "text is empty")
    assert_error(httpx.post(url, data={"text": "hi Ada"}, files={"image": ("x.png", b"not an image", "image/png")}),
                 422, "image_invalid", "not an image")
    assert_error(httpx.post(url, json={"text": "hi", "image": "%%%"}), 422, "bad_input", "not valid base64")
    assert_error(httpx.post(url, json={"text": "hi", "colour": 1}), 422, "bad_input", "colour")
    assert_error(httpx.post(url, json={"image": ""}), 422, "bad_input", "text")
    assert_error(httpx.post(url, data={"text": "hi", "overlay": "maybe"}), 422, "bad_input", "overlay")
    assert_error(httpx.post(url, content=b"text=hi", headers={"content-type": "text/plain"}), 422,
                 "bad_input", "multipart/form-data")
    assert_error(httpx.post(url, data={"text": "x" * 2001}), 422, "text_too_long", "2001")
    chat = f"{fast_server}/v1/chat"
    assert_error(httpx.post(chat, json={"session_id": "x", "question": ""}), 422, "bad_input", "question")
    assert_error(httpx.post(chat, json={"session_id": "nope", "question": "Where?"}), 404, "unknown_session",
                 "'nope'")


def test_image_over_50_megapixels_is_413_from_its_header(fast_server):
    r = httpx.post(f"{fast_server}/v1/ground", data={"text": "a huge photo"},
                   files={"image": ("big.png", png_header_only(10000, 8000), "image/png")})
    assert_error(r, 413, "image_too_large", "10000x8000 = 80 MP")


# -- the limits, on fakes --------------------------------------------------
def test_body_over_the_limit_is_413_before_it_is_read(fake_server):
    base, service, recognizer = fake_server
    big = b"\0" * (LIMIT * 3)
    r = httpx.post(f"{base}/v1/ground", data={"text": "Ada"}, files={"image": ("x.png", big, "image/png")})
    assert_error(r, 413, "request_too_large", f"limit of {LIMIT} bytes")

    def chunks():  # no Content-Length: counted while it arrives
        for _ in range(6):
            yield b"\0" * (LIMIT // 2)
    r = httpx.post(f"{base}/v1/ground", content=chunks(), headers={"content-type": "application/json"})
    assert_error(r, 413, "request_too_large", "more than")
    assert recognizer.calls == 0  # neither reached the chain
    ok = httpx.post(f"{base}/v1/ground", data={"text": "Ada smiles"}, files={"image": ("x.png", png_bytes(), "image/png")})
    assert ok.status_code == 200 and ok.json()["result"]["entities"][0]["text"] == "Ada"


def test_queue_full_is_429_with_retry_after(fake_server):
    base, service, recognizer = fake_server
    results: list[httpx.Response] = []

    def post(text):
        results.append(httpx.post(f"{base}/v1/ground", data={"text": text}, timeout=60))

    threads = [threading.Thread(target=post, args=(f"slow Ada {n}",)) for n in range(2)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 30
    while service.runner.pending < 2:  # one running (blocked at the gate), one waiting
        assert time.monotonic() < deadline, "the two slow requests never reached the queue"
        time.sleep(0.02)
    r = httpx.post(f"{base}/v1/ground", data={"text": "Ada again"})
    assert_error(r, 429, "busy", "queue full")
    assert int(r.headers["Retry-After"]) >= 1
    recognizer.gate.set()
    for t in threads:
        t.join(60)
    assert [x.status_code for x in results] == [200, 200]
    assert service.runner.pending == 0
    assert httpx.post(f"{base}/v1/ground", data={"text": "Ada again"}).status_code == 200


def test_chat_sessions_are_bounded_least_recently_used_first(fake_server):
    base, service, _ = fake_server

    def open_session() -> str:
        r = httpx.post(f"{base}/v1/ground", data={"text": "Ada at the desk", "session": "true"},
                       files={"image": ("x.png", png_bytes(), "image/png")})
        assert r.status_code == 200, r.text
        return r.json()["session_id"]

    first, second = open_session(), open_session()
    ask = lambda sid: httpx.post(f"{base}/v1/chat", json={"session_id": sid, "question": "Where is Ada?"})
    assert ask(first).status_code == 200  # first is now the most recently used
    third = open_session()                # drops second, the least recently used
    assert_error(ask(second), 404, "unknown_session", "least recently used")
    for sid in (first, third):
        a = ask(sid)
        assert a.status_code == 200 and "box" in a.json()["answer"], a.text
    assert len(service.sessions) == 2


def test_a_plugin_that_breaks_is_a_500_with_one_line(fake_server):
    base, service, _ = fake_server
    r = httpx.post(f"{base}/v1/ground", data={"text": "explode"})  # the fake recognizer raises on it
    assert_error(r, 500, "internal", "RuntimeError: model fell over")
    assert service.runner.pending == 0 and httpx.get(f"{base}/healthz").status_code == 200

"""`riveg mcp` as an MCP client sees it: a real server process over stdio,
driven by the official SDK's client. One server for the module (its models
load once); the calls run in one session and the tests read their answers.

The server runs the `fast` config: the default vision chain (detector,
evidence captioner, caption VE, ranked grounder, GrabCut/selfie masks) with
the small SmolLM2 in place of Qwen for the text stages, which the box does
not depend on."""
import base64
import io
import json
import os
import sys

import numpy as np
import pytest

pytest.importorskip("mcp", reason="the serve extra is not installed (pip install -e '.[serve]')")

import anyio  # noqa: E402
from mcp import Client  # noqa: E402
from mcp.client.stdio import StdioServerParameters  # noqa: E402
from PIL import Image  # noqa: E402

from paths import FIXTURES, ROOT  # noqa: E402
from riveg_agent.scoring.regions import box_iou  # noqa: E402

ROLE_TOOLS = {"recognize_entities", "check_in_image", "locate_entity", "segment_entity", "expand_entity",
              "caption_image", "generate_knowledge", "find_exemplars"}
ENTITY_TOOLS = {"check_in_image", "locate_entity", "segment_entity", "expand_entity"}


@pytest.fixture(scope="module")
def session(demo_image, demo_text):
    """Every call of the module, in one session with one server process."""
    params = StdioServerParameters(command=sys.executable, args=["-m", "riveg_agent", "mcp", "--config", "fast"],
                                   env=dict(os.environ), cwd=str(ROOT))
    b64 = base64.b64encode(demo_image.read_bytes()).decode("ascii")
    post = {"text": demo_text, "image_path": str(demo_image)}

    async def scenario() -> dict:
        async with Client(params, read_timeout_seconds=900) as client:
            return {
                "tools": (await client.list_tools()).tools,
                "missing": await client.call_tool("locate_entity", {**post, "entity": "Eileen Collins",
                                                                    "image_path": "/no/such/photo.jpg"}),
                "bad_b64": await client.call_tool("caption_image", {"text": demo_text, "image_base64": "no*base64"}),
                "both": await client.call_tool("caption_image", {**post, "image_base64": b64}),
                "locate": await client.call_tool("locate_entity", {**post, "entity": "Eileen Collins"}),
                # the same picture as base64: the same state, so the same box
                "segment": await client.call_tool("segment_entity", {"text": demo_text, "image_base64": b64,
                                                                     "entity": "Eileen Collins"}),
                "not_an_entity": await client.call_tool("check_in_image", {**post, "entity": "Barack Obama"}),
                "recognize": await client.call_tool("recognize_entities", {"text": demo_text}),
            }

    return anyio.run(scenario)


def answer(result) -> dict:
    assert not result.is_error, result.content
    return json.loads(result.content[0].text)


def png(block) -> Image.Image:
    assert block.type == "image" and block.mime_type == "image/png"
    raw = base64.b64decode(block.data)
    assert raw[:8] == b"\x89PNG\r\n\x1a\n"
    return Image.open(io.BytesIO(raw))


def test_lists_the_role_tools_with_schemas(session):
    tools = {t.name: t for t in session["tools"]}
    assert set(tools) == ROLE_TOOLS
    for name, tool in tools.items():
        props = tool.input_schema["properties"]
        assert {"text", "image_path", "image_base64"} <= set(props), name
        assert "text" in tool.input_schema["required"], name
        assert tool.description, name
        if name in ENTITY_TOOLS:
            assert "entity" in tool.input_schema["required"] and "type" in props, name


def test_locate_entity_finds_eileen_collins_on_the_demo(session, demo_image):
    gold = json.loads((FIXTURES / "gold" / "astronaut.json").read_text())
    found = answer(session["locate"])
    assert found["groundable"] is True
    assert box_iou(found["box"], gold["box"]) >= 0.5, (found["box"], gold["box"])
    overlay = png(session["locate"].content[1])
    assert overlay.size == Image.open(demo_image).size


def test_segment_entity_returns_the_mask_as_png(session, demo_image):
    found = answer(session["segment"])
    assert found["box"] == answer(session["locate"])["box"]
    mask = png(session["segment"].content[1])
    assert mask.mode == "L" and mask.size == Image.open(demo_image).size
    assert np.count_nonzero(np.asarray(mask)) == found["mask_pixels"] > 0
    assert found["mask"]["size"] == [mask.height, mask.width]
    png(session["segment"].content[2])  # the overlay


def test_a_bad_image_path_is_a_tool_error_and_the_server_goes_on(session):
    bad = session["missing"]
    assert bad.is_error
    message = bad.content[0].text
    assert "image not found: /no/such/photo.jpg" in message and "\n" not in message
    # the server survived: the calls after it were answered
    names = {e["text"] for e in answer(session["recognize"])["items"]}
    assert "Eileen Collins" in names


def test_bad_image_arguments_are_tool_errors(session):
    assert session["bad_b64"].is_error and "image_base64 is not valid base64" in session["bad_b64"].content[0].text
    assert session["both"].is_error and "not both" in session["both"].content[0].text


def test_an_entity_not_in_the_post_is_a_tool_error(session):
    bad = session["not_an_entity"]
    assert bad.is_error and "'Barack Obama' is not an entity found in the post" in bad.content[0].text


def test_a_client_of_the_initialize_handshake_lists_the_tools():
    """Desktop clients of today speak the 2025 handshake (initialize), not server/discover."""
    params = StdioServerParameters(command=sys.executable, args=["-m", "riveg_agent", "mcp", "--config", "fast"],
                                   env=dict(os.environ), cwd=str(ROOT))

    async def listed() -> tuple[str, set]:
        async with Client(params, mode="legacy", read_timeout_seconds=120) as client:
            return client.protocol_version, {t.name for t in (await client.list_tools()).tools}

    version, names = anyio.run(listed)
    assert version.startswith("2025-") and names == ROLE_TOOLS

"""The roles as LangChain tools: structured argument schemas, artifacts kept
out of the model-facing content, expected failures as messages."""
import numpy as np
import pytest
from langchain_core.messages import ToolMessage

from riveg_agent.io.images import load_image
from riveg_agent.core.pipeline import make_post
from riveg_agent.agent.tools import PostContext, make_tools
from riveg_agent.core.state import ChainState


@pytest.fixture(scope="module")
def tools(fast_pipeline, demo_image, demo_text):
    ctx = PostContext(fast_pipeline, ChainState(make_post("t", demo_text, load_image(demo_image))))
    return {t.name: t for t in make_tools(ctx)}


def call(tool, **args):
    """Invoke as a model would (a full tool-call dict), so the artifact comes back."""
    return tool.invoke({"type": "tool_call", "id": "call-1", "name": tool.name, "args": args})


def test_every_role_is_a_tool_with_a_schema(tools):
    assert set(tools) == {"caption_image", "find_exemplars", "generate_knowledge", "recognize_entities",
                          "expand_entity", "check_in_image", "locate_entity", "segment_entity"}
    assert set(tools["locate_entity"].args) == {"entity", "type"}
    assert set(tools["recognize_entities"].args) == {"text"}


def test_segment_keeps_the_mask_in_the_artifact(tools):
    msg = call(tools["segment_entity"], entity="Eileen Collins")
    assert isinstance(msg, ToolMessage)
    assert "box [" in msg.content and "mask of" in msg.content
    assert isinstance(msg.artifact["mask"], np.ndarray) and msg.artifact["mask"].any()
    assert "array" not in msg.content  # nothing bulky reaches the model


def test_recognize_and_entailment(tools, demo_text):
    msg = call(tools["recognize_entities"], text=demo_text)
    assert "Eileen Collins (PER)" in msg.content
    verdict = call(tools["check_in_image"], entity="Eileen Collins", type="PER")
    assert "in the picture" in verdict.content and verdict.artifact["groundable"] is True


def test_names_not_in_the_post_are_reported_not_invented(tools):
    msg = call(tools["locate_entity"], entity="Barack Obama")
    assert msg.status == "error" and "not an entity found in the post" in msg.content

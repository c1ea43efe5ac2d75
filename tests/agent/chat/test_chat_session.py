"""Scripted conversations on the demo post: the real `fast` chain (run once,
cached for the conversation), the chat tools as LangChain tool calls, and a
fake chat model where an LLM would route or phrase. Asserts the tool calls
(from the transcript and the LangChain messages) and the answers' content."""
from paths import PLUGIN_SRC
import json
import re
import sys
from pathlib import Path

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from riveg_agent.agent.chat import ChatSession
from riveg_agent.io.masks import decode
from riveg_agent.core.pipeline import Pipeline
from riveg_agent.core.registry import Registry

PLUGIN = PLUGIN_SRC


@pytest.fixture(scope="module")
def pipeline():
    """The fast chain, with the example third-party plugin registered (its chat tool)."""
    sys.path.insert(0, str(PLUGIN))
    try:
        registry = Registry(autoload=False)
        registry.register_module("riveg_hello.plugin", "riveg-hello-plugin")
        registry.load_entry_points()
        registry._autoload = True
    finally:
        sys.path.remove(str(PLUGIN))  # other tests must not see the example plugin
    yield Pipeline("fast", registry=registry)


@pytest.fixture(scope="module")
def session(pipeline, demo_image, demo_text, tmp_path_factory):
    s = ChatSession(demo_text, demo_image, pipeline=pipeline, out_dir=tmp_path_factory.mktemp("chat"))
    _ = s.state  # the chain runs here, once
    return s


def calls_of(session, since):
    return [(e["name"], e["args"]) for e in session.transcript.events[since:] if e["event"] == "tool_call"]


def turn(session, question):
    n = len(session.transcript.events)
    return session.ask(question), calls_of(session, n)


def test_scripted_conversation(session):
    session.reset()
    a, calls = turn(session, "Where is Eileen Collins?")
    assert calls == [("locate_entity", {"entity": "Eileen Collins"})]
    box = a.boxes["Eileen Collins"]
    assert len(box) == 4 and box[2] > box[0] and "box [" in a.text
    assert a.overlays and Path(a.overlays[0]).is_file()

    a, calls = turn(session, "why do you think so?")
    assert calls == [] and "rank score" in a.text  # the grounder's evidence the tool returned

    a, calls = turn(session, "segment her")
    assert calls == [("segment_entity", {"entity": "Eileen Collins"})]
    assert decode(_rle(a.masks["Eileen Collins"])).sum() > 1000 and "pixels" in a.text

    a, calls = turn(session, "Is NASA in the picture?")
    assert calls == [("check_in_image", {"entity": "NASA"})]
    assert a.text.startswith("No") and float(re.search(r"score (\d\.\d\d)", a.text).group(1)) < 0.7

    a, calls = turn(session, "Where is Barack Obama?")
    assert calls == [("locate_entity", {"entity": "Barack Obama"})]
    assert "not mentioned in the post" in a.text and not a.boxes

    a, calls = turn(session, "which people in the tweet appear in the photo?")
    assert calls == [("check_in_image", {"entity": "Eileen Collins"})] and a.text.startswith("Yes")

    a, calls = turn(session, "list all entities and their types")
    assert calls == [("recognize_entities", {"text": session.result.text})]
    assert "Eileen Collins (PER)" in a.text and "NASA (ORG)" in a.text

    a, calls = turn(session, "what is NASA?")
    assert calls == [("expand_entity", {"entity": "NASA"})] and "NASA" in a.text


def _rle(d):
    from riveg_agent.core.schema import RLEMask
    return RLEMask(**d)


def test_follow_up_the_other_one(session):
    session.reset()
    turn(session, "Is Houston in the picture?")
    a, calls = turn(session, "and the other one?")
    # the other entity of the same type, else the next one the post names
    assert calls and calls[0][0] == "check_in_image" and calls[0][1]["entity"] != "Houston"


def test_messages_are_langchain_tool_calls(session):
    session.reset()
    session.ask("Where is Eileen Collins?")
    kinds = [type(m).__name__ for m in session.messages]
    assert kinds == ["HumanMessage", "AIMessage", "ToolMessage", "AIMessage"]
    call = session.messages[1].tool_calls[0]
    assert call["name"] == "locate_entity" and session.messages[2].tool_call_id == call["id"]


def test_the_chain_runs_once_per_post(session):
    before = sum(e["event"] == "pipeline" for e in session.transcript.events)
    session.ask("segment Eileen Collins")
    session.ask("what is Houston?")
    assert sum(e["event"] == "pipeline" for e in session.transcript.events) == before == 1


def test_plugin_tool_is_offered_and_used(session):
    assert "image_colour" in session.tools
    a, calls = turn(session, "what colour is the picture?")
    assert calls == [("image_colour", {})] and "mostly" in a.text


def test_llm_router_and_phrasing_with_a_fake_model(pipeline, session, demo_text, demo_image):
    ve_evidence = session.state.decisions[session.state.find("Eileen Collins")].evidence
    fake = FakeListChatModel(responses=[
        json.dumps({"tool": "check_in_image"}),                          # route
        f"Yes, Eileen Collins is in the picture: {ve_evidence}.",        # phrasing that keeps the facts
        json.dumps({"tool": "locate_entity"}),
        "Neil Armstrong stands at box [1, 2, 3, 4].",                    # invented: must be rejected
    ])
    s = ChatSession(demo_text, demo_image, pipeline=pipeline, router="llm", phrasing="llm", chat_model=fake)
    s._state, s._result = session.state, session.result   # reuse the cached chain result
    a = s.ask("Is Eileen Collins in the picture?")
    assert a.route.source == "llm" and [c["name"] for c in a.tool_calls] == ["check_in_image"]
    assert a.phrased_by == "llm" and a.text.startswith("Yes, Eileen Collins")
    b = s.ask("where is she?")
    assert b.tool_calls[0]["args"] == {"entity": "Eileen Collins"}
    assert "Neil Armstrong" not in b.text and b.phrased_by.startswith("template")
    assert "box [" in b.text  # the tool facts are the answer


def test_save_writes_transcript_and_overlays(session, tmp_path):
    session.ask("Where is Eileen Collins?")
    out = session.save(tmp_path / "saved")
    events = [json.loads(line) for line in (out / "transcript.jsonl").read_text().splitlines()]
    assert {"pipeline", "user", "route", "tool_call", "tool_result", "assistant", "overlay"} <= {e["event"] for e in events}
    assert any(p.suffix == ".png" for p in out.iterdir()) and (out / "result.json").is_file()


def test_image_alone(pipeline, demo_image):
    s = ChatSession(None, demo_image, pipeline=pipeline)
    a = s.ask("describe the photo")
    assert [c["name"] for c in a.tool_calls] == ["caption_image"] and "person" in a.text
    b = s.ask("Where is Taylor Swift?")
    assert "not mentioned in the post" in b.text


def test_a_name_in_the_text_that_the_recognizer_missed_is_not_called_absent(pipeline, session):
    from riveg_agent.agent.chat.answer import template_answer
    call = {"name": "locate_entity", "args": {"entity": "Adele"}, "status": "error", "artifact": None,
            "content": "'Adele' is not an entity found in the post"}
    text = template_answer("locate_entity", [call], [("Grammys", "LOC")], [], "",
                           "Adele thanks her fans after the Grammys.")
    assert "not mentioned" not in text and "did not find it" in text

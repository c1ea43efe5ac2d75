"""The role tools are views onto the post's ChainState: each runs only the
stages it needs, once, and a rewritten text gets a state of its own."""
from PIL import Image

from fakes import fake_pipeline
from riveg_agent.agent.tools import PostContext, make_tools
from riveg_agent.core.pipeline import make_post
from riveg_agent.core.state import ChainState


def call(tool, **args):
    return tool.invoke({"type": "tool_call", "id": "c1", "name": tool.name, "args": args})


def setup():
    nlp = fake_pipeline()
    post = make_post("p", "Ada met Ada", Image.new("RGB", (12, 10)))
    ctx = PostContext(nlp, ChainState(post))
    return nlp, ctx, {t.name: t for t in make_tools(ctx)}


def test_a_text_question_runs_no_vision_and_feeds_the_knowledge():
    nlp, ctx, tools = setup()
    msg = call(tools["recognize_entities"], text="Ada met Ada")
    assert msg.content == "Ada (PER); Ada (PER)"
    rec = nlp.plugin("recognizer")
    assert [k.text for k in rec.seen] == ["background on Ada"]  # what the chain feeds it
    assert nlp.plugin("entailment").calls == 0 and nlp.plugin("grounder").calls == 0


def test_entity_tools_share_one_state_and_run_each_stage_once():
    nlp, ctx, tools = setup()
    located = call(tools["locate_entity"], entity="ada")
    assert "box [1, 1, 5, 5]" in located.content and located.artifact["label"] == "person"
    seg = call(tools["segment_entity"], entity="Ada")
    assert seg.artifact["mask"].sum() == 16
    call(tools["check_in_image"], entity="Ada")
    assert [nlp.plugin(r).calls for r in ("detector", "recognizer", "entailment", "grounder", "segmenter")] \
        == [1, 1, 1, 1, 1]
    assert ctx.state.done[-1] == "segmenter"


def test_rewritten_text_gets_its_own_state():
    nlp, ctx, tools = setup()
    assert call(tools["recognize_entities"], text="nobody at all").content == "no named entities"
    assert "recognizer" not in ctx.state.done and "nobody at all" in ctx.rewrites
    assert call(tools["expand_entity"], entity="Bob").status == "error"

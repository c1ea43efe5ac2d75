"""One short conversation with the real embedded model doing both LLM jobs
(routing through a JSON-schema grammar, phrasing checked against the tool
outputs): the default Qwen2.5-Coder-0.5B through llama.cpp, over the `fast`
chain's cached result."""
import pytest

from riveg_agent.agent.chat import ChatSession
from riveg_agent.agent.chat.chat_model import LocalChatModel
from riveg_agent.llm.catalogue import DEFAULT_LLM


@pytest.mark.slow
def test_real_model_conversation(fast_pipeline, demo_image, demo_text):
    s = ChatSession(demo_text, demo_image, pipeline=fast_pipeline, router="llm", phrasing="llm",
                    chat_model=LocalChatModel(model=DEFAULT_LLM))
    for question in ("Where is Eileen Collins?", "Where is Barack Obama?"):
        a = s.ask(question)
        assert a.route.source in ("llm", "rules (LLM output unusable)")
        assert [c["name"] for c in a.tool_calls] == ["locate_entity"], a.to_dict()  # logged tool call
        assert a.text
        assert a.phrased_by in ("llm", "template (the LLM reply dropped or added facts)")
        if a.phrased_by != "llm":  # the tool facts are the answer
            assert "Eileen Collins" in a.text or "not mentioned" in a.text
        if question.endswith("Obama?"):
            assert a.boxes == {} and not a.overlays  # nothing grounded for a name not in the post
    assert len(s.transcript.tool_calls()) >= 2

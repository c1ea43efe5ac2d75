"""The pipeline hands the post's knowledge to an Entailment plugin that
declares the `knowledge` keyword, and still runs one that does not."""
from __future__ import annotations

from riveg_agent.pipeline import Pipeline
from riveg_agent.roles import (Caption, Captioner, EntailmentDecision, Entailment, EntitySpan, Expander,
                               ExemplarRetriever, Expression, Grounder, Knowledge,
                               KnowledgeGenerator, Post, Recognizer, Segmenter, takes_knowledge)


class _Nothing(ExemplarRetriever):
    def retrieve(self, post, caption):
        return []


class _Know(KnowledgeGenerator):
    def generate(self, post, caption, exemplars):
        return Knowledge(f"background on {post.id}", "test-prompt")


class _Rec(Recognizer):
    def recognize(self, post, knowledge):
        return [EntitySpan("Ada", "PER", 0, 3)]


class _Exp(Expander):
    def expand(self, post, caption, entities):
        return [Expression(e, "a mathematician") for e in entities]


class _Old(Entailment):  # a plugin written before the keyword existed
    def entail(self, post, caption, expressions):
        return [EntailmentDecision(False, 0.1, "old") for _ in expressions]


class _New(Entailment):
    def __init__(self):
        self.seen = []

    def entail(self, post, caption, expressions, knowledge=None):
        self.seen.append(knowledge)
        return [EntailmentDecision(False, 0.2, "new") for _ in expressions]


class _Unused(Captioner, Grounder, Segmenter):
    def caption(self, image):
        raise AssertionError("no image: no caption")

    def ground(self, post, expressions, decisions):
        raise AssertionError("nothing groundable")

    def segment(self, image, boxes, labels):
        raise AssertionError("nothing to segment")


def _pipeline(entailment: Entailment) -> Pipeline:
    pipe = Pipeline("fast")
    unused = _Unused()
    pipe._plugins.update({"captioner": unused, "exemplars": _Nothing(), "knowledge": _Know(),
                          "recognizer": _Rec(), "expander": _Exp(), "entailment": entailment,
                          "grounder": unused, "segmenter": unused})
    return pipe


def test_knowledge_reaches_an_entailment_plugin_that_asks_for_it():
    new = _New()
    assert takes_knowledge(new) and not takes_knowledge(_Old())
    result = _pipeline(new).run(Post("p1", "Ada wrote the first program", None))
    assert [k.text for k in new.seen] == ["background on p1"]
    assert result.entities[0].evidence == "new"
    old = _pipeline(_Old()).run(Post("p2", "Ada wrote the first program", None))
    assert old.entities[0].evidence == "old"


class _Cap(Captioner):
    def caption(self, image):
        return Caption("a woman at a desk", "test")


class _SpyRec(_Rec):
    def __init__(self):
        self.seen = []

    def recognize(self, post, knowledge):
        self.seen.append(knowledge)
        return super().recognize(post, knowledge)


def test_chat_tools_feed_the_roles_what_the_chain_feeds_them():
    """The LangChain tools give the recognizer the post's knowledge and hand it
    to a knowledge-reading Entailment plugin, generated once per post."""
    from langchain_core.messages import ToolMessage

    from riveg_agent.tools import PostContext, make_tools

    new, rec = _New(), _SpyRec()
    pipe = _pipeline(new)
    pipe._plugins.update({"captioner": _Cap(), "recognizer": rec})
    ctx = PostContext(Post("p3", "Ada wrote the first program", object()))
    tools = {t.name: t for t in make_tools(pipe, ctx)}
    msg = tools["check_in_image"].invoke({"type": "tool_call", "id": "c1", "name": "check_in_image",
                                          "args": {"entity": "Ada"}})
    assert isinstance(msg, ToolMessage) and "not in the picture" in msg.content
    assert [k.text for k in rec.seen] == ["background on p3"]
    assert [k.text for k in new.seen] == ["background on p3"]
    assert ctx.knowledge is not None and ctx.knowledge.text == "background on p3"

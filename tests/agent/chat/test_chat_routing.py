"""Routing: names, pronouns and follow-ups resolved against the post's
entities; the fallback router on the routing set; the LLM router driven by a
scripted fake chat model (its JSON, its failures, the tool list it is given)."""
from paths import CHAT_SETS
import json

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from riveg_agent.agent.chat.llm_router import LLMRouter
from riveg_agent.agent.chat.mentions import find_mentions
from riveg_agent.agent.chat.routing import EXPLAIN, Focus, RuleRouter
from riveg_agent.agent.chat.routing_eval import evaluate, load_set

HERE = CHAT_SETS
DEMO = [("NASA", "ORG"), ("Eileen Collins", "PER"), ("Johnson Space Center", "ORG"), ("Houston", "LOC")]


def test_routing_set_is_big_enough():
    convs = load_set(HERE / "routing_set.jsonl")
    assert len(convs) >= 10 and sum(len(c["turns"]) for c in convs) >= 60
    assert any(c["post"] == "demo-astronaut" for c in convs)


@pytest.mark.parametrize("name", ["routing_set.jsonl", "routing_heldout.jsonl",
                                  "routing_heldout2.jsonl", "routing_heldout3.jsonl",
                                  "routing_dev_v2.jsonl", "routing_dev_v3.jsonl", "routing_dev_v4.jsonl",
                                  "routing_dev_v5.jsonl", "routing_dev_v6.jsonl"])
def test_fallback_router_accuracy(infos, name):
    score = evaluate(RuleRouter(infos), load_set(HERE / name))
    assert score.accuracy >= 0.95, score.misses


def test_mentions_partial_titles_and_other_people():
    assert find_mentions("Where is Collins?", DEMO).known == ["Eileen Collins"]
    assert find_mentions("Where is Barack Obama?", DEMO).unknown == ["Barack Obama"]
    serena = [("Serena Williams", "PER"), ("Wimbledon", "MISC")]
    assert find_mentions("Is Venus Williams there?", serena).unknown == ["Venus Williams"]
    assert find_mentions("Where is Pope Francis?", [("Francis", "PER")]).named == ["Francis"]
    lebron = [("LeBron James", "PER"), ("Lakers", "ORG")]
    assert find_mentions("what's LeBron's location?", lebron).known == ["LeBron James"]
    m = find_mentions("show me her", DEMO)
    assert m.pronoun == "PER" and "ENT" in m.masked


def test_follow_ups_resolve_against_the_focus(infos):
    router, focus = RuleRouter(infos), Focus()
    two = [("Lionel Messi", "PER"), ("Cristiano Ronaldo", "PER"), ("Paris", "LOC")]
    for q, want in [("Where is Messi?", ("locate_entity", ["Lionel Messi"])),
                    ("and the other one?", ("locate_entity", ["Cristiano Ronaldo"])),
                    ("segment him", ("segment_entity", ["Cristiano Ronaldo"])),
                    ("why?", (EXPLAIN, [])),
                    ("what about Paris?", ("segment_entity", ["Paris"]))]:
        route = router.route(q, two, focus)
        assert (route.intent, route.entities) == want, q
        focus.update(route)


def test_plugin_tools_are_learnt_from_their_description(infos):
    assert RuleRouter(infos).route("what colour is this photo?", DEMO, Focus()).intent == "image_colour"
    without = [i for i in infos if i.name != "image_colour"]
    assert RuleRouter(without).route("what colour is this photo?", DEMO, Focus()).intent != "image_colour"


def test_llm_router_uses_the_models_json(infos):
    fake = FakeListChatModel(responses=[json.dumps({"tool": "check_in_image", "entities": ["nasa"]}),
                                        json.dumps({"tool": "segment_entity", "entities": []}),
                                        json.dumps({"tool": "locate_entity", "entities": ["Barack Obama"]})])
    router, focus = LLMRouter(fake, infos), Focus()
    route = router.route("Is NASA in the picture?", DEMO, focus)
    assert (route.intent, route.entities, route.source) == ("check_in_image", ["NASA"], "llm")
    focus.update(route)
    # no names from the model: the question's pronoun is resolved from the focus
    assert router.route("segment her", DEMO, focus).entities == ["Eileen Collins"]
    assert router.route("Where is Barack Obama?", DEMO, focus).entities == ["Barack Obama"]


def test_llm_router_cannot_invent_names_and_falls_back_on_bad_output(infos):
    fake = FakeListChatModel(responses=[json.dumps({"tool": "locate_entity", "entities": ["Neil Armstrong"]}),
                                        "not json"])
    router = LLMRouter(fake, infos)
    # a name the model made up (not in the question, not in the post) is dropped
    assert router.route("Where is she?", DEMO, Focus()).entities == ["Eileen Collins"]
    route = router.route("Where is Eileen Collins?", DEMO, Focus())
    assert route.intent == "locate_entity" and route.source.startswith("rules") and router.failures == 1


def test_llm_router_schema_lists_every_tool(infos):
    router = LLMRouter(FakeListChatModel(responses=["{}"]), infos)
    assert set(router.schema["properties"]["tool"]["enum"]) == {i.name for i in infos} | {EXPLAIN}
    assert "image_colour" in router.head[0].content

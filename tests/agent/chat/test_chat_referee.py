"""The referee (referee.py): the LLM settles a description the rules cannot, under a
grammar of the post's names. A scripted chat model stands in for the LLM; the
tests assert when it is asked, what it is shown, and what its answer may change."""
import json

from langchain_core.language_models.fake_chat_models import FakeListChatModel

from riveg_agent.agent.chat.referee import UNCLEAR, LLMReferee
from riveg_agent.agent.chat.routing import CLARIFY, Focus, RuleRouter, refers_by_description
from riveg_agent.agent.chat.mentions import find_mentions

# A made-up post: which of the two men is "the singer" is said only by "on vocals".
BAND = [("Tariq Osei", "PER"), ("Jonas Berg", "PER"), ("Blue Lantern", "LOC")]
BAND_TEXT = "Tariq Osei on vocals and Jonas Berg on bass tonight at the Blue Lantern."


class ScriptedModel(FakeListChatModel):
    """Answers in turn and keeps what it was asked (the fake ignores the grammar)."""
    asked: list = []

    def invoke(self, messages, **kwargs):
        self.asked.append((messages, kwargs))
        return super().invoke(messages)


def referee(*answers):
    model = ScriptedModel(responses=[json.dumps({"entity": a}) for a in answers])
    model.asked = []
    return LLMReferee(model), model


def test_a_description_the_rules_cannot_settle_goes_to_the_referee(infos):
    ref, model = referee("Tariq Osei")
    plain = RuleRouter(infos).route("where's the singer", BAND, Focus(), BAND_TEXT)
    assert plain.intent == CLARIFY  # the rules alone ask: no word of the post says "singer"
    route = RuleRouter(infos, referee=ref).route("where's the singer", BAND, Focus(), BAND_TEXT)
    assert (route.intent, route.entities) == ("locate_entity", ["Tariq Osei"])
    assert route.source.endswith("referee") and ref.calls == 1
    messages, kwargs = model.asked[0]
    enum = kwargs["json_schema"]["properties"]["entity"]["enum"]
    assert set(enum) == {"Tariq Osei", "Jonas Berg", UNCLEAR}  # the rules' candidates, the people
    assert BAND_TEXT in messages[-1].content and "the singer" in messages[-1].content


def test_unclear_or_a_name_outside_the_candidates_leaves_the_rules_answer(infos):
    for answer in (UNCLEAR, "Ringo Starr", "Blue Lantern"):
        ref, _ = referee(answer)
        route = RuleRouter(infos, referee=ref).route("where's the singer", BAND, Focus(), BAND_TEXT)
        assert route.intent == CLARIFY and route.entities == [], answer


def test_names_pronouns_counts_and_post_words_never_reach_the_referee(infos):
    ref, _ = referee()  # any call would fail: no answers scripted
    router = RuleRouter(infos, referee=ref)
    focus = Focus()
    for q in ("where is Jonas Berg?", "is he in the picture", "are both in the shot",
              "show me the second one", "where's the bass player", "mask the venue"):
        focus.update(router.route(q, BAND, focus, BAND_TEXT))
    assert ref.calls == 0


def test_what_counts_as_a_description():
    def desc(q):
        return refers_by_description(q, find_mentions(q, BAND), BAND)
    assert desc("where's the singer") and desc("is his manager in it") and desc("the guy who booked the gig?")
    assert not desc("where is Jonas?") and not desc("where is he") and not desc("the other one")
    assert not desc("both of them?") and not desc("the woman")


def test_a_pick_made_only_from_the_conversation_goes_to_the_referee_but_a_pronoun_does_not(infos):
    ref, model = referee("Tariq Osei")
    router, focus = RuleRouter(infos, referee=ref), Focus()
    focus.update(router.route("where is Jonas Berg?", BAND, focus, BAND_TEXT))
    # the rules alone would take the person discussed last for "the singer"
    assert RuleRouter(infos).route("is the singer in it", BAND, focus, BAND_TEXT).entities != ["Tariq Osei"]
    route = router.route("is the singer in it", BAND, focus, BAND_TEXT)
    assert (route.intent, route.entities, ref.calls) == ("check_in_image", ["Tariq Osei"], 1)
    route = router.route("is he actually in this photo or is it just the venue", BAND, focus, BAND_TEXT)
    assert ref.calls == 1 and route.entities != ["Blue Lantern"]  # "he" settled it, not the referee


def test_a_description_no_post_word_fits_still_tells_the_intent(infos):
    # "who's the drummer": no one here drums, but the question is still about someone
    route = RuleRouter(infos).route("who's the drummer", BAND, Focus(), BAND_TEXT)
    assert route.intent in ("expand_entity", CLARIFY) and route.source != "rules (unsure what is asked)"
    assert route.intent == "expand_entity" or route.pending == "expand_entity"
    # a plugin tool's subject is not someone: "and the main colour?" keeps its own tool
    focus = Focus()
    router = RuleRouter(infos)
    focus.update(router.route("what is in the picture?", BAND, focus, BAND_TEXT))
    assert router.route("and the main colour?", BAND, focus, BAND_TEXT).intent == "image_colour"

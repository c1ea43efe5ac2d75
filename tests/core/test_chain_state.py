"""The chain state: every role gets the inputs its signature declares (the
post's knowledge and the image evidence included), stages run lazily and
once, injected plugins replace configured ones, and a plugin that returns
the wrong number of items fails loudly."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from fakes import BoxSegmenter, fake_plugins
from riveg_agent.core.errors import PluginError
from riveg_agent.core.pipeline import Pipeline, make_post
from riveg_agent.core.roles import Expander, Grounder
from riveg_agent.core.state import STAGES, ChainState


def _plugins(**over):
    return fake_plugins(**over)


@pytest.fixture
def picture():
    return Image.new("RGB", (12, 10), (90, 40, 20))


def test_every_role_gets_what_its_signature_declares(picture):
    p = _plugins()
    nlp = Pipeline("fast", plugins=p)
    result = nlp("Ada wrote the first program", image=picture)
    knowledge, evidence = p["entailment"].seen[0]
    assert knowledge.text == "background on Ada" and evidence.faces[0].label == "face"
    assert [k.text for k in p["recognizer"].seen] == ["background on Ada"]
    assert result.caption == "1 face(s), a desk"
    ent = result.entities[0]
    assert ent.box == (1.0, 1.0, 5.0, 5.0) and ent.mask is not None
    assert "box: the only face" in ent.evidence
    # provenance says which plugins were injected, not what the config names
    assert "injected" in result.provenance.plugins["grounder"]


def test_stages_run_lazily_and_once(picture):
    p = _plugins()
    nlp = Pipeline("fast", plugins=p)
    state = nlp.run_state(make_post("p", "Ada wrote", picture), until="recognizer")
    assert state.done == list(STAGES[:STAGES.index("recognizer") + 1])
    assert p["expander"].calls == 0 and p["entailment"].calls == 0
    nlp.advance(state, "grounder")
    nlp.advance(state)
    assert state.done == list(STAGES)
    assert [p[r].calls for r in ("detector", "captioner", "recognizer", "expander", "entailment",
                                 "grounder", "segmenter")] == [1] * 7
    assert state.boxes == [(1, 1, 5, 5)]


def test_no_image_no_vision_stages_no_entities_no_entity_stages():
    p = _plugins()
    nlp = Pipeline("fast", plugins=p)
    r = nlp("nothing to find here")  # the fake recognizer finds only "Ada"
    assert r.entities == [] and r.image is None and r.caption is None
    assert p["detector"].calls == 0 and p["expander"].calls == 0 and p["entailment"].calls == 0


class _Short(Expander):
    def expand(self, post, caption, entities):
        return []  # drops the entity


class _TooMany(Grounder):
    def ground(self, post, expressions, decisions, evidence=None):
        return [None, None]


@pytest.mark.parametrize("role,plugin", [("expander", _Short()), ("grounder", _TooMany())])
def test_a_plugin_returning_the_wrong_count_fails_loudly(role, plugin, picture):
    nlp = Pipeline("fast", plugins=_plugins(**{role: plugin}))
    with pytest.raises(PluginError, match=f"{role}.*returned .* for 1 entities"):
        nlp("Ada wrote the first program", image=picture)


def test_an_injected_plugin_must_implement_its_role():
    from riveg_agent.core.errors import RegistryError
    with pytest.raises(RegistryError, match="does not implement Grounder"):
        Pipeline("fast", plugins={"grounder": BoxSegmenter()})


def test_for_text_keeps_the_image_work_and_redoes_the_rest(picture):
    p = _plugins()
    nlp = Pipeline("fast", plugins=p)
    state = nlp.run_state(make_post("p", "Ada wrote", picture))
    other = nlp.advance(state.for_text("nobody here"), "recognizer")
    assert other.evidence is state.evidence and other.caption is state.caption
    assert other.entities == [] and p["detector"].calls == 1 and p["captioner"].calls == 1


def test_chain_runnable_is_the_same_stages(picture):
    nlp = Pipeline("fast", plugins=_plugins())
    state = nlp.chain().invoke(make_post("p", "Ada wrote", picture))
    assert isinstance(state, ChainState) and state.done == list(STAGES)
    assert nlp.to_result(state).entities[0].text == "Ada"


def test_pipe_keeps_order_and_records_errors(picture):
    nlp = Pipeline("fast", plugins=_plugins())
    out = list(nlp.pipe([{"id": "a", "text": "Ada one", "image": picture}, "plain text",
                         {"id": "bad", "text": ""}, ("Ada two", None)], batch_size=3, on_error="record"))
    assert [r.id for r in out] == ["a", "post-1", "bad", "post-3"]
    assert out[2].kind == "riveg-agent/error" and "text is empty" in out[2].error.message
    assert [len(r.entities) for r in (out[0], out[1], out[3])] == [1, 0, 1]
    with pytest.raises(Exception, match="text is empty"):
        list(nlp.pipe([{"id": "bad", "text": ""}]))


def test_result_refuses_an_entity_that_is_not_a_slice_of_the_text():
    from pydantic import ValidationError

    from riveg_agent.core.schema import Entity, Provenance, Result
    prov = Provenance(plugins={}, config_name="x", config_hash="0", riveg_agent_version="0")
    with pytest.raises(ValidationError, match="is not text"):
        Result(id="p", text="Ada wrote", provenance=prov,
               entities=[Entity(text="Bob", type="PER", start=0, end=3, expression="Bob (PER)")])


def test_expansions_run_only_for_a_consumer_unless_asked():
    from fakes import FaceGrounder, FakeEntailment, FakeExpander, fake_plugins

    from riveg_agent.core.config import load_config
    from riveg_agent.core.pipeline import Pipeline, make_post

    class TypeOnlyVE(FakeEntailment):
        reads_expansions = False

    class TypeOnlyVG(FaceGrounder):
        reads_expansions = False

    def pipe(mode, **over):
        cfg = load_config("fast")
        cfg.expansions = mode
        expander = FakeExpander()
        return Pipeline(cfg, plugins=fake_plugins(expander=expander, **over)), expander

    nlp, expander = pipe("auto", entailment=TypeOnlyVE(), grounder=TypeOnlyVG())
    result = nlp("Ada writes")
    assert expander.calls == 0 and result.entities[0].expression == "Ada (PER)"
    assert result.entities[0].expansion is None
    state = nlp.run_state(make_post("p", "Ada again"))
    nlp.expand(state)  # on demand (the chat's "what is Ada?")
    assert expander.calls == 1 and state.expressions[0].text == "Ada (PER) – a mathematician"
    nlp.expand(state)
    assert expander.calls == 1  # once per state

    nlp, expander = pipe("auto", grounder=TypeOnlyVG())  # this VE reads them
    nlp("Ada writes")
    assert expander.calls == 1
    nlp, expander = pipe("always", entailment=TypeOnlyVE(), grounder=TypeOnlyVG())
    assert nlp("Ada writes").entities[0].expansion == "a mathematician"
    nlp, expander = pipe("never")
    nlp("Ada writes")
    assert expander.calls == 0


def test_an_unknown_expansions_mode_is_a_config_error():
    from riveg_agent.core.config import parse_config
    from riveg_agent.core.errors import ConfigError

    with pytest.raises(ConfigError, match="expansions"):
        parse_config({"expansions": "sometimes", "pipeline": {}}, "test")

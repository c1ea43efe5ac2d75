"""Contract tests over the plugin surface: any usable plugin of a role,
built-in or third-party, must pass its role's test."""
import pytest

from riveg_agent.images import load_image
from riveg_agent.pipeline import make_post
from riveg_agent.registry import Registry
from riveg_agent.roles import (ROLE_CLASSES, Caption, EntailmentDecision, EntitySpan, Exemplar,
                               Expression, Knowledge)
from riveg_agent.schema import ENTITY_TYPES, ModelRef

FAST_LLM = "smollm2-135m-instruct-q4_1"

REGISTRY = Registry()
# Parameters that keep contract runs quick (the small test LLM).
OVERRIDES = {"riveg.llama_knowledge.v1": {"model": FAST_LLM, "max_tokens": 32},
             "riveg.llama_expander.v1": {"model": FAST_LLM}}
TEXT = "NASA astronaut Eileen Collins visits Houston."


def usable(role):
    specs = [s for s in REGISTRY.all() if s.role == role and s.availability() is None]
    return pytest.mark.parametrize("spec", specs, ids=[s.name for s in specs])


def build(spec):
    plugin = spec.factory(**OVERRIDES.get(spec.name, {}))
    assert isinstance(plugin, ROLE_CLASSES[spec.role])
    assert all(isinstance(m, ModelRef) for m in plugin.models())
    return plugin


@pytest.fixture(scope="module")
def post(demo_image):
    return make_post("c1", TEXT, load_image(demo_image))


def ents():
    return [EntitySpan("NASA", "ORG", 0, 4), EntitySpan("Eileen Collins", "PER", 15, 29)]


@usable("captioner")
def test_captioner(spec, post):
    cap = build(spec).caption(post.image)
    assert isinstance(cap, Caption) and cap.text.strip()


@usable("exemplars")
def test_exemplars(spec, post):
    found = build(spec).retrieve(post, None)
    assert found and all(isinstance(e, Exemplar) and e.text and e.annotation for e in found)
    scores = [e.score for e in found]
    assert scores == sorted(scores, reverse=True)


@usable("knowledge")
def test_knowledge(spec, post):
    plugin = build(spec)
    k = plugin.generate(post, Caption("a photo of a person", "t"), [])
    assert isinstance(k, Knowledge) and k.text.startswith("Named entities:")
    assert k.prompt_id in plugin.prompts()


@usable("recognizer")
def test_recognizer(spec, post):
    spans = build(spec).recognize(post, None)
    assert spans, "should find the entities of a plain sentence"
    for s in spans:
        assert post.text[s.start:s.end] == s.text and s.type in ENTITY_TYPES
    assert ("Eileen Collins", "PER") in {(s.text, s.type) for s in spans}


@usable("expander")
def test_expander(spec, post):
    out = build(spec).expand(post, Caption("a photo of a person", "t"), ents())
    assert [e.entity.text for e in out] == ["NASA", "Eileen Collins"]
    for e in out:
        assert isinstance(e, Expression) and e.expansion and "\n" not in e.expansion
        assert e.text.startswith(f"{e.entity.text} ({e.entity.type}) – ")


@usable("entailment")
def test_entailment(spec, post):
    exprs = [Expression(e, "something") for e in ents()]
    out = build(spec).entail(post, None, exprs)
    assert len(out) == 2 and all(isinstance(d, EntailmentDecision) for d in out)
    assert all(0.0 <= d.score <= 1.0 for d in out)
    no_image = build(spec).entail(make_post("c2", TEXT, None), None, exprs)
    assert not any(d.groundable for d in no_image)


@usable("grounder")
def test_grounder(spec, post):
    exprs = [Expression(e, "x") for e in ents()]
    decisions = [EntailmentDecision(False, 0.1), EntailmentDecision(True, 0.9)]
    boxes = build(spec).ground(post, exprs, decisions)
    assert len(boxes) == 2 and boxes[0] is None
    x1, y1, x2, y2 = boxes[1]
    assert 0 <= x1 < x2 <= post.image.width and 0 <= y1 < y2 <= post.image.height


@usable("segmenter")
def test_segmenter(spec, post):
    masks = build(spec).segment(post.image, [None, (60, 40, 380, 500)], [None, "person"])
    assert masks[0] is None
    assert masks[1].shape == (post.image.height, post.image.width) and masks[1].dtype == bool
    inside = masks[1][40:500, 60:380].sum()
    assert inside > 0 and inside == masks[1].sum(), "mask must stay inside its box"

import pytest

from riveg_agent.core.registry import Registry
from riveg_agent.core.roles import Knowledge, Post, Recognizer
from riveg_plugins import crf_ner


def test_tokenize_offsets_cover_the_text():
    text = "RT @john_d: #NBA Kawhi Leonard’s U.S. trip 2.00 https://t.co/x  ok"
    toks = crf_ner.tokenize(text)
    assert all(text[s:e] == w for w, s, e in toks)
    words = [w for w, _, _ in toks]
    assert words[:6] == ["RT", "@", "john_d", ":", "#", "NBA"]
    assert "https://t.co/x" in words and "2.00" in words and "’" in words


@pytest.fixture
def saved_tiny(tiny_model, tmp_path):
    from riveg_agent.ner import io
    model, tok = tiny_model
    io.save(model, tok, tmp_path / "tiny", extra={"dataset": "twitter2017"})
    return str(tmp_path / "tiny")


def test_plugin_maps_entity_tokens_to_character_offsets(saved_tiny, monkeypatch):
    """With a stand-in tagger (capitalised words are PER, runs merge), the
    spans must be exact slices of the raw text, across odd spacing."""
    import riveg_agent.ner.predict as predict

    def fake(model, tok, items, batch_size=32, subwords=None):
        out = []
        for words, _ in items:
            tags, prev = [], False
            for w in words:
                cap = w[:1].isupper()
                tags.append(("I-PER" if prev else "B-PER") if cap else "O")
                prev = cap
            out.append(tags)
        return out, [1.0] * len(out)

    monkeypatch.setattr(predict, "predict_with_confidence", fake)
    rec = crf_ner.factory(model=saved_tiny)
    text = "astronaut  Eileen   Collins visits #Houston, ok"
    spans = rec.recognize(Post("p", text), Knowledge("Eileen Collins (person)", "k"))
    assert [(s.text, s.start, s.end) for s in spans] == [
        ("Eileen   Collins", 11, 27), ("Houston", 36, 43)]
    assert all(text[s.start:s.end] == s.text for s in spans)


def test_plugin_real_tagger_spans_are_slices(saved_tiny):
    rec = crf_ner.factory(model=saved_tiny, use_knowledge=False)
    assert isinstance(rec, Recognizer)
    text = "Kawhi Leonard wins in Toronto with the #NBA"
    for know in (None, Knowledge("Kawhi Leonard (person)", "k")):
        for s in rec.recognize(Post("p", text), know):
            assert text[s.start:s.end] == s.text and s.type in ("PER", "LOC", "ORG", "MISC")
    ref = rec.models()[0]
    assert ref.name == "riveg/tiny" and len(ref.sha256) == 64


def test_registered_under_its_versioned_name():
    spec = Registry().get("recognizer", "riveg.plim_crf_ner.v1")
    assert spec.module == "riveg_plugins.crf_ner"
    assert set(spec.parameters()) >= {"model", "use_knowledge"}


def test_check_names_a_missing_model():
    from riveg_agent.ner.locate import resolve_model
    from riveg_agent.core.registry import default_registry, requires
    assert default_registry().get("recognizer", "riveg.plim_crf_ner.v1").availability() is None
    reason = requires(("torchcrf",), lambda: resolve_model("no-such-model"))()
    assert reason and "no-such-model" in reason


def test_adaptive_knowledge_skips_the_llm_only_for_a_sure_post(tmp_path):
    """needs_knowledge compares the CRF's text-only path probability with the
    threshold; the chain then runs no exemplar and no knowledge stage."""
    from fakes import FakeKnowledge, fake_plugins

    from riveg_agent.core.pipeline import Pipeline, make_post
    from riveg_plugins.crf_ner import CrfRecognizer

    rec = CrfRecognizer(knowledge_threshold=None)
    post = make_post("p", "Kawhi Leonard wins in Toronto")
    p = rec.confidence(post)
    assert 0.0 < p <= 1.0
    assert rec.needs_knowledge(post)  # no threshold: always
    assert not CrfRecognizer(knowledge_threshold=p).needs_knowledge(post)
    assert CrfRecognizer(knowledge_threshold=min(1.0, p + 1e-6)).needs_knowledge(post)

    knowledge = FakeKnowledge()
    nlp = Pipeline("fast", plugins=fake_plugins(recognizer=CrfRecognizer(knowledge_threshold=p),
                                                knowledge=knowledge))
    state = nlp.run_state(post)
    assert state.knowledge_skipped and state.knowledge is None and knowledge.calls == 0
    assert [e.text for e in state.entities] == [e.text for e in rec.recognize(post, None)]
    nlp.generate_knowledge(state)  # the chat's tool asks for it anyway
    assert knowledge.calls == 1 and state.knowledge is not None and not state.knowledge_skipped


def test_the_recorded_licence_names_the_encoder_the_model_was_tuned_from(tmp_path):
    """Provenance is per model folder: an MPNet model must not be recorded as MiniLM's."""
    import json

    from riveg_plugins.crf_ner import licence
    for encoder, base in (("mpnet", "sentence-transformers all-mpnet-base-v2"),
                          ("minilm", "sentence-transformers all-MiniLM-L6-v2"), (None, "an unnamed encoder")):
        (tmp_path / "ner_config.json").write_text(json.dumps({"ner_config": {"encoder": encoder}}))
        text = licence(tmp_path)
        assert f"fine-tuned from {base}" in text and text.startswith("Apache-2.0"), text

"""VE: D_GMNER(VE) reader, metrics, training with a tiny encoder, save/load,
`riveg eval ve`, and the caption_ve plugin over the trained folder."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from riveg_agent.cli import app
from riveg_agent.core.errors import RivegError
from riveg_agent.core.roles import Caption, EntitySpan, Expression, Post
from riveg_agent.ve.data import load_ve_split, read_long_captions
from riveg_agent.ve.evaluate import best_threshold, metrics
from riveg_agent.ve.train import VeTrainConfig, train

DATA = Path(__file__).parent / "fixtures" / "data"


def test_examples_one_per_entity_labelled_by_xml_names():
    ex = load_ve_split(DATA, "dev")
    assert [(e.image, e.entity, e.type, e.label) for e in ex] == [
        ("devp1", "Kawhi Leonard", "PER", 1), ("devp1", "Toronto", "LOC", 0),
        ("devp2", "nba", "ORG", 0), ("devp2", "Golden State Warriors", "ORG", 0),
        ("devp3", "Paris", "LOC", 0), ("devp4", "Blackburn", "LOC", 0),
        ("devp4", "Leonard", "PER", 1), ("devp6", "Toronto", "ORG", 1)]
    first = ex[0]
    assert first.text == "Kawhi Leonard celebrates in Toronto"
    # short BLIP-2 caption, then the long description (both paragraphs, one line)
    assert first.caption == ("a man holding a trophy. The image shows a basketball player raising "
                             "a trophy in an arena. Second paragraph of devp1.")
    assert first.expression == "Kawhi Leonard (PER)"


def test_expansions_join_the_referring_expression(tmp_path):
    f = tmp_path / "dev.jsonl"
    f.write_text(json.dumps({"image": "devp1", "entity": "Kawhi Leonard", "type": "PER",
                             "expansion": "A basketball player"}) + "\n", encoding="utf-8")
    ex = load_ve_split(DATA, "valid", f)
    assert ex[0].expression == "Kawhi Leonard (PER) – A basketball player"
    assert ex[1].expression == "Toronto (LOC)"
    f.write_text("{not json\n", encoding="utf-8")
    with pytest.raises(RivegError, match="dev.jsonl:1"):
        load_ve_split(DATA, "dev", f)


def test_missing_split_names_the_file(tmp_path):
    with pytest.raises(RivegError, match="twitter-gmner/txt/test.txt"):
        load_ve_split(tmp_path, "test")
    with pytest.raises(RivegError, match="unknown split"):
        load_ve_split(DATA, "holdout")


def test_long_captions_span_lines(tmp_path):
    p = tmp_path / "c.txt"
    p.write_text("imgid:1###first line\nsecond line\nimgid:O_2###other\n", encoding="utf-8")
    assert read_long_captions(p) == {"1": "first line second line", "O_2": "other"}


def test_metrics_and_threshold_by_hand():
    ex = load_ve_split(DATA, "dev")  # labels 1 0 0 0 0 0 1 1
    probs = [0.9, 0.2, 0.6, 0.1, 0.3, 0.35, 0.7, 0.4]
    m = metrics(ex, probs, 0.5)
    # predicted 1 0 1 0 0 0 1 0 -> right 6/8; tp 2, fp 1 ('nba'), fn 1 (the last)
    assert m["accuracy"] == 0.75
    assert m["groundable"]["precision"] == pytest.approx(2 / 3)
    assert m["groundable"]["recall"] == pytest.approx(2 / 3)
    assert m["majority_accuracy"] == 5 / 8
    assert m["per_type_accuracy"]["PER"] == 1.0
    # 0.35 < t <= 0.4 gets all but 'nba' (0.6) right: 7/8; the tie closest to 0.5 is 0.4
    t = best_threshold(ex, probs)
    assert t == 0.4 and metrics(ex, probs, t)["accuracy"] == 7 / 8


def _cfg(tiny_tokenizer_dir, tiny_config, out, **kw) -> VeTrainConfig:
    base = dict(encoder=str(tiny_tokenizer_dir), encoder_config=dict(tiny_config), out_dir=str(out),
                max_length=64, batch_size=4, epochs=2, lr=1e-3, head_lr=1e-2, checkpoint_every=1,
                log_every=1, patience=5, threads=1)
    base.update(kw)
    return VeTrainConfig(**base)


@pytest.fixture(scope="module")
def trained(tiny_tokenizer_dir, tiny_config, tmp_path_factory):
    out = tmp_path_factory.mktemp("ve") / "model"
    summary = train(_cfg(tiny_tokenizer_dir, tiny_config, out), DATA, progress=False)
    return out, summary


def test_training_saves_the_best_dev_model_with_its_threshold(trained):
    out, summary = trained
    saved = json.loads((out / "ve_config.json").read_text())
    assert len(summary["history"]) == 2
    assert saved["best_epoch"] == summary["best_epoch"]
    assert saved["ve_config"]["threshold"] == summary["history"][saved["best_epoch"] - 1]["threshold"]
    assert "twitter-gmner/txt/train.txt" in saved["data_sha256"]
    assert (out / "model.safetensors").is_file() and (out / "train.log").is_file()
    assert not list(out.glob("*.bin")) and not list(out.glob("*.pkl"))


def test_loaded_model_scores_like_the_trained_one(trained):
    from riveg_agent.ve import io
    from riveg_agent.ve.train import predict
    out, _ = trained
    m1, tok1, _ = io.load(str(out))
    m2, tok2, _ = io.load(str(out))
    ex = load_ve_split(DATA, "test")
    p1, p2 = predict(m1, tok1, ex), predict(m2, tok2, ex)
    assert p1 == pytest.approx(p2) and all(0.0 <= p <= 1.0 for p in p1)


def test_existing_checkpoint_needs_resume(trained, tiny_tokenizer_dir, tiny_config):
    out, _ = trained
    from riveg_agent.core.errors import ConfigError
    with pytest.raises(ConfigError, match="--resume"):
        train(_cfg(tiny_tokenizer_dir, tiny_config, out), DATA, progress=False)
    summary = train(_cfg(tiny_tokenizer_dir, tiny_config, out), DATA, resume=True, progress=False)
    assert len(summary["history"]) == 2  # already done: nothing retrained


def test_resume_after_interruption_continues_the_run(tiny_tokenizer_dir, tiny_config, tmp_path):
    out = tmp_path / "m"
    train(_cfg(tiny_tokenizer_dir, tiny_config, out, epochs=1), DATA, progress=False)
    # the same folder, asked for one more epoch: training continues from epoch 2
    summary = train(_cfg(tiny_tokenizer_dir, tiny_config, out, epochs=2), DATA, resume=True,
                    progress=False)
    assert [h["epoch"] for h in summary["history"]] == [1, 2]


def test_eval_ve_cli_prints_metrics(trained):
    out, _ = trained
    res = CliRunner().invoke(app, ["eval", "ve", "--model", str(out), "--split", "test",
                                   "--data-dir", str(DATA), "--threads", "1"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["n"] == 8 and 0.0 <= data["accuracy"] <= 1.0
    assert data["majority_accuracy"] == 5 / 8 and set(data["per_type_accuracy"]) == {"PER", "LOC", "ORG"}


def test_eval_ve_cli_unknown_model_is_a_clear_error():
    res = CliRunner().invoke(app, ["eval", "ve", "--model", "/no/such/ve", "--data-dir", str(DATA)])
    assert res.exit_code != 0 and "VE model '/no/such/ve'" in res.output


def _expr(text: str, typ: str) -> Expression:
    return Expression(EntitySpan(text, typ, 0, len(text)), "a person")


def test_caption_ve_plugin_decides_with_the_model_threshold(trained):
    from riveg_plugins.caption_ve import factory
    out, _ = trained
    ve = factory(model=str(out), threshold=None)
    post = Post("r1", "Kawhi Leonard celebrates in Toronto", None)
    decisions = ve.entail(post, Caption("a man holding a trophy", "test"),
                          [_expr("Kawhi Leonard", "PER"), _expr("Toronto", "LOC")])
    saved = json.loads((out / "ve_config.json").read_text())["ve_config"]["threshold"]
    assert len(decisions) == 2
    for d in decisions:
        assert d.groundable == (d.score >= saved)
        assert "caption cross-encoder" in d.evidence and "a man holding a trophy" in d.evidence
    forced = factory(model=str(out), threshold=0.0)
    assert all(d.groundable for d in forced.entail(post, Caption("x", "t"), [_expr("Toronto", "LOC")]))
    # no image and no caption: nothing can be in the picture
    assert not ve.entail(post, None, [_expr("Toronto", "LOC")])[0].groundable
    refs = ve.models()
    assert refs[0].sha256 and refs[0].license.startswith("Apache-2.0")


def test_caption_ve_is_registered_and_checks_its_model():
    from riveg_agent.core.registry import default_registry, requires
    from riveg_agent.ve.io import resolve_model
    reg = default_registry()
    assert "riveg.caption_ve.v1" in reg.names("entailment")
    assert reg.get("entailment", "riveg.caption_ve.v1").availability() is None  # the shipped model
    assert "VE model '/nope'" in requires(("safetensors",), lambda: resolve_model("/nope"))()


def test_end_to_end_records_score_with_the_paper_rule(trained, tiny_model, tmp_path):
    """NER (tiny tagger) + VE (tiny cross-encoder) over the fixture's test split:
    one schema-valid result per tweet, scored by `flag`."""
    from riveg_agent.ner import io as ner_io
    from riveg_agent.core.schema import Result
    from riveg_agent.scoring.gold import read_gold
    from riveg_agent.scoring.predictions import read_predictions
    from riveg_agent.scoring.report import evaluate
    from riveg_agent.ve.end_to_end import gmner_predictions
    ve_dir, _ = trained
    tagger, tok = tiny_model
    ner_io.save(tagger, tok, tmp_path / "ner", extra={"dataset": "twitter-gmner"})
    records = list(gmner_predictions(DATA, "test", ner_model=str(tmp_path / "ner"), ve_model=str(ve_dir),
                                     knowledge="none", threads=1))
    assert [r["id"] for r in records] == [f"testp{i}" for i in range(1, 7)]
    for r in records:
        Result.model_validate(r)
        for e in r["entities"]:
            assert r["text"][e["start"]:e["end"]] == e["text"]
            assert e["expression"] == f"{e['text']} ({e['type']})" and 0 <= e["score"] <= 1
        # the provenance names the plugins that ran, and the config they ran under
        assert r["provenance"]["plugins"]["captioner"] == "riveg.dataset_caption.v1"
        assert r["provenance"]["config_name"] == "gmner-test-dataset-inputs"
    out = tmp_path / "pred.jsonl"
    out.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    res = evaluate("flag", read_gold(DATA / "twitter-gmner/txt/test.txt"), read_predictions(out))
    assert res["gold"] == 8 and res["predicted"] == sum(len(r["entities"]) for r in records)
    # a NER model trained on Twitter-2017 has seen GMNER test tweets
    ner_io.save(tagger, tok, tmp_path / "leaky", extra={"dataset": "twitter2017"})
    with pytest.raises(RivegError, match="leaky"):
        list(gmner_predictions(DATA, "test", ner_model=str(tmp_path / "leaky"), ve_model=str(ve_dir),
                               knowledge="none", threads=1))


# -- the post's auxiliary knowledge (fixture knowledge files written by hand
# in the dataset's layout: tweet tokens, <EOS>, knowledge tokens) -----------

def test_knowledge_is_read_per_tweet_in_order():
    plain = load_ve_split(DATA, "dev")
    known = load_ve_split(DATA, "dev", knowledge=True)
    assert [(e.image, e.entity) for e in known] == [(e.image, e.entity) for e in plain]
    assert all(e.knowledge == "" for e in plain)
    assert known[0].knowledge.startswith("Named entities: the post devp1 mentions Kawhi")
    assert known[-1].image == "devp6" and "post devp6" in known[-1].knowledge


def test_knowledge_dropout_and_unchanged_order_without_knowledge(tiny_tokenizer_dir, tiny_config,
                                                                 tmp_path):
    from riveg_agent.ve.train import _batches
    cfg = _cfg(tiny_tokenizer_dir, tiny_config, tmp_path, batch_size=2, knowledge_dropout=0.5)
    known = load_ve_split(DATA, "train", knowledge=True) * 20
    shown = [e for b in _batches(known, cfg, 0) for e in b]
    dropped = sum(1 for e in shown if not e.knowledge)
    assert 0.3 * len(shown) < dropped < 0.7 * len(shown)
    # examples with nothing to drop draw no random numbers: the same batches as before
    plain = load_ve_split(DATA, "train")
    assert _batches(plain, cfg, 0) == _batches(plain, _cfg(tiny_tokenizer_dir, tiny_config, tmp_path,
                                                            batch_size=2), 0)


@pytest.fixture(scope="module")
def trained_with_knowledge(tiny_tokenizer_dir, tiny_config, tmp_path_factory):
    out = tmp_path_factory.mktemp("ve-knowledge") / "model"
    train(_cfg(tiny_tokenizer_dir, tiny_config, out, knowledge=True, knowledge_dropout=0.0),
          DATA, progress=False)
    return out


def test_a_knowledge_model_reads_it_in_eval_and_in_the_plugin(trained_with_knowledge):
    from riveg_agent.core.roles import Knowledge
    from riveg_plugins.caption_ve import factory
    out = trained_with_knowledge
    saved = json.loads((out / "ve_config.json").read_text())
    assert saved["ve_config"]["use_knowledge"] is True
    assert "twitter-gmner/knowledge/train.txt" in saved["data_sha256"]
    runs = {}
    for flag in ("dataset", "none"):
        res = CliRunner().invoke(app, ["eval", "ve", "--model", str(out), "--split", "test",
                                       "--data-dir", str(DATA), "--threads", "1",
                                       "--knowledge", flag])
        assert res.exit_code == 0, res.output
        runs[flag] = json.loads(res.stdout)
        assert runs[flag]["knowledge"] == flag
    post = Post("r1", "Kawhi Leonard celebrates in Toronto", None)
    cap = Caption("a man holding a trophy", "test")
    know = Knowledge("Kawhi Leonard is a basketball player; the image shows him", "k")
    ve = factory(model=str(out))
    with_k = ve.entail(post, cap, [_expr("Toronto", "LOC")], knowledge=know)[0]
    without = ve.entail(post, cap, [_expr("Toronto", "LOC")])[0]
    assert with_k.score != without.score
    assert "and its knowledge" in with_k.evidence and "and its knowledge" not in without.evidence
    off = factory(model=str(out), knowledge=False)
    assert off.entail(post, cap, [_expr("Toronto", "LOC")], knowledge=know)[0].score == \
        pytest.approx(without.score)


def test_a_caption_only_model_ignores_knowledge(trained):
    from riveg_agent.core.roles import Knowledge
    from riveg_plugins.caption_ve import factory
    out, _ = trained
    ve = factory(model=str(out))
    post, cap = Post("r1", "Kawhi Leonard in Toronto", None), Caption("a man", "test")
    a = ve.entail(post, cap, [_expr("Toronto", "LOC")], knowledge=Knowledge("anything at all", "k"))[0]
    b = ve.entail(post, cap, [_expr("Toronto", "LOC")])[0]
    assert a.score == pytest.approx(b.score) and "and its knowledge" not in a.evidence


def test_init_from_starts_at_the_given_model(trained, tiny_tokenizer_dir, tiny_config, tmp_path):
    from riveg_agent.ve import io
    from riveg_agent.ve.train import predict
    base, _ = trained
    out = tmp_path / "continued"
    # learning rates of zero: the continued model is the starting model
    train(_cfg(tiny_tokenizer_dir, tiny_config, out, init_from=str(base), epochs=1, lr=0.0,
               head_lr=0.0, dropout=0.0), DATA, progress=False)
    assert "weights from" in (out / "train.log").read_text()
    ex = load_ve_split(DATA, "test")
    m0, t0, _ = io.load(str(base))
    m1, t1, _ = io.load(str(out))
    assert predict(m1, t1, ex) == pytest.approx(predict(m0, t0, ex), abs=2e-3)


def test_expression_form_follows_the_training(trained, tiny_tokenizer_dir, tiny_config, tmp_path):
    """A model trained without expansions reads `Name (TYPE)` at run time (the
    expansion changes nothing); one trained with them reads the whole expression.
    Folders saved before `use_expansions` existed get it from their training config."""
    from riveg_agent.ve import io
    from riveg_plugins.caption_ve import _cache, factory
    out, _ = trained
    assert io.load(str(out))[0].config.use_expansions is False
    post, cap = Post("r1", "Kawhi Leonard celebrates in Toronto", None), Caption("a man", "test")
    bare = factory(model=str(out))
    a = bare.entail(post, cap, [Expression(EntitySpan("Toronto", "LOC", 28, 35), "a city in Canada")])[0]
    b = bare.entail(post, cap, [Expression(EntitySpan("Toronto", "LOC", 28, 35), "a trophy")])[0]
    assert a.score == pytest.approx(b.score) and "for 'Toronto (LOC)'" in a.evidence

    exp_dir = tmp_path / "expansions"
    exp_dir.mkdir()
    for split in ("train", "dev"):
        rows = [{"image": e.image, "entity": e.entity, "type": e.type, "expansion": "a thing"}
                for e in load_ve_split(DATA, split)]
        (exp_dir / f"{split}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    with_exp = tmp_path / "with"
    train(_cfg(tiny_tokenizer_dir, tiny_config, with_exp, epochs=1, expansions_dir=str(exp_dir)),
          DATA, progress=False)
    assert json.loads((with_exp / "ve_config.json").read_text())["ve_config"]["use_expansions"] is True
    full = factory(model=str(with_exp))
    a = full.entail(post, cap, [Expression(EntitySpan("Toronto", "LOC", 28, 35), "a city in Canada")])[0]
    b = full.entail(post, cap, [Expression(EntitySpan("Toronto", "LOC", 28, 35), "a trophy")])[0]
    assert a.score != pytest.approx(b.score, abs=1e-7)
    assert "for 'Toronto (LOC) – a city in Canada'" in a.evidence

    # an old folder: no use_expansions field, training config with expansions_dir
    saved = json.loads((with_exp / "ve_config.json").read_text())
    del saved["ve_config"]["use_expansions"]
    (with_exp / "ve_config.json").write_text(json.dumps(saved))
    _cache.pop(str(with_exp), None)
    assert io.load(str(with_exp))[0].config.use_expansions is True


def test_description_dropout_shows_the_one_line_caption(tiny_tokenizer_dir, tiny_config, tmp_path):
    """A share of training examples sees the BLIP-2 caption alone, the form a
    run-time Captioner gives; off by default, without changing the batches."""
    from riveg_agent.ve.train import _batches
    plain = load_ve_split(DATA, "train")
    assert all(e.short_caption and e.caption.startswith(e.short_caption) for e in plain)
    assert any(len(e.caption) > len(e.short_caption) for e in plain)
    cfg = _cfg(tiny_tokenizer_dir, tiny_config, tmp_path, batch_size=2, description_dropout=0.5)
    shown = [e for b in _batches(plain * 20, cfg, 0) for e in b]
    one_line = sum(1 for e in shown if e.caption == e.short_caption)
    assert 0.3 * len(shown) < one_line < 0.7 * len(shown)
    off = _cfg(tiny_tokenizer_dir, tiny_config, tmp_path, batch_size=2)
    assert all(e.caption != e.short_caption for b in _batches(plain, off, 0) for e in b
               if len(e.caption) > len(e.short_caption))

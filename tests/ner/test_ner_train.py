import json
from pathlib import Path

import pytest

from riveg_agent.core.errors import ConfigError
from riveg_agent.ner.train import TrainConfig, train

DATA = Path(__file__).parent / "fixtures" / "data"


def _cfg(tiny_tokenizer_dir, tiny_config, out, **kw):
    base = dict(dataset="twitter2017", encoder=str(tiny_tokenizer_dir),
                encoder_config=dict(tiny_config), out_dir=str(out), max_length=64,
                batch_size=2, epochs=2, lr=1e-3, head_lr=1e-2, checkpoint_every=1,
                log_every=1, patience=5, threads=1)
    base.update(kw)
    return TrainConfig(**base)


def test_train_saves_best_model_log_and_hashes(tiny_tokenizer_dir, tiny_config, tmp_path):
    summary = train(_cfg(tiny_tokenizer_dir, tiny_config, tmp_path / "run"), DATA, progress=False)
    run = tmp_path / "run"
    assert len(summary["history"]) == 2 and summary["best_epoch"] in (1, 2)
    meta = json.loads((run / "ner_config.json").read_text())
    assert meta["dataset"] == "twitter2017"
    assert set(meta["data_sha256"]) == {"twitter2017/train.txt", "twitter2017/knowledge/train.txt",
                                        "twitter2017/valid.txt", "twitter2017/knowledge/valid.txt"}
    assert "dev F1" in (run / "train.log").read_text()
    assert (run / "model.safetensors").is_file()
    # a second run into the same folder must ask for --resume
    with pytest.raises(ConfigError, match="resume"):
        train(_cfg(tiny_tokenizer_dir, tiny_config, run), DATA, progress=False)


def test_resume_continues_from_the_checkpoint(tiny_tokenizer_dir, tiny_config, tmp_path):
    out = tmp_path / "run"
    train(_cfg(tiny_tokenizer_dir, tiny_config, out, epochs=1), DATA, progress=False)
    state = json.loads((out / "checkpoint" / "state.json").read_text())
    assert state["epoch"] == 1 and state["global_step"] == 2
    summary = train(_cfg(tiny_tokenizer_dir, tiny_config, out, epochs=2), DATA, resume=True,
                    progress=False)
    state = json.loads((out / "checkpoint" / "state.json").read_text())
    assert state["global_step"] == 4 and [h["epoch"] for h in summary["history"]] == [1, 2]
    assert "resumed at epoch 2" in (out / "train.log").read_text()


def test_bf16_training_runs_and_saves_float_weights(tiny_tokenizer_dir, tiny_config, tmp_path):
    out = tmp_path / "run"
    summary = train(_cfg(tiny_tokenizer_dir, tiny_config, out, epochs=1, bf16=True), DATA, progress=False)
    losses = [float(line.split(" loss ")[1].split()[0]) for line in (out / "train.log").read_text().splitlines()
              if " loss " in line]
    assert losses and all(0 < x < float("inf") for x in losses)
    assert summary["best_epoch"] == 1
    meta = json.loads((out / "ner_config.json").read_text())
    assert meta["train_config"]["bf16"] is True


def test_unknown_option_is_named():
    with pytest.raises(ConfigError, match="learning_rate"):
        TrainConfig.from_dict({"learning_rate": 1})


def test_paper_scale_config_builds_the_same_model_class(tiny_tokenizer_dir, tmp_path):
    """The XLM-R-large path: same class, selected by config; an XLM-R-shaped
    tiny encoder (type_vocab_size 1, so no segment ids) stands in."""
    import torch

    from riveg_agent.ner import io
    from riveg_agent.ner.model import NerConfig, PlimTagger
    from riveg_agent.ner.predict import predict_tags
    cfg = TrainConfig.from_yaml(
        __import__("pathlib").Path(io.__file__).parents[1] / "configs/ner/xlmr-large-paper.yaml")
    assert cfg.encoder == "xlm-roberta-large" and cfg.batch_size == 4 and cfg.lr == 7e-6
    assert cfg.epochs == 25
    xlmr = {"model_type": "xlm-roberta", "vocab_size": 200, "hidden_size": 32,
            "num_hidden_layers": 1, "num_attention_heads": 2, "intermediate_size": 64,
            "max_position_embeddings": 300, "type_vocab_size": 1, "pad_token_id": 0}
    model, tok = io.build(NerConfig(encoder=str(tiny_tokenizer_dir), encoder_config=xlmr))
    assert isinstance(model, PlimTagger) and not model.use_segments
    assert model.encoder.config.model_type == "xlm-roberta"
    tags = predict_tags(model, tok, [(["Kawhi", "wins"], ["person"])])
    assert len(tags[0]) == 2


def test_checkpoints_from_before_the_shared_loop_resume_with_their_best_score():
    import random

    from riveg_agent.training import TrainState, sorted_batches
    old_ner = TrainState.from_dict({"epoch": 2, "best_f1": 0.81, "best_epoch": 2})
    old_ve = TrainState.from_dict({"epoch": 1, "best_accuracy": 0.79})
    assert (old_ner.best_score, old_ner.epoch, old_ve.best_score) == (0.81, 2, 0.79)
    items = list(range(103))
    batches = sorted_batches(items, 10, random.Random(1), lambda x: x)
    assert sorted(x for b in batches for x in b) == items and max(map(len, batches)) == 10
    assert batches == sorted_batches(items, 10, random.Random(1), lambda x: x)  # replayable


def _write_local(tmp_path, split):
    from riveg_agent.llm.splits import format_block
    from riveg_agent.scoring.conll import read_conll
    name = {"train": "train", "dev": "valid"}[split]
    tweets = read_conll(DATA / "twitter2017" / f"{name}.txt")[:2]
    path = tmp_path / f"local-{split}.txt"
    path.write_text("".join(format_block(t, "Named entities: 1. local words Reasoning: short") for t in tweets))
    return path


def test_training_mixes_dataset_local_and_no_knowledge(tiny_tokenizer_dir, tiny_config, tmp_path):
    for split in ("train", "dev"):
        _write_local(tmp_path, split)
    cfg = _cfg(tiny_tokenizer_dir, tiny_config, tmp_path / "run", epochs=1,
               local_knowledge=str(tmp_path / "local-{split}.txt"), dev_knowledge="local")
    train(cfg, DATA, progress=False)
    meta = json.loads((tmp_path / "run" / "ner_config.json").read_text())
    assert {"local:local-train.txt", "local:local-dev.txt"} <= set(meta["data_sha256"])
    assert meta["dev"]["with_knowledge"] == 2  # dev selected on the local knowledge, where it exists
    assert "2 with local knowledge" in (tmp_path / "run" / "train.log").read_text()
    with pytest.raises(ConfigError, match="local_knowledge"):
        train(_cfg(tiny_tokenizer_dir, tiny_config, tmp_path / "other", local_knowledge=str(tmp_path / "no-{split}")),
              DATA, progress=False)
    # with no share for it, train needs no local file; dev still selects on local knowledge
    (tmp_path / "local-train.txt").unlink()
    train(_cfg(tiny_tokenizer_dir, tiny_config, tmp_path / "dev-only", epochs=1, local_knowledge_share=0.0,
               local_knowledge=str(tmp_path / "local-{split}.txt"), dev_knowledge="local"), DATA, progress=False)
    meta = json.loads((tmp_path / "dev-only" / "ner_config.json").read_text())
    assert "local:local-dev.txt" in meta["data_sha256"] and "local:local-train.txt" not in meta["data_sha256"]
    assert meta["dev"]["with_knowledge"] == 2


def test_each_tweet_is_shown_with_one_knowledge_source_by_its_draw():
    from riveg_agent.ner.train import _batches

    k, t, l = ([f"{s}{i}" for i in range(300)] for s in "ktl")
    cfg = TrainConfig(batch_size=1, knowledge_dropout=0.3, local_knowledge_share=0.35)

    class Enc(str):
        @property
        def input_ids(self):
            return [0]
    shown = [b[0] for b in _batches([Enc(x) for x in k], [Enc(x) for x in t], cfg, 0,
                                    [Enc(x) if i % 2 == 0 else None for i, x in enumerate(l)])]
    assert sorted(int(s[1:]) for s in shown) == list(range(300))  # each tweet once
    kinds = {c: sum(s[0] == c for s in shown) for c in "ktl"}
    assert 60 < kinds["t"] < 120 and 30 < kinds["l"] < 75  # ~30 %; ~35 % of the half that has local
    assert all(int(s[1:]) % 2 == 0 for s in shown if s[0] == "l")  # local only where it exists
    # without local knowledge the draws are the ones runs made before the option existed
    import random

    from riveg_agent.training import sorted_batches
    rng = random.Random(cfg.seed * 1000)
    before = [Enc(b) if rng.random() < cfg.knowledge_dropout else Enc(a) for a, b in zip(k, t)]
    assert _batches([Enc(x) for x in k], [Enc(x) for x in t], cfg, 0) == \
        sorted_batches(before, 1, rng, lambda e: 1)

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from riveg_agent.cli import app

DATA = Path(__file__).parent / "fixtures" / "data"


runner = CliRunner()


def test_eval_mner_prints_micro_and_per_type(tiny_model, tmp_path):
    from riveg_agent.ner import io
    model, tok = tiny_model
    io.save(model, tok, tmp_path / "m", extra={"dataset": "twitter2017"})
    for know in ("none", "dataset"):
        res = runner.invoke(app, ["eval", "mner", "--model", str(tmp_path / "m"), "--dataset",
                                  "twitter2015", "--split", "test", "--data-dir", str(DATA),
                                  "--knowledge", know, "--threads", "1"])
        assert res.exit_code == 0, res.output
        out = json.loads(res.output)
        assert out["micro"]["gold"] == 6  # 2 + orphan I- + orphan I- + 2
        assert set(out["per_type"]) == {"PER", "LOC", "ORG", "MISC"}
        assert out["per_type"]["MISC"]["gold"] == 1
        assert out["with_knowledge"] == (3 if know == "dataset" else 0)


def test_eval_mner_refuses_leaky_and_local(tiny_model, tmp_path):
    from riveg_agent.ner import io
    model, tok = tiny_model
    io.save(model, tok, tmp_path / "g", extra={"dataset": "twitter-gmner"})
    res = runner.invoke(app, ["eval", "mner", "--model", str(tmp_path / "g"), "--dataset",
                              "twitter2017", "--data-dir", str(DATA)])
    assert res.exit_code == 2 and "leaky" in res.output
    res = runner.invoke(app, ["eval", "mner", "--model", str(tmp_path / "g"), "--dataset",
                              "twitter2017", "--data-dir", str(DATA), "--knowledge", "local"])
    assert res.exit_code == 2 and "--knowledge-file" in res.output


def test_eval_mner_with_a_partial_local_knowledge_file(tiny_model, tmp_path):
    """Only the tweets the local file covers are scored (a resumable file may be partial)."""
    from riveg_agent.ner import io
    model, tok = tiny_model
    io.save(model, tok, tmp_path / "m", extra={"dataset": "twitter2017"})
    blocks = (DATA / "twitter2017" / "knowledge" / "test.txt").read_text(encoding="utf-8") \
        .replace("\r\n", "\n").split("\n\n")
    full = [b for b in blocks if b.strip()]
    assert len(full) >= 2
    partial = tmp_path / "k.txt"
    partial.write_text("\n\n".join(full[:-1]) + "\n\n", encoding="utf-8")
    args = ["eval", "mner", "--model", str(tmp_path / "m"), "--dataset", "twitter2017", "--split", "test",
            "--data-dir", str(DATA), "--threads", "1"]
    res = runner.invoke(app, args + ["--knowledge", "local", "--knowledge-file", str(partial)])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["posts"] == len(full) - 1 and out["with_knowledge"] == len(full) - 1
    res = runner.invoke(app, args + ["--knowledge", "none", "--limit", "1"])
    assert json.loads(res.output)["posts"] == 1


def test_train_ner_cli_reports_bad_config(tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("learning_rate: 1\n")
    res = runner.invoke(app, ["train", "ner", "--config", str(cfg), "--data-dir", str(DATA)])
    assert res.exit_code == 2 and "learning_rate" in res.output


@pytest.mark.parametrize("trained_on,dataset,split,leaky", [
    ("twitter-gmner", "twitter2017", "test", True),
    ("twitter2017", "twitter-gmner", "test", True),   # the other direction, refused too
    ("twitter2015", "twitter-gmner", "test", True),
    ("twitter2017", "twitter-gmner", "dev", False),  # only test scores are refused
    ("twitter2017", "twitter2015", "test", False),
    (None, "twitter-gmner", "test", False),
])
def test_leakage_rule_is_symmetric(trained_on, dataset, split, leaky):
    from riveg_agent.ner.readers import DataError, check_not_leaky
    if leaky:
        with pytest.raises(DataError, match="leaky"):
            check_not_leaky("m", trained_on, dataset, split)
    else:
        check_not_leaky("m", trained_on, dataset, split)

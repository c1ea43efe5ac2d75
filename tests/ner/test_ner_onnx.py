"""The ONNX Runtime path of the PLIM tagger (riveg_agent.ner.onnx) against
the torch one, on the tiny tagger: numpy CRF = pytorch-crf, exported
emissions = torch's, the same tags and path probabilities, and a recognizer
that imports no torch."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import onnx
import pytest
from safetensors.numpy import load_file, save_file

from riveg_agent.core.errors import ModelError
from riveg_agent.ner import io
from riveg_agent.ner import onnx as ner_onnx
from riveg_agent.onnx_models import EXPORT, choose_runtime

ITEMS = [("Kawhi Leonard wins in Toronto".split(), None),
         ("Kawhi Leonard wins in Toronto".split(), "kawhi leonard person nba".split()),
         ("RT @nba : Golden State Warriors celebrate new post !".split(), "team league".split()),
         ([], None),
         (["paris", "is", "lovely"] * 30, ["city"] * 40)]  # cut by max_length 64: tail words get O


def test_numpy_crf_matches_pytorch_crf():
    import torch
    from torchcrf import CRF
    torch.manual_seed(0)
    crf = CRF(5, batch_first=True)
    em = torch.randn(4, 7, 5) * 3
    mask = torch.tensor([[1] * 7, [1] * 4 + [0] * 3, [1] + [0] * 6, [1] * 6 + [0]], dtype=torch.bool)
    paths = crf.decode(em, mask=mask)
    start, end, trans = (p.detach().double().numpy() for p in
                         (crf.start_transitions, crf.end_transitions, crf.transitions))
    for i, path in enumerate(paths):
        e = em[i, :int(mask[i].sum())].double().numpy()
        assert ner_onnx.viterbi(e, start, end, trans) == path
        tags = torch.zeros(1, 7, dtype=torch.long)
        tags[0, :len(path)] = torch.tensor(path)
        ll = crf(em[i:i + 1], tags, mask=mask[i:i + 1], reduction="none").item()
        assert ner_onnx.path_log_prob(e, path, start, end, trans) == pytest.approx(ll, abs=1e-4)
        # another path is less likely, and the probabilities of all paths sum to 1 (length 2)
    e = em[0, :2].double().numpy()
    total = sum(np.exp(ner_onnx.path_log_prob(e, [a, b], start, end, trans)) for a in range(5) for b in range(5))
    assert total == pytest.approx(1.0, abs=1e-9)


@pytest.fixture
def exported(tiny_model, tmp_path):
    model, tok = tiny_model
    folder = tmp_path / "tiny"
    io.save(model, tok, folder, extra={"dataset": "twitter2017"})
    info = ner_onnx.export(folder)
    return folder, info


def test_export_links_the_weights_and_tags_like_torch(exported):
    from riveg_agent.ner.predict import predict_with_confidence
    folder, info = exported
    # the weights are the safetensors' own bytes, not a copy in the graph
    assert info["linked_tensors"] > 10 and info["sample_max_abs_diff"] < 1e-4
    inline = sum(len(t.raw_data) for t in onnx.load(str(folder / "model.onnx"), load_external_data=False)
                 .graph.initializer)
    assert inline < 2048
    model, tok = io.load(str(folder))
    want_tags, want_p = predict_with_confidence(model, tok, ITEMS, batch_size=2)
    tagger = ner_onnx.OnnxTagger(str(folder))
    got_tags, got_p = tagger.predict_with_confidence(ITEMS, batch_size=2)
    assert got_tags == want_tags
    assert got_p == pytest.approx(want_p, abs=1e-5)
    assert len(got_tags[-1]) == 90 and got_tags[-1][-1] == "O" and got_tags[3] == []
    assert tagger.trained_on == "twitter2017"
    em_torch = model.emissions({k: __import__("torch").from_numpy(v) for k, v in
                                _batch(tagger, ITEMS[:3]).items()}).detach().numpy()
    assert np.abs(tagger.emissions(_batch(tagger, ITEMS[:3])) - em_torch).max() < 1e-4


def _batch(tagger, items):
    from riveg_agent.ner.encoding import collate_arrays, encode
    return collate_arrays([encode(tagger.subwords, t, k, tagger.config.max_length) for t, k in items],
                          tagger.tokenizer.pad_token_id)


def test_runtime_choice_and_a_stale_export_is_refused(exported):
    folder, _ = exported
    assert choose_runtime(None, folder) == "onnx" and choose_runtime("torch", folder) == "torch"
    with pytest.raises(ModelError, match="runtime must be"):
        choose_runtime("tensorrt", folder)
    (folder / "model.onnx").unlink()
    assert choose_runtime(None, folder) == "torch"
    with pytest.raises(ModelError, match="export_onnx"):
        choose_runtime("onnx", folder)
    ner_onnx.export(folder)
    assert json.loads((folder / EXPORT).read_text())["graph"] == "model.onnx"
    # retrained after the export (same layout, other values): refused until re-exported
    state = load_file(str(folder / "model.safetensors"))
    state["classifier.bias"] = state["classifier.bias"] + 1
    save_file(state, str(folder / "model.safetensors"))
    with pytest.raises(ModelError, match="re-export"):
        ner_onnx.OnnxTagger(str(folder))


def test_onnx_recognizer_imports_no_torch(exported):
    """The plugin's default runtime where an export exists: same spans as the
    torch runtime, and neither torch nor transformers is imported."""
    from riveg_agent.core.roles import Post
    from riveg_plugins.crf_ner import factory
    folder, _ = exported
    text = "Kawhi Leonard wins in Toronto with the #NBA"
    want = [(s.text, s.type, s.start) for s in factory(model=str(folder), runtime="torch").recognize(Post("p", text), None)]
    code = (f"import sys; from riveg_agent.core.roles import Post; from riveg_plugins.crf_ner import factory\n"
            f"r = factory(model={str(folder)!r})\n"
            f"spans = r.recognize(Post('p', {text!r}), None); c = r.confidence(Post('p', {text!r}))\n"
            f"print([(s.text, s.type, s.start) for s in spans]); print(r.runtime_used(), 0 < c <= 1)\n"
            f"print(sorted(m for m in ('torch', 'transformers', 'torchcrf') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.splitlines()
    assert out == [str(want), "onnx True", "[]"]

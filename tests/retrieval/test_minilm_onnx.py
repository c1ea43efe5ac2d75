"""The ONNX Runtime MiniLM sentence encoder (riveg_agent.retrieval.minilm_onnx)
against sentence-transformers, on the installed all-MiniLM-L6-v2 package."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest

from riveg_agent.core.errors import ModelError
from riveg_agent.retrieval import minilm_onnx
from riveg_plugins.minilm_exemplars import encode, minilm_path

TEXTS = ["Eileen Collins at the Johnson Space Center in Houston",
         "RT @nba : Golden State Warriors celebrate !", "", "paris " * 400]  # the last one is cut at 256


def test_onnx_embeddings_match_sentence_transformers():
    a, b = encode(TEXTS, "onnx"), encode(TEXTS, "torch")
    assert a.shape == b.shape == (len(TEXTS), 384)
    assert float(np.abs(a - b).max()) < 1e-5
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)


def test_default_encoder_imports_no_torch():
    code = ("import sys; from riveg_plugins.minilm_exemplars import encode; v = encode(['hello world']); "
            "print(v.shape, 'torch' in sys.modules, 'sentence_transformers' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["(1,", "384)", "False", "False"]


def test_graph_exported_against_other_weights_is_refused(tmp_path):
    folder = tmp_path / "graph"
    shutil.copytree(minilm_onnx.FOLDER, folder)
    info = json.loads((folder / "onnx.json").read_text())
    info["weights_sha256"] = "0" * 64
    (folder / "onnx.json").write_text(json.dumps(info))
    with pytest.raises(ModelError, match="not the file"):
        minilm_onnx.OnnxSentenceEncoder(minilm_path(), graph_folder=folder)


def test_missing_graph_says_how_to_make_it(tmp_path):
    with pytest.raises(ModelError, match="export_onnx.py --sentence-minilm"):
        minilm_onnx.OnnxSentenceEncoder(minilm_path(), graph_folder=tmp_path)

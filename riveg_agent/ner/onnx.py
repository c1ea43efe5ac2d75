"""The PLIM tagger on ONNX Runtime: the emission network (encoder + shape
features + linear layer) as model.onnx, the CRF's Viterbi path and its
log-likelihood (forward algorithm) in numpy, from the CRF's start / end /
transition scores read out of the folder's safetensors. Same inputs
(riveg_agent.ner.encoding) and tags as the torch path; imports neither torch
nor transformers."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from riveg_agent import onnx_models
from riveg_agent.model_folder import WEIGHTS
from riveg_agent.ner.encoding import Encoded, NerConfig, SubwordCache, collate_arrays, encode, tag_batched
from riveg_agent.ner.locate import CONFIG, resolve_model


def _logsumexp(x: np.ndarray, axis: int) -> np.ndarray:
    m = x.max(axis=axis, keepdims=True)
    return (m + np.log(np.exp(x - m).sum(axis=axis, keepdims=True))).squeeze(axis)


def viterbi(em: np.ndarray, start: np.ndarray, end: np.ndarray, trans: np.ndarray) -> list[int]:
    """Best tag path of one post's emissions [words, tags] (pytorch-crf's decode)."""
    score = start + em[0]
    back = []
    for i in range(1, len(em)):
        cand = score[:, None] + trans  # [from, to]
        back.append(cand.argmax(axis=0))
        score = cand.max(axis=0) + em[i]
    best = [int((score + end).argmax())]
    for idx in reversed(back):
        best.append(int(idx[best[-1]]))
    return best[::-1]


def path_log_prob(em: np.ndarray, path: Sequence[int], start: np.ndarray, end: np.ndarray,
                  trans: np.ndarray) -> float:
    """log P(path | emissions): the path's score minus the log partition."""
    score = start[path[0]] + em[0, path[0]] + end[path[-1]]
    for i in range(1, len(em)):
        score += trans[path[i - 1], path[i]] + em[i, path[i]]
    alpha = start + em[0]
    for i in range(1, len(em)):
        alpha = _logsumexp(alpha[:, None] + trans, axis=0) + em[i]
    return float(score - _logsumexp(alpha + end, axis=0))


class OnnxTagger:
    """A NER model folder with an ONNX export, ready to tag."""

    def __init__(self, name_or_path: str, threads: Optional[int] = None):
        from safetensors import safe_open
        folder = resolve_model(name_or_path)
        data = json.loads((folder / CONFIG).read_text(encoding="utf-8"))
        self.config = NerConfig.from_dict(data["ner_config"])
        self.trained_on = data.get("dataset")  # for the leakage guard of evaluation
        self.session = onnx_models.session(folder, threads)
        self.inputs = [i.name for i in self.session.get_inputs()]
        self.tokenizer = onnx_models.Tokenizer(folder)
        self.subwords = SubwordCache(self.tokenizer)
        # float64: the same fp16 values as the torch path's float32 copy, summed more exactly
        with safe_open(str(folder / WEIGHTS), framework="np") as f:
            self.start, self.end, self.trans = (f.get_tensor(f"crf.{k}").astype(np.float64)
                                                for k in ("start_transitions", "end_transitions",
                                                          "transitions"))

    def emissions(self, batch: dict[str, np.ndarray]) -> np.ndarray:
        return self.session.run(None, {k: batch[k] for k in self.inputs})[0]

    def _decode(self, encoded: list[Encoded]) -> tuple[list[list[str]], list[float]]:
        batch = collate_arrays(encoded, self.tokenizer.pad_token_id)
        em = self.emissions(batch).astype(np.float64)
        tags, probs = [], []
        for e, mask in zip(em, batch["word_mask"]):
            e = e[:int(mask.sum())]
            path = viterbi(e, self.start, self.end, self.trans)
            tags.append([self.config.labels[i] for i in path])
            probs.append(float(np.exp(path_log_prob(e, path, self.start, self.end, self.trans))))
        return tags, probs

    def predict_with_confidence(self, items: Sequence[tuple[Sequence[str], Optional[Sequence[str]]]],
                                batch_size: int = 32) -> tuple[list[list[str]], list[float]]:
        """Tags and CRF path probability of each (tokens, knowledge or None),
        as riveg_agent.ner.predict.predict_with_confidence."""
        enc = [encode(self.subwords, t, k, self.config.max_length) for t, k in items]
        return tag_batched(enc, batch_size, self._decode)


_loaded: dict[str, OnnxTagger] = {}


def load_cached(name_or_path: str, threads: Optional[int] = None) -> OnnxTagger:
    """One OnnxTagger per model per process."""
    if name_or_path not in _loaded:
        _loaded[name_or_path] = OnnxTagger(name_or_path, threads)
    return _loaded[name_or_path]


def export(folder: Path) -> dict:
    """Write folder/model.onnx (+ onnx.json) for the tagger in `folder`: inputs
    input_ids, attention_mask, shape_ids, [segment_ids,] word_starts (int64),
    output emissions [batch, words, labels]."""
    import torch

    from riveg_agent.ner.io import load
    model, tokenizer = load(str(folder))
    _eager_attention(model.encoder)
    names = ["input_ids", "attention_mask", "shape_ids"] + (["segment_ids"] if model.use_segments else []) \
        + ["word_starts"]

    class Emissions(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.tagger = model

        def forward(self, *args):
            batch = dict(zip(names, args))
            return self.tagger.emissions(batch)

    sample = collate_arrays([encode(SubwordCache(tokenizer), ["an", "example", "post"], ["more", "words"],
                                    model.config.max_length)] * 2, tokenizer.pad_token_id)
    args = tuple(torch.from_numpy(sample[n]) for n in names)
    axes = {n: {0: "batch", 1: "words" if n == "word_starts" else "sequence"} for n in names}
    axes["emissions"] = {0: "batch", 1: "words"}
    with torch.no_grad():
        return onnx_models.export(Emissions().eval(), args, names, ["emissions"], axes, Path(folder),
                                  prefix="tagger.", extra={"kind": "plim-ner emissions"})


def _eager_attention(encoder) -> None:
    """Plain attention ops for the export (SDPA's mask handling does not trace)."""
    if hasattr(encoder, "set_attn_implementation"):
        encoder.set_attn_implementation("eager")
    else:
        encoder.config._attn_implementation = "eager"

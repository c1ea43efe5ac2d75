"""The PLIM tagger's inputs without torch: its config, the [post; knowledge]
subword encoding, padded numpy batches and the length-sorted batch loop.
Shared by the torch model (riveg_agent.ner.model) and the ONNX Runtime path
(riveg_agent.ner.onnx), so both read exactly the same inputs."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Optional, Sequence

import numpy as np

from riveg_agent.ner.features import shape_id
from riveg_agent.ner.readers import LABELS


@dataclass
class NerConfig:
    """What the tagger is; saved as JSON beside the weights."""

    encoder: str = "minilm"  # alias (encoders.ENCODERS), folder, or HF id
    labels: list[str] = field(default_factory=lambda: list(LABELS))
    max_length: int = 256
    shape_dim: int = 32
    dropout: float = 0.1
    # Filled when the model is built: the encoder's own config (to rebuild it
    # offline without the original checkpoint).
    encoder_config: Optional[dict[str, Any]] = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "NerConfig":
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


@dataclass
class Encoded:
    """One tweet ready for the model (lists, batched by `collate`)."""

    input_ids: list[int]
    shape_ids: list[int]
    segment_ids: list[int]
    word_starts: list[int]  # subword index of each post word kept
    n_words: int  # words of the post (>= len(word_starts) when truncated)
    label_ids: Optional[list[int]] = None


class SubwordCache:
    """Word -> subword ids, memoised (tokenising word by word is the hot spot)."""

    def __init__(self, tokenizer):
        self.tok = tokenizer
        self.cache: dict[str, list[int]] = {}

    def __call__(self, words: Sequence[str]) -> list[list[int]]:
        missing = list({w for w in words if w not in self.cache})
        if missing:
            ids = self.tok(missing, add_special_tokens=False)["input_ids"]
            for w, i in zip(missing, ids):
                self.cache[w] = i or [self.tok.unk_token_id]
        return [self.cache[w] for w in words]


def encode(subwords: SubwordCache, tokens: Sequence[str], knowledge: Optional[Sequence[str]],
           max_length: int, labels: Optional[Sequence[str]] = None,
           label_index: Optional[dict[str, int]] = None) -> Encoded:
    tok = subwords.tok
    cls_id = tok.cls_token_id if tok.cls_token_id is not None else tok.bos_token_id
    sep_id = tok.sep_token_id if tok.sep_token_id is not None else tok.eos_token_id
    ids, shapes, segs, starts = [cls_id], [0], [0], []
    budget = max_length - 1  # room left for the [SEP] after the post
    for word, pieces in zip(tokens, subwords(tokens)):
        pieces = pieces[: max(0, budget - len(ids))]
        if not pieces:
            break
        starts.append(len(ids))
        ids.extend(pieces)
        shapes.extend([shape_id(word)] * len(pieces))
        segs.extend([0] * len(pieces))
    ids.append(sep_id), shapes.append(0), segs.append(0)
    room = max_length - 1 - len(ids)  # knowledge subwords that fit before its [SEP]
    if knowledge and room > 0:
        for word, pieces in zip(knowledge, subwords(knowledge)):
            if room <= 0:
                break
            pieces = pieces[:room]
            ids.extend(pieces)
            shapes.extend([shape_id(word)] * len(pieces))
            segs.extend([1] * len(pieces))
            room -= len(pieces)
        ids.append(sep_id), shapes.append(0), segs.append(1)
    label_ids = None
    if labels is not None and label_index is not None:
        label_ids = [label_index[t] for t in labels[: len(starts)]]
    return Encoded(ids, shapes, segs, starts, len(tokens), label_ids)


def collate_arrays(batch: Sequence[Encoded], pad_id: int) -> dict[str, np.ndarray]:
    """The batch padded to its longest post: int64 ids, bool word mask."""
    n = len(batch)
    seq = max(len(e.input_ids) for e in batch)
    words = max(max(len(e.word_starts) for e in batch), 1)
    out = {
        "input_ids": np.full((n, seq), pad_id, dtype=np.int64),
        "attention_mask": np.zeros((n, seq), dtype=np.int64),
        "shape_ids": np.zeros((n, seq), dtype=np.int64),
        "segment_ids": np.zeros((n, seq), dtype=np.int64),
        "word_starts": np.zeros((n, words), dtype=np.int64),
        "word_mask": np.zeros((n, words), dtype=bool),
    }
    has_labels = all(e.label_ids is not None for e in batch)
    if has_labels:
        out["labels"] = np.zeros((n, words), dtype=np.int64)
    for i, e in enumerate(batch):
        L, W = len(e.input_ids), len(e.word_starts)
        out["input_ids"][i, :L] = e.input_ids
        out["attention_mask"][i, :L] = 1
        out["shape_ids"][i, :L] = e.shape_ids
        out["segment_ids"][i, :L] = e.segment_ids
        if W:
            out["word_starts"][i, :W] = e.word_starts
            out["word_mask"][i, :W] = True
        else:  # empty post: one dummy position (the CRF needs the first step on)
            out["word_mask"][i, 0] = True
        if has_labels and W:
            out["labels"][i, :W] = e.label_ids
    return out


def tag_batched(enc: Sequence[Encoded], batch_size: int,
                decode: Callable[[list[Encoded]], tuple[list[list[str]], list[float]]]
                ) -> tuple[list[list[str]], list[float]]:
    """(tags, path probability) per encoded post, decoded in batches built from
    length-sorted posts (little padding); words cut by max_length get O."""
    order = sorted(range(len(enc)), key=lambda i: len(enc[i].input_ids))
    out: list[Optional[list[str]]] = [None] * len(enc)
    conf = [0.0] * len(enc)
    for s in range(0, len(order), batch_size):
        idx = order[s:s + batch_size]
        tags, probs = decode([enc[i] for i in idx])
        for i, t, p in zip(idx, tags, probs):
            kept = len(enc[i].word_starts)
            out[i] = t[:kept] + ["O"] * (enc[i].n_words - kept)
            conf[i] = p
    return out, conf  # type: ignore[return-value]

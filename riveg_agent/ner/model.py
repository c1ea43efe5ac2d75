"""PLIM tagger: any Hugging Face encoder (AutoModel) over [post; knowledge]
subwords, casing/shape embeddings, a linear layer and a linear-chain CRF
(pytorch-crf). Labels and loss are on the post's words only, each word read
at its first subword.

Input: [CLS] post subwords [SEP] knowledge subwords [SEP], at most
`max_length` subwords; the post keeps priority, the knowledge is cut first.
The shape id of each word is embedded and (a) added to the encoder's input
embeddings of its subwords (zero-initialised, so the pretrained encoder starts
unchanged) and (b) concatenated to the encoder output before the linear layer.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Optional, Sequence

import torch
from torch import nn
from torchcrf import CRF

from riveg_agent.ner.features import NUM_SHAPES, shape_id
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


def collate(batch: Sequence[Encoded], pad_id: int) -> dict[str, torch.Tensor]:
    n = len(batch)
    seq = max(len(e.input_ids) for e in batch)
    words = max(max(len(e.word_starts) for e in batch), 1)
    out = {
        "input_ids": torch.full((n, seq), pad_id, dtype=torch.long),
        "attention_mask": torch.zeros((n, seq), dtype=torch.long),
        "shape_ids": torch.zeros((n, seq), dtype=torch.long),
        "segment_ids": torch.zeros((n, seq), dtype=torch.long),
        "word_starts": torch.zeros((n, words), dtype=torch.long),
        "word_mask": torch.zeros((n, words), dtype=torch.bool),
    }
    has_labels = all(e.label_ids is not None for e in batch)
    if has_labels:
        out["labels"] = torch.zeros((n, words), dtype=torch.long)
    for i, e in enumerate(batch):
        L, W = len(e.input_ids), len(e.word_starts)
        out["input_ids"][i, :L] = torch.tensor(e.input_ids)
        out["attention_mask"][i, :L] = 1
        out["shape_ids"][i, :L] = torch.tensor(e.shape_ids)
        out["segment_ids"][i, :L] = torch.tensor(e.segment_ids)
        if W:
            out["word_starts"][i, :W] = torch.tensor(e.word_starts)
            out["word_mask"][i, :W] = True
        else:  # empty post: one dummy position (the CRF needs the first step on)
            out["word_mask"][i, 0] = True
        if has_labels and W:
            out["labels"][i, :W] = torch.tensor(e.label_ids)
    return out


class PlimTagger(nn.Module):
    def __init__(self, config: NerConfig, encoder: nn.Module):
        super().__init__()
        self.config = config
        self.encoder = encoder
        hidden = encoder.config.hidden_size
        self.use_segments = getattr(encoder.config, "type_vocab_size", 1) >= 2
        self.shape_in = nn.Embedding(NUM_SHAPES, hidden, padding_idx=0)
        nn.init.zeros_(self.shape_in.weight)
        self.shape_out = nn.Embedding(NUM_SHAPES, config.shape_dim, padding_idx=0)
        self.dropout = nn.Dropout(config.dropout)
        self.classifier = nn.Linear(hidden + config.shape_dim, len(config.labels))
        self.crf = CRF(len(config.labels), batch_first=True)
        self._forbid_bad_transitions()

    def _forbid_bad_transitions(self) -> None:
        """Start the CRF with I-X after O / other types, and I-X at the start,
        strongly discouraged (learnable, so orphan I- in the data still fit)."""
        with torch.no_grad():
            for j, to in enumerate(self.config.labels):
                if not to.startswith("I-"):
                    continue
                self.crf.start_transitions[j] = -3.0
                for i, frm in enumerate(self.config.labels):
                    if frm[2:] != to[2:]:
                        self.crf.transitions[i, j] = -3.0

    def hidden(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """The encoder's last hidden states over [post; knowledge], shape features added."""
        embed = self.encoder.get_input_embeddings()
        inputs = embed(batch["input_ids"]) + self.shape_in(batch["shape_ids"])
        kwargs = {"inputs_embeds": inputs, "attention_mask": batch["attention_mask"]}
        if self.use_segments:
            kwargs["token_type_ids"] = batch["segment_ids"]
        return self.encoder(**kwargs).last_hidden_state

    @torch.no_grad()
    def pooled_post(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """Mean of the hidden states over the post's subwords ([CLS] and [SEP]
        included, knowledge excluded): the text feature of MSEA."""
        m = (batch["attention_mask"] * (batch["segment_ids"] == 0)).unsqueeze(-1).float()
        return (self.hidden(batch) * m).sum(1) / m.sum(1).clamp(min=1.0)

    def emissions(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        hidden = self.hidden(batch)
        idx = batch["word_starts"].unsqueeze(-1).expand(-1, -1, hidden.size(-1))
        words = hidden.gather(1, idx)
        word_shapes = batch["shape_ids"].gather(1, batch["word_starts"])
        feats = torch.cat([words, self.shape_out(word_shapes)], dim=-1)
        return self.classifier(self.dropout(feats))

    def loss(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        em = self.emissions(batch)
        return -self.crf(em, batch["labels"], mask=batch["word_mask"], reduction="mean")

    @torch.no_grad()
    def decode(self, batch: dict[str, torch.Tensor]) -> list[list[str]]:
        return self.decode_with_confidence(batch)[0]

    @torch.no_grad()
    def decode_with_confidence(self, batch: dict[str, torch.Tensor]) -> tuple[list[list[str]], list[float]]:
        """Viterbi tags and, per post, the CRF's probability of that whole
        path (exp of its log-likelihood: path score minus the log partition)."""
        em = self.emissions(batch)
        mask = batch["word_mask"]
        paths = self.crf.decode(em, mask=mask)
        best = torch.zeros(mask.shape, dtype=torch.long)
        for i, p in enumerate(paths):
            best[i, :len(p)] = torch.tensor(p, dtype=torch.long)
        prob = self.crf(em, best, mask=mask, reduction="none").exp().tolist()
        return [[self.config.labels[i] for i in p] for p in paths], prob

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

from typing import Sequence

import torch
from torch import nn
from torchcrf import CRF

from riveg_agent.ner.encoding import (Encoded, NerConfig, SubwordCache,  # noqa: F401 (re-exported)
                                      collate_arrays, encode)
from riveg_agent.ner.features import NUM_SHAPES


def collate(batch: Sequence[Encoded], pad_id: int) -> dict[str, torch.Tensor]:
    return {k: torch.from_numpy(v) for k, v in collate_arrays(batch, pad_id).items()}


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
        em = self.emissions(batch).float()
        with torch.autocast("cpu", enabled=False):  # the CRF's log-sum-exp stays float32 under bf16
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

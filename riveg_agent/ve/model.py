"""Caption cross-encoder for visual entailment: one encoder pass over

    [CLS] Name (TYPE) – expansion [SEP] tweet [SEP] (knowledge [SEP]) image description [SEP]

then the mean of all tokens and the mean of the expression's tokens,
concatenated, to one logit (entail). The second segment is cut from its end
when the pair is too long. A model trained with `use_knowledge` reads the
post's auxiliary knowledge (RiVEG step 1) between the tweet and the image
description, and was also trained without it, so it works either way. Any
Hugging Face encoder (riveg_agent.ner.encoders)."""
from __future__ import annotations

from typing import Optional, Sequence

import torch
from torch import nn

from riveg_agent.ner.encoders import load_encoder
from riveg_agent.ve.config import VeConfig, image_side, length_order  # noqa: F401 (re-exported)


def tokenize(tokenizer, expressions: Sequence[str], texts: Sequence[str],
             captions: Sequence[str], max_length: int,
             knowledge: Optional[Sequence[str]] = None) -> dict[str, torch.Tensor]:
    """The batch's pairs, padded; the second segment is truncated first."""
    knowledge = knowledge if knowledge is not None else [""] * len(texts)
    return tokenizer(list(expressions),
                     [image_side(t, c, k) for t, c, k in zip(texts, captions, knowledge)],
                     truncation="only_second", max_length=max_length, padding=True,
                     return_tensors="pt", return_token_type_ids=True)


class CrossEncoderVE(nn.Module):
    def __init__(self, config: VeConfig, encoder: Optional[nn.Module] = None):
        super().__init__()
        self.config = config
        self.encoder = encoder if encoder is not None else load_encoder(config.encoder,
                                                                        config.encoder_config)
        hidden = self.encoder.config.hidden_size
        self.dropout = nn.Dropout(config.dropout)
        self.head = nn.Linear(2 * hidden, 1)

    def forward(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """Entail logits, shape [batch]."""
        mask = batch["attention_mask"]
        out = self.encoder(input_ids=batch["input_ids"], attention_mask=mask,
                           token_type_ids=batch.get("token_type_ids")).last_hidden_state
        m = mask.unsqueeze(-1).to(out.dtype)
        # The expression is the first segment: [CLS] .. [SEP] (token type 0).
        first = m * (batch["token_type_ids"] == 0).unsqueeze(-1).to(out.dtype) \
            if "token_type_ids" in batch else m
        pooled = torch.cat([(out * m).sum(1) / m.sum(1).clamp(min=1),
                            (out * first).sum(1) / first.sum(1).clamp(min=1)], dim=-1)
        return self.head(self.dropout(pooled)).squeeze(-1)

    @torch.no_grad()
    def probabilities(self, tokenizer, expressions: Sequence[str], texts: Sequence[str],
                      captions: Sequence[str], batch_size: int = 32,
                      knowledge: Optional[Sequence[str]] = None) -> list[float]:
        """P(entail) of each pair; `knowledge` is read only by a model trained
        with it."""
        was = self.training
        self.eval()
        if not self.config.use_knowledge or knowledge is None:
            knowledge = [""] * len(expressions)
        order = length_order(expressions, texts, captions, knowledge)
        probs: list[float] = [0.0] * len(expressions)
        for s in range(0, len(order), batch_size):
            idx = order[s:s + batch_size]
            batch = tokenize(tokenizer, [expressions[i] for i in idx], [texts[i] for i in idx],
                             [captions[i] for i in idx], self.config.max_length,
                             [knowledge[i] for i in idx])
            for i, p in zip(idx, torch.sigmoid(self(batch)).tolist()):
                probs[i] = p
        self.train(was)
        return probs

"""Caption cross-encoder for visual entailment: one encoder pass over

    [CLS] Name (TYPE) – expansion [SEP] tweet [SEP] (knowledge [SEP]) image description [SEP]

then the mean of all tokens and the mean of the expression's tokens,
concatenated, to one logit (entail). The second segment is cut from its end
when the pair is too long. A model trained with `use_knowledge` reads the
post's auxiliary knowledge (RiVEG step 1) between the tweet and the image
description, and was also trained without it, so it works either way. Any
Hugging Face encoder (riveg_agent.ner.encoders)."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Optional, Sequence

import torch
from torch import nn

from riveg_agent.ner.encoders import load_encoder


@dataclass
class VeConfig:
    """What the model is; saved as JSON beside the weights."""

    encoder: str = "minilm"
    max_length: int = 192
    dropout: float = 0.1
    threshold: float = 0.5  # on the entail probability; chosen on dev by training
    use_knowledge: bool = False  # trained with the post's auxiliary knowledge
    # trained on `Name (TYPE) – expansion`; False: on `Name (TYPE)` alone, and
    # fed that at run time too (an unseen expansion costs accuracy)
    use_expansions: bool = True
    encoder_config: Optional[dict[str, Any]] = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "VeConfig":
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


def image_side(text: str, caption: str, knowledge: str = "") -> str:
    return " [SEP] ".join(part for part in (text, knowledge, caption) if part)


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
        # Batches of similar length (characters as the proxy): little padding,
        # so a batch of many posts costs no more than the posts one by one.
        order = sorted(range(len(expressions)), key=lambda i: len(expressions[i]) + len(texts[i])
                       + len(captions[i]) + len(knowledge[i]))
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

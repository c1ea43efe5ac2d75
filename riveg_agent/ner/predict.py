"""Batched tagging and MNER evaluation (micro and per-type P/R/F1 with the
shared conlleval chunking of riveg_agent.scoring.spans)."""
from __future__ import annotations

from typing import Any, Optional, Sequence

import torch

from riveg_agent.scoring.spans import PRF, bio_to_spans, score_spans

from riveg_agent.ner.encoding import SubwordCache, encode, tag_batched
from riveg_agent.ner.model import PlimTagger, collate
from riveg_agent.ner.readers import TYPES, Example


def predict_tags(model: PlimTagger, tokenizer, items: Sequence[tuple[Sequence[str], Optional[Sequence[str]]]],
                 batch_size: int = 32, subwords: Optional[SubwordCache] = None) -> list[list[str]]:
    """BIO tags for each (tokens, knowledge or None); batches are built from
    length-sorted items to keep padding small. Words cut by max_length get O."""
    return predict_with_confidence(model, tokenizer, items, batch_size, subwords)[0]


def predict_with_confidence(model: PlimTagger, tokenizer,
                            items: Sequence[tuple[Sequence[str], Optional[Sequence[str]]]],
                            batch_size: int = 32, subwords: Optional[SubwordCache] = None
                            ) -> tuple[list[list[str]], list[float]]:
    """predict_tags, plus each post's CRF probability of its tag path."""
    subwords = subwords or SubwordCache(tokenizer)
    enc = [encode(subwords, t, k, model.config.max_length) for t, k in items]
    was_training = model.training
    model.eval()
    with torch.inference_mode():
        out = tag_batched(enc, batch_size,
                          lambda batch: model.decode_with_confidence(collate(batch, tokenizer.pad_token_id)))
    model.train(was_training)
    return out


def score(pred: Sequence[Sequence[str]], gold: Sequence[Sequence[str]]) -> dict[str, Any]:
    """Micro and per-type P/R/F1 of predicted vs gold tag sequences."""
    p_spans = [bio_to_spans(t) for t in pred]
    g_spans = [bio_to_spans(t) for t in gold]
    result: dict[str, Any] = {"micro": score_spans(p_spans, g_spans).as_dict(), "per_type": {}}
    for typ in TYPES:
        prf: PRF = score_spans([[s for s in p if s[2] == typ] for p in p_spans],
                               [[s for s in g if s[2] == typ] for g in g_spans])
        result["per_type"][typ] = prf.as_dict()
    return result


def evaluate(model: PlimTagger, tokenizer, examples: Sequence[Example], use_knowledge: bool,
             batch_size: int = 32) -> dict[str, Any]:
    items = [(e.tokens, e.knowledge if use_knowledge else None) for e in examples]
    pred = predict_tags(model, tokenizer, items, batch_size)
    result = score(pred, [e.tags for e in examples])
    result["tweets"] = len(examples)
    result["with_knowledge"] = sum(1 for _, k in items if k)
    return result

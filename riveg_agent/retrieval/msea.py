"""MSEA fused features (Multimodal Similar Example Awareness).

The paper takes fused text+image features from a vanilla multimodal NER model.
Here, for a post and for each hand-annotated exemplar:

- text: the PLIM NER model's encoder (fine-tuned for tweet NER), mean of its
  last hidden states over the post's subwords (`PlimTagger.pooled_post`);
- image side: the all-MiniLM-L6-v2 sentence embedding of the image's caption
  (the exemplars have BLIP-2 captions, not images; a post's caption comes from
  the Captioner role; a post or exemplar without one embeds the fixed text
  "no image description"); or, in an index built with exemplar pictures
  (`riveg index build --images`), EfficientNet-Lite0 features of the
  pictures (riveg_agent.retrieval.effnet), used for a post that has a picture.

Each part is L2-normalised and the fused vector is
`[sqrt(1 - w) * text, sqrt(w) * caption]`, itself of norm 1, so the cosine
of two fused vectors is `(1 - w) * cos_text + w * cos_caption`: `w` (the
image weight) says how much the picture counts. Cosine search in a FAISS
IndexFlatIP. The parts are stored apart in the index, so `w` can change
without re-embedding."""
from __future__ import annotations

from typing import Optional, Sequence

import numpy as np

NO_CAPTION = "no image description"
DEFAULT_IMAGE_WEIGHT = 0.3


def _normalise(v: np.ndarray) -> np.ndarray:
    return (v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)).astype(np.float32)


def text_features(token_lists: Sequence[Sequence[str]], ner_model: str,
                  batch_size: int = 32) -> np.ndarray:
    """Pooled NER-encoder features of tokenised posts, L2-normalised rows."""
    import torch

    from riveg_agent.ner.io import load_cached
    from riveg_agent.ner.model import SubwordCache, collate, encode
    tagger, tokenizer = load_cached(ner_model)
    sub = SubwordCache(tokenizer)
    out = []
    with torch.inference_mode():
        for s in range(0, len(token_lists), batch_size):
            enc = [encode(sub, list(t), None, tagger.config.max_length)
                   for t in token_lists[s:s + batch_size]]
            out.append(tagger.pooled_post(collate(enc, tokenizer.pad_token_id)).numpy())
    dim = tagger.encoder.config.hidden_size
    return _normalise(np.concatenate(out) if out else np.zeros((0, dim), np.float32))


def caption_features(captions: Sequence[Optional[str]]) -> np.ndarray:
    """Sentence-MiniLM embeddings of the captions, L2-normalised rows."""
    from riveg_plugins.minilm_exemplars import encode
    return _normalise(encode([c.strip() if c and c.strip() else NO_CAPTION for c in captions]))


def fuse(text: np.ndarray, caption: np.ndarray, image_weight: float) -> np.ndarray:
    if not 0.0 <= image_weight <= 1.0:
        raise ValueError(f"image_weight must be in [0, 1], got {image_weight}")
    return np.concatenate([np.sqrt(1.0 - image_weight) * text,
                           np.sqrt(image_weight) * caption], axis=1).astype(np.float32)

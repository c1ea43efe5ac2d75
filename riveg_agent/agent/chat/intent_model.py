"""The learned intent classifier of the rule router: multinomial logistic
regression over the MiniLM sentence embedding of the masked question (names
as X) plus hashed word, word-pair and character-trigram features (for typos
and casual spellings). Trained by `scripts/chat_intents.py train` on the
generated paraphrases in data/intents.jsonl; the weights are data/intent_model.npz
(plain arrays, loaded without pickle). Plugin tools are not in its label set:
the router compares a question with a plugin tool's own examples by the same
embedding (`similarity`)."""
from __future__ import annotations

import re
import zlib
from pathlib import Path

import numpy as np

DATA = Path(__file__).with_name("data")
WEIGHTS = DATA / "intent_model.npz"
INTENTS = DATA / "intents.jsonl"
HASH_DIM = 2048
NGRAM_WEIGHT = 1.0  # the hashed features' share of the input norm, next to the unit embedding


def for_encoder(masked: str) -> str:
    """The text MiniLM sees: names and pronouns as X."""
    return re.sub(r"\bENT\b", "X", masked)


def ngrams(masked: str) -> np.ndarray:
    """Hashed presence of words, word pairs and character trigrams, L2-normalised."""
    from riveg_agent.agent.chat.routing import features
    v = np.zeros(HASH_DIM, np.float32)
    for f in features(masked):
        v[zlib.crc32(f.encode()) % HASH_DIM] = 1.0
    n = np.linalg.norm(v)
    return v / n if n else v


def embed(texts: list[str]) -> np.ndarray:
    """MiniLM sentence embeddings (unit rows), loaded the way the exemplar plugin loads it."""
    from riveg_plugins.minilm_exemplars import encode
    return encode([for_encoder(t) for t in texts])


def inputs(masked: list[str], emb: np.ndarray | None = None) -> np.ndarray:
    emb = embed(masked) if emb is None else emb
    return np.hstack([emb, NGRAM_WEIGHT * np.stack([ngrams(m) for m in masked])]).astype(np.float32)


def softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


class IntentModel:
    def __init__(self, labels: list[str], W: np.ndarray, b: np.ndarray):
        self.labels, self.W, self.b = labels, W, b

    @classmethod
    def load(cls, path: str | Path = WEIGHTS) -> "IntentModel":
        with np.load(path, allow_pickle=False) as z:
            return cls([str(x) for x in z["labels"]], z["W"], z["b"])

    def save(self, path: str | Path = WEIGHTS) -> None:
        np.savez_compressed(path, labels=np.array(self.labels), W=self.W.astype(np.float32),
                            b=self.b.astype(np.float32))

    def probs(self, masked: str, emb: np.ndarray | None = None) -> dict[str, float]:
        x = inputs([masked], None if emb is None else emb[None])[0]
        p = softmax(x @ self.W + self.b)
        return dict(zip(self.labels, p.tolist()))


def train(masked: list[str], labels: list[str], emb: np.ndarray, epochs: int = 300, l2: float = 1e-5,
          lr: float = 0.05, seed: int = 0) -> IntentModel:
    """Full-batch softmax regression with Adam, balanced class weights; deterministic."""
    names = sorted(set(labels))
    y = np.array([names.index(l) for l in labels])
    X = inputs(masked, emb)
    rng = np.random.default_rng(seed)
    W = rng.normal(0, 0.01, (X.shape[1], len(names))).astype(np.float32)
    b = np.zeros(len(names), np.float32)
    counts = np.bincount(y, minlength=len(names))
    cw = (len(y) / (len(names) * np.maximum(counts, 1)))[y][:, None].astype(np.float32)
    Y = np.eye(len(names), dtype=np.float32)[y]
    m = [np.zeros_like(W), np.zeros_like(b)]
    v = [np.zeros_like(W), np.zeros_like(b)]
    for t in range(1, epochs + 1):
        P = softmax(X @ W + b)
        G = cw * (P - Y) / len(y)
        grads = [X.T @ G + l2 * W, G.sum(0)]
        for k, (param, g) in enumerate(zip((W, b), grads)):
            m[k] = 0.9 * m[k] + 0.1 * g
            v[k] = 0.999 * v[k] + 0.001 * g * g
            param -= lr * (m[k] / (1 - 0.9 ** t)) / (np.sqrt(v[k] / (1 - 0.999 ** t)) + 1e-8)
    return IntentModel(names, W, b)

"""Where the caption VE's errors come from, and whether cheap extra evidence
closes the gap to the 85% target: probes over the shipped model's scores on
Twitter-GMNER dev and test (gold entities).

1. Stacking: a logistic regression fitted on dev over the model's logit plus
   hand features (entity type, the name in the image description, how many
   entities the tweet has, person/text/place words in the description, ...),
   threshold by 5-fold cross-validation on dev, then scored once on test.
2. The same plus entity priors learnt from the train split (how often this
   entity string, and its last word with this type, was in the picture).
3. The knowledge signal: the entity named in the image sentences of the
   dataset's LLM knowledge ("The image of Jolie speaking ...").

    python benchmarks/ve_gap_probes.py --data-dir ../shared/data

Prints JSON. Diagnostic only: nothing here is shipped (scikit-learn comes
with sentence-transformers)."""
from __future__ import annotations

import argparse
import json
import re
from collections import defaultdict
from pathlib import Path

import numpy as np

PERSON = re.compile(r"\b(man|woman|men|women|person|people|boy|girl|guy|lady|player|players|child|"
                    r"children|kid|kids|baby|couple|crowd|group|actor|actress|singer|portrait|face|"
                    r"selfie)\b")
TEXT = re.compile(r"\b(logo|sign|text|poster|banner|written|reads|reading|words|title|cover|"
                  r"screenshot|flyer|advertisement|jersey|shirt)\b")
PLACE = re.compile(r"\b(city|street|building|skyline|landscape|beach|mountain|stadium|map|view|"
                   r"river|bridge|church|tower)\b")
STOP = set("the a an of and in on at to for with by from is de la le el rt".split())
TYPES = ("PER", "LOC", "ORG", "MISC")


def words(s: str) -> list[str]:
    return [t for t in re.findall(r"\w+", s.lower()) if len(t) >= 3 and t not in STOP]


def image_sentences(knowledge: str) -> str:
    """The knowledge's sentences that talk about the picture."""
    sents = re.split(r"(?<=[.!?])\s+", knowledge)
    return " ".join(s for s in sents if re.search(r"\b(image|picture|photo)\b", s, re.I)).lower()


def hand_features(examples) -> np.ndarray:
    by_tweet = defaultdict(list)
    for i, e in enumerate(examples):
        by_tweet[(e.image, e.text)].append(i)
    rows = []
    for i, e in enumerate(examples):
        group = by_tweet[(e.image, e.text)]
        cap, name = e.caption.lower(), e.entity.lower()
        cap_words, name_words = set(re.findall(r"\w+", cap)), words(e.entity)
        pos = e.text.lower().find(name)
        rows.append([*(e.type == t for t in TYPES), name in cap,
                     sum(w in cap_words for w in name_words) / len(name_words) if name_words else 0.0,
                     bool(name_words) and name_words[-1] in cap_words,
                     any(examples[j].entity.lower() in cap for j in group if j != i),
                     len(group), sum(examples[j].type == e.type for j in group), group.index(i),
                     min(len(PERSON.findall(cap)), 10), min(len(TEXT.findall(cap)), 10),
                     min(len(PLACE.findall(cap)), 10), len(e.entity.split()),
                     pos / max(len(e.text), 1) if pos >= 0 else 1.0, len(e.text.split()),
                     (e.type == "PER") * (name in cap)])
    return np.array(rows, dtype=float)


def priors(train, examples) -> np.ndarray:
    whole, last = defaultdict(lambda: [0, 0]), defaultdict(lambda: [0, 0])
    for e in train:
        for table, key in ((whole, e.entity.lower()), (last, (e.entity.lower().split()[-1], e.type))):
            table[key][0] += e.label
            table[key][1] += 1
    base = {t: np.mean([e.label for e in train if e.type == t]) for t in TYPES}
    rows = []
    for e in examples:
        p, n = whole.get(e.entity.lower(), (0, 0))
        p2, n2 = last.get((e.entity.lower().split()[-1], e.type), (0, 0))
        b = base[e.type]
        rows.append([(p + 2 * b) / (n + 2), np.log1p(n), (p2 + 2 * b) / (n2 + 2), np.log1p(n2)])
    return np.array(rows)


def knowledge_features(examples) -> np.ndarray:
    rows = []
    for e in examples:
        img, last = image_sentences(e.knowledge), e.entity.lower().split()[-1]
        rows.append([e.entity.lower() in img, len(last) > 2 and last in img,
                     e.entity.lower() in e.knowledge.lower()])
    return np.array(rows, dtype=float)


def stack(dev_x, dev_y, test_x, test_y) -> dict:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import cross_val_predict
    model = LogisticRegression(max_iter=5000)
    cv = cross_val_predict(model, dev_x, dev_y, cv=5, method="predict_proba")[:, 1]
    grid = np.arange(0.2, 0.8, 0.01)
    t = float(grid[np.argmax([((cv >= t) == dev_y).mean() for t in grid])])
    test_p = model.fit(dev_x, dev_y).predict_proba(test_x)[:, 1]
    return {"threshold": round(t, 2), "dev_cv_accuracy": round(float(((cv >= t) == dev_y).mean()) * 100, 2),
            "test_accuracy": round(float(((test_p >= t) == test_y).mean()) * 100, 2)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data-dir", type=Path, required=True)
    ap.add_argument("--model", default="ve-minilm-gmner")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()

    import torch

    from riveg_agent.ve.data import load_ve_split
    from riveg_agent.ve.io import load
    from riveg_agent.ve.train import predict
    torch.set_num_threads(args.threads)
    model, tokenizer, _ = load(args.model)
    train = load_ve_split(args.data_dir, "train")
    parts = {}
    for split in ("dev", "test"):
        examples = load_ve_split(args.data_dir, split, knowledge=True)
        # the shipped model reads no knowledge: its scores are the caption-only ones
        p = np.clip(np.array(predict(model, tokenizer, examples)), 1e-6, 1 - 1e-6)
        logit = np.log(p / (1 - p))[:, None]
        parts[split] = {"y": np.array([e.label for e in examples]), "p": p,
                        "hand": np.hstack([logit, hand_features(examples)]),
                        "prior": priors(train, examples), "know": knowledge_features(examples)}
    d, t = parts["dev"], parts["test"]
    hit = t["know"][:, 0] + t["know"][:, 1] > 0
    report = {
        "model": args.model,
        "model_alone_test_accuracy": round(float(((t["p"] >= model.config.threshold) == t["y"]).mean()) * 100, 2),
        "stack_hand_features": stack(d["hand"], d["y"], t["hand"], t["y"]),
        "stack_hand_and_train_priors": stack(np.hstack([d["hand"], d["prior"]]), d["y"],
                                             np.hstack([t["hand"], t["prior"]]), t["y"]),
        "stack_hand_and_knowledge": stack(np.hstack([d["hand"], d["know"]]), d["y"],
                                          np.hstack([t["hand"], t["know"]]), t["y"]),
        "knowledge_names_entity_in_image_sentences": {
            "test_share": round(float(hit.mean()) * 100, 2),
            "groundable_rate_if_named": round(float(t["y"][hit].mean()) * 100, 2),
            "groundable_rate_otherwise": round(float(t["y"][~hit].mean()) * 100, 2)},
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()

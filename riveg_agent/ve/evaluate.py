"""VE metrics: accuracy, P/R/F1 of the groundable class, the majority-class
baseline, per-type accuracy; and the dev threshold that maximises accuracy."""
from __future__ import annotations

from collections import defaultdict
from typing import Any, Sequence

from riveg_agent.ve.data import VeExample


def metrics(examples: Sequence[VeExample], probs: Sequence[float], threshold: float) -> dict[str, Any]:
    pred = [p >= threshold for p in probs]
    gold = [bool(e.label) for e in examples]
    n = len(gold)
    tp = sum(p and g for p, g in zip(pred, gold))
    fp = sum(p and not g for p, g in zip(pred, gold))
    fn = sum(g and not p for p, g in zip(pred, gold))
    right = sum(p == g for p, g in zip(pred, gold))
    prec = tp / (tp + fp) if tp + fp else 0.0
    rec = tp / (tp + fn) if tp + fn else 0.0
    by_type: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for e, p, g in zip(examples, pred, gold):
        by_type[e.type][0] += p == g
        by_type[e.type][1] += 1
    positives = sum(gold)
    return {
        "n": n, "threshold": threshold,
        "accuracy": right / n if n else 0.0,
        "groundable": {"precision": prec, "recall": rec,
                       "f1": 2 * prec * rec / (prec + rec) if prec + rec else 0.0,
                       "gold": positives, "predicted": tp + fp},
        "majority_accuracy": max(positives, n - positives) / n if n else 0.0,
        "per_type_accuracy": {t: r / c for t, (r, c) in sorted(by_type.items())},
    }


def best_threshold(examples: Sequence[VeExample], probs: Sequence[float]) -> float:
    """The threshold (0.05 .. 0.95, step 0.01) with the highest accuracy; the
    one closest to 0.5 among ties."""
    gold = [bool(e.label) for e in examples]
    best, best_acc = 0.5, -1.0
    for t in sorted((i / 100 for i in range(5, 96)), key=lambda t: abs(t - 0.5)):
        acc = sum((p >= t) == g for p, g in zip(probs, gold))
        if acc > best_acc:
            best, best_acc = t, acc
    return best

"""One scoring run end to end, as a JSON-ready dict, and its markdown form."""
from __future__ import annotations

from typing import Any, Optional, Sequence

from riveg_agent.scoring.match import Matcher, MatchResult
from riveg_agent.scoring.triples import GoldSet, PredictionSet


def _row(res: MatchResult, iou: Optional[float]) -> dict[str, Any]:
    return {"iou": iou, **res.total.as_dict()}


def evaluate(task: str, gold: GoldSet, preds: PredictionSet, iou: float = 0.5,
             sweep: Optional[Sequence[float]] = None, by_type: bool = False) -> dict[str, Any]:
    matcher = Matcher(task, gold, preds)
    box_free = matcher.spec.region is None
    res = matcher.run(iou)
    out: dict[str, Any] = {
        "task": task,
        "iou": None if box_free else iou,
        **res.total.as_dict(),
        "gold_file": gold.path, "gold_format": gold.format,
        "pred_file": preds.path, "pred_format": preds.format,
        "pred_errors": preds.errors,
        "pred_images_not_in_gold": len(preds.images - gold.images),
    }
    if by_type:
        out["by_type"] = {t: c.as_dict() for t, c in res.by_type.items()}
    if sweep and not box_free:
        out["sweep"] = [_row(matcher.run(t), t) for t in sweep]
    return out


def _pct(v: float) -> str:
    return f"{100 * v:.2f}"


def to_markdown(result: dict[str, Any]) -> str:
    head = "| task | IoU | predicted | gold | correct | P | R | F1 |\n|---|---|---|---|---|---|---|---|"
    iou = "-" if result["iou"] is None else f"{result['iou']:g}"

    def line(name: str, r: dict[str, Any], thr: str) -> str:
        return (f"| {name} | {thr} | {r['predicted']} | {r['gold']} | {r['correct']} | "
                f"{_pct(r['precision'])} | {_pct(r['recall'])} | {_pct(r['f1'])} |")

    rows = [head, line(result["task"], result, iou)]
    for t, r in result.get("by_type", {}).items():
        rows.append(line(f"{result['task']} {t}", r, iou))
    for r in result.get("sweep", []):
        rows.append(line(result["task"], r, f"{r['iou']:g}"))
    return "\n".join(rows)

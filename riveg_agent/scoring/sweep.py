"""IoU sweeps (the paper's Fig. 8) and their PNG plot."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

from riveg_agent.scoring.errors import ScoringError


def parse_sweep(spec: str) -> list[float]:
    """'0.5:0.95:0.05' -> [0.5, 0.55, ..., 0.95], stop included."""
    try:
        start, stop, step = (float(v) for v in spec.split(":"))
    except ValueError as exc:
        raise ScoringError(f"--sweep wants START:STOP:STEP, got {spec!r}") from exc
    if step <= 0 or not 0 <= start <= stop <= 1:
        raise ScoringError(f"--sweep {spec!r}: want 0 <= START <= STOP <= 1 and STEP > 0")
    out: list[float] = []
    i = 0
    # rounding keeps 0.6 from turning into 0.6000000000000001, which would
    # fail IoUs of exactly 0.6
    while (t := round(start + i * step, 10)) <= stop + 1e-9:
        out.append(t)
        i += 1
    return out


def plot_sweep(rows: Sequence[dict[str, Any]], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    xs = [r["iou"] for r in rows]
    fig, ax = plt.subplots(figsize=(5, 3.5), dpi=120)
    ax.plot(xs, [100 * r["f1"] for r in rows], marker="o", label="F1")
    ax.plot(xs, [100 * r["precision"] for r in rows], linestyle="--", label="P")
    ax.plot(xs, [100 * r["recall"] for r in rows], linestyle=":", label="R")
    ax.set_xlabel("IoU threshold")
    ax.set_ylabel("%")
    ax.set_ylim(0, 100)  # fixed scale: runs stay comparable, as in the paper's Fig. 8
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    try:
        fig.savefig(path, format="png")
    except OSError as exc:
        raise ScoringError(f"{path}: cannot write the plot ({exc})") from exc
    finally:
        plt.close(fig)

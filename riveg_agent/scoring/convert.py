"""Gold -> paper-format prediction lines: a perfect system's output, for
round-trip checks of the scorer."""
from __future__ import annotations

from collections import Counter
from pathlib import Path

from riveg_agent.scoring.errors import ScoringError
from riveg_agent.scoring.paper import format_line
from riveg_agent.scoring.triples import GoldSet


def gold_to_pred_lines(gold: GoldSet) -> list[str]:
    if gold.region_kind != "box":
        raise ScoringError(f"{gold.path}: only box gold converts to paper-format predictions")
    seen: Counter[str] = Counter()
    lines: list[str] = []
    for g in gold.triples:
        seen[g.image] += 1
        box = g.regions[0] if g.regions else None
        lines.append(format_line(g.image, seen[g.image], g.entity, g.type, g.expansion or "",
                                 g.groundable, box))  # type: ignore[arg-type]
    return lines


def write_pred_lines(gold: GoldSet, out: Path) -> int:
    lines = gold_to_pred_lines(gold)
    try:
        out.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    except OSError as exc:
        raise ScoringError(f"{out}: cannot write ({exc})") from exc
    return len(lines)

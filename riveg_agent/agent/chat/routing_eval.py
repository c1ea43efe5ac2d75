"""Routing accuracy on a routing test set (JSONL, one conversation a line:
post, text, entities [[surface, type]], turns [{q, tool, entities}]).
A turn is right when the router's tool and its set of entities both match;
follow-ups are routed against the router's own earlier turns."""
from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from riveg_agent.agent.chat.routing import Focus, Router


@dataclass
class Score:
    right: int = 0
    total: int = 0
    seconds: list[float] = field(default_factory=list)
    misses: list[dict] = field(default_factory=list)
    steps: Counter = field(default_factory=Counter)  # which step of the router decided, per turn

    @property
    def accuracy(self) -> float:
        return self.right / self.total if self.total else 0.0


def load_set(path: str | Path) -> list[dict]:
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]


def same_entities(got: list[str], want: list[str], entities: list[tuple[str, str]]) -> bool:
    """Post entities must match exactly; names not in the post are kept as the
    user typed them, so those compare case-insensitively."""
    post = {e for e, _ in entities}
    def key(names):
        return {n if n in post else n.lower() for n in names}
    return key(got) == key(want)


def evaluate(router: Router, conversations: list[dict]) -> Score:
    score = Score()
    for conv in conversations:
        focus = Focus()
        entities = [tuple(e) for e in conv["entities"]]
        for turn in conv["turns"]:
            t0 = time.perf_counter()
            route = router.route(turn["q"], entities, focus, conv.get("text", ""))
            score.seconds.append(time.perf_counter() - t0)
            ok = route.intent == turn["tool"] and same_entities(route.entities, turn["entities"], entities)
            score.total += 1
            score.steps[route.source.split(";")[0]] += 1
            score.right += ok
            if not ok:
                score.misses.append({"post": conv["post"], "q": turn["q"],
                                     "expected": [turn["tool"], turn["entities"]],
                                     "got": [route.intent, route.entities, route.source]})
            focus.update(route)
    return score

"""Answer latency per chat turn on the demo post, after the first turn (the
pipeline's result is cached for the conversation).

    RIVEG_THREADS=1 python benchmarks/chat_latency.py [--config default] [--modes rules:template,llm:llm]

For each mode (router:phrasing) it opens a session, asks the first question
(which runs the chain once, or hits it cached), then times each following
turn of a fixed 12-turn conversation; prints p50 / p90 / max per mode.
"""
from __future__ import annotations

import argparse
import statistics
import time

TURNS = [
    "Where is Eileen Collins?", "why do you think so?", "segment her", "Is NASA in the picture?",
    "and the other one?", "what is the Johnson Space Center?", "Where is Barack Obama?",
    "which people in the tweet appear in the photo?", "list all entities and their types",
    "describe the photo", "what is NASA?", "is Houston in the picture?", "how do you know?",
]


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", default="default")
    ap.add_argument("--modes", default="rules:template,llm:template,rules:llm,llm:llm")
    args = ap.parse_args()

    from riveg_agent.agent.chat import ChatSession
    from riveg_agent.cli.demo_cmd import demo_post
    from riveg_agent.core.pipeline import Pipeline

    post = demo_post()
    pipeline = Pipeline(args.config)
    cached = None
    print(f"config {args.config}; {len(TURNS) - 1} timed turns per mode (the first turn is not timed)")
    for mode in args.modes.split(","):
        router, phrasing = mode.split(":")
        s = ChatSession(post["text"], post["image"], pipeline=pipeline, router=router, phrasing=phrasing)
        t0 = time.perf_counter()
        if cached is not None:
            s._state, s._result = cached  # the same post: reuse the chain's result, as a session does
        s.ask(TURNS[0])
        first = time.perf_counter() - t0
        cached = (s._state, s._result)
        times, worded = [], 0
        for q in TURNS[1:]:
            t = time.perf_counter()
            a = s.ask(q)
            times.append(time.perf_counter() - t)
            worded += a.phrased_by == "llm"
        print(f"{mode:16} first turn {first:6.2f} s; after it: p50 {statistics.median(times):.3f} s, "
              f"p90 {pct(times, 0.9):.3f} s, max {max(times):.3f} s"
              + (f"; LLM wording kept {worded}/{len(times)}" if phrasing == "llm" else ""))


if __name__ == "__main__":
    main()

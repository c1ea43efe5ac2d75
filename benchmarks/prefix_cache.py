"""Knowledge with and without the prefix-state cache (issue 19, lever 1):
prompt tokens llama.cpp evaluates per post, and seconds per post.

    RIVEG_THREADS=1 python benchmarks/prefix_cache.py --data-dir ../shared/data --n 20 --hit-rate-posts 723

Posts: the first N+1 tweets of Twitter-2017 dev (the first warms both
contexts up and is not counted), BLIP-2 captions, the config's exemplars
(MSEA), retrieved for every post (adaptive knowledge would skip most posts;
this times the LLM call itself). The LLM answer cache is off. Two llama.cpp
contexts of the same model, one per mode, take each post in turn (off, then
on), so both see the same machine load; the texts must be identical, and the
script fails if not.

--hit-rate-posts M: also retrieve the exemplars of the first M posts (no LLM)
and replay them through an LRU of states of the measured size, for a few
budgets: how often a longer run finds its exemplar's state.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections import OrderedDict
from pathlib import Path

from riveg_agent.core.config import load_config
from riveg_agent.core.pipeline import Pipeline
from riveg_agent.core.roles import Caption, Post
from riveg_agent.llm.runtime import get_llm
from riveg_agent.llm.splits import dataset_captions, split_file
from riveg_agent.scoring.conll import read_conll

BUDGETS_MB = (64, 256, 1024)


def lru_hits(keys: list, capacity: int) -> int:
    lru: OrderedDict = OrderedDict()
    hits = 0
    for key in keys:
        if key in lru:
            hits += 1
            lru.move_to_end(key)
        else:
            lru[key] = None
            if len(lru) > capacity:
                lru.popitem(last=False)
    return hits


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", type=Path, required=True)
    ap.add_argument("--dataset", default="twitter2017")
    ap.add_argument("--split", default="valid")
    ap.add_argument("--n", type=int, default=20)
    ap.add_argument("--config", default="default")
    ap.add_argument("--hit-rate-posts", type=int, default=0)
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args()

    cfg = load_config(args.config)
    cfg.roles["knowledge"].params["cache"] = False
    pipe = Pipeline(cfg)
    knower, retriever = pipe.plugin("knowledge"), pipe.plugin("exemplars")
    # A context per mode: the "off" context must not see the other's states.
    llms = {mode: get_llm(knower.model, knower.n_ctx, knower.n_threads or None, slot=f"bench-{mode}")
            for mode in ("off", "on")}
    tweets = read_conll(split_file(args.data_dir, args.dataset, args.split))
    caps = dataset_captions(args.data_dir, args.dataset)

    def post_of(tweet) -> tuple[Post, Caption]:
        return (Post(tweet.image, " ".join(tweet.tokens), tokens=list(tweet.tokens)),
                Caption(caps.get(tweet.image, "no image description"), "BLIP-2"))

    rows, mismatches, exemplar_ids = [], [], []
    for i, tweet in enumerate(tweets[: args.n + 1]):
        post, caption = post_of(tweet)
        exemplars = retriever.retrieve(post, caption)
        row, texts = {}, {}
        for mode, llm in llms.items():
            knower._llm, knower.prefix_cache = llm, mode == "on"
            before, prompt_before = llm.perf()["prefill_tokens"], llm.totals["prompt_tokens"]
            t0 = time.perf_counter()
            texts[mode] = knower.generate(post, caption, exemplars).text
            row[mode] = {"s": time.perf_counter() - t0,
                         # llama.cpp's own count of prompt tokens evaluated (after any reuse)
                         "evaluated": llm.perf()["prefill_tokens"] - before,
                         "prompt": llm.totals["prompt_tokens"] - prompt_before}
        if texts["off"] != texts["on"]:
            mismatches.append(tweet.image)
        if i > 0:  # the first post warms both contexts up
            rows.append(row)
            exemplar_ids.append(tuple(e.id for e in exemplars))

    def per_post(mode: str, key: str, fn=statistics.mean) -> float:
        return round(fn(r[mode][key] for r in rows), 3 if key == "s" else 1)

    states = llms["on"].prefix_states
    state_mb = states.bytes / 2**20 / max(len(states), 1)
    figures = {
        "posts": len(rows),
        "model": llms["on"].name,
        "threads": llms["on"].llama.n_threads,
        "exemplars_k": cfg.roles["exemplars"].params.get("k"),
        "distinct_exemplar_sets": len(set(exemplar_ids)),
        "prompt_tokens_per_post": per_post("off", "prompt"),
        "evaluated_per_post": {"off": per_post("off", "evaluated"), "on": per_post("on", "evaluated")},
        "s_per_post_mean": {"off": per_post("off", "s"), "on": per_post("on", "s")},
        "s_per_post_p50": {"off": per_post("off", "s", statistics.median),
                           "on": per_post("on", "s", statistics.median)},
        # the posts whose state was loaded: what a hit is worth
        "on_hits": [{"evaluated_off": r["off"]["evaluated"], "evaluated_on": r["on"]["evaluated"],
                     "s_off": round(r["off"]["s"], 3), "s_on": round(r["on"]["s"], 3)}
                    for r in rows if r["on"]["evaluated"] < r["off"]["evaluated"]],
        "prefix_states": {**states.stats, "kept": len(states), "mb": round(states.bytes / 2**20, 1),
                          "mb_per_state": round(state_mb, 2), "budget_mb": round(states.budget / 2**20, 1)},
        "texts_identical": not mismatches,
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "nice": os.nice(0),
    }
    if args.hit_rate_posts:
        keys = [tuple(e.id for e in retriever.retrieve(*post_of(t))) for t in tweets[: args.hit_rate_posts]]
        figures["lru_hit_rate"] = {
            "posts": len(keys), "distinct_exemplar_sets": len(set(keys)),
            **{f"{mb}MB": round(lru_hits(keys, int(mb / state_mb)) / len(keys), 3) for mb in BUDGETS_MB},
            "unbounded": round(lru_hits(keys, len(keys)) / len(keys), 3)}
    print(json.dumps(figures, indent=2))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    if mismatches:
        raise SystemExit(f"texts differ with the prefix-state cache on: {mismatches}")


if __name__ == "__main__":
    main()

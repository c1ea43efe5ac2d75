"""`Pipeline.pipe()` against one call per post: same results, seconds per post.

    python benchmarks/pipe_speed.py --data-dir ../shared/data --config default --posts 20
    python benchmarks/pipe_speed.py --data-dir ../shared/data --config gmner --posts 200

Posts: the first N tweets of Twitter-2017 test, text only (`default`: the
whole default chain with the LLM cache off, so both runs compute everything),
or of Twitter-GMNER test through the product chain of
`benchmarks/gmner_e2e.py` (`gmner`: the dataset's captions and knowledge, the
shipped NER and VE; no LLM). One warm-up post loads the models first. Prints
JSON: seconds for each way, per post, the p50 / p90 of one call per post,
speed-up, and whether every result (timings aside) is the same.
"""
from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", type=Path, required=True)
    ap.add_argument("--config", default="default", choices=["default", "gmner"])
    ap.add_argument("--posts", type=int, default=20)
    ap.add_argument("--batch-size", type=int, default=16)
    args = ap.parse_args()

    from riveg_agent.core.config import load_config
    from riveg_agent.core.pipeline import Pipeline
    from riveg_agent.core.roles import Post
    from riveg_agent.llm.splits import split_file
    from riveg_agent.scoring.conll import read_conll
    from riveg_agent.ve.end_to_end import dataset_posts, gmner_config

    if args.config == "gmner":
        cfg = gmner_config(args.data_dir, "test", threads=2)
        posts = dataset_posts(args.data_dir, "test")[: args.posts + 1]
    else:
        cfg = load_config("default")
        cfg.roles["knowledge"].params["cache"] = cfg.roles["expander"].params["cache"] = False
        tweets = read_conll(split_file(args.data_dir, "twitter2017", "test"))[: args.posts + 1]
        posts = [Post(t.image, " ".join(t.tokens)) for t in tweets]
    nlp = Pipeline(cfg)
    nlp.run(posts[0])  # warm-up: model loads
    posts = posts[1:]

    def same(r) -> dict:
        return r.model_dump(mode="json", exclude={"timings"})

    t0 = time.perf_counter()
    single, each = [], []
    for p in posts:  # one call per post, as `riveg run` with the models loaded
        s0 = time.perf_counter()
        single.append(same(nlp.run(p)))
        each.append(time.perf_counter() - s0)
    t1 = time.perf_counter()
    piped = [same(r) for r in nlp.pipe(posts, batch_size=args.batch_size)]
    t2 = time.perf_counter()
    print(json.dumps({
        "config": cfg.name, "posts": len(posts), "batch_size": args.batch_size,
        "single_s": round(t1 - t0, 2), "pipe_s": round(t2 - t1, 2),
        "single_s_per_post": round((t1 - t0) / len(posts), 4),
        "single_p50_s": round(statistics.median(each), 4),
        "single_p90_s": round(statistics.quantiles(each, n=10)[-1], 4) if len(each) > 1 else round(each[0], 4),
        "pipe_s_per_post": round((t2 - t1) / len(posts), 4),
        "speed_up": round((t1 - t0) / max(t2 - t1, 1e-9), 2),
        "identical_results": piped == single,
    }, indent=2))


if __name__ == "__main__":
    main()

"""Knowledge + all expansions per post with the local LLM: p50/p90 latency,
tokens, peak RSS. The LLM cache is off, so every post runs the model.

    python benchmarks/knowledge_speed.py --data-dir ../shared/data --n 50
    python benchmarks/knowledge_speed.py --data-dir ../shared/data --n 50 --k 2 --max-tokens 64 \
        --max-exemplar-chars 300 --batched-expansions

Posts: the first N+1 tweets of Twitter-2017 dev (the first is a warm-up and
not counted); captions from BLIP-2; entities from the config's recognizer (reading the
knowledge, as in the chain). The stages are the pipeline's own (`advance`).
"""
from __future__ import annotations

import argparse
import json
import resource
import statistics
from pathlib import Path

from riveg_agent.core.config import load_config
from riveg_agent.llm.splits import dataset_captions, split_file
from riveg_agent.core.pipeline import Pipeline
from riveg_agent.core.roles import Caption, Post
from riveg_agent.core.state import ChainState
from riveg_agent.scoring.conll import read_conll


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", type=Path, required=True)
    ap.add_argument("--dataset", default="twitter2017")
    ap.add_argument("--split", default="valid")
    ap.add_argument("--n", type=int, default=50)
    ap.add_argument("--config", default="default")
    ap.add_argument("--k", type=int, help="exemplars in the knowledge prompt")
    ap.add_argument("--max-tokens", type=int, help="knowledge max new tokens")
    ap.add_argument("--max-exemplar-chars", type=int, help="cut each exemplar annotation")
    ap.add_argument("--batched-expansions", action="store_true")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args()

    cfg = load_config(args.config)
    cfg.expansions = "always"  # this benchmark times the expansions too, whoever reads them
    roles = cfg.roles
    roles["knowledge"].params["cache"] = roles["expander"].params["cache"] = False
    if args.k is not None:
        roles["exemplars"].params["k"] = args.k
    if args.max_tokens is not None:
        roles["knowledge"].params["max_tokens"] = args.max_tokens
    if args.max_exemplar_chars is not None:
        roles["knowledge"].params["max_exemplar_chars"] = args.max_exemplar_chars
    if args.batched_expansions:
        roles["expander"].params["batched"] = True
    pipe = Pipeline(cfg)
    tweets = read_conll(split_file(args.data_dir, args.dataset, args.split))[: args.n + 1]
    caps = dataset_captions(args.data_dir, args.dataset)
    knower, expander = pipe.plugin("knowledge"), pipe.plugin("expander")

    llms = [knower.llm] + ([expander.llm] if expander.llm is not knower.llm else [])

    def counters() -> dict:
        """Calls and tokens of the LLM contexts, summed (ours and llama.cpp's)."""
        total: dict = {}
        for llm in llms:
            for key, value in {**llm.totals, **llm.perf()}.items():
                total[key] = total.get(key, 0) + value
        return total

    rows, start = [], None
    for i, tweet in enumerate(tweets):
        # The chain's own stages through the expansions, with the dataset's caption.
        state = ChainState(Post(tweet.image, " ".join(tweet.tokens), tokens=list(tweet.tokens)),
                           caption=Caption(caps.get(tweet.image, "no image description"), "BLIP-2"),
                           done=["detector", "captioner"])
        pipe.advance(state, "expander")
        if i == 0:  # the first post warms the model up and is not counted
            start = counters()
        else:
            k, x = state.timings["knowledge"], state.timings["expander"]
            rows.append({"knowledge": k, "expansions": x, "total": k + x, "entities": len(state.entities)})

    used = {key: value - start[key] for key, value in counters().items()}
    totals = [r["total"] for r in rows]
    figures = {
        "posts": len(rows),
        "threads": knower.llm.llama.n_threads,
        "settings": {r: cfg.roles[r].params for r in ("exemplars", "knowledge", "expander")},
        "p50_s": round(statistics.median(totals), 3),
        "p90_s": round(percentile(totals, 0.9), 3),
        "knowledge_p50_s": round(statistics.median(r["knowledge"] for r in rows), 3),
        "expansions_p50_s": round(statistics.median(r["expansions"] for r in rows), 3),
        "entities_per_post": round(sum(r["entities"] for r in rows) / len(rows), 2),
        "llm_calls_per_post": round(used["calls"] / len(rows), 2),
        "prompt_tokens_per_post": round(used["prompt_tokens"] / len(rows), 1),
        # Prompt tokens llama.cpp actually evaluated: the rest came from the
        # KV state of the previous prompt (the fixed head, the expansion shots).
        "prompt_tokens_evaluated_per_post": round(used["prefill_tokens"] / len(rows), 1),
        "generated_tokens_per_post": round(used["completion_tokens"] / len(rows), 1),
        "prefill_tokens_per_s": round(1000 * used["prefill_tokens"] / max(used["prefill_ms"], 1e-9), 1),
        "decode_tokens_per_s": round(1000 * used["decode_tokens"] / max(used["decode_ms"], 1e-9), 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    print(json.dumps(figures, indent=2, default=str))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, default=str))


if __name__ == "__main__":
    main()

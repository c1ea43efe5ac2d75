"""Adaptive knowledge: skip the LLM where the CRF is sure of the post alone.

    python benchmarks/adaptive_knowledge.py --data-dir ../shared/data [--model plim-mpnet-t17-mix]
        [--dataset twitter2017] [--split dev] [--knowledge-file F] [--limit N] [--time-knowledge 8] [--json OUT]

Each tweet is tagged twice with the shipped recognizer: on the post alone
(with the CRF's probability of its best tag path) and with the local LLM's
knowledge (a file written by `riveg knowledge generate`, default: the
committed file of the dataset and split; a tweet the file lacks is tagged
without knowledge, so pass `--limit` for a partial file). For each threshold, a tweet whose
text-only path probability reaches it keeps its text-only tags (no LLM call);
the others use the knowledge. Printed: the share skipped, MNER F1, and the
seconds a post of (tagging + the knowledge calls still made), where the cost
of one knowledge call is measured here on `--time-knowledge` posts with the
default config (LLM answer cache off). Choose the threshold on dev.
"""
from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from riveg_agent.ner.readers import DATASETS

ROOT = Path(__file__).resolve().parents[1]
KNOWLEDGE = ROOT / "benchmarks" / "results" / "knowledge"
THRESHOLDS = [None, 0.99, 0.98, 0.95, 0.9, 0.8, 0.7, 0.5, 0.0]


def default_knowledge_file(dataset: str, split: str) -> Path:
    """The committed `riveg knowledge generate` file of the default config."""
    return KNOWLEDGE / f"{dataset}-{split}.qwen2.5-coder-0.5b.default.txt"


def knowledge_seconds(data_dir: Path, dataset: str, split: str, n: int) -> float:
    """Mean seconds of the default config's knowledge stage (exemplar + LLM) a post."""
    from riveg_agent.core.config import load_config
    from riveg_agent.core.pipeline import Pipeline
    from riveg_agent.core.roles import Caption, Post
    from riveg_agent.core.state import ChainState
    from riveg_agent.llm.splits import split_file
    from riveg_agent.scoring.conll import read_conll

    cfg = load_config("default")
    cfg.roles["knowledge"].params["cache"] = False
    pipe = Pipeline(cfg)
    tweets = read_conll(split_file(data_dir, dataset, split))[: n + 1]
    times = []
    for i, t in enumerate(tweets):
        state = ChainState(Post(t.image, " ".join(t.tokens), tokens=list(t.tokens)),
                           caption=Caption("no image description", "none"), done=["detector", "captioner"])
        t0 = time.perf_counter()
        pipe.generate_knowledge(state)
        if i:  # the first call loads the model
            times.append(time.perf_counter() - t0)
    pipe.close()
    return statistics.mean(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data-dir", type=Path, required=True)
    ap.add_argument("--model", default="plim-mpnet-t17-mix")
    ap.add_argument("--dataset", default="twitter2017", choices=list(DATASETS),
                    help="score a model only on the dataset it was trained on")
    ap.add_argument("--split", default="dev", choices=["dev", "test"])
    ap.add_argument("--knowledge-file", type=Path)
    ap.add_argument("--limit", type=int, help="the first N tweets only (e.g. 200: the knowledge ablation's subset)")
    ap.add_argument("--time-knowledge", type=int, default=8, help="posts to time the knowledge call on (0: skip)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()

    import torch

    from riveg_agent.ner.io import load_cached
    from riveg_agent.ner.predict import predict_with_confidence, score
    from riveg_agent.ner.readers import align_knowledge, dataset_files, load_examples, read_knowledge

    torch.set_num_threads(args.threads)
    conll, _ = dataset_files(args.data_dir, args.dataset, args.split)
    examples = load_examples(conll)[: args.limit]
    kfile = args.knowledge_file or default_knowledge_file(args.dataset, args.split)
    local = align_knowledge([e.tokens for e in examples], read_knowledge(kfile), kfile)
    model, tokenizer = load_cached(args.model)
    gold = [e.tags for e in examples]

    t0 = time.perf_counter()
    text_tags, conf = predict_with_confidence(model, tokenizer, [(e.tokens, None) for e in examples])
    t_text = (time.perf_counter() - t0) / len(examples)
    t0 = time.perf_counter()
    know_tags, _ = predict_with_confidence(model, tokenizer, [(e.tokens, k) for e, k in zip(examples, local)])
    t_know = (time.perf_counter() - t0) / len(examples)
    k_sec = (knowledge_seconds(args.data_dir, args.dataset, args.split, args.time_knowledge)
             if args.time_knowledge else None)

    print(f"{args.dataset} {args.split}: {len(examples)} tweets, {sum(1 for k in local if k)} with local knowledge "
          f"({kfile.name}); model {args.model}")
    print(f"tagging {t_text * 1000:.0f} ms (text only) / {t_know * 1000:.0f} ms (with knowledge) a post; "
          + (f"one knowledge call {k_sec:.2f} s (mean of {args.time_knowledge})" if k_sec else "knowledge call not timed"))
    print("threshold | skipped | F1 | s/post")
    rows = []
    for th in THRESHOLDS:
        skip = [th is not None and c >= th for c in conf]
        pred = [t if s else k for t, k, s in zip(text_tags, know_tags, skip)]
        f1 = score(pred, gold)["micro"]["f1"]
        share = sum(skip) / len(skip)
        sec = (t_text + (1 - share) * (t_know + k_sec)) if k_sec else None
        rows.append({"threshold": th, "skipped": round(share, 4), "f1": round(100 * f1, 2),
                     "seconds_per_post": round(sec, 3) if sec else None})
        label = "never skip" if th is None else f"{th:.2f}"
        print(f"{label} | {100 * share:.1f} % | {100 * f1:.2f} | " + (f"{sec:.2f}" if sec else "-"))
    if args.json:
        args.json.write_text(json.dumps({"dataset": args.dataset, "split": args.split, "posts": len(examples),
                                         "model": args.model, "knowledge_file": kfile.name,
                                         "knowledge_seconds": k_sec, "rows": rows}, indent=1))


if __name__ == "__main__":
    main()

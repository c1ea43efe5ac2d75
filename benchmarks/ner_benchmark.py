"""NER benchmark: test-set micro F1 of the PLIM recognizer per dataset,
(a) text only and (b) with the dataset's LLM knowledge; NER-only throughput
(posts/s) and the peak RSS of a process that holds only the NER model.

(c) with knowledge from the local Qwen 0.5B, from a file written by
`riveg knowledge generate` (only the tweets it covers are scored).

    .venv/bin/python benchmarks/ner_benchmark.py --data-dir ../shared/data \
        --model twitter2017=plim-minilm-t17 [--model twitter2015=FOLDER ...] \
        --local-knowledge twitter2017=benchmarks/results/knowledge/twitter2017-test.qwen2.5-coder-0.5b.txt \
        --out benchmarks/results/ner.json [--threads 1] [--speed-threads 2,1 | --speed-threads ""]

Each dataset is scored only with the model trained on it (the paper trains per
dataset; a Twitter-GMNER model must not see 2015/2017 test). The figures are
printed as a markdown table and written as JSON.
"""
from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

PAPER = {  # paper's PLIM with BERT-base (knowledge) / text-only BERT-base-CRF, test F1
    "twitter2017": (89.71, 84.96), "twitter2015": (76.97, 74.71), "twitter-gmner": (84.19, 78.19)}
TARGET = {"twitter2017": 89.7, "twitter2015": 77.0, "twitter-gmner": 85.0}


def _rss_mb() -> float:
    """Peak resident set size of this process so far (MB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def _current_rss_mb() -> float:
    """Current resident set size (MB), from /proc on Linux; else the peak."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return _rss_mb()


def measure_speed(model: str, data_dir: Path, threads: int, per_post: int) -> dict:
    """Run in a fresh process: load only the NER model, tag the Twitter-2017
    test posts text-only (batched), then `per_post` posts one at a time
    through the plugin (raw text, offsets). Reports peak RSS."""
    import torch
    torch.set_num_threads(threads)
    from riveg_agent.ner.readers import load_split
    from riveg_agent.core.roles import Post
    from riveg_plugins.crf_ner import CrfRecognizer
    rss_imports = _current_rss_mb()
    posts = [" ".join(e.tokens) for e in load_split(data_dir, "twitter2017", "test", False)]
    rec = CrfRecognizer(model, use_knowledge=False)
    t0 = time.time()
    rec._load()
    load_s = time.time() - t0
    rss_loaded = _current_rss_mb()
    rec.recognize(Post("warm", posts[0]), None)
    t0 = time.time()
    rec.recognize_many([Post(str(i), p) for i, p in enumerate(posts)], [None] * len(posts))
    batched = len(posts) / (time.time() - t0)
    t0 = time.time()
    for i, p in enumerate(posts[:per_post]):
        rec.recognize(Post(str(i), p), None)
    single = per_post / (time.time() - t0)
    return {"threads": threads, "posts": len(posts), "load_seconds": round(load_s, 2),
            "posts_per_second_batched": round(batched, 1),
            "posts_per_second_one_by_one": round(single, 1),
            "peak_rss_mb": round(_rss_mb(), 1), "rss_after_imports_mb": round(rss_imports, 1),
            "rss_after_model_load_mb": round(rss_loaded, 1), "rss_end_mb": round(_current_rss_mb(), 1)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    ap.add_argument("--model", action="append", default=[],
                    help="DATASET=MODEL (shipped name or folder); repeatable")
    ap.add_argument("--local-knowledge", action="append", default=[],
                    help="DATASET=FILE: (c) with a `riveg knowledge generate` file for that test split")
    ap.add_argument("--threads", type=int, default=2, help="torch threads for the F1 runs")
    ap.add_argument("--speed-threads", default="2,1",
                    help="comma-separated thread counts for the speed runs ('': no speed run)")
    ap.add_argument("--per-post", type=int, default=200, help="posts tagged one at a time")
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/ner.json"))
    ap.add_argument("--skip-f1", action="store_true")
    ap.add_argument("--speed-only-child", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.speed_only_child:
        print(json.dumps(measure_speed(args.speed_only_child, args.data_dir, args.threads,
                                       args.per_post)))
        return 0

    models = dict(m.split("=", 1) for m in args.model) or {"twitter2017": "plim-minilm-t17"}
    results: dict = {"machine": {"python": platform.python_version(), "cpu": platform.processor(),
                                 "threads": args.threads}, "f1": {}, "speed": None,
                     "not_run": []}
    local = dict(m.split("=", 1) for m in args.local_knowledge)
    if args.skip_f1 and args.out.is_file():
        results["f1"] = json.loads(args.out.read_text(encoding="utf-8")).get("f1", {})
    if not args.skip_f1:
        from riveg_agent.ner.evaluate import evaluate_mner
        for dataset, model in models.items():
            row = {"model": model}
            runs = ["none", "dataset"] + (["local"] if dataset in local else [])
            if dataset not in local:
                results["not_run"].append(f"(c) local knowledge for {dataset}: no --local-knowledge file")
            for know in runs:
                r = evaluate_mner(model, dataset, "test", args.data_dir, know, threads=args.threads,
                                  knowledge_file=Path(local[dataset]) if know == "local" else None)
                row[know] = {"f1": round(100 * r["micro"]["f1"], 2),
                             "precision": round(100 * r["micro"]["precision"], 2),
                             "recall": round(100 * r["micro"]["recall"], 2),
                             "per_type_f1": {t: round(100 * v["f1"], 2)
                                             for t, v in r["per_type"].items()},
                             "gold": r["micro"]["gold"], "posts": r["posts"], "seconds": r["seconds"],
                             **({"knowledge_file": local[dataset]} if know == "local" else {})}
                print(f"{dataset} {know}: F1 {row[know]['f1']}", flush=True)
            results["f1"][dataset] = row
    speed_model = models.get("twitter2017", next(iter(models.values())))
    results["speed"] = []
    for n in (int(x) for x in args.speed_threads.split(",") if x.strip()):
        child = subprocess.run([sys.executable, __file__, "--data-dir", str(args.data_dir),
                                "--threads", str(n), "--per-post", str(args.per_post),
                                "--speed-only-child", speed_model],
                               capture_output=True, text=True, check=True)
        speed = json.loads(child.stdout.strip().splitlines()[-1])
        speed["model"] = speed_model
        results["speed"].append(speed)

    lines = ["| dataset | model | text only F1 | + dataset knowledge F1 | + local Qwen knowledge F1 | paper BERT-base (knowledge / text) | target | gap |",
             "|---|---|---|---|---|---|---|---|"]
    for dataset, row in results["f1"].items():
        k, t = PAPER[dataset]
        gap = row["dataset"]["f1"] - TARGET[dataset]
        loc = f"{row['local']['f1']:.2f} ({row['local']['posts']} posts)" if "local" in row else "not run"
        lines.append(f"| {dataset} | {row['model']} | {row['none']['f1']:.2f} | "
                     f"{row['dataset']['f1']:.2f} | {loc} | {k} / {t} | {TARGET[dataset]} | {gap:+.2f} |")
    lines.append("")
    for s in results["speed"]:
        lines.append(f"Speed ({s['threads']} threads, {s['posts']} Twitter-2017 test posts, text "
                     f"only): {s['posts_per_second_batched']} posts/s batched, "
                     f"{s['posts_per_second_one_by_one']} posts/s one by one; peak RSS "
                     f"{s['peak_rss_mb']} MB (RSS after imports {s['rss_after_imports_mb']} MB, "
                     f"after model load {s['rss_after_model_load_mb']} MB, at the end "
                     f"{s['rss_end_mb']} MB); "
                     f"load {s['load_seconds']} s.")
    if results["not_run"]:
        lines.append("Not run: " + "; ".join(results["not_run"]))
    print("\n".join(lines))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

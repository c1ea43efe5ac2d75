"""Knowledge ablation (paper Table VI with the local LLM): MNER F1 of the
shipped PLIM model on a fixed Twitter-2017 dev subset (the first N tweets),
with knowledge made under each condition:

    none          no knowledge (the post alone)
    no-exemplars  knowledge from the prompt head alone (k = 0)
    random5       the same 5 random exemplars for every post
    msea1 / msea5 the 1 / 5 most similar exemplars (MiniLM text index, the default)
    fused5        the 5 most similar by fused NER-encoder text + caption features
    dataset       the dataset's LLM knowledge (ChatGPT, RiVEG), for reference

    RIVEG_THREADS=2 python benchmarks/knowledge_ablation.py --data-dir ../shared/data --n 200 \\
        --conditions none,no-exemplars,random5,msea1,msea5,fused5,dataset

Each condition's knowledge file lands in --out-dir (resumable; LLM calls go
through the SQLite cache), so an interrupted run continues where it stopped.
A lever of the speed benchmark is measured the same way:
`--extra NAME=k:1,max_exemplar_chars:200,max_tokens:64[,retriever:fused]`.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

CONDITIONS = {
    "no-exemplars": {"exemplars": ("riveg.minilm_exemplars.v1", {"k": 0})},
    "random5": {"exemplars": ("riveg.random_exemplars.v1", {"k": 5, "index": "twitter2017-minilm"})},
    "msea1": {"exemplars": ("riveg.minilm_exemplars.v1", {"k": 1})},
    "msea5": {"exemplars": ("riveg.minilm_exemplars.v1", {"k": 5})},
    "fused5": {"exemplars": ("riveg.msea_exemplars.v1", {"k": 5, "index": "twitter2017-msea"})},
}
KNOWLEDGE_KEYS = {"max_tokens", "max_exemplar_chars"}


RETRIEVERS = {  # retriever:NAME in --extra
    "minilm": ("riveg.minilm_exemplars.v1", {"index": "twitter2017-minilm"}),
    "fused": ("riveg.msea_exemplars.v1", {"index": "twitter2017-msea"}),
    "random": ("riveg.random_exemplars.v1", {"index": "twitter2017-minilm"}),
}


def parse_extra(spec: str) -> tuple[str, dict]:
    """NAME=k:2,max_tokens:64[,retriever:fused] -> a condition (MiniLM-text
    retriever unless another is named)."""
    name, _, body = spec.partition("=")
    plugin, ex = RETRIEVERS["minilm"]
    ex, know = dict(ex), {}
    for item in filter(None, body.split(",")):
        key, _, value = item.partition(":")
        if key == "retriever":
            if value not in RETRIEVERS:
                raise SystemExit(f"--extra {spec}: retriever must be one of {', '.join(RETRIEVERS)}")
            plugin, ex = RETRIEVERS[value][0], {**ex, **RETRIEVERS[value][1]}
        else:
            (know if key in KNOWLEDGE_KEYS else ex)[key] = int(value)
    return name, {"exemplars": (plugin, ex), "knowledge": (None, know)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", type=Path, required=True)
    ap.add_argument("--n", type=int, default=200, help="the first N Twitter-2017 dev tweets")
    ap.add_argument("--conditions", default="none,no-exemplars,random5,msea1,msea5,fused5,dataset")
    ap.add_argument("--extra", action="append", default=[], help="NAME=k:2,max_tokens:64,...")
    ap.add_argument("--model", default="plim-minilm-t17", help="the NER model scored")
    ap.add_argument("--out-dir", type=Path, default=Path("benchmarks/results/knowledge/ablation"))
    args = ap.parse_args()

    from riveg_agent.core.config import load_config
    from riveg_agent.llm.splits import generate_split
    from riveg_agent.ner.evaluate import evaluate_mner
    from riveg_agent.core.pipeline import Pipeline

    conditions = dict(CONDITIONS)
    for spec in args.extra:
        name, cond = parse_extra(spec)
        conditions[name] = cond
    wanted = [c.strip() for c in args.conditions.split(",") if c.strip()] + [parse_extra(s)[0] for s in args.extra]
    rows = []
    for name in wanted:
        t0 = time.time()
        if name in ("none", "dataset"):
            res = evaluate_mner(args.model, "twitter2017", "dev", args.data_dir, name, limit=args.n)
        elif name in conditions:
            cfg = load_config("default")
            for role, (plugin, params) in conditions[name].items():
                rc = cfg.roles[role]
                if plugin and plugin != rc.plugin:  # another plugin: only its own params
                    rc.plugin, rc.params = plugin, dict(params)
                else:
                    rc.params.update(params)
            out = args.out_dir / f"twitter2017-dev{args.n}.{name}.txt"
            stats = generate_split(Pipeline(cfg), args.data_dir, "twitter2017", "dev", out, args.n)
            res = evaluate_mner(args.model, "twitter2017", "dev", args.data_dir, "local",
                                knowledge_file=out, limit=args.n)
            res["generated"], res["settings"] = stats.generated, cfg.resolved()["pipeline"]["exemplars"]
        else:
            raise SystemExit(f"unknown condition {name!r}; known: none, dataset, {', '.join(conditions)}")
        m = res["micro"]
        rows.append({"condition": name, "posts": res["posts"], "precision": m["precision"],
                     "recall": m["recall"], "f1": m["f1"], "seconds": round(time.time() - t0, 1),
                     **({"settings": res["settings"]} if "settings" in res else {})})
        print(json.dumps(rows[-1]), flush=True)
    print("\n| condition | posts | P | R | F1 |\n|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['condition']} | {r['posts']} | {100 * r['precision']:.2f} | "
              f"{100 * r['recall']:.2f} | {100 * r['f1']:.2f} |")


if __name__ == "__main__":
    main()

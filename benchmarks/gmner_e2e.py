"""End-to-end GMNER without images on Twitter-GMNER test, through the
product pipeline (riveg_agent.ve.end_to_end: dataset captions and knowledge
as plugins, the shipped PLIM NER and caption VE), scored with the paper's
rule as `flag` (entity + type + groundable) against the paper's gold file.
Writes the pipeline's own result records for anyone to re-score.

    python benchmarks/gmner_e2e.py --data-dir ../shared/data \\
        --out benchmarks/results/gmner-test-predictions.jsonl
    riveg eval flag --pred benchmarks/results/gmner-test-predictions.jsonl \\
        --gold ../shared/data/twitter-gmner/eval/GMNER_finall_label.txt
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path


def entity_type_scores(gold, preds) -> dict:
    """P/R/F1 of (image, entity, type) multisets, groundability ignored."""
    from riveg_agent.scoring.spans import count_matches
    return count_matches([(t.image, t.entity, t.type) for t in preds.triples],
                         [(t.image, t.entity, t.type) for t in gold.triples]).as_dict()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data-dir", type=Path, required=True)
    ap.add_argument("--ner-model", default="plim-minilm-gmner")
    ap.add_argument("--ve-model", default="ve-minilm-gmner")
    ap.add_argument("--knowledge", default="dataset", choices=["dataset", "none"])
    ap.add_argument("--expansions", type=Path, default=Path("benchmarks/results/expansions/test.jsonl"),
                    help="JSONL {image, entity, type, expansion} from `riveg knowledge expansions` "
                         "(the shipped VE reads Name (TYPE) only); '' for none")
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/gmner-test-predictions.jsonl"))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=32)
    args = ap.parse_args()

    from riveg_agent.scoring.gold import read_gold
    from riveg_agent.scoring.predictions import read_predictions
    from riveg_agent.scoring.report import evaluate
    from riveg_agent.ve.end_to_end import gmner_predictions

    t0 = time.time()
    records = list(gmner_predictions(args.data_dir, "test", args.batch_size, ner_model=args.ner_model,
                                     ve_model=args.ve_model, knowledge=args.knowledge,
                                     expansions=args.expansions if str(args.expansions) else None,
                                     threads=args.threads))
    seconds = time.time() - t0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records),
                        encoding="utf-8")
    gold = read_gold(args.data_dir / "twitter-gmner/eval/GMNER_finall_label.txt")
    preds = read_predictions(args.out)
    prov = records[0]["provenance"] if records else {}
    report = {"tweets": len(records), "seconds": round(seconds, 1),
              "config_name": prov.get("config_name"), "config_hash": prov.get("config_hash"),
              "plugins": prov.get("plugins"),
              "flag": evaluate("flag", gold, preds, by_type=True),
              # entity + type only (groundability ignored): the NER part of the figure
              "entity_type_only": entity_type_scores(gold, preds)}
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()

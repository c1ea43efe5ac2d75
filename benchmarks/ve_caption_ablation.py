"""How much the caption VE leans on the image description: accuracy on
Twitter-GMNER (gold entities) when the image side is the full description
(the BLIP-2 caption + the long description, as in training), the BLIP-2
caption alone, the long description alone, or nothing. At run time the
description comes from the Captioner role, usually far poorer than the
dataset's, so this brackets what a user can expect without the dataset's
captions. Each variant is scored at the model's own threshold and at the
threshold the same variant would pick on dev.

    python benchmarks/ve_caption_ablation.py --data-dir ../shared/data

Prints JSON (also written to --out)."""
from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data-dir", type=Path, required=True)
    ap.add_argument("--model", default="ve-minilm-gmner")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/ve-caption-ablation.json"))
    args = ap.parse_args()

    import torch

    from riveg_agent.ve import io
    from riveg_agent.ve.data import LONG_CAPTIONS, load_ve_split, read_long_captions
    from riveg_agent.ve.evaluate import best_threshold, metrics
    from riveg_agent.ve.train import predict

    torch.set_num_threads(args.threads)
    model, tokenizer, _ = io.load(args.model)

    def variants(split: str):
        long = read_long_captions(args.data_dir / LONG_CAPTIONS.format(split=split))
        base = load_ve_split(args.data_dir, split)
        return {"full (as trained)": base,
                "BLIP-2 caption only": [replace(e, caption=e.short_caption) for e in base],
                "long description only": [replace(e, caption=long.get(e.image, "")) for e in base],
                "no description": [replace(e, caption="") for e in base]}

    t0 = time.time()
    dev, test = variants("dev"), variants("test")
    report = {"model": args.model, "model_threshold": model.config.threshold, "variants": {}}
    for name in dev:
        p_dev, p_test = predict(model, tokenizer, dev[name]), predict(model, tokenizer, test[name])
        t = best_threshold(dev[name], p_dev)
        report["variants"][name] = {
            "test_accuracy_at_model_threshold": round(100 * metrics(test[name], p_test,
                                                                    model.config.threshold)["accuracy"], 2),
            "dev_threshold": t,
            "dev_accuracy": round(100 * metrics(dev[name], p_dev, t)["accuracy"], 2),
            "test_accuracy_at_dev_threshold": round(100 * metrics(test[name], p_test, t)["accuracy"], 2),
            "test_groundable_f1_at_dev_threshold":
                round(100 * metrics(test[name], p_test, t)["groundable"]["f1"], 2)}
    report["seconds"] = round(time.time() - t0, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()

"""How much the caption VE leans on the image description: accuracy on
Twitter-GMNER (gold entities) when the image side is the full description
(the BLIP-2 caption + the long description, as in training), the BLIP-2
caption alone, the long description alone, or nothing. At run time the
description comes from the Captioner role, usually far poorer than the
dataset's, so this brackets what a user can expect without the dataset's
captions. Each variant is scored at the model's own threshold and at the
threshold the same variant would pick on dev.

    python benchmarks/ve_caption_ablation.py --data-dir ../shared/data
    python benchmarks/ve_caption_ablation.py --data-dir ../shared/data --only shaped \
        --out benchmarks/results/ve-caption-ablation-shaped.json

`--only shaped`: the run-time proxy. No tweet images exist offline, so the
captions the product makes from its detectors cannot be made for GMNER; the
proxy builds, from the nouns of each image's BLIP-2 caption (how many people,
close-up or not, which COCO classes it names), the evidence the detectors
would report if they saw what BLIP-2 saw, and captions it with the product's
own captioners: `riveg.evidence_captioner.v1` (now the default) and
`riveg.scene_captioner.v1` (the one before it). Its dev-best threshold is the
one to use at run time with those captions.

Prints JSON (also written to --out)."""
from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace
from pathlib import Path


PERSON_WORDS = {"man", "woman", "person", "boy", "girl", "child", "kid", "player", "guy", "lady",
                "baby", "gentleman", "athlete", "singer", "soldier", "actor", "actress"}
GROUP_WORDS = {"people", "men", "women", "crowd", "group", "players", "team", "children", "kids",
               "boys", "girls", "guys", "ladies", "fans", "couple", "family"}
COUNTS = {"two": 2, "three": 3, "four": 4, "five": 5, "2": 2, "3": 3, "4": 4}


def shaped(caption: str, which: str) -> str:
    """The product captioner's caption of the evidence BLIP-2's nouns imply."""
    import re

    from riveg_agent.core.roles import Detection, ImageEvidence
    from riveg_agent.vision.onnx_models import COCO_LABELS
    from riveg_plugins.evidence_captioner import describe as evidence_caption
    from riveg_plugins.scene_captioner import describe as scene_caption

    words = re.findall(r"[a-z0-9-]+", caption.lower())
    n = 0
    for i, w in enumerate(words):
        if w in GROUP_WORDS:
            n = max(n, COUNTS.get(words[i - 1], 4) if i else 4)
        elif w in PERSON_WORDS:
            n = max(n, 1)
    side = 0.7 if re.search(r"close[- ]up|portrait|selfie|headshot", caption.lower()) else 0.25
    people = [Detection((0, 0, 100 * side, 100 * side), 0.9, "person") for _ in range(n)]
    faces = [Detection((0, 0, 30 * side, 30 * side), 0.9, "face") for _ in range(n)]
    text = " " + " ".join(words) + " "
    objects = [Detection((0, 0, 10, 10), 0.9, c) for c in COCO_LABELS[1:]
               if f" {c} " in text or f" {c}s " in text]
    if which == "evidence":
        return evidence_caption(ImageEvidence(people + objects), 100, 100)
    return scene_caption(ImageEvidence(faces + people), 100, 100)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data-dir", type=Path, required=True)
    ap.add_argument("--model", default="ve-minilm-gmner")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/ve-caption-ablation.json"))
    ap.add_argument("--only", choices=["all", "shaped"], default="all")
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
        if args.only == "shaped":
            return {"evidence captioner on BLIP-2 nouns (default now)":
                        [replace(e, caption=shaped(e.short_caption, "evidence")) for e in base],
                    "scene captioner on BLIP-2 nouns (before)":
                        [replace(e, caption=shaped(e.short_caption, "scene")) for e in base]}
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

"""Inference speed and memory of the NER encoder options (MiniLM-L6, MPNet-base).

    python benchmarks/encoder_speed.py --data-dir ../shared/data [--posts 50] [--threads 2]

Each encoder runs in a fresh subprocess (so peak RSS is its own): the
first `--posts` Twitter-2017 dev tweets with the dataset's knowledge, cut at
256 subword tokens as the PLIM tagger reads them, one post at a time
(interactive use) and in batches of 16 (batch use). Prints ms a post and the
process's peak RSS. `mpnet` needs `riveg models install all-mpnet-base-v2`.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

WORKER = r"""
import json, resource, sys, time
from pathlib import Path
import torch
from riveg_agent.ner.encoders import load_encoder, load_tokenizer
from riveg_agent.ner.readers import load_split

alias, data_dir, posts, threads = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
torch.set_num_threads(threads)
examples = load_split(data_dir, "twitter2017", "dev", True)[:posts]
texts = [(" ".join(e.tokens), " ".join(e.knowledge or [])) for e in examples]
tok, model = load_tokenizer(alias), load_encoder(alias).eval()
def run(batch):
    enc = tok([a for a, _ in batch], [b for _, b in batch], truncation=True, max_length=256,
              padding=True, return_tensors="pt")
    with torch.inference_mode():
        model(**enc)
run(texts[:2])  # warm-up
t0 = time.perf_counter()
for t in texts:
    run([t])
single = (time.perf_counter() - t0) / len(texts)
t0 = time.perf_counter()
for s in range(0, len(texts), 16):
    run(texts[s:s + 16])
batched = (time.perf_counter() - t0) / len(texts)
params = sum(p.numel() for p in model.parameters())
print(json.dumps({"encoder": alias, "params_m": round(params / 1e6, 1), "ms_per_post_single": round(1000 * single, 1),
                  "ms_per_post_batched": round(1000 * batched, 1),
                  "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}))
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data-dir", type=Path, required=True)
    ap.add_argument("--posts", type=int, default=50)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--encoders", nargs="+", default=["minilm", "mpnet"])
    args = ap.parse_args()
    for alias in args.encoders:
        proc = subprocess.run([sys.executable, "-c", WORKER, alias, str(args.data_dir), str(args.posts),
                               str(args.threads)], capture_output=True, text=True)
        if proc.returncode != 0:
            print(json.dumps({"encoder": alias, "error": proc.stderr.strip().splitlines()[-1]}))
            continue
        print(proc.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""The ONNX Runtime path against the torch path (issue 19, lever 5): the
shipped PLIM tagger on Twitter-2017 test (text only, and with the dataset's
knowledge), the shipped caption VE on the Twitter-GMNER test pairs, and the
MiniLM sentence encoder of the MSEA exemplar search on Twitter-2017 test
(max |Δ embedding|, the top exemplar of the default index identical).

Prints, per set: tweets whose tags differ (must be 0), max |Δ confidence|
(the CRF path probability that adaptive knowledge thresholds), adaptive
knowledge decisions identical, max |Δ VE probability|, VE decisions identical
(at the model's threshold and the default config's 0.58), and ms/post of each
runtime (the batched prediction, models loaded beforehand, same threads).

    python benchmarks/onnx_parity.py --data-dir ../shared/data [--threads 2] [--limit N]
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

KNOWLEDGE_THRESHOLD = 0.5  # configs/default.yaml recognizer.knowledge_threshold
VE_THRESHOLD = 0.58        # configs/default.yaml entailment.threshold


def _timed(fn):
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", type=Path, required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--ner-model", default="plim-minilm-t17")
    ap.add_argument("--ve-model", default="ve-minilm-gmner")
    args = ap.parse_args()

    import torch
    torch.set_num_threads(args.threads)
    from riveg_agent.ner import io as ner_io
    from riveg_agent.ner.onnx import OnnxTagger
    from riveg_agent.ner.predict import predict_with_confidence
    from riveg_agent.ner.readers import load_split
    from riveg_agent.ve import io as ve_io
    from riveg_agent.ve.data import load_ve_split
    from riveg_agent.ve.onnx import OnnxVE
    from riveg_agent.ve.train import predict

    tagger, tok = ner_io.load(args.ner_model)
    fast = OnnxTagger(args.ner_model, args.threads)
    examples = load_split(args.data_dir, "twitter2017", "test")[:args.limit]
    for name, use_knowledge in (("text only", False), ("dataset knowledge", True)):
        items = [(e.tokens, e.knowledge if use_knowledge else None) for e in examples]
        predict_with_confidence(tagger, tok, items[:32]), fast.predict_with_confidence(items[:32])  # warm-up
        (t_tags, t_conf), t_s = _timed(lambda: predict_with_confidence(tagger, tok, items))
        (o_tags, o_conf), o_s = _timed(lambda: fast.predict_with_confidence(items))
        differ = sum(a != b for a, b in zip(t_tags, o_tags))
        dconf = max(abs(a - b) for a, b in zip(t_conf, o_conf))
        same = all((a >= KNOWLEDGE_THRESHOLD) == (b >= KNOWLEDGE_THRESHOLD) for a, b in zip(t_conf, o_conf))
        print(f"NER {args.ner_model} twitter2017 test, {name}: {len(items)} tweets; tags differ in {differ}; "
              f"max |Δ confidence| {dconf:.2e}; knowledge decisions (>= {KNOWLEDGE_THRESHOLD}) identical: {same}; "
              f"ms/post torch {1000 * t_s / len(items):.2f}, onnx {1000 * o_s / len(items):.2f}")

    ve, ve_tok, _ = ve_io.load(args.ve_model)
    fast_ve = OnnxVE(args.ve_model, args.threads)
    pairs = load_ve_split(args.data_dir, "test", knowledge=ve.config.use_knowledge)[:args.limit]
    predict(ve, ve_tok, pairs[:32]), predict(fast_ve, fast_ve.tokenizer, pairs[:32])  # warm-up
    t_p, t_s = _timed(lambda: predict(ve, ve_tok, pairs))
    o_p, o_s = _timed(lambda: predict(fast_ve, fast_ve.tokenizer, pairs))
    dp = max(abs(a - b) for a, b in zip(t_p, o_p))
    same = {th: all((a >= th) == (b >= th) for a, b in zip(t_p, o_p)) for th in (ve.config.threshold, VE_THRESHOLD)}
    print(f"VE {args.ve_model} twitter-gmner test: {len(pairs)} pairs (knowledge: {ve.config.use_knowledge}); "
          f"max |Δ probability| {dp:.2e}; decisions identical at {ve.config.threshold:.2f}: "
          f"{same[ve.config.threshold]}, at {VE_THRESHOLD}: {same[VE_THRESHOLD]}; "
          f"ms/pair torch {1000 * t_s / len(pairs):.2f}, onnx {1000 * o_s / len(pairs):.2f}")

    sentence_parity(args)


def sentence_parity(args) -> None:
    import faiss
    import numpy as np

    from riveg_agent.llm.splits import split_file
    from riveg_agent.retrieval.index import load_index
    from riveg_agent.scoring.conll import read_conll
    from riveg_plugins.minilm_exemplars import encode

    texts = [" ".join(t.tokens) for t in read_conll(split_file(args.data_dir, "twitter2017", "test"))][:args.limit]
    encode(texts[:8], "torch"), encode(texts[:8], "onnx")  # warm-up
    t_v, t_s = _timed(lambda: encode(texts, "torch"))
    o_v, o_s = _timed(lambda: encode(texts, "onnx"))
    vectors, _, _ = load_index("twitter2017-minilm")
    index = faiss.IndexFlatIP(vectors.shape[1])
    index.add(vectors)
    top_t, top_o = index.search(t_v, 2)[1], index.search(o_v, 2)[1]
    print(f"MiniLM sentence encoder twitter2017 test: {len(texts)} texts; max |Δ embedding| "
          f"{float(np.abs(t_v - o_v).max()):.2e}; top-2 exemplars identical: {bool((top_t == top_o).all())}; "
          f"ms/post torch {1000 * t_s / len(texts):.2f}, onnx {1000 * o_s / len(texts):.2f}")


if __name__ == "__main__":
    main()

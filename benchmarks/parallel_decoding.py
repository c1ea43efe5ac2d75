#!/usr/bin/env python3
"""Knowledge generation with several posts decoded as parallel sequences in
one llama.cpp context (issue 19, lever 3; riveg_agent/llm/parallel.py)
against one post at a time (`LocalLLM.complete` with the prefix-state LRU, the
product path).

The prompts are the default config's knowledge prompts (one MSEA exemplar,
the dataset's BLIP-2 caption) of the first N Twitter-2017 dev tweets. Prints
JSON: seconds, posts/s and generated tokens/s for one at a time and for each
group size, and how many texts are identical to the one-at-a-time ones.

    RIVEG_THREADS=2 python benchmarks/parallel_decoding.py --data-dir ../shared/data --posts 16 --seqs 1 2 4 8
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", type=Path, required=True)
    ap.add_argument("--posts", type=int, default=16)
    ap.add_argument("--seqs", type=int, nargs="+", default=[1, 2, 4, 8])
    ap.add_argument("--prompt-lookup", type=int, nargs="*", default=[],
                    help="also time llama-cpp-python's prompt-lookup (n-gram) speculative decoding "
                         "with these numbers of drafted tokens (lever 2)")
    ap.add_argument("--out", type=Path, default=None, help="also write the JSON here")
    args = ap.parse_args()

    from riveg_agent.core.config import load_config
    from riveg_agent.core.pipeline import Pipeline
    from riveg_agent.core.roles import Caption, Post
    from riveg_agent.llm.parallel import ParallelDecoder
    from riveg_agent.llm.splits import dataset_captions, split_file
    from riveg_agent.scoring.conll import read_conll

    nlp = Pipeline(load_config("default"))
    knowledge, exemplars = nlp.plugin("knowledge"), nlp.plugin("exemplars")
    caps = dataset_captions(args.data_dir, "twitter2017")
    tweets = read_conll(split_file(args.data_dir, "twitter2017", "dev"))[:args.posts]
    parts = []
    for t in tweets:
        post = Post(t.image, " ".join(t.tokens))
        cap = Caption(caps.get(t.image, "no image"), "dataset caption (BLIP-2)")
        parts.append(knowledge.render_parts(post, cap, exemplars.retrieve(post, cap)))
    llm, stop, budget = knowledge.llm, knowledge.template["stop"], knowledge.max_tokens
    llm.complete(parts[0][0] + parts[0][1], 1)  # warm-up: the weights paged in

    def tokens_done() -> int:
        return llm.totals["completion_tokens"]

    before, t0 = tokens_done(), time.perf_counter()
    single = [llm.complete(p + s, budget, stop, reusable_prefix=p).text for p, s in parts]
    seconds = time.perf_counter() - t0
    perf = llm.perf()
    rows = [{"way": "one at a time (prefix-state LRU)", "seconds": round(seconds, 2),
             "llama_perf_since_load": perf,
             "posts_per_s": round(len(parts) / seconds, 3),
             "generated_tokens_per_s": round((tokens_done() - before) / seconds, 1)}]
    for n in args.seqs:
        dec = ParallelDecoder(llm, n)
        before, t0 = tokens_done(), time.perf_counter()
        texts = []
        for g in range(0, len(parts), n):
            texts += [c.text for c in dec.complete_many([p + s for p, s in parts[g:g + n]], budget, stop)]
        seconds = time.perf_counter() - t0
        rows.append({"way": f"{n} parallel sequences", "seconds": round(seconds, 2),
                     "posts_per_s": round(len(parts) / seconds, 3),
                     "generated_tokens_per_s": round((tokens_done() - before) / seconds, 1),
                     "identical_to_one_at_a_time": sum(a == b for a, b in zip(single, texts)),
                     "prefill_tokens": dec.stats["prefill_tokens"],
                     "prefill_s": round(dec.stats["prefill_s"], 2), "decode_s": round(dec.stats["decode_s"], 2),
                     "decode_tokens_per_s": round(dec.stats["decode_tokens"] / max(dec.stats["decode_s"], 1e-9), 1)})
        dec.close()
        print(json.dumps(rows[-1]), flush=True)
    for k in args.prompt_lookup:
        from llama_cpp import Llama
        from llama_cpp.llama_speculative import LlamaPromptLookupDecoding

        from riveg_agent.llm.runtime import SEED
        spec = Llama(model_path=str(llm.path), n_ctx=llm.llama.n_ctx(), n_threads=llm.llama.n_threads,
                     n_threads_batch=llm.llama.n_threads, seed=SEED, verbose=False,
                     draft_model=LlamaPromptLookupDecoding(num_pred_tokens=k))
        spec.create_completion(parts[0][0] + parts[0][1], max_tokens=1)
        t0, texts, made = time.perf_counter(), [], 0
        for p, s in parts:
            out = spec.create_completion(p + s, max_tokens=budget, temperature=0.0, top_k=1, top_p=1.0,
                                         repeat_penalty=1.0, seed=SEED, stop=stop)
            texts.append(out["choices"][0]["text"])
            made += out["usage"]["completion_tokens"]
        seconds = time.perf_counter() - t0
        rows.append({"way": f"prompt-lookup decoding, {k} drafted tokens", "seconds": round(seconds, 2),
                     "posts_per_s": round(len(parts) / seconds, 3),
                     "generated_tokens_per_s": round(made / seconds, 1),
                     "identical_to_one_at_a_time": sum(a == b for a, b in zip(single, texts))})
        spec.close()
        print(json.dumps(rows[-1]), flush=True)
    report = {"posts": len(parts), "model": llm.name, "threads": llm.llama.n_threads,
              "max_tokens": budget, "rows": rows}
    print(json.dumps(report, indent=2))
    if args.out:
        args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()

"""Greedy decoding of several prompts at once (issue 19, lever 3): one
llama.cpp context with one sequence per prompt, so each decode step runs the
weights once for all the sequences instead of once per prompt.

The prompts' common token prefix (the knowledge prompt's system text and
head) is evaluated once, in sequence 0, and shared with the others through
the KV cache (`llama_memory_seq_cp`; a unified KV buffer makes that a
metadata copy); it stays in the context for the next group of prompts.
Each sequence then prefills its own tail; prefill is batched too.

Greedy argmax over the logits, stop strings and the end-of-generation token
as `Llama.create_completion` applies them. Batched matrix products may round
differently from one-at-a-time ones, so a text can in rare cases differ from
`LocalLLM.complete`'s; benchmarks/parallel_decoding.py counts how often.

Not on the product path: on a 2-core CPU it does not pay. Decoding there is
compute-bound, so eight sequences a step cost about what eight steps cost
(docs/results.md, "Batch decoding and speculative decoding"); the module is
kept for that benchmark, and for a build where batching pays (a GPU).
"""
from __future__ import annotations

import time
from typing import Optional, Sequence

import numpy as np

from riveg_agent.core.errors import PromptTooLong
from riveg_agent.llm.runtime import Completion, LocalLLM, _common_prefix


class ParallelDecoder:
    def __init__(self, llm: LocalLLM, n_seq: int, n_ctx_per_seq: int = 1024, n_batch: int = 512):
        from llama_cpp import _internals
        from llama_cpp import llama_cpp as lib

        if n_seq < 1:
            raise ValueError("n_seq must be at least 1")
        self.llm, self.n_seq, self.n_ctx_per_seq = llm, n_seq, n_ctx_per_seq
        base = llm.llama.context_params
        params = lib.llama_context_default_params()
        for name in ("n_threads", "n_threads_batch", "rope_freq_base", "rope_freq_scale",
                     "flash_attn_type", "type_k", "type_v", "offload_kqv"):
            if hasattr(base, name) and hasattr(params, name):
                setattr(params, name, getattr(base, name))
        params.n_ctx = n_ctx_per_seq * n_seq
        params.n_batch = params.n_ubatch = n_batch
        params.n_seq_max = n_seq
        params.kv_unified = True  # the sequences share the prompt head's cells
        params.no_perf = False
        self.lib = lib
        self.ctx = _internals.LlamaContext(model=llm.llama._model, params=params, verbose=False)
        self.batch = _internals.LlamaBatch(n_tokens=max(n_batch, n_seq), embd=0, n_seq_max=n_seq, verbose=False)
        self.n_batch = n_batch
        self.n_vocab = llm.llama.n_vocab()
        self.vocab = llm.llama._model.vocab
        self.head: list[int] = []  # the shared prefix held in sequence 0
        self.stats = {"prefill_tokens": 0, "prefill_s": 0.0, "decode_steps": 0, "decode_tokens": 0,
                      "decode_s": 0.0}

    def close(self) -> None:
        self.batch.close()
        self.ctx.close()

    # -- llama.cpp batches -------------------------------------------------
    def _decode(self, items: list[tuple[int, int, int, bool]]) -> dict[tuple[int, int], int]:
        """Evaluate (token, position, sequence, wants_logits) items, n_batch at
        a time; returns {(sequence, position): greedy next token} for the items
        that want logits (read before the next chunk overwrites them)."""
        chosen: dict[tuple[int, int], int] = {}
        b = self.batch.batch
        for start in range(0, len(items), self.n_batch):
            chunk = items[start:start + self.n_batch]
            b.n_tokens = len(chunk)
            for i, (tok, pos, seq, logits) in enumerate(chunk):
                b.token[i], b.pos[i], b.n_seq_id[i] = tok, pos, 1
                b.seq_id[i][0] = seq
                b.logits[i] = logits
            rc = self.lib.llama_decode(self.ctx.ctx, b)
            if rc != 0:
                raise PromptTooLong(f"{self.llm.name}: llama_decode returned {rc} (the {self.n_seq} sequences "
                                    f"do not fit the {self.ctx.n_ctx()}-token context)")
            for i, (_, pos, seq, logits) in enumerate(chunk):
                if logits:
                    ptr = self.lib.llama_get_logits_ith(self.ctx.ctx, i)
                    chosen[(seq, pos)] = int(np.argmax(np.ctypeslib.as_array(ptr, shape=(self.n_vocab,))))
        return chosen

    # -- the public call ---------------------------------------------------
    def complete_many(self, prompts: Sequence[str], max_tokens: int,
                      stop: Optional[list[str]] = None) -> list[Completion]:
        """Greedy completions of up to n_seq raw prompts (chat template applied)."""
        if not 0 < len(prompts) <= self.n_seq:
            raise ValueError(f"between 1 and {self.n_seq} prompts, not {len(prompts)}")
        llm, mem = self.llm, self.ctx.memory
        t0 = time.perf_counter()
        tokens = [llm.prompt_tokens(p) for p in prompts]
        for p, t in zip(prompts, tokens):
            if len(t) + max_tokens > self.n_ctx_per_seq:
                raise PromptTooLong(f"{llm.name}: a prompt of {len(t)} tokens and {max_tokens} new ones "
                                    f"do not fit the {self.n_ctx_per_seq}-token sequence")
        shared = min(_common_prefix(tokens[0], t) for t in tokens)
        shared = min(shared, min(len(t) for t in tokens) - 1)  # each sequence evaluates at least one token
        # Keep what sequence 0 already holds of the shared prefix; drop everything else.
        keep = _common_prefix(self.head, tokens[0][:shared])
        for s in range(self.n_seq):
            self.lib.llama_memory_seq_rm(mem, s, keep if s == 0 else 0, -1)
        if shared > keep:
            self._decode([(t, pos, 0, False) for pos, t in enumerate(tokens[0][keep:shared], start=keep)])
            self.stats["prefill_tokens"] += shared - keep
        self.head = tokens[0][:shared]
        for s in range(1, len(prompts)):
            self.lib.llama_memory_seq_cp(mem, 0, s, 0, shared)
        # Each sequence's own tail, logits at its last token.
        items = []
        for s, t in enumerate(tokens):
            items += [(tok, pos, s, pos == len(t) - 1) for pos, tok in enumerate(t[shared:], start=shared)]
        self.stats["prefill_tokens"] += len(items)
        chosen = self._decode(items)
        t1 = time.perf_counter()
        self.stats["prefill_s"] += t1 - t0
        stop_bytes = [x.encode("utf-8") for x in (stop or [])]
        out: list[list[int]] = [[] for _ in prompts]
        text: list[Optional[bytes]] = [None] * len(prompts)
        reason: list[str] = ["length"] * len(prompts)
        nxt = {s: chosen[(s, len(t) - 1)] for s, t in enumerate(tokens)}
        while nxt:
            step = []
            for s, tok in list(nxt.items()):
                if self.lib.llama_vocab_is_eog(self.vocab, tok):
                    text[s], reason[s] = llm.llama.detokenize(out[s], prev_tokens=tokens[s]), "stop"
                    del nxt[s]
                    continue
                out[s].append(tok)
                done = llm.llama.detokenize(out[s], prev_tokens=tokens[s])
                hit = [x for x in stop_bytes if x in done]
                if hit and not _incomplete_utf8(done):
                    text[s], reason[s] = done[:done.index(hit[0])], "stop"
                    del nxt[s]
                    continue
                if len(out[s]) >= max_tokens and not _incomplete_utf8(done):
                    text[s] = done
                    del nxt[s]
                    continue
                step.append((tok, len(tokens[s]) + len(out[s]) - 1, s, True))
            if not step:
                break
            chosen = self._decode(step)
            self.stats["decode_steps"] += 1
            self.stats["decode_tokens"] += len(step)
            nxt = {s: chosen[(s, pos)] for _, pos, s, _ in step}
        self.stats["decode_s"] += time.perf_counter() - t1
        done_all = []
        for s in range(len(prompts)):
            raw = text[s] if text[s] is not None else llm.llama.detokenize(out[s], prev_tokens=tokens[s])
            done_all.append(Completion(raw.decode("utf-8", errors="ignore"), len(tokens[s]), len(out[s]), reason[s]))
            llm.totals["calls"] += 1
            llm.totals["prompt_tokens"] += len(tokens[s])
            llm.totals["completion_tokens"] += len(out[s])
        return done_all


def _incomplete_utf8(data: bytes) -> bool:
    """Whether `data` ends inside a multi-byte UTF-8 character (create_completion
    decodes on until it is whole)."""
    try:
        data.decode("utf-8")
        return False
    except UnicodeDecodeError as exc:
        return exc.end == len(data) and exc.reason == "unexpected end of data"

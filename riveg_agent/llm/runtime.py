"""Local GGUF chat models through llama-cpp-python, shared between plugins.

Deterministic: greedy decoding (temperature 0) and a fixed seed. One Llama
instance per (file, context size, threads) is kept for the process, so the
knowledge and expansion plugins share the weights.
"""
from __future__ import annotations

import atexit
import ctypes
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from riveg_agent.core.errors import ModelError, PromptTooLong

SEED = 0
# Budget of each context's prefix-state LRU (see PrefixStates); 0 turns it off.
DEFAULT_PREFIX_CACHE_MB = 64
_lock = threading.Lock()
_instances: dict[tuple, "LocalLLM"] = {}
_patched = False


def _disable_extra_buffer_types() -> None:
    """Work around the llama.cpp AMX crash on these CPUs.

    The native build segfaults in ggml_backend_amx_mul_mat on the first decode.
    Turning off the extra buffer types (which is where the AMX kernels live)
    avoids it and keeps the fast native build; see README "Set-up".
    """
    global _patched
    if _patched:
        return
    import llama_cpp
    from llama_cpp import llama_cpp as lib

    original = lib.llama_model_default_params

    def patched():
        params = original()
        if hasattr(params, "use_extra_bufts"):
            params.use_extra_bufts = False
        return params

    lib.llama_model_default_params = patched
    # llama.py imported the function by module attribute; patch that too.
    if hasattr(llama_cpp.llama, "llama_cpp"):
        llama_cpp.llama.llama_cpp.llama_model_default_params = patched
    _patched = True


@dataclass
class Completion:
    text: str
    prompt_tokens: int
    completion_tokens: int
    stop_reason: Optional[str]


def _common_prefix(a, b) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


class PrefixStates:
    """An LRU of llama.cpp KV states of prompt prefixes, bounded in bytes.

    Key: the prefix's token ids (one LRU per LocalLLM, so per model file and
    context). Value: llama.cpp's sequence state (llama_state_seq_get_data),
    raw bytes in memory. Not Llama.save_state: its LlamaState also copies the
    logits rows of the whole prefix (up to n_batch x n_vocab floats, about
    300 MB with Qwen's 152k vocabulary), so a MB budget would hold nothing.
    Callers hold the LocalLLM's call lock.
    """

    def __init__(self, budget_bytes: int):
        self.budget = budget_bytes
        self._states: "OrderedDict[tuple[int, ...], bytes]" = OrderedDict()
        self.bytes = 0
        # hits: states loaded; in_context: cached, but the context already held
        # the prefix; reused_tokens: prompt tokens the loads spared.
        self.stats = {"hits": 0, "in_context": 0, "misses": 0, "saved": 0, "evicted": 0,
                      "reused_tokens": 0}

    def __len__(self) -> int:
        return len(self._states)

    def __contains__(self, key: tuple) -> bool:
        return key in self._states

    def longest(self, tokens: list[int]) -> Optional[tuple[int, ...]]:
        """The longest cached key that is a prefix of `tokens` (marked recently used)."""
        best = None
        for key in self._states:
            if len(key) <= len(tokens) and (best is None or len(key) > len(best)) \
                    and tuple(tokens[:len(key)]) == key:
                best = key
        if best is not None:
            self._states.move_to_end(best)
        return best

    def get(self, key: tuple) -> bytes:
        return self._states[key]

    def put(self, key: tuple, blob: bytes) -> None:
        if len(blob) > self.budget or key in self._states:
            return
        self._states[key] = blob
        self.bytes += len(blob)
        self.stats["saved"] += 1
        while self.bytes > self.budget:
            _, old = self._states.popitem(last=False)
            self.bytes -= len(old)
            self.stats["evicted"] += 1


class LocalLLM:
    def __init__(self, path: Path, name: str, n_ctx: int, n_threads: int,
                 prefix_cache_mb: float = DEFAULT_PREFIX_CACHE_MB):
        _disable_extra_buffer_types()
        from llama_cpp import Llama

        self.path, self.name = path, name
        try:
            self.llama = Llama(model_path=str(path), n_ctx=n_ctx, n_threads=n_threads,
                               n_threads_batch=n_threads, seed=SEED, verbose=False)
        except Exception as exc:
            raise ModelError(f"cannot load GGUF {path}: {exc}") from exc
        self._call_lock = threading.Lock()
        # Running totals, read by the benchmarks (tokens/s).
        self.totals = {"calls": 0, "prompt_tokens": 0, "completion_tokens": 0}
        self.prefix_states = PrefixStates(int(prefix_cache_mb * 2**20))

    def tokenize(self, text: str) -> list[int]:
        return self.llama.tokenize(text.encode("utf-8"), add_bos=False, special=True)

    def prompt_tokens(self, text: str) -> list[int]:
        """The prompt's tokens exactly as create_completion makes them from
        text (its BOS/CLS and EOS/SEP rules), so both paths decode the same ids."""
        model, llama = self.llama._model, self.llama
        cls, sep = model.token_cls(), model.token_sep()
        bos = [cls if cls != -1 else llama.token_bos()] if model.add_bos_token() else []
        eos = [sep if sep != -1 else llama.token_eos()] if model.add_eos_token() or sep != -1 else []
        return ([] if bos == [-1] else bos) + llama.tokenize(text.encode("utf-8"), add_bos=False,
                                                             special=True) + eos

    def complete(self, prompt: str, max_tokens: int, stop: list[str] | None = None,
                 reusable_prefix: Optional[str] = None) -> Completion:
        """Greedy completion of a raw prompt (chat template already applied).

        `reusable_prefix`: a start of `prompt` that other prompts share (the
        knowledge head + one exemplar). Its KV state is kept in the prefix-state
        LRU, so a later prompt with the same prefix evaluates only its own tail.
        """
        with self._call_lock:  # one llama.cpp context: one call at a time; counters with it
            prefix_key = None
            if reusable_prefix is not None and self.prefix_states.budget > 0:
                if not prompt.startswith(reusable_prefix):
                    raise ValueError("reusable_prefix is not a prefix of the prompt")
                tokens = self.prompt_tokens(prompt)
                # Tokens may merge across the boundary: reuse only what both tokenisations share.
                prefix_key = tuple(tokens[:_common_prefix(self.prompt_tokens(reusable_prefix), tokens)])
                self._restore_longest(tokens)
                prompt = tokens
            try:
                out = self.llama.create_completion(prompt, max_tokens=max_tokens, temperature=0.0,
                                                   top_k=1, top_p=1.0, repeat_penalty=1.0,
                                                   seed=SEED, stop=stop or [])
            except ValueError as exc:  # llama-cpp-python: "Requested tokens (N) exceed context window"
                if "context window" in str(exc):
                    raise PromptTooLong(f"{self.name}: the prompt does not fit the {self.llama.n_ctx()}-token "
                                        f"context ({exc})") from None
                raise
            choice = out["choices"][0]
            usage = out.get("usage", {})
            done = Completion(choice["text"], usage.get("prompt_tokens", 0),
                              usage.get("completion_tokens", 0), choice.get("finish_reason"))
            self.totals["calls"] += 1
            self.totals["prompt_tokens"] += done.prompt_tokens
            self.totals["completion_tokens"] += done.completion_tokens
            if prefix_key and prefix_key not in self.prefix_states:
                self._save_prefix(prefix_key)
        return done

    def _restore_longest(self, tokens: list[int]) -> None:
        """Load the longest cached prefix state of `tokens`, unless the context
        already holds at least as much of the prompt (llama-cpp-python then
        reuses it itself, longest common prefix with the previous prompt)."""
        states = self.prefix_states
        key = states.longest(tokens)
        in_context = _common_prefix(self.llama._input_ids.tolist(), tokens)
        if key is None or len(key) <= in_context:
            states.stats["misses" if key is None else "in_context"] += 1
            return
        blob = states.get(key)
        llama = self.llama
        llama._ctx.kv_cache_seq_rm(0, 0, -1)
        buf = (ctypes.c_uint8 * len(blob)).from_buffer_copy(blob)
        from llama_cpp import llama_cpp as lib
        if lib.llama_state_seq_set_data(llama._ctx.ctx, buf, len(blob), 0) != len(blob):
            # A state that does not load is dropped; the prompt is then evaluated whole.
            llama._ctx.kv_cache_seq_rm(0, 0, -1)
            llama.n_tokens = 0
            llama._requires_eval = True
            states.stats["misses"] += 1
            return
        # What Llama.load_state sets, without its logits rows: generate() then
        # matches these tokens and evaluates only the rest of the prompt.
        llama.input_ids[:len(key)] = key
        llama.n_tokens = len(key)
        llama._requires_eval = True
        states.stats["hits"] += 1
        states.stats["reused_tokens"] += len(key) - in_context

    def _save_prefix(self, key: tuple) -> None:
        """Cut the context back to `key` (the prefix) and keep its KV state.
        The cut costs nothing: the next prompt differs after the prefix anyway."""
        llama = self.llama
        if _common_prefix(llama._input_ids.tolist(), key) < len(key):
            return  # the context no longer holds the prefix (a failed call)
        llama._ctx.kv_cache_seq_rm(0, len(key), -1)
        llama.n_tokens = len(key)
        llama._requires_eval = True
        from llama_cpp import llama_cpp as lib
        size = lib.llama_state_seq_get_size(llama._ctx.ctx, 0)
        buf = (ctypes.c_uint8 * size)()
        n = lib.llama_state_seq_get_data(llama._ctx.ctx, buf, size, 0)
        if 0 < n <= size:
            self.prefix_states.put(key, bytes(buf)[:n])

    def perf(self) -> dict:
        """llama.cpp's own counters since load: prompt tokens evaluated
        (after prefix reuse) and generated tokens, with their milliseconds."""
        from llama_cpp import llama_cpp as lib
        d = lib.llama_perf_context(self.llama.ctx)
        return {"prefill_tokens": d.n_p_eval, "prefill_ms": d.t_p_eval_ms,
                "decode_tokens": d.n_eval, "decode_ms": d.t_eval_ms}

    def chat_prompt(self, system: str, user: str,
                    shots: list[tuple[str, str]] = ()) -> str:
        """Apply the model's chat template (ChatML for Qwen and SmolLM2):
        system, optional few-shot (user, assistant) turns, then the user turn."""
        turns = [f"<|im_start|>system\n{system}<|im_end|>\n"]
        for question, answer in shots:
            turns.append(f"<|im_start|>user\n{question}<|im_end|>\n"
                         f"<|im_start|>assistant\n{answer}<|im_end|>\n")
        turns.append(f"<|im_start|>user\n{user}<|im_end|>\n<|im_start|>assistant\n")
        return "".join(turns)


@atexit.register
def _close_all() -> None:
    """Free the llama.cpp contexts before interpreter shutdown tears down the
    library's module globals (freed later, llama.cpp's finaliser fails)."""
    with _lock:
        for llm in _instances.values():
            try:
                llm.llama.close()
            except Exception:  # noqa: BLE001 - best effort at exit
                pass
        _instances.clear()


def get_llm(model: str, n_ctx: int = 2048, n_threads: Optional[int] = None,
            slot: str = "shared") -> LocalLLM:
    """One context per (model, size, threads, slot). Plugins with different
    fixed prompt heads use their own slot, so each keeps its head's KV state
    warm between calls; the weights are memory-mapped, so slots share them."""
    from riveg_agent.llm.catalogue import resolve_gguf

    path, name = resolve_gguf(model)
    threads = n_threads or int(os.environ.get("RIVEG_THREADS", 0)) or max(1, os.cpu_count() or 1)
    key = (str(path), n_ctx, threads, slot)
    budget = float(os.environ.get("RIVEG_PREFIX_CACHE_MB", DEFAULT_PREFIX_CACHE_MB))
    with _lock:
        if key not in _instances:
            _instances[key] = LocalLLM(path, name, n_ctx, threads, prefix_cache_mb=budget)
        return _instances[key]

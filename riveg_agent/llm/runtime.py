"""Local GGUF chat models through llama-cpp-python, shared between plugins.

Deterministic: greedy decoding (temperature 0) and a fixed seed. One Llama
instance per (file, context size, threads) is kept for the process, so the
knowledge and expansion plugins share the weights.
"""
from __future__ import annotations

import atexit
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from riveg_agent.core.errors import ModelError, PromptTooLong

SEED = 0
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


class LocalLLM:
    def __init__(self, path: Path, name: str, n_ctx: int, n_threads: int):
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

    def tokenize(self, text: str) -> list[int]:
        return self.llama.tokenize(text.encode("utf-8"), add_bos=False, special=True)

    def complete(self, prompt: str, max_tokens: int, stop: list[str] | None = None) -> Completion:
        """Greedy completion of a raw prompt (chat template already applied)."""
        with self._call_lock:  # one llama.cpp context: one call at a time; counters with it
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
        return done

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
    with _lock:
        if key not in _instances:
            _instances[key] = LocalLLM(path, name, n_ctx, threads)
        return _instances[key]

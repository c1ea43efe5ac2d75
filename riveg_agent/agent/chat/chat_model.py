"""The embedded llama.cpp model as a LangChain chat model.

Greedy, ChatML prompt (Qwen and SmolLM2), optional JSON-schema constraint
(`invoke(messages, json_schema={...})` -> a llama.cpp grammar), streaming.
Each use gets its own llama.cpp context (`slot`), so a fixed prompt head
keeps its KV state between turns; the weights are memory-mapped and shared.
"""
from __future__ import annotations

import inspect
import json
from typing import Any, Iterator, Optional

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import PrivateAttr

from riveg_agent.llm.prompts import strip_control_tokens
from riveg_agent.llm.runtime import get_llm

ROLE = {"system": "system", "human": "user", "ai": "assistant", "tool": "user"}


def chatml(messages: list[BaseMessage]) -> str:
    """The ChatML prompt. Message contents are data (questions, entity names,
    tool text from the post): control tokens in them are removed, so no content
    can close its turn or open one of its own."""
    turns = [f"<|im_start|>{ROLE.get(m.type, 'user')}\n{strip_control_tokens(str(m.content))}<|im_end|>\n"
             for m in messages]
    return "".join(turns) + "<|im_start|>assistant\n"


class LocalChatModel(BaseChatModel):
    model: str = "qwen2.5-coder-0.5b-instruct-q4_k_m"
    n_ctx: int = 2048
    slot: str = "chat"
    max_tokens: int = 96
    _grammars: dict = PrivateAttr(default_factory=dict)

    @property
    def _llm_type(self) -> str:
        return "riveg-llama-cpp"

    @property
    def llm(self):
        if "slot" in inspect.signature(get_llm).parameters:
            return get_llm(self.model, self.n_ctx, slot=self.slot)
        return get_llm(self.model, self.n_ctx)

    def _grammar(self, schema: dict):
        key = json.dumps(schema, sort_keys=True)
        if key not in self._grammars:
            from llama_cpp import LlamaGrammar
            self._grammars[key] = LlamaGrammar.from_json_schema(key, verbose=False)
        return self._grammars[key]

    def _completion(self, messages, stop, stream: bool, json_schema: Optional[dict] = None,
                    max_tokens: Optional[int] = None):
        llm = self.llm
        kwargs: dict[str, Any] = dict(max_tokens=max_tokens or self.max_tokens, temperature=0.0, top_k=1,
                                      top_p=1.0, repeat_penalty=1.0, seed=0,
                                      stop=(stop or []) + ["<|im_end|>"], stream=stream)
        if json_schema is not None:
            kwargs["grammar"] = self._grammar(json_schema)
        return llm, kwargs

    def _generate(self, messages: list[BaseMessage], stop: Optional[list[str]] = None,
                  run_manager=None, **kwargs: Any) -> ChatResult:
        llm, args = self._completion(messages, stop, False, kwargs.get("json_schema"), kwargs.get("max_tokens"))
        with llm._call_lock:
            out = llm.llama.create_completion(chatml(messages), **args)
        text = out["choices"][0]["text"].strip()
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))],
                          llm_output={"usage": out.get("usage", {})})

    def _stream(self, messages: list[BaseMessage], stop: Optional[list[str]] = None,
                run_manager=None, **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        llm, args = self._completion(messages, stop, True, kwargs.get("json_schema"), kwargs.get("max_tokens"))
        with llm._call_lock:
            for part in llm.llama.create_completion(chatml(messages), **args):
                piece = part["choices"][0]["text"]
                if piece:
                    chunk = ChatGenerationChunk(message=AIMessageChunk(content=piece))
                    if run_manager:
                        run_manager.on_llm_new_token(piece, chunk=chunk)
                    yield chunk

"""Knowledge generation (PLIM) and entity expansion with a local GGUF model
through llama-cpp-python."""
from __future__ import annotations

import re
from typing import Optional

from riveg_agent.llm.runtime import get_llm
from riveg_agent.llm.cache import cache_key, get_cache
from riveg_agent.llm.catalogue import DEFAULT_LLM, LLMS, file_sha256, resolve_gguf
from riveg_agent.llm.prompts import clean, load_prompt
from riveg_agent.core.roles import (Caption, EntitySpan, Exemplar, Expander, Expression, Knowledge,
                               KnowledgeGenerator, Post)
from riveg_agent.core.schema import ModelRef

MAX_KNOWLEDGE_CHARS = 1500
MAX_EXPANSION_CHARS = 120
TYPE_NOUNS = {"PER": "a person", "LOC": "a place", "ORG": "an organization", "MISC": "a named thing"}
NO_IMAGE = "no image"


def _model_check(model: str):
    def check() -> Optional[str]:
        try:
            import llama_cpp  # noqa: F401
        except ImportError:
            return "llama-cpp-python is not installed"
        try:
            resolve_gguf(model)
        except Exception as exc:
            return str(exc)
        return None
    return check


class _LlamaPlugin:
    prompt_name = ""  # prompts/<name>.yaml

    def __init__(self, model: str, n_ctx: int, n_threads: int, max_tokens: int, cache: bool):
        self.model, self.n_ctx, self.n_threads = model, n_ctx, n_threads
        self.max_tokens = max_tokens
        self.template = load_prompt(self.prompt_name)
        self.cache = get_cache() if cache else None
        self._llm = None
        self._model_ref: Optional[ModelRef] = None

    def complete(self, prompt: str, template=None, max_tokens: Optional[int] = None,
                 reusable_prefix: Optional[str] = None) -> str:
        """Greedy completion through the SQLite cache; `reusable_prefix` goes to
        the runtime's prefix-state LRU (it does not change the text)."""
        template = template or self.template
        max_tokens = max_tokens or self.max_tokens
        settings = {"max_tokens": max_tokens, "stop": template["stop"]}
        key = None
        if self.cache is not None:
            key = cache_key(self.models()[0].sha256 or "", template.ref, prompt, settings)
            hit = self.cache.get(key)
            if hit is not None:
                return hit
        text = self.llm.complete(prompt, max_tokens, template["stop"], reusable_prefix=reusable_prefix).text
        if key is not None:
            self.cache.put(key, text, self.models()[0].name, template.ref)
        return text

    def prompts(self) -> list[str]:
        return [self.template.ref]

    @property
    def llm(self):
        if self._llm is None:
            self._llm = get_llm(self.model, self.n_ctx, self.n_threads or None, slot=self.prompt_name)
        return self._llm

    def models(self) -> list[ModelRef]:
        if self._model_ref is None:
            path, name = resolve_gguf(self.model)
            known = LLMS.get(self.model)
            self._model_ref = ModelRef(name=name, path=str(path), sha256=file_sha256(path),
                                       license=known.license if known else None)
        return [self._model_ref]


def normalise_knowledge(raw: str) -> str:
    """Bring model output to `Named entities: ... Reasoning: ...`, bounded."""
    text = clean(raw, MAX_KNOWLEDGE_CHARS * 2)
    text = re.sub(r"^(answer\s*:\s*)", "", text, flags=re.I)
    if not text.lower().startswith("named entities"):
        text = "Named entities: " + text
    return text[:MAX_KNOWLEDGE_CHARS].rstrip()


def normalise_expansion(raw: str, entity: EntitySpan) -> str:
    text = clean(raw.split("\n", 1)[0], MAX_EXPANSION_CHARS * 2)
    text = re.sub(r"^(answer\s*:\s*)", "", text, flags=re.I).strip(" \"'`.;:-–")
    # A model that restates the name ("X is a ...") keeps only the description.
    m = re.match(rf"^(the\s+)?{re.escape(entity.text)}\s+(is|are|was|refers to)\s+", text, flags=re.I)
    if m:
        text = text[m.end():]
    text = text[:MAX_EXPANSION_CHARS].strip()
    # An empty answer falls back to the plain type, so the expression stays well formed.
    return text or TYPE_NOUNS.get(entity.type, "a named entity")


class LlamaKnowledge(_LlamaPlugin, KnowledgeGenerator):
    prompt_name = "knowledge"

    def __init__(self, *args, max_exemplar_chars: int = 0, prefix_cache: bool = True):
        super().__init__(*args)
        self.max_exemplar_chars = max_exemplar_chars  # 0: whole annotations
        self.prefix_cache = prefix_cache

    def render(self, post: Post, caption: Optional[Caption], exemplars: list[Exemplar]) -> str:
        return "".join(self.render_parts(post, caption, exemplars))

    def render_parts(self, post: Post, caption: Optional[Caption],
                     exemplars: list[Exemplar]) -> tuple[str, str]:
        """The prompt as (prefix, suffix): the prefix (system, head, exemplars)
        is shared by every post with the same exemplars, the suffix is the post."""
        t = self.template
        blocks = [t["head"]]
        limit = self.max_exemplar_chars or None
        for ex in exemplars:
            blocks.append(t["example"].format(text=clean(ex.text), image=clean(ex.caption),
                                              answer=clean(ex.annotation)[:limit]))
        image = clean(caption.text) if caption else NO_IMAGE
        blocks.append(t["example"].format(text=clean(post.text), image=image, answer="").rstrip())
        user = t["separator"].join(blocks)
        prompt = self.llm.chat_prompt(t["system"].strip(), user)
        cut = prompt.rindex(user) + len(user) - len(blocks[-1])
        return prompt[:cut], prompt[cut:]

    def generate(self, post, caption, exemplars) -> Knowledge:
        prefix, suffix = self.render_parts(post, caption, exemplars)
        # The prefix's KV state is kept per exemplar set: a post prefills only its own tokens.
        raw = self.complete(prefix + suffix, reusable_prefix=prefix if self.prefix_cache else None)
        return Knowledge(normalise_knowledge(raw), self.template.ref)


class LlamaExpander(_LlamaPlugin, Expander):
    prompt_name = "expansion"

    def render(self, post: Post, caption: Optional[Caption], entity: EntitySpan) -> str:
        t = self.template
        shots = [(t["question"].format(**ex), ex["answer"]) for ex in t["examples"]]
        background = clean(caption.text) if caption else NO_IMAGE
        question = t["question"].format(background=background, text=clean(post.text),
                                        entity=clean(entity.text, 100),
                                        kind=TYPE_NOUNS.get(entity.type, "a named entity"))
        # The fixed examples come first, so llama.cpp reuses their KV state
        # from one entity to the next (longest common prefix).
        return self.llm.chat_prompt(t["system"].strip(), question, shots)

    def __init__(self, *args, batched: bool = False):
        super().__init__(*args)
        self.batched = batched
        self.batch_template = load_prompt("expansion_batch") if batched else None

    def prompts(self) -> list[str]:
        return super().prompts() + ([self.batch_template.ref] if self.batched else [])

    def render_batch(self, post: Post, caption: Optional[Caption], entities: list[EntitySpan]) -> str:
        t = self.batch_template
        shots = [(t["question"].format(background=ex["background"], text=ex["text"],
                                       entities=f"1. {ex['entity']} ({ex['kind']})"), f"1. {ex['answer']}")
                 for ex in self.template["examples"]]
        listing = "\n".join(f"{i}. {clean(e.text, 100)} ({TYPE_NOUNS.get(e.type, 'a named entity')})"
                            for i, e in enumerate(entities, start=1))
        background = clean(caption.text) if caption else NO_IMAGE
        question = t["question"].format(background=background, text=clean(post.text), entities=listing)
        return self.llm.chat_prompt(t["system"].strip(), question, shots)

    def expand(self, post, caption, entities) -> list[Expression]:
        answers: dict[int, str] = {}
        if self.batched and len(entities) > 1:
            raw = self.complete(self.render_batch(post, caption, entities), self.batch_template,
                                self.max_tokens * len(entities))
            answers = parse_numbered(raw, len(entities))
        result = []
        for i, ent in enumerate(entities, start=1):
            raw = answers.get(i)
            # An entity the batched answer missed, or only echoed, gets its own call.
            if not raw or raw.strip().lower().startswith(ent.text.lower()):
                raw = self.complete(self.render(post, caption, ent))
            result.append(Expression(ent, normalise_expansion(raw, ent)))
        return result


def parse_numbered(raw: str, n: int) -> dict[int, str]:
    """'1. foo\n2. bar' -> {1: 'foo', 2: 'bar'}; numbers outside 1..n are ignored."""
    answers = {}
    for line in raw.splitlines():
        m = re.match(r"\s*(\d+)[.)]\s*(.+)", line)
        if m and 1 <= int(m.group(1)) <= n and int(m.group(1)) not in answers:
            answers[int(m.group(1))] = m.group(2)
    return answers


def knowledge_factory(model: str = DEFAULT_LLM, n_ctx: int = 2048, n_threads: int = 0,
                      max_tokens: int = 160, cache: bool = True,
                      max_exemplar_chars: int = 0, prefix_cache: bool = True) -> LlamaKnowledge:
    return LlamaKnowledge(model, n_ctx, n_threads, max_tokens, cache,
                          max_exemplar_chars=max_exemplar_chars, prefix_cache=prefix_cache)


def expander_factory(model: str = DEFAULT_LLM, n_ctx: int = 2048, n_threads: int = 0,
                     max_tokens: int = 24, cache: bool = True, batched: bool = False) -> LlamaExpander:
    return LlamaExpander(model, n_ctx, n_threads, max_tokens, cache, batched=batched)


def register(registry) -> None:
    registry.add("knowledge", "riveg.llama_knowledge.v1", knowledge_factory,
                 description="PLIM auxiliary knowledge from a local GGUF LLM (llama.cpp)",
                 check=_model_check(DEFAULT_LLM))
    registry.add("expander", "riveg.llama_expander.v1", expander_factory,
                 description="entity expansion `Name (TYPE) – expansion` from a local GGUF LLM",
                 check=_model_check(DEFAULT_LLM))

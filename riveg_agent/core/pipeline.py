"""The orchestrator: the RiVEG chain over one ChainState per post.

detector -> caption -> exemplars -> knowledge -> NER -> expansion -> VE -> VG -> segmentation

Each stage is one role: `Pipeline.advance(state, until)` runs the stages a
state still lacks, up to `until`, so a tool that needs only the entities
never runs the vision stages. The same stages make the LangChain runnable
(`chain()`), the single-post call (`nlp(text, image=...)`, `run`) and the
batched `pipe()`; there is no other implementation of any stage.

Plugins are built from the config on first use, under a lock (one model
load even when LangChain's `.batch()` runs posts in threads), or handed in
ready-made with `plugins={role: instance}`.
"""
from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any, Iterable, Iterator, Optional

from riveg_agent import __version__
from riveg_agent.core.config import PipelineConfig, load_config
from riveg_agent.core.errors import (ConfigError, InputError, ModelError, PluginError, PluginUnavailable,
                                     RegistryError, RivegError)
from riveg_agent.core.registry import Registry, default_registry
from riveg_agent.core.roles import ROLE_CLASSES, Detection, Expression, Plugin, Post
from riveg_agent.core.schema import Entity, ErrorInfo, ErrorRecord, ImageInfo, ModelRef, Provenance, Result
from riveg_agent.core.state import STAGES, ChainState
from riveg_agent.io.images import to_post_image
from riveg_agent.io.masks import clip_box, encode

MAX_TEXT_CHARS = 2000  # tweets are <= 280; longer posts are refused, not cut
# Errors of the installation, not of a post: they stop a batch instead of
# becoming one error record per post.
FATAL = (ConfigError, RegistryError, PluginUnavailable, ModelError, PluginError)


def make_post(record_id: str, text: Any, image: Any = None) -> Post:
    """Validate one input record into a Post (raises InputError naming it).
    `image`: None, a path, bytes, a PIL image, a numpy array or a PostImage."""
    if not isinstance(text, str):
        raise InputError(record_id, "'text' must be a string", "bad_text")
    if not text.strip():
        raise InputError(record_id, "text is empty", "bad_text")
    if "\x00" in text:  # C libraries (the tokenizers, llama.cpp) would cut the text there
        raise InputError(record_id, f"text holds a NUL character at {text.index(chr(0))}", "bad_text")
    if len(text) > MAX_TEXT_CHARS:
        raise InputError(record_id, f"text is {len(text)} characters, over the limit of "
                         f"{MAX_TEXT_CHARS}", "text_too_long")
    return Post(record_id, text, None if image is None else to_post_image(image, record_id))


class Pipeline:
    """`nlp = Pipeline("default")`; `nlp(text, image=path)` -> Result.

    config: a built-in name, a YAML path or a PipelineConfig. plugins: ready
    instances by role, used instead of building them from the config (tests,
    notebooks); the config still names the plugin recorded for the role.
    """

    def __init__(self, config: PipelineConfig | str | Path = "default",
                 registry: Optional[Registry] = None, plugins: Optional[dict[str, Plugin]] = None):
        self.registry = registry or default_registry()
        self.config = config if isinstance(config, PipelineConfig) else load_config(config, self.registry)
        self._plugins: dict[str, Plugin] = {}
        self._injected: set[str] = set()
        self._lock = threading.RLock()
        self._chain = None
        for role, instance in (plugins or {}).items():
            self._check_instance(role, instance, "injected plugin")
            self._plugins[role] = instance
            self._injected.add(role)

    # -- plugins ------------------------------------------------------
    @staticmethod
    def _check_instance(role: str, instance: Any, what: str) -> None:
        if role not in ROLE_CLASSES:
            raise RegistryError(f"unknown role '{role}'; roles: {', '.join(ROLE_CLASSES)}")
        if not isinstance(instance, ROLE_CLASSES[role]):
            raise RegistryError(f"{what} {type(instance).__name__} does not implement "
                                f"{ROLE_CLASSES[role].__name__} for role '{role}'")

    def plugin(self, role: str) -> Plugin:
        found = self._plugins.get(role)
        if found is not None:
            return found
        with self._lock:  # one construction (one model load) per role, even from threads
            if role not in self._plugins:
                rc = self.config.roles[role]
                spec = self.registry.get(role, rc.plugin)
                try:
                    instance = spec.factory(**rc.params)
                except (TypeError, ValueError) as exc:
                    raise RegistryError(f"plugin '{rc.plugin}' for role '{role}' rejected its "
                                        f"parameters: {exc}") from exc
                self._check_instance(role, instance, f"plugin '{rc.plugin}'")
                self._plugins[role] = instance
            return self._plugins[role]

    def plugin_name(self, role: str) -> str:
        name = self.config.roles[role].plugin
        if role in self._injected:
            return f"{type(self._plugins[role]).__name__} (injected in place of {name})"
        return name

    # -- the stages ---------------------------------------------------
    def _counted(self, role: str, items: list, n: int, what: str) -> list:
        """A per-entity list must have one item per entity: a plugin that
        returns another count is a bug, said out loud (never zip-truncated)."""
        if not isinstance(items, list) or len(items) != n:
            got = len(items) if isinstance(items, list) else type(items).__name__
            raise PluginError(f"plugin '{self.plugin_name(role)}' ({role}) returned {got} {what} "
                              f"for {n} entities")
        return items

    def _stage(self, name: str, s: ChainState) -> None:
        post, img = s.post, s.post.image
        if name == "detector":
            s.evidence = self.plugin("detector").detect(img) if img is not None else None
        elif name == "captioner":
            s.caption = self.plugin("captioner").caption(post, s.evidence)
        elif name == "exemplars":
            # Adaptive knowledge: a recognizer sure of the post alone spares the LLM call.
            t0 = time.perf_counter()
            s.knowledge_skipped = not self.plugin("recognizer").needs_knowledge(post)
            s.timings["knowledge_check"] = round(time.perf_counter() - t0, 4)  # the recognizer's load, if first
            if not s.knowledge_skipped:
                s.exemplars = self.plugin("exemplars").retrieve(post, s.caption)
        elif name == "knowledge":
            if not s.knowledge_skipped:
                s.knowledge = self.plugin("knowledge").generate(post, s.caption, s.exemplars)
        elif name == "recognizer":
            s.entities = self.plugin("recognizer").recognize(post, s.knowledge)
        elif name == "expander":
            if s.expanded or self.expansions_needed():
                self.expand(s)
            else:  # `Name (TYPE)`: what the VE and VG plugins read; `expand` adds the expansions on demand
                s.expressions = [Expression(e, "") for e in s.entities]
        elif name == "entailment":
            s.decisions = self._counted("entailment", self.plugin("entailment").entail(
                post, s.caption, s.expressions, knowledge=s.knowledge, evidence=s.evidence),
                len(s.entities), "decisions") if s.expressions else []
        elif name == "grounder":
            if img is None or not any(d.groundable for d in s.decisions):
                s.regions = [None] * len(s.entities)
            else:
                found = self.plugin("grounder").ground(post, s.expressions, s.decisions,
                                                       evidence=s.evidence)
                s.regions = [_as_region(r, self.plugin_name("grounder"))
                             for r in self._counted("grounder", found, len(s.entities), "regions")]
        elif name == "segmenter":
            if img is None or all(r is None for r in s.regions):
                s.masks = [None] * len(s.entities)
            else:
                s.masks = self._counted("segmenter", self.plugin("segmenter").segment(
                    img, s.regions, evidence=s.evidence), len(s.entities), "masks")
        else:
            raise ValueError(f"unknown stage {name!r}; stages: {', '.join(STAGES)}")

    def expansions_needed(self) -> bool:
        """Whether the chain itself needs the expander (config `expansions`)."""
        mode = self.config.expansions
        if mode != "auto":
            return mode == "always"
        # Plugins subclass their role (checked when built), which defaults it to True.
        return any(self.plugin(role).reads_expansions for role in ("entailment", "grounder"))

    def expand(self, state: ChainState) -> ChainState:
        """The expander's `Name (TYPE) – expansion` for every entity of a state
        through the recognizer (the chat's "what is X" asks for it on demand);
        decisions already made are kept: their plugins do not read expansions."""
        if not state.expanded:
            self.advance(state, "recognizer")
            state.expressions = self._counted("expander", self.plugin("expander").expand(
                state.post, state.caption, state.entities), len(state.entities),
                "expressions") if state.entities else []
            state.expanded = True
        return state

    def generate_knowledge(self, state: ChainState) -> ChainState:
        """The post's knowledge even where the chain skipped it (the chat's and
        MCP's generate_knowledge tool, `riveg knowledge generate`); the entities
        already found stay. No adaptive check: the knowledge is asked for."""
        if "knowledge" not in state.done or state.knowledge_skipped:
            self.advance(state, "captioner")
            state.exemplars = self.plugin("exemplars").retrieve(state.post, state.caption)
            state.knowledge = self.plugin("knowledge").generate(state.post, state.caption, state.exemplars)
            state.knowledge_skipped = False
            state.done += [s for s in ("exemplars", "knowledge") if s not in state.done]
        return state

    def advance(self, state: ChainState, until: Optional[str] = None) -> ChainState:
        """Run the stages `state` lacks, in chain order, through `until` (default: all)."""
        last = STAGES.index(until) if until is not None else len(STAGES) - 1
        for name in STAGES[:last + 1]:
            if name not in state.done:
                t0 = time.perf_counter()
                self._stage(name, state)
                state.timings[name] = round(time.perf_counter() - t0, 4)
                state.done.append(name)
        return state

    def run_state(self, post: Post, until: Optional[str] = None) -> ChainState:
        """The chain's state for one post, computed through `until` (default: all stages)."""
        t0 = time.perf_counter()
        state = self.advance(ChainState(post=post), until)
        state.timings["total"] = round(time.perf_counter() - t0, 4)
        return state

    def chain(self):
        """The LangChain runnable: a Post (or a ChainState) in, the complete ChainState out."""
        if self._chain is None:
            from langchain_core.runnables import RunnableLambda

            def start(x: Post | ChainState) -> ChainState:
                return x if isinstance(x, ChainState) else ChainState(post=x)

            def stage(name: str) -> RunnableLambda:
                return RunnableLambda(lambda s: self.advance(s, name), name=name)

            chain = RunnableLambda(start, name="post")
            for name in STAGES:
                chain = chain | stage(name)
            self._chain = chain.with_config(run_name="riveg")
        return self._chain

    # -- the Python API -----------------------------------------------
    def run(self, post: Post) -> Result:
        return self.to_result(self.run_state(post))

    def run_record(self, record_id: str, text: Any, image: Any = None) -> Result:
        return self.run(make_post(record_id, text, image))

    def __call__(self, text: str, image: Any = None, *, id: str = "post") -> Result:
        """The whole chain on one post; `image` is a path, bytes, PIL image or array."""
        return self.run_record(id, text, image)

    def pipe(self, records: Iterable[Any], batch_size: int = 16, on_error: str = "raise",
             ) -> Iterator[Result | ErrorRecord]:
        """Results in input order. A record is a text, a (text, image) pair, a
        dict with `text` and optional `id` and `image`, or a Post. Stages whose plugin
        batches (`recognize_many`, `entail_many`) run once per `batch_size`
        posts. on_error="record" yields an ErrorRecord for a post that fails
        (an error of the installation still stops the run)."""
        if on_error not in ("raise", "record"):
            raise ValueError("on_error must be 'raise' or 'record'")
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        chunk: list[Post | tuple[str, Any, Any]] = []
        for n, rec in enumerate(records):
            chunk.append(self._record(n, rec))
            if len(chunk) == batch_size:
                yield from self._pipe_chunk(chunk, on_error)
                chunk = []
        if chunk:
            yield from self._pipe_chunk(chunk, on_error)

    @staticmethod
    def _record(n: int, rec: Any) -> Post | tuple[str, Any, Any]:
        if isinstance(rec, Post):
            return rec
        if isinstance(rec, str):
            return f"post-{n}", rec, None
        if isinstance(rec, tuple) and len(rec) == 2:
            return f"post-{n}", rec[0], rec[1]
        if isinstance(rec, dict):
            return str(rec.get("id", f"post-{n}")), rec.get("text"), rec.get("image")
        return f"post-{n}", rec, None  # make_post names what is wrong with it

    def _pipe_chunk(self, chunk: list[Post | tuple[str, Any, Any]], on_error: str
                    ) -> Iterator[Result | ErrorRecord]:
        out: list[Optional[Result | ErrorRecord]] = [None] * len(chunk)
        states: dict[int, ChainState] = {}

        def fail(i: int, exc: Exception) -> None:
            if on_error == "raise" or isinstance(exc, FATAL):
                raise exc
            item = chunk[i]
            out[i] = error_record(item.id if isinstance(item, Post) else item[0], exc)
            states.pop(i, None)

        for i, item in enumerate(chunk):
            try:
                post = make_post(item.id, item.text, item.image) if isinstance(item, Post) else make_post(*item)
                if isinstance(item, Post):
                    post.tokens = item.tokens
                states[i] = ChainState(post=post)
            except Exception as exc:
                fail(i, exc)
        t0 = {i: time.perf_counter() for i in states}
        for name in STAGES:
            try:
                batched = self._batched_stage(name, [states[i] for i in sorted(states)])
            except FATAL:
                raise
            except Exception:  # one bad post in the batch: run post by post to find it
                batched = None
            for i in sorted(states):
                s = states[i]
                if batched:
                    s.timings[name] = batched
                    s.done.append(name)
                    continue
                try:
                    self.advance(s, name)
                except Exception as exc:
                    fail(i, exc)
        for i, s in states.items():
            s.timings["total"] = round(time.perf_counter() - t0[i], 4)
            try:
                out[i] = self.to_result(s)
            except Exception as exc:
                fail(i, exc)
        yield from out  # type: ignore[misc]

    def _batched_stage(self, name: str, states: list[ChainState]) -> Optional[float]:
        """Run one stage for several posts at once where the plugin batches;
        returns the seconds per post, or None (run it post by post)."""
        if len(states) < 2:
            return None
        if name == "recognizer":
            plugin = self.plugin("recognizer")
            many = getattr(plugin, "recognize_many", None)
            if many is None:
                return None
            t0 = time.perf_counter()
            found = many([s.post for s in states], [s.knowledge for s in states])
            for s, ents in zip(states, self._counted("recognizer", found, len(states), "results (posts)")):
                s.entities = ents
        elif name == "entailment":
            plugin = self.plugin("entailment")
            many = getattr(plugin, "entail_many", None)
            todo = [s for s in states if s.expressions]
            if many is None or not todo:
                return None
            t0 = time.perf_counter()
            found = many([s.post for s in todo], [s.caption for s in todo], [s.expressions for s in todo],
                         knowledge=[s.knowledge for s in todo], evidence=[s.evidence for s in todo])
            for s, decisions in zip(todo, self._counted("entailment", found, len(todo), "results (posts)")):
                s.decisions = self._counted("entailment", decisions, len(s.entities), "decisions")
            for s in states:
                if not s.expressions:
                    s.decisions = []
        else:
            return None
        return round((time.perf_counter() - t0) / len(states), 4)

    def close(self) -> None:
        """Drop the plugins (and with them their models); the next call rebuilds them."""
        with self._lock:
            for role in list(self._plugins):
                if role not in self._injected:
                    close = getattr(self._plugins[role], "close", None)
                    if callable(close):
                        close()
                    del self._plugins[role]
            self._chain = None

    def __enter__(self) -> "Pipeline":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- output -------------------------------------------------------
    def to_result(self, state: ChainState) -> Result:
        post, img = state.post, state.post.image
        n = len(state.entities)
        per_entity = (state.expressions, state.decisions, state.regions, state.masks)
        if any(len(items) != n for items in per_entity):
            raise PluginError(f"state of post '{post.id}' is incomplete or inconsistent: {n} entities, "
                              f"{[len(x) for x in per_entity]} expressions/decisions/regions/masks")
        entities = []
        for expr, dec, region, mask in zip(*per_entity):
            ent = expr.entity
            evidence = dec.evidence or ""
            if region is not None and region.note:
                evidence = f"{evidence}; box: {region.note}" if evidence else f"box: {region.note}"
            elif region is None and dec.groundable and img is not None and "grounder" in state.done:
                # groundable without a box would read as a contradiction: say why
                evidence += "; no box: no detected person or object fits this entity"
            entities.append(Entity(
                text=ent.text, type=ent.type, start=ent.start, end=ent.end,
                expansion=expr.expansion or None, expression=expr.text,
                groundable=bool(dec.groundable), score=round(float(dec.score), 4),
                evidence=evidence or None,
                box=clip_box(region.box, img.width, img.height) if region is not None and img else None,
                mask=encode(mask) if mask is not None else None))
        return Result(
            id=post.id, text=post.text,
            image=ImageInfo(path=img.path, width=img.width, height=img.height, sha256=img.sha256,
                            work_scale=round(img.scale, 4)) if img else None,
            caption=state.caption.text if state.caption else None,
            exemplars=[e.id for e in state.exemplars],
            knowledge=state.knowledge.text if state.knowledge else None,
            entities=entities, provenance=self.provenance(), timings=state.timings)

    def provenance(self) -> Provenance:
        """What made the outputs: the plugins built so far, their models and prompts."""
        models: list[ModelRef] = []
        prompts: list[str] = []
        for role in STAGES:
            if role in self._plugins:
                for m in self._plugins[role].models():
                    if m not in models:
                        models.append(m)
                prompts += [p for p in self._plugins[role].prompts() if p not in prompts]
        return Provenance(plugins={r: self.plugin_name(r) for r in self.config.roles},
                          models=models, prompts=prompts, config_name=self.config.name,
                          config_hash=self.config.hash(), riveg_agent_version=__version__)


def _as_region(region: Any, grounder: str) -> Optional[Detection]:
    if region is None or isinstance(region, Detection):
        return region
    if isinstance(region, (tuple, list)) and len(region) == 4:
        return Detection(tuple(float(v) for v in region), 1.0, "", grounder)
    raise PluginError(f"grounder '{grounder}' returned {type(region).__name__}, not a Detection or a box")


def error_record(rid: str, exc: Exception) -> ErrorRecord:
    """The error record of one post: its id and a one-line message."""
    code = exc.code if isinstance(exc, RivegError) else "internal"
    message = str(exc) if isinstance(exc, RivegError) else f"record '{rid}': {type(exc).__name__}: {exc}"
    return ErrorRecord(id=rid, error=ErrorInfo(code=code, message=message))


def load(config: PipelineConfig | str | Path = "default", **kwargs: Any) -> Pipeline:
    """`nlp = riveg_agent.load("default")` (a built-in name or a YAML path)."""
    return Pipeline(config, **kwargs)


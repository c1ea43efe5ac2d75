"""The orchestrator: the RiVEG chain as a LangChain runnable.

caption -> exemplars -> knowledge -> NER -> expansion -> VE -> VG -> segmentation.
Each stage is a RunnableLambda over a state dict; the sequence records the
seconds each stage took. Plugins are built from the config on first use.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Optional

from . import __version__
from .config import PipelineConfig, load_config
from .errors import InputError, RegistryError
from .images import PostImage, load_image
from .masks import clip_box, encode
from .registry import ROLES, Registry, default_registry
from .roles import ROLE_CLASSES, Plugin, Post, takes_knowledge
from .schema import Entity, ImageInfo, ModelRef, Provenance, Result

MAX_TEXT_CHARS = 2000  # tweets are <= 280; longer posts are refused, not cut


def make_post(record_id: str, text: Any, image: Optional[str | Path | PostImage]) -> Post:
    """Validate one input record into a Post (raises InputError naming it)."""
    if not isinstance(text, str):
        raise InputError(record_id, "'text' must be a string", "bad_text")
    if not text.strip():
        raise InputError(record_id, "text is empty", "bad_text")
    if len(text) > MAX_TEXT_CHARS:
        raise InputError(record_id, f"text is {len(text)} characters, over the limit of "
                         f"{MAX_TEXT_CHARS}", "text_too_long")
    if image is None or isinstance(image, PostImage):
        return Post(record_id, text, image)
    if not isinstance(image, (str, Path)) or not str(image):
        raise InputError(record_id, "'image' must be a file path or null", "image_invalid")
    return Post(record_id, text, load_image(image, record_id))


class Pipeline:
    def __init__(self, config: PipelineConfig | str | Path = "default",
                 registry: Optional[Registry] = None):
        self.registry = registry or default_registry()
        self.config = config if isinstance(config, PipelineConfig) else load_config(config, self.registry)
        self._plugins: dict[str, Plugin] = {}
        self._chain = None

    # -- plugins ------------------------------------------------------
    def plugin(self, role: str) -> Plugin:
        if role not in self._plugins:
            rc = self.config.roles[role]
            spec = self.registry.get(role, rc.plugin)
            try:
                instance = spec.factory(**rc.params)
            except (TypeError, ValueError) as exc:
                raise RegistryError(f"plugin '{rc.plugin}' for role '{role}' rejected its "
                                    f"parameters: {exc}") from exc
            if not isinstance(instance, ROLE_CLASSES[role]):
                raise RegistryError(f"plugin '{rc.plugin}' does not implement "
                                    f"{ROLE_CLASSES[role].__name__} for role '{role}'")
            self._plugins[role] = instance
        return self._plugins[role]

    # -- the chain ----------------------------------------------------
    def _stages(self) -> list[tuple[str, Any]]:
        def caption(s):
            img = s["post"].image
            return {"caption": self.plugin("captioner").caption(img) if img else None}

        def exemplars(s):
            return {"exemplars": self.plugin("exemplars").retrieve(s["post"], s["caption"])}

        def knowledge(s):
            return {"knowledge": self.plugin("knowledge").generate(s["post"], s["caption"], s["exemplars"])}

        def recognize(s):
            return {"entities": self.plugin("recognizer").recognize(s["post"], s["knowledge"])}

        def expand(s):
            ents = s["entities"]
            return {"expressions": self.plugin("expander").expand(s["post"], s["caption"], ents) if ents else []}

        def entail(s):
            ex, plugin = s["expressions"], self.plugin("entailment")
            if not ex:
                return {"decisions": []}
            extra = {"knowledge": s["knowledge"]} if takes_knowledge(plugin) else {}
            return {"decisions": plugin.entail(s["post"], s["caption"], ex, **extra)}

        def ground(s):
            if s["post"].image is None or not any(d.groundable for d in s["decisions"]):
                return {"boxes": [None] * len(s["decisions"])}
            return {"boxes": self.plugin("grounder").ground(s["post"], s["expressions"], s["decisions"])}

        def segment(s):
            boxes, img = s["boxes"], s["post"].image
            if img is None or all(b is None for b in boxes):
                return {"masks": [None] * len(boxes)}
            labels = [d.label for d in s["decisions"]]
            return {"masks": self.plugin("segmenter").segment(img, boxes, labels)}

        return list(zip(ROLES, (caption, exemplars, knowledge, recognize, expand, entail,
                                ground, segment)))

    def chain(self):
        """The LangChain runnable: state dict in, state dict out."""
        if self._chain is None:
            from langchain_core.runnables import RunnableLambda

            def timed(name, fn):
                def step(state: dict) -> dict:
                    t0 = time.perf_counter()
                    update = fn(state)
                    timings = {**state["timings"], name: round(time.perf_counter() - t0, 4)}
                    return {**state, **update, "timings": timings}
                return RunnableLambda(step, name=name)

            stages = [timed(name, fn) for name, fn in self._stages()]
            chain = stages[0]
            for stage in stages[1:]:
                chain = chain | stage
            self._chain = chain.with_config(run_name="riveg")
        return self._chain

    def run(self, post: Post) -> Result:
        t0 = time.perf_counter()
        state = self.chain().invoke({"post": post, "timings": {}})
        state["timings"]["total"] = round(time.perf_counter() - t0, 4)
        return self.to_result(state)

    def run_record(self, record_id: str, text: Any, image: Any = None) -> Result:
        return self.run(make_post(record_id, text, image))

    # -- output -------------------------------------------------------
    def to_result(self, state: dict) -> Result:
        post: Post = state["post"]
        img = post.image
        entities = []
        for expr, dec, box, mask in zip(state["expressions"], state["decisions"],
                                        state["boxes"], state["masks"]):
            ent = expr.entity
            entities.append(Entity(
                text=ent.text, type=ent.type, start=ent.start, end=ent.end,
                expansion=expr.expansion, expression=expr.text,
                groundable=bool(dec.groundable), score=round(float(dec.score), 4),
                evidence=dec.evidence or None,
                box=clip_box(box, img.width, img.height) if box is not None and img else None,
                mask=encode(mask) if mask is not None else None))
        return Result(
            id=post.id, text=post.text,
            image=ImageInfo(path=img.path, width=img.width, height=img.height, sha256=img.sha256,
                            work_scale=round(img.scale, 4)) if img else None,
            caption=state["caption"].text if state["caption"] else None,
            exemplars=[e.id for e in state["exemplars"]],
            knowledge=state["knowledge"].text if state["knowledge"] else None,
            entities=entities, provenance=self.provenance(), timings=state["timings"])

    def provenance(self) -> Provenance:
        models: list[ModelRef] = []
        prompts: list[str] = []
        for role in ROLES:
            if role in self._plugins:
                for m in self._plugins[role].models():
                    if m not in models:
                        models.append(m)
                prompts += [p for p in self._plugins[role].prompts() if p not in prompts]
        return Provenance(plugins={r: rc.plugin for r, rc in self.config.roles.items()},
                          models=models, prompts=prompts, config_name=self.config.name,
                          config_hash=self.config.hash(), riveg_agent_version=__version__)

"""ChatSession: a conversation about one post (text + image, or an image alone).

The pipeline runs once per post and its state is cached; each turn is
routed to tool calls (RuleRouter or LLMRouter), the tools run as LangChain
tool calls, and the answer is made from their outputs only. The conversation
is kept as LangChain messages (Human / AI with tool_calls / Tool / AI), and
every call and result goes into the transcript.
"""
from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage

from riveg_agent.io.masks import encode
from riveg_agent.core.roles import Post
from riveg_agent.agent.chat.answer import phrase, template_answer
from riveg_agent.agent.chat.routing import CLARIFY, EXPLAIN, Focus, Route, RuleRouter, tool_info
from riveg_agent.agent.chat.transcript import Transcript


@dataclass
class Answer:
    text: str
    route: Route
    tool_calls: list[dict] = field(default_factory=list)   # name, args, content, status
    entities: list[dict] = field(default_factory=list)     # the cached entities the turn is about
    boxes: dict[str, list[float]] = field(default_factory=dict)
    masks: dict[str, dict] = field(default_factory=dict)    # name -> COCO RLE
    overlays: list[str] = field(default_factory=list)
    phrased_by: str = "template"
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"answer": self.text, "route": {"intent": self.route.intent, "entities": self.route.entities,
                                               "router": self.route.source, "options": self.route.options},
                "tool_calls": self.tool_calls, "entities": self.entities, "boxes": self.boxes,
                "masks": self.masks, "overlays": self.overlays, "phrased_by": self.phrased_by,
                "seconds": round(self.seconds, 4)}


class ChatSession:
    """`ChatSession(text, image).ask("Where is Eileen Collins?")` -> Answer.

    router: "rules" (the deterministic fallback) or "llm" (JSON-schema-constrained
    call to `chat_model`); referee: with the rules router, `chat_model` settles the
    descriptions the rules cannot (referee.py); phrasing: "template" or "llm". `chat_model` is any
    LangChain chat model (default: the embedded llama.cpp model of the config).
    """

    def __init__(self, text: Optional[str] = None, image: Optional[str | Path] = None, *,
                 config: str | Path = "default", pipeline=None, router: str = "rules",
                 phrasing: str = "template", chat_model=None, out_dir: Optional[str | Path] = None,
                 post_id: str = "chat", referee: bool = True):
        from riveg_agent.core.pipeline import Pipeline

        if router not in ("rules", "llm") or phrasing not in ("template", "llm"):
            raise ValueError("router must be 'rules' or 'llm'; phrasing 'template' or 'llm'")
        self.pipeline = pipeline or Pipeline(config)
        self.router_kind, self.phrasing, self.use_referee = router, phrasing, referee
        self._chat_model = chat_model
        self.out_dir = Path(out_dir) if out_dir else None
        self.post_id = post_id
        self.text, self.image = text, image
        self.transcript = Transcript()
        self.load_errors: list = []
        self._ids = itertools.count(1)
        self._clear_post()

    # -- the post ---------------------------------------------------------
    def _clear_post(self) -> None:
        self._state = None
        self._result = None
        self._tools = None
        self._router = None
        self.reset()

    def set_image(self, image: Optional[str | Path]) -> None:
        self.image = image
        self._clear_post()

    def set_text(self, text: Optional[str]) -> None:
        self.text = text
        self._clear_post()

    def reset(self) -> None:
        """Forget the conversation (the cached pipeline result stays)."""
        self.messages: list[BaseMessage] = []
        self.focus = Focus()
        self._previous: list[dict] = []

    def _post(self) -> Post:
        from riveg_agent.io.images import load_image
        from riveg_agent.core.pipeline import make_post

        if self.text and self.text.strip():
            return make_post(self.post_id, self.text, self.image)
        if self.image is None:
            raise ValueError("a chat needs a post text, an image, or both")
        return Post(self.post_id, "", load_image(self.image, self.post_id))  # an image alone

    @property
    def state(self):
        """The pipeline's ChainState of the post, computed once (all stages)."""
        if self._state is None:
            post = self._post()
            state = self.pipeline.run_state(post)
            self._state = state
            self._result = self.pipeline.to_result(state)
            self.transcript.add("pipeline", post=post.id, text=post.text, image=str(self.image or ""),
                                seconds=state.timings["total"],
                                entities=[[e.text, e.type, e.groundable, e.score] for e in self._result.entities])
        return self._state

    @property
    def result(self):
        _ = self.state
        return self._result

    @property
    def entities(self) -> list[tuple[str, str]]:
        return [(e.text, e.type) for e in self.result.entities]

    @property
    def tools(self):
        if self._tools is None:
            from riveg_agent.agent.chat.tooling import chat_tools
            from riveg_agent.agent.tools import PostContext

            ctx = PostContext(self.pipeline, self.state)
            self._tools = {t.name: t for t in chat_tools(ctx, self.load_errors)}
        return self._tools

    @property
    def chat_model(self):
        if self._chat_model is None:
            from riveg_agent.agent.chat.chat_model import LocalChatModel
            model = self.pipeline.config.roles["expander"].params.get("model") or LocalChatModel().model
            self._chat_model = LocalChatModel(model=model)
        return self._chat_model

    def _slot(self, slot: str):
        """The chat model in a context of its own, so each fixed prompt head stays warm."""
        return self.chat_model.model_copy(update={"slot": slot}) if hasattr(self.chat_model, "slot") \
            else self.chat_model

    @property
    def router(self):
        if self._router is None:
            infos = [tool_info(t) for t in self.tools.values()]
            if self.router_kind == "llm":
                from riveg_agent.agent.chat.llm_router import LLMRouter
                self._router = LLMRouter(self._slot("chat-router"), infos)
            elif self.use_referee:
                from riveg_agent.agent.chat.referee import LLMReferee
                self._router = RuleRouter(infos, referee=LLMReferee(self._slot("chat-referee")))
            else:
                self._router = RuleRouter(infos)
        return self._router

    # -- a turn -----------------------------------------------------------
    def ask(self, question: str, on_token: Optional[Callable[[str], None]] = None) -> Answer:
        t0 = time.perf_counter()
        entities = self.entities
        route = self.router.route(question, entities, self.focus, self.state.post.text)
        self.transcript.add("user", text=question)
        self.transcript.add("route", intent=route.intent, entities=route.entities, router=route.source,
                            options=route.options)
        self.messages.append(HumanMessage(question))
        calls = self._run_tools(route)
        previous = self._previous
        if route.intent == EXPLAIN and not previous and "check_in_image" in self.tools:
            # "how sure are you that X is in the picture?" before anything was said about X:
            # the evidence is the VE check, made now
            from riveg_agent.agent.chat.mentions import find_mentions
            known = find_mentions(question, entities).known
            if known:
                calls = previous = self._run_tools(Route("check_in_image", known, route.source))
        empty = ""
        if route.intent not in (EXPLAIN, CLARIFY) and not calls:
            tool = self.tools.get(route.intent)
            if tool is not None and "entity" in tool.args:
                empty = ("The post mentions no such entity (it names: "
                         + (", ".join(f"{e} ({t})" for e, t in entities) or "nothing") + ").")
        st = self.state
        context = {"knowledge": st.knowledge.text if st.knowledge else "",
                   "caption": st.caption.text if st.caption else ""}
        if route.asked_why and calls:  # "how sure are you that X is there?" as the first question
            previous = calls
        facts = template_answer(EXPLAIN if route.asked_why and calls else route.intent, calls, entities, previous,
                                empty, st.post.text, context, route)
        text, by = facts, "template"
        if self.phrasing == "llm" and (calls or route.intent == EXPLAIN):
            text, used = phrase(self.chat_model.model_copy(update={"slot": "chat-answer"})
                                if hasattr(self.chat_model, "slot") else self.chat_model,
                                question, facts, on_token)
            by = "llm" if used else "template (the LLM reply dropped or added facts)"
        answer = self._artifacts(Answer(text, route, [self._public(c) for c in calls], phrased_by=by), calls)
        answer.seconds = time.perf_counter() - t0
        self.messages.append(AIMessage(text))
        self.transcript.add("assistant", text=text, phrased_by=by, overlays=answer.overlays,
                            seconds=round(answer.seconds, 4))
        self._previous = calls or self._previous  # what a later "why?" explains
        self.focus.update(route)
        return answer

    def _run_tools(self, route: Route) -> list[dict]:
        tool = self.tools.get(route.intent)
        if tool is None:
            return []
        args_list: list[dict] = []
        if "entity" in tool.args:
            args_list = [{"entity": e} for e in route.entities]
        elif "text" in tool.args:
            args_list = [{"text": self.state.post.text}]
        else:
            args_list = [{}]
        tool_calls = [{"name": tool.name, "args": a, "id": f"call-{next(self._ids)}", "type": "tool_call"}
                      for a in args_list]
        if not tool_calls:
            return []
        self.messages.append(AIMessage(content="", tool_calls=tool_calls))
        calls = []
        for tc in tool_calls:
            t0 = time.perf_counter()
            msg: ToolMessage = tool.invoke(tc)
            self.messages.append(msg)
            call = {"name": tc["name"], "args": tc["args"], "content": msg.content,
                    "status": msg.status, "artifact": msg.artifact}
            self.transcript.add("tool_call", id=tc["id"], name=tc["name"], args=tc["args"])
            self.transcript.add("tool_result", id=tc["id"], status=msg.status, content=msg.content,
                                seconds=round(time.perf_counter() - t0, 4))
            calls.append(call)
        return calls

    @staticmethod
    def _public(call: dict) -> dict:
        return {k: call[k] for k in ("name", "args", "content", "status")}

    def _artifacts(self, answer: Answer, calls: list[dict]) -> Answer:
        by_name = {e.text: e for e in self.result.entities}
        for c in calls:
            name = c["args"].get("entity")
            ent = by_name.get(name)
            if ent is not None:
                answer.entities.append(ent.model_dump(exclude={"mask"}))
            art = c.get("artifact") if c["status"] != "error" else None
            if not isinstance(art, dict) or art.get("box") is None or name is None:
                continue
            box = ent.box if ent is not None and ent.box is not None else art["box"]
            answer.boxes[name] = [float(v) for v in box]
            mask = art.get("mask")
            if mask is not None:
                answer.masks[name] = encode(mask).model_dump()
            path = self._overlay(c["name"], name, art)
            if path:
                answer.overlays.append(path)
        return answer

    def _overlay(self, tool: str, name: str, art: dict) -> Optional[str]:
        """Draw the turn's box (and mask) over the image as a PNG; returns its path."""
        import tempfile

        from riveg_agent.io.overlay import draw_overlay
        from riveg_agent.core.schema import Entity

        post = self.state.post
        if post.image is None:
            return None
        if self.out_dir is None:
            self.out_dir = Path(tempfile.mkdtemp(prefix="riveg-chat-"))
        base = next(e for e in self.result.entities if e.text == name)
        mask = art.get("mask")
        ent = Entity(**{**base.model_dump(exclude={"box", "mask"}), "box": base.box or tuple(art["box"]),
                        "mask": encode(mask) if mask is not None else None})
        safe = "".join(ch if ch.isalnum() else "-" for ch in name).strip("-").lower() or "entity"
        turn = sum(1 for e in self.transcript.events if e["event"] == "user")
        out = self.out_dir / f"turn{turn:02d}-{tool.split('_')[0]}-{safe}.png"
        draw_overlay(post.image.image, self.result.model_copy(update={"entities": [ent]}), out)
        self.transcript.add("overlay", path=str(out))
        return str(out)

    def save(self, folder: str | Path) -> Path:
        """Write transcript.jsonl, result.json and copies of the overlays to `folder`."""
        return self.transcript.save(folder, self._result)

"""The LLM router: one JSON-schema-constrained call to the chat model, given
the tool list (with example phrasings), the post's entities and the previous
turn. The schema's enum holds exactly the tools on offer (plugin tools
included), so the model cannot name a tool that does not exist. The model
picks the tool; who the turn is about is resolved deterministically
(routing.route_from_llm: names matched to the post's entities, pronouns and
"the other one" from the conversation focus), because a 0.5B model asked for
names too copied the whole entity list into most answers (measured: see
docs/chat.md). Falls back to the rule router when the output is unusable."""
from __future__ import annotations

import json

from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

from riveg_agent.agent.chat.routing import EXAMPLES, EXPLAIN, Focus, Route, RuleRouter, ToolInfo, route_from_llm

SYSTEM = """You route a user's question about one social-media post (text + photo) to one tool.
Tools:
{tools}
Reply with JSON: {{"tool": "<tool name>"}}."""

# Few-shot turns on a made-up post that is in no test set.
SHOT_ENTITIES = "Entities: Rihanna (PER); Met Gala (MISC); New York (LOC)"
SHOTS = [
    ("none", "where is Rihanna?", "locate_entity"),
    ("locate_entity Rihanna", "why do you think so?", EXPLAIN),
    ("none", "is New York in the picture?", "check_in_image"),
    ("check_in_image New York", "what is the Met Gala?", "expand_entity"),
    ("expand_entity Met Gala", "segment her", "segment_entity"),
    ("segment_entity Rihanna", "list all entities and their types", "recognize_entities"),
    ("none", "describe the photo", "caption_image"),
]


def _examples(tool: ToolInfo) -> str:
    found = list(tool.examples) or [x.replace("ENT", "X") for x in EXAMPLES.get(tool.name, [])[:3]]
    return "; ".join(f"'{x}'" for x in found[:3])


class LLMRouter:
    def __init__(self, chat_model, tools: list[ToolInfo], shots: bool = True):
        self.chat_model = chat_model
        self.tools = {t.name: t for t in tools}
        self.fallback = RuleRouter(tools)
        self.schema = {"type": "object", "properties": {
            "tool": {"type": "string", "enum": list(self.tools) + [EXPLAIN]}}, "required": ["tool"]}
        # Entity tools first, then tools without arguments, then whole-text tools: with
        # the role order, Qwen 0.5B chose the second tool listed (find_exemplars) for
        # most questions (measured; docs/chat.md).
        ordered = sorted(tools, key=lambda t: 0 if t.needs_entity else 1 if not t.args else 2)
        lines = [f"- {t.name}: {t.description} (e.g. {_examples(t)})" for t in ordered]
        lines.append(f"- {EXPLAIN}: the user asks why, or for the evidence behind the previous answer "
                     f"(e.g. 'why?'; 'how do you know?')")
        head = [SystemMessage(SYSTEM.format(tools="\n".join(lines)))]
        for prev, q, tool in (SHOTS if shots else []):
            if tool in self.tools or tool == EXPLAIN:
                head += [HumanMessage(f"{SHOT_ENTITIES}\nPrevious: {prev}\nQuestion: {q}"),
                         AIMessage(json.dumps({"tool": tool}))]
        self.head = head  # fixed: llama.cpp keeps its KV state between turns
        self.failures = 0

    def messages(self, question: str, entities: list[tuple[str, str]], focus: Focus):
        ents = "; ".join(f"{e} ({t})" for e, t in entities) or "none"
        prev = f"{focus.intent} {', '.join(focus.entities)}".strip() if focus.intent else "none"
        return self.head + [HumanMessage(f"Entities: {ents}\nPrevious: {prev}\nQuestion: {question}")]

    def route(self, question: str, entities: list[tuple[str, str]], focus: Focus, text: str = "") -> Route:
        msg = self.chat_model.invoke(self.messages(question, entities, focus), json_schema=self.schema,
                                     max_tokens=24)
        try:
            data = json.loads(msg.content)
            tool = data["tool"]
            if tool != EXPLAIN and tool not in self.tools:
                raise ValueError(tool)
            if tool == EXPLAIN and focus.intent is None:
                raise ValueError("nothing to explain yet")  # an impossible choice on a first turn
        except (ValueError, KeyError, TypeError):
            self.failures += 1
            route = self.fallback.route(question, entities, focus, text)
            route.source = "rules (LLM output unusable)"
            return route
        return route_from_llm(tool, [str(n) for n in data.get("entities", [])], question, self.tools,
                              entities, focus, text)

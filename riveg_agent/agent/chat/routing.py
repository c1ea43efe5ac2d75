"""Turn routing: a question -> a Route (which tool, about which entities).

The fallback RuleRouter is a small naive Bayes classifier over the words,
word pairs and character trigrams of the question with names masked as ENT,
trained on example phrasings of each intent. Tools it does not know (third-party plugin
tools) are classified from their description and their metadata["examples"].
Follow-ups ("and the other one?", "show me her") are resolved by `targets`
from the conversation focus, for both routers.
"""
from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Optional, Protocol

from riveg_agent.agent.chat.mentions import Mentions, find_mentions

EXPLAIN = "explain"  # no tool: cite the evidence of the previous turn

# Example phrasings per intent (the classifier's training data; the routing
# test set in tests/agent/chat/ is separate and was not used to write these).
EXAMPLES: dict[str, list[str]] = {
    "locate_entity": [
        "where is ENT", "where is ENT in the photo", "where is ENT in the image", "show me ENT",
        "find ENT in the picture", "point to ENT", "box around ENT", "locate ENT", "draw a box on ENT",
        "which part of the picture is ENT", "highlight ENT", "where exactly is ENT", "where can i find ENT",
        "show ENT", "give me the bounding box of ENT", "where does ENT appear", "show me where ENT is",
        "what is ENT location in the photo", "where is ENT standing", "mark ENT on the image"],
    "segment_entity": [
        "segment ENT", "mask of ENT", "cut out ENT", "outline ENT", "segmentation mask of ENT",
        "draw the shape of ENT", "which pixels are ENT", "give me a mask for ENT", "segment ENT please",
        "separate ENT from the background", "trace ENT", "mask ENT", "cut ENT out of the picture",
        "cut ENT out of the photo please", "crop ENT out", "extract ENT from the image"],
    "check_in_image": [
        "is ENT in the picture", "is ENT in the image", "does ENT appear in the photo", "can you see ENT",
        "is ENT visible", "is ENT shown in the photo", "is ENT pictured", "is ENT in the photo",
        "which people appear in the photo", "which people in the tweet appear in the photo",
        "who in the post is in the picture", "are they in the image", "does the photo show ENT",
        "is ENT actually there", "which entities are visible", "who is in the photo",
        "is ENT present in the image", "does ENT show up in the picture",
        "which of them can be seen in the photo", "who can be seen in the picture"],
    "expand_entity": [
        "what is ENT", "who is ENT", "tell me about ENT", "what does ENT refer to", "explain ENT",
        "what kind of thing is ENT", "describe ENT", "what do you know about ENT", "who's ENT",
        "what's ENT", "what type of entity is ENT", "what does ENT mean", "info on ENT",
        "who are ENT", "what are ENT", "what is the ENT"],
    "recognize_entities": [
        "list all entities and their types", "what names are mentioned", "which entities are in the text",
        "what people places and organizations does the tweet mention", "named entities",
        "list the entities", "what entities did you find", "which names appear in the text",
        "who and what is mentioned in the post", "give me all the entities with types",
        "what are the named entities in this tweet"],
    "caption_image": [
        "describe the image", "what is in the picture", "what does the photo show", "caption the photo",
        "what can you see in the image", "describe the photo", "what is shown in the image",
        "what does the picture look like", "give me a caption"],
    "generate_knowledge": [
        "background knowledge about the post", "what is the context of this tweet", "give me background",
        "what do you know about this post", "what is this tweet about", "explain the post",
        "any background on this tweet", "what is the story behind the post"],
    "find_exemplars": [
        "similar annotated posts", "which examples are similar", "nearest exemplars",
        "show similar tweets from the training data", "which exemplars did you use"],
    EXPLAIN: [
        "why do you think so", "why", "how do you know", "what is the evidence", "explain your answer",
        "on what basis", "why is that", "what makes you say that", "how did you decide",
        "what is your evidence", "why not", "how sure are you", "how can you tell",
        "how are you sure", "are you sure about that", "what is that based on"],
}
FOLLOW_UP = re.compile(r"^\s*(and|what about|how about|and what about|same for|now)\b", re.I)
MIN_CONFIDENCE = 0.5


@dataclass
class Route:
    intent: str                       # a tool name, or EXPLAIN
    entities: list[str] = field(default_factory=list)  # canonical names (or names not in the post)
    source: str = "rules"             # which router decided


@dataclass
class Focus:
    """What the conversation is about: the memory follow-ups resolve against."""
    intent: Optional[str] = None
    entities: list[str] = field(default_factory=list)
    discussed: list[str] = field(default_factory=list)

    def update(self, route: Route) -> None:
        if route.intent != EXPLAIN:
            self.intent = route.intent
            if route.entities:
                self.entities = list(route.entities)
        for e in route.entities:
            if e in self.discussed:
                self.discussed.remove(e)
            self.discussed.append(e)


@dataclass
class ToolInfo:
    """What a router needs to know about a tool."""
    name: str
    description: str
    args: tuple[str, ...]
    examples: tuple[str, ...] = ()

    @property
    def needs_entity(self) -> bool:
        return "entity" in self.args


def tool_info(tool) -> ToolInfo:
    meta = getattr(tool, "metadata", None) or {}
    return ToolInfo(tool.name, tool.description, tuple(tool.args), tuple(meta.get("examples", ())))


class Router(Protocol):
    def route(self, question: str, entities: list[tuple[str, str]], focus: Focus) -> Route: ...


NORMALISE = [(r"\b(\w+)['’]s\b", r"\1 is"), (r"\bare\b", "is"), (r"\bwas\b", "is"), (r"\bwere\b", "is")]


def _features(text: str) -> Counter:
    """Words, word pairs and (for spelling variants: colour/color,
    segment/segmentation) character trigrams of the words."""
    for pattern, repl in NORMALISE:
        text = re.sub(pattern, repl, text, flags=re.I)
    words = [w if w == "ENT" else w.lower() for w in re.findall(r"[A-Za-z]+", text)]
    feats = Counter(words)
    feats.update(f"{a}_{b}" for a, b in zip(words, words[1:]))
    for w in words:
        if w != "ENT" and len(w) > 3:
            padded = f"<{w}>"
            feats.update(f"#{padded[i:i + 3]}" for i in range(len(padded) - 2))
    return feats


class RuleRouter:
    """Deterministic fallback: a naive Bayes classifier over the presence of
    words, word pairs and character trigrams, trained on example phrasings."""

    ALPHA = 0.1  # smoothing

    def __init__(self, tools: list[ToolInfo]):
        self.tools = {t.name: t for t in tools}
        rows: list[tuple[str, Counter]] = []
        for intent, examples in EXAMPLES.items():
            if intent == EXPLAIN or intent in self.tools:
                rows += [(intent, _features(x)) for x in examples]
        for t in tools:
            if t.name not in EXAMPLES:  # a plugin tool: learn it from its own words
                texts = list(t.examples) + [t.description, t.name.replace("_", " ")]
                rows += [(t.name, _features(x)) for x in texts]
        self.docs: Counter = Counter(intent for intent, _ in rows)
        self.present: dict[str, Counter] = {i: Counter() for i in self.docs}
        for intent, feats in rows:
            self.present[intent].update(set(feats))
        self.vocab = {f for c in self.present.values() for f in c}

    def classify(self, masked: str, named: bool = False) -> tuple[str, float]:
        """(intent, posterior probability); probability 0 when no feature is known.
        A question that names someone or something goes to a tool that takes an entity."""
        feats = [f for f in set(_features(masked)) if f in self.vocab]
        if not feats:
            return EXPLAIN, 0.0
        logp = {}
        for intent, n in self.docs.items():
            if named and not (intent in self.tools and self.tools[intent].needs_entity):
                continue
            seen = self.present[intent]
            logp[intent] = math.log(n) + sum(math.log((seen[f] + self.ALPHA) / (n + 2 * self.ALPHA))
                                             for f in feats)
        top = max(logp.values())
        total = sum(math.exp(v - top) for v in logp.values())
        best = max(logp, key=logp.get)
        return best, 1.0 / total

    def route(self, question: str, entities: list[tuple[str, str]], focus: Focus) -> Route:
        m = find_mentions(question, entities)
        intent, score = self.classify(m.masked, named=bool(m.named) or m.pronoun == "PER")
        follow = bool(FOLLOW_UP.match(question)) or m.other
        if focus.intent and (score < MIN_CONFIDENCE or (follow and _bare(m.masked))):
            intent = focus.intent
        if intent == EXPLAIN:
            return Route(EXPLAIN, [], "rules")
        return Route(intent, targets(self.tools.get(intent), m, entities, focus), "rules")


def _bare(masked: str) -> bool:
    """A follow-up with no words of its own ("and ENT?", "what about the other one?")."""
    words = set(re.findall(r"[a-z]+", masked.lower())) - {
        "and", "what", "about", "how", "the", "other", "one", "ones", "same", "for", "now", "second",
        "then", "ent", "others", "is"}
    return not words


def targets(tool: Optional[ToolInfo], m: Mentions, entities: list[tuple[str, str]],
            focus: Focus) -> list[str]:
    """The entities a tool call is about, from the names, pronouns and plurals
    of the question and the conversation focus."""
    if tool is None or not tool.needs_entity:
        return []
    if m.named:
        return m.named
    types = dict(entities)
    if m.other:
        last = focus.entities[-1] if focus.entities else None
        rest = [e for e, _ in entities if e not in focus.entities]
        same = [e for e in rest if last and types.get(e) == types.get(last)]
        return (same or rest)[:1]
    if m.plural is not None:
        return [e for e, t in entities if m.plural in ("", t)]
    if m.pronoun is not None:
        for e in reversed(focus.discussed):
            if m.pronoun in ("", types.get(e)):
                return [e]
        picks = [e for e, t in entities if m.pronoun in ("", t)]
        return picks[:1]
    if focus.entities:
        return list(focus.entities)
    return [entities[0][0]] if len(entities) == 1 else []


def route_from_llm(tool_name: str, names: list[str], question: str, tools: dict[str, ToolInfo],
                   entities: list[tuple[str, str]], focus: Focus) -> Route:
    """Canonicalise an LLM router's choice: its names are matched to the post's
    entities; with no usable name, the question's own references are resolved."""
    if tool_name == EXPLAIN or tool_name not in tools:
        return Route(EXPLAIN if tool_name == EXPLAIN else tool_name, [], "llm")
    info = tools[tool_name]
    if not info.needs_entity:
        return Route(tool_name, [], "llm")
    canon: list[str] = []
    asked = find_mentions(question, entities)
    for name in names:
        m = find_mentions(name, entities)
        for n in m.known or ([name.strip()] if name.strip() and name.strip() in asked.unknown else []):
            if n not in canon:
                canon.append(n)
    if not canon:
        canon = targets(info, asked, entities, focus)
    return Route(tool_name, canon, "llm")

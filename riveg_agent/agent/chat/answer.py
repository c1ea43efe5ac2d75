"""Answers from tool outputs only.

`template_answer` states what the tools returned, one sentence per call
(names not in the post: "not mentioned in the post"). What an entity is
comes from the best evidence the chain has, with its source named: a
the expander's expansion if it passes `weak_expansion` (not empty, not the
name again, not the picture, no person/thing contradiction with the type),
else a description in the post's generated knowledge that passes the same
checks, else the type alone and "I don't know". CLARIFY turns ask which entity is meant. `phrase` asks the chat
model to reword those facts; its reply is kept only if every name and number
in it appears in the facts or the question, else the facts are the answer.
"""
from __future__ import annotations

import re
from typing import Callable, Optional

from langchain_core.messages import HumanMessage, SystemMessage

from riveg_agent.agent.chat.routing import CLARIFY, EXPLAIN

NOT_IN_POST = "not an entity found in the post"


def _box(box) -> str:
    return "[" + ", ".join(f"{v:.0f}" for v in box) + "]"


def entity_list(entities: list[tuple[str, str]]) -> str:
    return ", ".join(f"{e} ({t})" for e, t in entities) or "no named entities"


TYPE_WORDS = {"PER": "a person", "LOC": "a place", "ORG": "an organisation", "MISC": "a named thing "
              "(an event, a product, a work or the like)"}
# How each type is described, for the type check of an expansion (MiniLM similarity).
TYPE_PROTOTYPES = {
    "PER": ["a person", "a man", "a woman", "an athlete", "a politician", "an actor", "a scientist",
            "a singer"],
    "ORG": ["an organization", "a company", "a government agency", "a sports team", "a band",
            "a university", "a political party", "a charity"],
    "LOC": ["a place", "a city", "a country", "a region", "a state", "a building", "a river"],
    "MISC": ["an event", "a product", "a tournament", "a film", "an award", "a festival", "a nationality"]}
TYPE_MARGIN = 0.05
PICTURE_WORDS = {"photo", "picture", "image", "portrait", "pictured", "wearing", "standing", "posing", "poses",
                 "background", "foreground", "shown", "seen", "smiling", "holding", "camera",
                 "shirt", "jacket", "suit", "dress", "hat", "jersey", "uniform", "glasses", "cap"}
STOPWORDS = {"a", "an", "the", "of", "in", "at", "on", "and", "for", "to", "is", "who", "which", "with", "by",
             "from", "as", "its", "his", "her", "their", "this", "that", "known", "named", "called"}
_proto: dict = {}


def _content(text: str) -> list[str]:
    return [w for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in STOPWORDS]


def expansion_type(expansion: str) -> tuple[str, dict[str, float]]:
    """The entity type an expansion describes best (MiniLM cosine to the type prototypes)."""
    from riveg_agent.agent.chat.intent_model import embed
    if not _proto:
        _proto.update({t: embed(xs) for t, xs in TYPE_PROTOTYPES.items()})
    v = embed([expansion])[0]
    sims = {t: float((e @ v).max()) for t, e in _proto.items()}
    return max(sims, key=sims.get), sims


def weak_expansion(name: str, etype: str, expansion: str, caption: str = "") -> str:
    """Why the expansion is no evidence of what the entity is ("" when it is usable)."""
    words = _content(expansion)
    if not words:
        return "the expander gave no description"
    if set(words) <= set(_content(name)):
        return "the expander's description only repeats the name"
    if PICTURE_WORDS & set(words) or (caption and len(set(words) & set(_content(caption))) >= 0.6 * len(set(words))):
        return "the expander's description describes the picture, not the entity"
    best, sims = expansion_type(expansion)
    # only a person read as a thing (or the reverse) is a contradiction: places,
    # organisations and events overlap ("a space center", "a stadium")
    if (best == "PER") != (etype == "PER") and sims[best] - sims.get(etype, 0.0) >= TYPE_MARGIN:
        return (f"the expander's description (\"{expansion}\") reads as {TYPE_WORDS[best].split(' (')[0]}, "
                f"but {name} is typed {etype}")
    return ""


def knowledge_about(name: str, knowledge: str) -> str:
    """A description of the entity in the post's generated knowledge ("X is a …",
    "X, a …"), or ""."""
    n = re.escape(name)
    for pattern in (rf"\b{n}(?:\s*\([^)]*\))?\s+(?:is|was|are|were)\s+((?:an?|the)\s+[^.;:()]+)",
                    rf"\b{n}(?:\s*\([^)]*\))?,\s+((?:an?|the)\s+[^.;:(),]+)"):
        m = re.search(pattern, knowledge, re.I)
        if m:
            return " ".join(m.group(1).split()[:12]).strip()
    return ""


def typed_as(who: str, etype: str) -> str:
    return f"The recognizer typed {who} as {etype} ({TYPE_WORDS.get(etype, etype)})"


def what_is(who: str, etype: str, expansion: str, context: dict) -> str:
    """What an entity is, from the best evidence the chain has, saying where it
    comes from: the expander's description if it passes `weak_expansion`, else a
    description in the post's generated knowledge that passes the same checks,
    else the type alone and "I don't know"."""
    typed = typed_as(who, etype)
    caption = context.get("caption", "")
    why = weak_expansion(who, etype, expansion, caption)
    if not why:
        return f"{typed}; the expander (an LLM) describes {who} as \"{expansion}\": {who} ({etype}) – {expansion}."
    said = knowledge_about(who, context.get("knowledge", ""))
    if said and not weak_expansion(who, etype, said, caption):
        return (f"{typed}; the background knowledge an LLM generated for this post describes {who} as "
                f"\"{said}\" (the expander's own description was not usable: {why}).")
    return f"I don't know more about {who} than the post says. {typed}; {why}, so I am not using it."


def clarify(options: list[str], entities: list[tuple[str, str]], pending: str | None) -> str:
    types = dict(entities)
    if options:
        listed = [f"{o} ({types[o]})" if o in types else o for o in options]
        head = ", ".join(listed[:-1]) + (" or " if len(listed) > 1 else "") + listed[-1]
        return f"Which one do you mean: {head}?"
    if pending and not entities:
        return "The post names no entities, so there is no one to ask that about."
    return ("I'm not sure what you're asking. I can say where an entity is, whether it is in the picture, "
            "what it is, segment it, list the entities, describe the picture, or explain an answer "
            f"(the post names: {entity_list(entities)}).")


def sentence(call: dict, entities: list[tuple[str, str]], text: str = "", context: dict | None = None) -> str:
    """One call's result as a sentence. `call`: name, args, content, artifact, status."""
    name, args, content, art = call["name"], call["args"], call["content"], call.get("artifact")
    who = args.get("entity", "")
    if call["status"] == "error":
        if NOT_IN_POST in content and who and who.lower() in text.lower():
            return (f"'{who}' is in the post's text, but the entity recognizer did not find it as a named "
                    f"entity, so nothing was grounded for it (entities found: {entity_list(entities)}).")
        if NOT_IN_POST in content:
            return (f"{who} is not mentioned in the post, so I have nothing grounded to say about "
                    f"{'them' if who else 'it'} (the post names: {entity_list(entities)}).")
        if "has no image" in content:
            return f"This post has no image, so {name} has nothing to look at" + (f" for {who}." if who else ".")
        return f"{name} could not answer: {content}"
    if name == "check_in_image":
        score = art["score"]
        if art["groundable"]:
            return (f"Yes: {who} is in the picture (visual entailment: groundable, score {score:.2f}; "
                    f"{art['evidence']}).")
        return (f"No: {who} is not in the picture (visual entailment: not groundable, score {score:.2f}; "
                f"{art['evidence']}).")
    if name == "locate_entity":
        if art["box"] is None:
            return f"{who} is mentioned in the post but not grounded in the picture, so there is no box."
        return (f"{who} is in the picture (visual entailment score {art['score']:.2f}) at box "
                f"{_box(art['box'])} (x1, y1, x2, y2 in image pixels).")
    if name == "segment_entity":
        if art["box"] is None:
            return f"{who} is mentioned in the post but not grounded in the picture, so there is no mask."
        area = int(art["mask"].sum()) if art.get("mask") is not None else 0
        return f"Segmented {who}: a mask of {area} pixels inside box {_box(art['box'])}."
    if name == "expand_entity":
        if not art:
            return content
        etype = dict(entities).get(who, "")
        return what_is(who, etype, art.get("expansion", ""), {"text": text, **(context or {})})
    if name == "recognize_entities":
        return f"The post names {len(art)} entities: {content}."
    if name == "caption_image":
        return f"The picture: {content}."
    if name == "generate_knowledge":
        return f"Background knowledge (generated by the LLM): {content}"
    if name == "find_exemplars":
        return f"The most similar annotated posts (id and similarity): {content}."
    return f"{name}: {content}"


def template_answer(intent: str, calls: list[dict], entities: list[tuple[str, str]],
                    previous: list[dict], empty_reason: str = "", text: str = "",
                    context: dict | None = None, route=None) -> str:
    """`context`: the post's generated knowledge and caption (for what an entity is);
    `route`: the turn's Route (for CLARIFY's candidates)."""
    if intent == CLARIFY:
        return clarify(route.options if route else [], entities, route.pending if route else None)
    if intent == EXPLAIN:
        if not previous:
            return "There is no earlier answer to explain yet."
        parts = []
        for c in previous:
            part = (f"{c['name']}({', '.join(f'{k}={v!r}' for k, v in c['args'].items())}) returned "
                    f"\"{c['content']}\"")
            art = c.get("artifact")
            if c["status"] != "error" and isinstance(art, dict) and art.get("evidence") \
                    and art["evidence"] not in c["content"]:
                part += f"; the visual entailment evidence: {art['evidence']}"
                if art.get("score") is not None and "score" not in art["evidence"]:
                    part += f" (score {art['score']:.2f})"
            parts.append(part)
        if calls:  # nothing was answered before: the evidence was gathered this turn
            return "Nothing was answered before, so I checked now: " + "; and ".join(parts) + "."
        return "I said so because " + "; and ".join(parts) + "."
    if not calls:
        return empty_reason or "I could not tell what that question is about; try naming an entity."
    said = " ".join(sentence(c, entities, text, context) for c in calls)
    if intent == "recognize_entities" and route is not None and route.entities:
        return f"{tagged(route.entities, calls[0].get('artifact') or [], text)} {said}"
    return said


def tagged(names: list[str], found: list, text: str) -> str:
    """How the recognizer typed each name a tagging question asks about ("is X an org?"),
    read from the recognizer's own result (`found`: its entity dicts)."""
    types = {e["text"]: e["type"] for e in found if isinstance(e, dict) and "text" in e}
    out = []
    for n in names:
        if n in types:
            out.append(f"{typed_as(n, types[n])}.")
        elif n.lower() in text.lower():
            out.append(f"'{n}' is in the post's text, but the recognizer did not find it as a named entity.")
        else:
            out.append(f"{n} is not mentioned in the post.")
    return " ".join(out)


FACT_WORD = re.compile(r"\b(?:[A-Z][\w'-]+|\d+(?:\.\d+)?)\b")
COMMON = {"The", "A", "An", "Yes", "No", "It", "She", "He", "They", "This", "That", "In", "I", "There",
          "Her", "His", "Its", "Their", "Based", "According", "So", "Sure", "Here"}


KEY_FACT = re.compile(r"\[\d+, \d+, \d+, \d+\]|\b\d\.\d\d\b")  # boxes and scores


def grounded(reply: str, facts: str, question: str) -> bool:
    """Every name and number in the reply appears in the facts or the question,
    and every box and score of the facts is kept."""
    source = f"{facts} {question}"
    return (all(w in COMMON or w in source for w in FACT_WORD.findall(reply))
            and all(k in reply for k in KEY_FACT.findall(facts)))


PHRASE_SYSTEM = ("Answer the user's question in one or two short sentences, using only the facts given. "
                 "Keep names, numbers and boxes exactly as written. Add nothing else.")


def phrase(chat_model, question: str, facts: str,
           on_token: Optional[Callable[[str], None]] = None) -> tuple[str, bool]:
    """(answer, used_llm): the model's wording if grounded in the facts, else
    the facts. `on_token` gets the answer only after the grounding check: a
    reply that fails it is never shown, not even in part."""
    messages = [SystemMessage(PHRASE_SYSTEM), HumanMessage(f"Facts: {facts}\nQuestion: {question}")]
    reply = chat_model.invoke(messages, max_tokens=80).content.strip()
    answer, used = (reply, True) if reply and grounded(reply, facts, question) else (facts, False)
    if on_token is not None:
        on_token(answer)
    return answer, used

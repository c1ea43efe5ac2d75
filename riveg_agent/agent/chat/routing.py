"""Turn routing: a question -> a Route (which tool, about which entities).

The RuleRouter (no LLM) decides the intent in three steps: a fast path for
the exact phrasings of its examples (after normalising case, contractions
and fillers); else the learned classifier (intent_model.py: MiniLM
embedding + hashed n-grams, trained on generated paraphrases) when it is
confident; else a naive Bayes classifier over the examples when that is
very sure. Plugin tools are learnt from their description and
metadata["examples"]. Who the turn is about is resolved by resolve.py for
both routers. When no step is confident, or a reference cannot be resolved
("where is he?" on a post naming two men), the route is CLARIFY: the chat
asks instead of guessing.
"""
from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Optional, Protocol

from riveg_agent.agent.chat.mentions import Mentions, find_mentions
from riveg_agent.agent.chat.resolve import (REFERENCE_WORDS, TYPE_NOUNS, described_phrase, mask_references,
                                            resolve, singular)

EXPLAIN = "explain"  # no tool: cite the evidence of the previous turn
CLARIFY = "clarify"  # no tool: ask the user which entity (or what) they mean

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
FOLLOW_UP = re.compile(r"^\s*(?:(?:hmm+|ok|okay|so|oh|right|wait|alright|cool|nice|thanks|great)[\s,.!]+)*"
                       r"(and|what about|how about|and what about|same for|now)\b", re.I)
NB_SURE = 0.9         # the naive Bayes posterior that counts as sure when the learned model is not
LEARNED_MIN = 0.5     # the learned model's probability that counts as confident
AGREE_MIN = 0.3       # ... or that counts when naive Bayes picks the same intent
CLARIFY_NAMED_MIN = 0.7  # the probability that a question naming someone is out of scope
PLUGIN_SIMILARITY = 0.4  # cosine of a question to a plugin tool's own examples (with naive Bayes agreeing)


@dataclass
class Route:
    intent: str                       # a tool name, EXPLAIN or CLARIFY
    entities: list[str] = field(default_factory=list)  # canonical names (or names not in the post, as typed)
    source: str = "rules"             # which router (and step) decided
    options: list[str] = field(default_factory=list)   # CLARIFY: the candidates to ask about
    pending: Optional[str] = None     # CLARIFY: the tool the user probably wants, once it is clear who
    asked_why: bool = False           # a "how sure are you that X …" with nothing to explain yet: the
                                      # tool gathers the evidence now and the answer cites it


@dataclass
class Focus:
    """What the conversation is about: the memory follow-ups resolve against."""
    intent: Optional[str] = None
    entities: list[str] = field(default_factory=list)
    discussed: list[str] = field(default_factory=list)
    options: list[str] = field(default_factory=list)   # the candidates of a clarifying question just asked

    def update(self, route: Route) -> None:
        if route.intent == CLARIFY:
            self.intent = route.pending or self.intent
            self.options = list(route.options)
            return
        self.options = []
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
    def route(self, question: str, entities: list[tuple[str, str]], focus: Focus, text: str = "") -> Route: ...


NORMALISE = [(r"\b(\w+)['’]s\b", r"\1 is"), (r"\bare\b", "is"), (r"\bwas\b", "is"), (r"\bwere\b", "is")]
FILLER = {"please", "pls", "plz", "ok", "okay", "hey", "so", "now", "then", "um", "hmm", "thanks", "thx",
          "can", "you", "could", "would", "me", "the", "a", "an", "this", "that"}


def features(text: str) -> Counter:
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


def normalise(masked: str) -> str:
    """The key of the exact-phrasing fast path: lower case, contractions
    expanded, punctuation and filler words dropped."""
    for pattern, repl in NORMALISE:
        masked = re.sub(pattern, repl, masked, flags=re.I)
    words = [w if w == "ENT" else w.lower() for w in re.findall(r"[A-Za-z]+", masked)]
    return " ".join(w for w in words if w not in FILLER)


class NaiveBayes:
    """A naive Bayes classifier over the presence of words, word pairs and
    character trigrams, trained on the example phrasings (and plugin tools' own words)."""

    ALPHA = 0.1  # smoothing

    def __init__(self, tools: list[ToolInfo]):
        self.tools = {t.name: t for t in tools}
        rows: list[tuple[str, Counter]] = []
        for intent, examples in EXAMPLES.items():
            if intent == EXPLAIN or intent in self.tools:
                rows += [(intent, features(x)) for x in examples]
        for t in tools:
            if t.name not in EXAMPLES:  # a plugin tool: learn it from its own words
                rows += [(t.name, features(x)) for x in plugin_texts(t)]
        self.docs: Counter = Counter(intent for intent, _ in rows)
        self.present: dict[str, Counter] = {i: Counter() for i in self.docs}
        for intent, feats in rows:
            self.present[intent].update(set(feats))
        self.vocab = {f for c in self.present.values() for f in c}

    def classify(self, masked: str, named: bool = False) -> tuple[str, float]:
        """(intent, posterior probability); probability 0 when no feature is known.
        A question that names someone or something goes to a tool that takes an entity."""
        feats = [f for f in set(features(masked)) if f in self.vocab]
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


def _description_words(t: ToolInfo) -> set[str]:
    """The content words of a plugin tool's description and name ("shape", "dominant", "colour")."""
    from riveg_agent.agent.chat.describe import FUNCTION
    words = re.findall(r"[a-z]+", (t.description + " " + t.name.replace("_", " ")).lower())
    return {w for w in words if len(w) >= 3 and w not in FUNCTION and w not in FILLER
            and w not in ("picture", "image", "photo", "its", "the", "and")}


def plugin_texts(t: ToolInfo) -> list[str]:
    return list(t.examples) + [t.description, t.name.replace("_", " ")]


class RuleRouter:
    """The router without an LLM: exact phrasings, the learned classifier,
    naive Bayes, then entity resolution; CLARIFY when unsure."""

    def __init__(self, tools: list[ToolInfo], model=None, referee=None):
        self.tools = {t.name: t for t in tools}
        self.referee = referee  # referee.LLMReferee: descriptions the rules cannot settle (optional)
        self.nb = NaiveBayes(tools)
        self.exact: dict[str, str] = {}
        for intent, examples in EXAMPLES.items():
            if intent == EXPLAIN or intent in self.tools:
                self.exact.update((normalise(masked(x, [])), intent) for x in examples)
        self.plugins = [t for t in tools if t.name not in EXAMPLES]
        for t in self.plugins:
            self.exact.update((normalise(masked(x, [])), t.name) for x in t.examples)
        self._model = model
        self._plugin_emb = None
        self.plugin_words = set().union(*(_description_words(t) for t in self.plugins))

    @property
    def model(self):
        if self._model is None:
            from riveg_agent.agent.chat.intent_model import IntentModel
            self._model = IntentModel.load()
        return self._model

    def _allowed(self, intent: str, named: bool) -> bool:
        if intent not in self.tools and intent not in (EXPLAIN, CLARIFY):
            return False  # a built-in tool this chat does not offer
        # a question that names someone goes to a tool about an entity, to "why", or to the
        # recognizer when it asks how a name was tagged ("is X marked as an org or a place?")
        return not named or intent in (EXPLAIN, CLARIFY, "recognize_entities") or (
            intent in self.tools and self.tools[intent].needs_entity)

    def classify(self, masked: str, named: bool = False) -> tuple[Optional[str], float, str]:
        """(intent or None when unsure, confidence, which step decided)."""
        intent = self.exact.get(normalise(masked))
        if intent is not None and self._allowed(intent, named):
            return intent, 1.0, "rules"
        from riveg_agent.agent.chat.intent_model import embed
        emb = embed([masked])[0]
        if not named and "ENT" not in masked:
            # "is orange the dominant colour", "what's the shape of the pic": a question in the words
            # of a plugin tool's own description
            words = {w.lower() for w in re.findall(r"[A-Za-z]+", masked)}
            for t in self.plugins:
                if words & _description_words(t):
                    if self._plugin_emb is None:
                        self._plugin_emb = {t.name: embed(plugin_texts(t)) for t in self.plugins}
                    if float((self._plugin_emb[t.name] @ emb).max()) >= PLUGIN_SIMILARITY - 0.1:
                        return t.name, 1.0, "rules (plugin tool's words)"
        nb_intent, nb_p = self.nb.classify(masked, named)
        if nb_intent in self.tools and nb_intent not in EXAMPLES and nb_p >= LEARNED_MIN:
            if self._plugin_emb is None:
                self._plugin_emb = {t.name: embed(plugin_texts(t)) for t in self.plugins}
            if float((self._plugin_emb[nb_intent] @ emb).max()) >= PLUGIN_SIMILARITY:
                return nb_intent, nb_p, "rules (plugin tool)"
        probs = {k: v for k, v in self.model.probs(masked, emb).items() if self._allowed(k, named)}
        total = sum(probs.values()) or 1.0
        best = max(probs, key=probs.get, default=None)
        p = probs.get(best, 0.0) / total
        if best == CLARIFY and named and p < CLARIFY_NAMED_MIN:
            # a question that names someone is out of scope ("a joke about X") only when the
            # model is sure of it; else the most likely tool
            probs.pop(CLARIFY)
            total = sum(probs.values()) or 1.0
            best = max(probs, key=probs.get, default=None)
            p = probs.get(best, 0.0) / total
        if best is not None and p >= LEARNED_MIN:
            return best, p, "learned"
        if best is not None and best == nb_intent and p >= AGREE_MIN:
            return best, p, "learned (naive Bayes agrees)"
        if nb_p >= NB_SURE and self._allowed(nb_intent, named):
            return nb_intent, nb_p, "rules (naive Bayes)"
        return None, p, "unsure"

    def route(self, question: str, entities: list[tuple[str, str]], focus: Focus, text: str = "") -> Route:
        story = STORY_CUE.search(question) and not STORY_OF_SOMEONE.search(question)  # before "this post"
        whole_story = STORY_WHOLE.search(question)
        question = expand(question)
        m = find_mentions(question, entities)
        text_masked = masked(question, entities)
        named = bool(m.named) or m.pronoun == "PER"
        phrase = described_phrase(question, entities, text) if not m.known else None
        if phrase:  # "the guy who attacked", "the soprano": a reference, masked as one
            text_masked = re.sub(r"(?i)(?<!\w)" + r"\s+".join(map(re.escape, phrase.split())) + r"(?!\w)",
                                 "ENT", text_masked, count=1)
            tail = re.search(r"\s(?:who|that|which)\s.*$", phrase)
            if tail:  # "the guy" was masked already: "ENT who attacked"
                text_masked = re.sub(r"(?i)\bENT" + r"\s+".join(map(re.escape, tail.group(0).split(" "))) + r"(?!\w)",
                                     "ENT", text_masked, count=1)
            text_masked = re.sub(r"\bENT(?:\s+ENT)+\b", "ENT", text_masked)
            named = True
        # A description no post word fits ("the guitar guy", "the jockey") still says the
        # question is about someone: masked, it is the classifier's second reading, used
        # only when the first is unsure, or the masked text is a bare follow-up.
        described = None if phrase or m.known else description_masked(question, text_masked, entities)
        if described and set(re.findall(r"[a-z]+", question.lower())) & self.plugin_words:
            described = None  # "and the main colour?": a plugin tool's subject, not someone
        follow = bool(FOLLOW_UP.match(question)) or m.other
        if SERVICE_REQUEST.search(question) and not IMAGE_ACTION.search(question):
            return Route(CLARIFY, [], "rules (a service no tool offers)")
        if ("generate_knowledge" in self.tools and not IMAGE_ACTION.search(question) and (
                (not m.named and not phrase and story) or whole_story)):
            # "what's the backstory of this mass, wasn't he sick": the post's story; a pronoun in
            # it is part of the story, not whom a tool should look at
            return Route("generate_knowledge", [], "rules (a story asked for)")
        if m.named and "expand_entity" in self.tools and re.fullmatch(
                r"\s*(?:ENT\s*=\s*(?:\?+|what\W*|who\W*)|(?:\?+|what|who)\s*=\s*ENT\W*)\s*", text_masked, re.I):
            intent, source = "expand_entity", "rules (X = ?)"  # "faith = ?": what X is
        elif focus.intent and (any((follow and _bare(t)) or _only_reference(t) for t in (text_masked, described) if t)
                               or _described_follow_up(question)):
            intent, source = focus.intent, "rules (follow-up)"
        elif "recognize_entities" in self.tools and offers_types(question):
            intent, source = "recognize_entities", "rules (which type: X or Y)"
        elif "check_in_image" in self.tools and ON_STAGE.match(text_masked):
            intent, source = "check_in_image", "rules (is X on stage)"
        elif focus.intent and (WHY_ANSWER.search(question) or SURE_ANSWER.search(question)):
            intent, source = EXPLAIN, "rules (why the last answer)"
        elif focus.intent and CORRECTION.search(question) and (m.named or phrase or described):
            # "the maid of honour i mean", "sorry i meant the frontwoman": the last turn's
            # question, about someone else
            intent, source = focus.intent, "rules (a correction)"
        else:
            intent, _, source = self.classify(text_masked, named)
            if intent is None and described:  # not CLARIFY: "sing me one of their songs" is out of scope
                second, _, how = self.classify(described, True)
                if second not in (None, CLARIFY):
                    intent, source = second, how + " (description as a reference)"
            if intent is None and focus.intent and (m.named or m.pronoun is not None):
                intent, source = focus.intent, "rules (unsure: the previous tool)"
            if intent is None:
                return Route(CLARIFY, [], "rules (unsure what is asked)")
        if intent == EXPLAIN and focus.intent is None and (m.named or phrase) and "check_in_image" in self.tools:
            # "how sure are you that X is in the picture?" before anything was answered: the
            # evidence to cite is the visibility check, made now
            route = route_to(self.tools["check_in_image"], question, m, entities, focus, text,
                             f"{source} (nothing to explain yet: the check)", self.referee)
            route.asked_why = route.intent != CLARIFY
            return route
        if intent in (EXPLAIN, CLARIFY):
            return Route(intent, [], source)
        return route_to(self.tools[intent], question, m, entities, focus, text, source, self.referee)


CONTRACTIONS = [(r"\b(?:wat|wot)\b", "what"), (r"\b(what|where|who|how)s\b", r"\1 is"),
                (r"\b(he|she|it|that|what|where|who|there|how|here)['’]s\b", r"\1 is"),
                (r"\b(they|you|we)['’]re\b", r"\1 are"), (r"\bcan['’]t\b", "can not"),
                (r"\brunners?[\s]+up\b", "runner-up"), (r"^(\W*)describe (?:it|this|that)\b", r"\1describe the picture"),
                (r"\bwon['’]t\b", "will not"), (r"\b(\w+)n['’]t\b", r"\1 not")]


# "the context of this storm", "the backstory of this event": the post's event, asked about
# as a whole (generate_knowledge), not an entity, when the question asks for its story.
EVENT_NOUNS = ("event", "events", "match", "game", "storm", "rally", "story", "news", "incident", "ceremony",
               "concert", "protest", "announcement", "situation", "occasion", "final", "race", "fight",
               "feud", "beef", "drama", "moment", "scene", "meeting", "summit", "visit", "launch", "celebration",
               "show", "gig", "tour", "festival", "gala", "premiere", "keynote", "conference", "mass", "service",
               "wedding", "funeral", "trial", "election", "vote", "deal", "strike", "flood", "floods", "crash",
               "accident", "attack", "disaster", "outbreak", "derby", "tournament", "parade", "ceremonies",
               "typhoon", "hurricane", "cyclone", "earthquake", "wildfire", "fire", "heatwave", "eruption")
# Asking for a story: about the post as a whole even with a pronoun in it ("are they
# engaged?? what's the backstory", "the story behind this, why was she there")
STORY_CUE = re.compile(r"\b(?:back\s?story|story behind|the story|context|background)\b"
                       r"|\ba\s+big\s+deal\b|\bwhy\s+(?:this|it)\s+(?:matters|is\s+important)\b"
                       r"|\bwhy\s+does\s+(?:this|it)\s+matter\b", re.I)
STORY_OF_SOMEONE = re.compile(r"\b(?:his|her|their|its)\s+(?:back\s?story|background|story)\b|\b(?:back\s?story|background|story)"
                              r"\s+(?:of|behind|about|on)\s+(?:him|her|them|it)\b", re.I)
# The whole story, even of a named entity: "why is shell being protested, whats the bigger story"
STORY_WHOLE = re.compile(r"\bthe\s+(?:bigger|whole|full|wider|broader|real)\s+(?:story|context|background)\b"
                         r"|\bwhat(?:'s|s| is)\s+the\s+(?:story|context)(?:\s+here\b|\s*[,.!?;]|\s*$)"
                         r"|\bwhy\s+(?:is|was)\s+(?:this|that|it)\b.*\bbig\s+deal\b", re.I)
# Requests for a service no tool offers, even about an entity: "can u order me one",
# "get me a job at nvidia", "find me the dress she's wearing online", "how much does it cost"
SERVICE_REQUEST = re.compile(
    r"\b(?:order|buy|purchase|book|reserve|rent|ship|deliver)\s+(?:me|us|it|one|some|a|an|the|that|this|those|these|tickets?)\b"
    r"|\b(?:get|find|fetch)\s+me\s+(?:a|an|some|tickets?|the\s+\w+\s+\w+\s+online)\b|\bonline\b.*\b(?:buy|shop|find|order)\b"
    r"|\b(?:buy|shop|find|order)\b.*\bonline\b|\bhow\s+much\s+(?:does|do|did|is|are|was)\b.*\b(?:cost|costs|price|worth)\b"
    r"|\bwhere\s+(?:can|do|could)\s+i\s+(?:buy|get|order)\b"
    r"|\bshould\s+i\s+(?:buy|sell|invest|bet|vote|go|get)\b|\bam\s+i\s+(?:at\s+risk|safe|in\s+danger)\b"
    r"|\b(?:the|a|their|his|her|its)\s+(?:recipe|lyrics|phone\s+number|home\s+address)\b"
    r"|^\W*(?:(?:pls|please|quick|quickly)\W+)?(?:call|phone|ring|dial|text|email)\s+(?:the|my|his|her|them|him|an?)\b"
    r"|\bplay\s+(?:a\s+game|chess|a\s+song|music|\w+\s+with\s+me)\b|\btranslate\b|\bstream\s+(?:it|the|this|that)\b"
    r"|\b(?:which|who)\s+(?:party|team|side|candidate)\s+should\s+i\b|\bshould\s+i\s+support\b", re.I)
# The kinds a user may offer the recognizer's types as: "india's the country or the team?"
TYPE_KINDS = {**{w: "PER" for w in ("person", "per", "human", "individual")},
              **{w: "LOC" for w in ("place", "location", "loc", "country", "city", "nation", "state", "region",
                                    "town", "venue")},
              **{w: "ORG" for w in ("org", "organisation", "organization", "team", "company", "brand", "band",
                                    "group", "club", "side", "business")},
              **{w: "MISC" for w in ("misc", "thing", "event", "product", "other")}}
_KIND = "|".join(sorted(TYPE_KINDS, key=len, reverse=True))
TYPE_CHOICE = re.compile(rf"\b(?:an?\s+|the\s+)?({_KIND})\s+or\s+(?:an?\s+|the\s+)?({_KIND})\b", re.I)


def offers_types(question: str) -> bool:
    """A question that offers two of the recognizer's types to choose from ("a team or a place")."""
    return any(TYPE_KINDS[a.lower()] != TYPE_KINDS[b.lower()] for a, b in TYPE_CHOICE.findall(question))


# "is he on stage", "is ENT on the pitch": whether someone is in the picture
ON_STAGE = re.compile(r"^\W*(?:(?:so|ok|and|but)\W+)*(?:is|are)\s+ENT\s+(?:(?:even|actually|really)\s+)?"
                      r"(?:on\s+(?:the\s+)?(?:stage|screen|pitch|court|field|podium|ice|track|red\s+carpet)"
                      r"|in\s+(?:shot|frame|view|the\s+frame))\W*$", re.I)
# "why can't you find him", "why did u say that": a question about the last answer
WHY_ANSWER = re.compile(r"^\W*(?:(?:but|ok|so|hmm|wait)\W+)*(?:why|how\s+come)\s+(?:can\s*not|can'?t|couldn'?t|could\s+not"
                        r"|didn'?t|did\s+not|did|do|does|would|wouldn'?t|is\s+it|was\s+it)\s+(?:u|you|ya|it)\b", re.I)
# "u sure about the irish ones?", "are you really sure": doubt about the last answer
SURE_ANSWER = re.compile(r"^\W*(?:(?:but|ok|okay|hmm+|so|wait)\W+)*(?:(?:r|are)\s+)?(?:u|you|ya)\s+(?:really\s+|totally\s+)?"
                         r"sure\b", re.I)
CORRECTION = re.compile(r"^\W*(?:(?:no|nah|sorry|oops|wait)\W+)*i\s+mean[t]?\b|\bi\s+mean[t]?\W*$", re.I)
IMAGE_ACTION = re.compile(r"\b(?:where|segment|mask|box|locate|outline|cut|visible|remove|blur"
                          r"|in the (?:pic|picture|photo|image|shot))\b", re.I)
KNOWLEDGE_CUE = re.compile(r"\b(?:context|backstory|back story|background|story|history|behind|about|happen\w*"
                           r"|going on|news|explain|significance|why)\b", re.I)
POST_EVENT = re.compile(rf"\b(?:this|the|that|these|those)\s+(?:{'|'.join(EVENT_NOUNS)})\b(?!['’]s)", re.I)


def expand(question: str) -> str:
    """Contractions of pronouns and question words spelt out ("she's", "whos" -> "she is",
    "who is"; "wat" -> "what"); names keep their possessive ("Serena's sister");
    "this event" / "this storm" in a question about its story becomes "this post"."""
    for pattern, repl in CONTRACTIONS:
        question = re.sub(pattern, repl, question, flags=re.I)
    if KNOWLEDGE_CUE.search(POST_EVENT.sub(" ", question)) and not re.search(
            r"\b(?:where|segment|mask|box|locate|visible|in the (?:pic|picture|photo|image|shot))\b", question, re.I):
        question = POST_EVENT.sub("this post", question)
    return question


def masked(question: str, entities: list[tuple[str, str]]) -> str:
    """What the intent classifiers see: names, pronouns and other references as ENT;
    "in it" is the picture."""
    q = re.sub(r"\bin it\b", "in the picture", expand(question), flags=re.I)
    return mask_references(find_mentions(q, entities).masked)


def description_masked(question: str, text_masked: str, entities: list[tuple[str, str]]) -> Optional[str]:
    """text_masked with the question's description ("the guitar guy", "his team boss") as ENT;
    None when the question has none."""
    from riveg_agent.agent.chat.resolve import question_description

    desc = question_description(question, entities, possessives=True)
    if desc is None:
        return None
    words = re.findall(r"[\w'’-]+", desc.text)[1:]  # the phrase's own words, without its determiner
    if not words:
        return None
    pattern = r"(?i)\b(?:the|that|this|your|ur|his|her|its|their|ENT)\s+" + r"\s+".join(map(re.escape, words)) + r"(?!\w)"
    out = re.sub(pattern, "ENT", text_masked, count=1)
    return out if out != text_masked else None


def route_to(tool: ToolInfo, question: str, m: Mentions, entities: list[tuple[str, str]], focus: Focus,
             text: str, source: str, referee=None) -> Route:
    """The route for a chosen tool: its entities resolved, or CLARIFY with the candidates.
    With a referee, a description the question holds instead of a name ("the drummer",
    "her book") is the LLM's to settle (referee.py); "unclear" leaves it to the rules."""
    if not tool.needs_entity:
        return Route(tool.name, tagged_about(tool, question, m, entities, focus, text), source)
    if not entities and not m.named:
        return Route(tool.name, [], source)  # nothing to ask about: the answer says the post names no one
    res = resolve(question, m, entities, focus, text)
    weak = res.how in WEAK_STEPS or (res.how.endswith("(from the conversation)")
                                     and not res.how.startswith(("pronoun", "they")))  # "is he in it or just the building"
    if referee is not None and text and len(entities) > 1 and (not res.entities or weak) \
            and refers_by_description(question, m, entities):
        # only where the rules found no one or fell back on the conversation ("the singer":
        # of the post's people, the one discussed last): where they
        # matched the post's words they were right more often than the 0.5B model
        # (docs/chat.md, "The referee"); the candidates are the rules' own when they had some
        previous = ", ".join(focus.entities) or None
        picked = referee.choose(question, text, entities, res.options or [e for e, _ in entities], previous)
        if picked is not None:
            return Route(tool.name, [picked], f"{source}; referee")
    if res.entities:
        return Route(tool.name, res.entities, source)
    return Route(CLARIFY, [], f"{source}; {res.how}", options=res.options, pending=tool.name)


SINGULAR_PRONOUNS = {"it", "he", "she", "him", "her", "this", "that"}


def tagged_about(tool: ToolInfo, question: str, m: Mentions, entities: list[tuple[str, str]], focus: Focus,
                 text: str) -> list[str]:
    """The entities a question to the recognizer is about: "is Everton tagged as a team or a
    place?" is about Everton, "did you tag it as an org?" about the one just discussed;
    "which names did you find?" about none (the answer lists them all)."""
    if tool.name != "recognize_entities":
        return []
    words = set(re.findall(r"[a-z]+", question.lower()))
    # the tags offered are not references: "did you tag him as a person or a team?"
    asked = re.sub(r"(?i)\b(?:as|or|an?)\s+(?:an?\s+)?\w+", " ", question)
    the_noun = [w for w in re.findall(r"\b(?:the|that|this|both|two|three|all)\s+(?:the\s+|two\s+|three\s+)?([a-z]+)", asked.lower())
                if w in TYPE_NOUNS or singular(w) in TYPE_NOUNS]
    if not m.named and not (m.pronoun is not None and words & SINGULAR_PRONOUNS) and not the_noun:
        return []
    res = resolve(asked, find_mentions(asked, entities), entities, focus, text)
    # "is the venue tagged as a location": the one entity the noun describes
    described = the_noun and res.how in ("description", "described by the post") and len(res.entities) == 1
    # "are both museums tagged as orgs", "the two parties, are they tagged as orgs": those counted
    counted = bool(words & {"both", "two", "three", "all"}) and " of them" in res.how and len(res.entities) >= 2
    sure = res.how in ("named", "it", "pronoun", "pronoun (from the conversation)")
    return res.entities if described or counted or sure else []


# resolve.py's steps that only fall back on the conversation or the post's only entity
WEAK_STEPS = ("focus", "it", "the only entity")


def refers_by_description(question: str, m: Mentions, entities: list[tuple[str, str]]) -> bool:
    """Whether the question points at one entity by a description and by no name, count,
    ordinal or "other": "the drummer", "the woman he rescued", "his trainer"."""
    from riveg_agent.agent.chat.resolve import WORD, fold_lower, question_description

    if m.named or "either" in WORD.findall(fold_lower(question)):
        return False
    # find_description returns a phrase only when it has content words or a clause
    return question_description(question, entities, possessives=True) is not None


# Words that add nothing to a follow-up or a reply beyond its reference: "the guy too?",
# "leclerc obviously", "her as well", "and him, please".
DISCOURSE = {"too", "also", "as", "well", "either", "again", "obviously", "clearly", "course", "duh", "yeah",
             "yep", "yes", "yea", "sure", "definitely", "probably", "think", "guess", "lol", "haha", "pls",
             "plz", "please", "thanks", "thx", "ty", "ok", "okay", "oh", "sorry", "of", "like", "um", "uh",
             "hmm", "then", "now", "next", "instead", "rather", "though", "tho", "ofc", "course", "bro", "mate",
             "itself", "himself", "herself", "themselves"}


def _bare(masked: str) -> bool:
    """A follow-up with no words of its own ("and ENT?", "what about the other one?", "and her sister?",
    "and the guy with her")."""
    words = set(re.findall(r"[a-z]+", masked.lower())) - REFERENCE_WORDS - DISCOURSE - {
        "and", "what", "about", "how", "same", "for", "now", "then", "is", "mentioned", "named", "listed",
        "with", "beside", "behind", "near", "next", "to"}
    return not words and _points(masked)


def _described_follow_up(question: str) -> bool:
    """"and the guy she came with", "what about the woman who spoke": a follow-up whose
    reference is a person described by a short clause."""
    mt = re.match(r"^\W*(?:and|what\s+about|how\s+about)\s+(?:the|that)\s+(?:other\s+)?([a-z]+)\s+"
                  r"(?:(?:who|that|he|she|they|who\s+(?:he|she|they))\s+)?[a-z]+(?:\s+(?:with|to|for|beside|behind|after))?"
                  r"\W*$", question.lower())
    return bool(mt) and TYPE_NOUNS.get(mt.group(1), (None,))[0] == "PER"


def _points(masked: str) -> bool:
    """Whether the text refers to anyone at all ("thanks!" does not)."""
    return bool(set(re.findall(r"[a-z]+", masked.lower())) & (REFERENCE_WORDS - {"the", "of", "all", "one", "ones"}))


def _only_reference(masked: str) -> bool:
    """A reply that is only a reference ("Nadal?", "the first one", "I mean her", "the guy too?")."""
    words = set(re.findall(r"[a-z]+", masked.lower())) - REFERENCE_WORDS - DISCOURSE - {
        "i", "mean", "meant", "please", "pls", "ok", "oh", "sorry", "yes", "mentioned", "named", "listed",
        "in", "post", "tweet", "text", "no", "nah", "actually", "talking", "about", "was", "one", "guy"}
    return not words and _points(masked)


def route_from_llm(tool_name: str, names: list[str], question: str, tools: dict[str, ToolInfo],
                   entities: list[tuple[str, str]], focus: Focus, text: str = "") -> Route:
    """Canonicalise an LLM router's choice: its names are matched to the post's
    entities; with no usable name, the question's own references are resolved."""
    if tool_name == EXPLAIN or tool_name not in tools:
        return Route(EXPLAIN if tool_name == EXPLAIN else tool_name, [], "llm")
    info = tools[tool_name]
    asked = find_mentions(question, entities)
    if not info.needs_entity:
        return Route(tool_name, tagged_about(info, question, asked, entities, focus, text), "llm")
    canon: list[str] = []
    for name in names:
        m = find_mentions(name, entities)
        for n in m.known or ([name.strip()] if name.strip() and name.strip() in asked.unknown else []):
            if n not in canon:
                canon.append(n)
    if canon:
        return Route(tool_name, canon, "llm")
    return route_to(info, question, asked, entities, focus, text, "llm")

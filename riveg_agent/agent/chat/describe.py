"""References by description: "the soprano", "the baby tiger", "the guy who attacked",
"the runner-up", "the union guy". No word list of roles: the question's noun phrase
(and its relative clause) is compared with the words the post puts around each entity.

Each entity's context is the words of its sentence around its mentions, each word
given to one entity: a word right before a name is that name's ("Soprano Aoife",
"Vexacorp CFO Tomasz": CFO is Tomasz's, not Vexacorp's), an apposition or a relative
clause after a comma is the name's before it ("Mawar, the newborn tiger cub at …",
"X, who graduated"), other words go to the nearer name, and what follows the loser of
a win goes to the winner ("X beats Y to take the lead"). Words match by a light stem
(winner / wins / won, attacked / attack, graduate / graduated), numbers exactly; the
phrase's head weighs more than its modifiers; nearer words weigh more. With no
lexical match, MiniLM similarity of the description and each entity's context phrase
decides ("the runner-up" for "X was second"). An entity is picked only when it clearly
beats the next one; else the caller asks."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Optional

# English function words and the chat's own words (never a description of an entity).
FUNCTION = set("""a an the this that these those my your our his her their its of in on at to for from by with
about into onto over under out up down off and or but nor so yet as than then there here is are was were be been
being am do does did done have has had having will would can could should shall may might must not no yes very
too also even just really actually still only again now today tonight yesterday who whom whose which what where
when why how it he she they them him me i you we us some any all both each every either neither other
others another s t rt via vs v amp just lol pls plz please rn tho though btw ok okay hey hi oh omg wow so
pic pics picture photo image shot frame img photograph foto post tweet text visible pictured there anywhere
in it again while whilst mentioned named listed exactly precisely show where box mask segment outline locate find cut
highlight draw around mean i'm im trying see spot can u r ur""".split())
# Nouns that only say what kind of entity it is; they filter, they do not describe.
GENERIC = {"guy", "man", "woman", "person", "lady", "girl", "boy", "dude", "bloke", "lad", "gal", "gentleman",
           "individual", "one", "fella", "chap", "thing", "entity", "name", "someone", "somebody", "people", "folks", "ppl", "peeps"}
PREFIXES = {"ex", "former", "new", "current", "then", "late", "future", "soon-to-be", "acting", "interim"}
IRREGULAR = {"won": "win", "beat": "beat", "beaten": "beat", "led": "lead", "ran": "run", "wed": "wed",
             "married": "marri", "flew": "fly", "drove": "drive", "wrote": "write", "sang": "sing", "sung": "sing",
             "threw": "throw", "gave": "give", "took": "take", "made": "make", "held": "hold", "hit": "hit",
             "met": "meet", "caught": "catch", "taught": "teach", "built": "build", "spoke": "speak",
             "mom": "mum", "mother": "mum", "mommy": "mum", "mummy": "mum", "newborn": "baby"}
SENTENCE = re.compile(r"[.!?;](?=\s|$)|\n|—|–(?=\s)")
TOKEN = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")
MIN_SCORE = 0.2     # the best entity's score that counts at all
MARGIN = 1.5        # ... and how many times the runner-up's it must be
SEM_MIN = 0.60      # MiniLM fallback: the best cosine that counts
SEM_MARGIN = 0.15   # ... and its lead over the next entity


def stem(word: str) -> str:
    w = word.lower().replace("’", "'")
    if w.endswith("'s"):
        w = w[:-2]
    if w in IRREGULAR:
        return IRREGULAR[w]
    if w.isdigit():
        return w
    for suf in ("ers", "er", "ing", "ed", "es", "s", "ly"):
        if w.endswith(suf) and len(w) - len(suf) >= 3:
            w = w[: -len(suf)]
            break
    if len(w) >= 4 and w[-1] == w[-2] and w[-1] not in "aeiou":
        w = w[:-1]  # winn -> win
    if len(w) >= 4 and w.endswith("e"):
        w = w[:-1]  # graduate -> graduat
    return IRREGULAR.get(w, w)


@dataclass
class Description:
    text: str                        # the phrase as typed ("the guy who scored 142")
    head: list[str]                  # content words of the noun phrase, head last
    clause: list[str] = field(default_factory=list)   # words of its relative clause
    generic: list[str] = field(default_factory=list)  # "guy", "woman": for the type and gender only


def find_description(question: str, skip: set[str] = frozenset()) -> Optional[Description]:
    """The first noun phrase after the / that / this / your in the question, with its
    relative clause ("who scored 142"); None when it is only generic or function words.
    `skip`: words that are not descriptions here (parts of names, ordinals, counts)."""
    q = question.lower().replace("’", "'")
    for m in re.finditer(r"\b(?:the|that|this|your|ur)\s+", q):
        toks = [(t.group(0), m.end() + t.start(), m.end() + t.end()) for t in TOKEN.finditer(q[m.end():])]
        np_words, end = [], m.end()
        for k, (t, s, e) in enumerate(toks):
            if t in FUNCTION or len(np_words) >= 4:
                break
            if k and q[toks[k - 1][2]:s].strip(" -"):  # punctuation ends the phrase
                break
            if t not in skip:  # a word of a name ("the Arsenal guy") describes nothing
                np_words.append(t)
            end = e
        rest = [x for x in toks if x[1] >= end]
        clause = []
        if np_words and rest and rest[0][0] in ("who", "that", "which") and not q[end:rest[0][1]].strip():
            for t, s, e in rest[1:4]:
                if t in ("is", "in", "the", "photo", "picture", "pic", "image", "there", "visible") or \
                        q[end:s].strip(" ") and re.search(r"[?!.,]", q[end:s]):
                    break
                clause.append(t)
                end = e
        words = [w for t in np_words for w in ([t] + [p for p in t.split("-") if p != t])]
        words = [w for w in words if w not in PREFIXES]
        generic = [w for w in words if w in GENERIC]
        content = [w for w in words if w not in GENERIC and w not in skip]
        clause = [w for w in clause if w not in FUNCTION]
        if content or clause:
            return Description(question[m.start():end], content, clause, generic)
    return None


def _spans(text: str, names: list[str]) -> list[tuple[int, int, str]]:
    from riveg_agent.agent.chat.mentions import fold
    low = fold(text).lower()
    found = []
    for n in sorted(names, key=len, reverse=True):
        for m in re.finditer(r"(?<!\w)" + re.escape(fold(n).lower()) + r"(?!\w)", low):
            if not any(s < m.end() and m.start() < e for s, e, _ in found):
                found.append((m.start(), m.end(), n))
    return sorted(found)


def contexts(text: str, entities: list[tuple[str, str]]) -> dict[str, list[tuple[str, float]]]:
    """(stemmed word, weight) around each entity's mentions (see the module docstring)."""
    from riveg_agent.agent.chat.mentions import fold
    from riveg_agent.agent.chat.resolve import WIN_VERBS
    names = [e for e, _ in entities]
    out: dict[str, list[tuple[str, float]]] = {n: [] for n in names}
    low = fold(text).lower().replace("’", "'")
    name_words = {w for n in names for w in TOKEN.findall(fold(n).lower())}
    bounds = [0] + [m.end() for m in SENTENCE.finditer(low)] + [len(low)]
    for a, b in zip(bounds, bounds[1:]):
        spans = [(s, e, n) for s, e, n in _spans(text[a:b], names)]
        spans = [(s + a, e + a, n) for s, e, n in spans]
        if not spans:
            continue
        for k, (s, e, n) in enumerate(spans):
            prev_end = spans[k - 1][1] if k else a
            next_start = spans[k + 1][0] if k + 1 < len(spans) else b
            left = [t for t in TOKEN.finditer(low[prev_end:s])]
            gap_left = low[prev_end:s]
            if k and re.match(r"\s*,\s*(?:the|a|an|our|his|her|their|who|which)\b", gap_left):
                left = []  # an apposition of the name before: given to it below
            for d, t in enumerate(reversed(left), 1):
                if d > 4:
                    break
                out[n].append((t.group(0), 1.0 if d <= 2 else 1.0 / (d - 1)))
            right = list(TOKEN.finditer(low[e:next_start]))
            gap = low[e:next_start]
            appos = re.match(r"\s*,\s*(?:the|a|an|our|his|her|their|who|which)\b", gap)
            # "X beats Y to take the lead": what follows the loser is the winner's
            owner = spans[k - 1][2] if k and WIN_VERBS.search(low[spans[k - 1][1]:s]) else n
            for d, t in enumerate(right, 1):
                to_next = len(right) - d + 1  # distance to the next name
                if not appos and k + 1 < len(spans) and to_next <= 2 and to_next <= d:
                    continue  # the next name's title ("Vexacorp CFO Tomasz")
                if d > 8:
                    break
                out[owner].append((t.group(0), 1.0 if appos or d <= 2 else 1.0 / (d - 1)))
    for n in out:
        # "X, the bride's brother": a possessor describes someone else
        out[n] = [(w, wt) for w, wt in out[n] if w not in FUNCTION and w not in name_words
                  and not w.endswith("'s") and len(w) >= 2]
    return out


def stemmed(ctx: dict[str, list[tuple[str, float]]]) -> dict[str, list[tuple[str, float]]]:
    return {n: [(stem(w), wt) for w, wt in ws] for n, ws in ctx.items()}


def context_phrase(text: str, name: str, entities: list[tuple[str, str]]) -> str:
    """The sentence(s) that mention `name`, for the MiniLM fallback."""
    low = text
    bounds = [0] + [m.end() for m in SENTENCE.finditer(low)] + [len(low)]
    out = []
    for a, b in zip(bounds, bounds[1:]):
        if any(n == name for _, _, n in _spans(text[a:b], [e for e, _ in entities])):
            out.append(text[a:b].strip())
    return " ".join(out)


@dataclass
class Match:
    entity: Optional[str]
    scores: dict
    how: str
    description: Optional[Description] = None

    @property
    def candidates(self) -> list[str]:
        return [e for e, s in sorted(self.scores.items(), key=lambda x: -x[1]) if s > 0]


def score(desc: Description, text: str, entities: list[tuple[str, str]],
          allowed: Optional[list[str]] = None, semantic: bool = True) -> Match:
    """Which entity the description fits (see the module docstring)."""
    raw = contexts(text, entities)
    ctx = stemmed(raw)
    names = [e for e, _ in entities if allowed is None or e in allowed]
    heads = [stem(w) for w in desc.head]
    clause = [stem(w) for w in desc.clause]
    weights = {}
    for k, w in enumerate(heads):
        weights[w] = max(weights.get(w, 0), 1.0 if k == len(heads) - 1 else 0.6)
    for w in clause:
        weights[w] = max(weights.get(w, 0), 1.0)
    scores = {}
    for n in names:
        got = {}
        for w, wt in ctx.get(n, []):
            if w in weights:
                got[w] = max(got.get(w, 0), wt * weights[w])
        scores[n] = sum(got.values())
    ranked = sorted(scores.items(), key=lambda x: -x[1])
    if ranked and ranked[0][1] >= MIN_SCORE:
        second = ranked[1][1] if len(ranked) > 1 else 0.0
        if ranked[0][1] >= MARGIN * second:
            return Match(ranked[0][0], scores, "described by the post's words", desc)
        return Match(None, scores, "described by the post's words (ambiguous)", desc)
    if not semantic or not names or not text:
        return Match(None, scores, "no description fits", desc)
    from riveg_plugins.minilm_exemplars import encode
    phrase = " ".join(desc.head + desc.clause)
    ctx_text = [" ".join(w for w, _ in raw.get(n, [])) for n in names]
    emb = encode([phrase] + [c or n for n, c in zip(names, ctx_text)])
    sims = {n: float(emb[0] @ emb[i + 1]) for i, n in enumerate(names)}
    ranked = sorted(sims.items(), key=lambda x: -x[1])
    if ranked[0][1] >= SEM_MIN and (len(ranked) == 1 or ranked[0][1] - ranked[1][1] >= SEM_MARGIN):
        return Match(ranked[0][0], sims, "described (MiniLM similarity to the post)", desc)
    return Match(None, sims, "no description fits", desc)

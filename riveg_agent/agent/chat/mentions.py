"""Who a question is about: entity names matched against the post's cached
entities, names that are not in the post, pronouns, and plural targets
("which people…", "all entities"). Deterministic; shared by both routers."""
from __future__ import annotations

import re
from functools import lru_cache
from dataclasses import dataclass, field
from typing import Optional

WORD = re.compile(r"[A-Za-z0-9][\w'’.-]*")
STOP = {"the", "a", "an", "of", "in", "at", "on", "and", "for", "to", "de", "la", "le", "new", "st",
        "center", "centre", "city", "club", "team", "is", "it", "who", "what", "where",
        # quantifiers: "both" is no misspelt "Bath"
        "both", "either", "neither", "each", "every", "few", "most", "none", "other", "another", "any"}
# Words that open a question and are capitalised only because they come first.
QWORDS = {"where", "who", "what", "which", "is", "are", "does", "do", "can", "show", "segment", "tell",
          "list", "find", "locate", "describe", "why", "how", "and", "give", "explain", "mask",
          "outline", "highlight", "point", "draw", "cut", "i", "please", "ok", "okay", "so", "now",
          "then", "hmm", "also", "was", "were", "has", "have", "did", "could", "would", "will",
          "in", "on", "at", "the", "a", "an", "any", "name", "names", "picture", "photo", "image",
          "tweet", "post", "entity", "entities", "what's", "where's", "who's", "yes", "no", "thanks",
          "i'm", "i've", "i'd", "i'll", "im", "ive", "id", "ill", "lemme", "gimme", "hi", "hello", "hey", "oh",
          "wait", "sorry", "ah", "omg", "lol", "yo", "ya", "yeah", "yep", "nope", "well", "but", "or", "if",
          "maybe", "just", "really", "actually", "tbh", "btw", "pls", "plz", "ty", "thx", "huh"}
# Words for a nation, a region or a creed before a lower-case noun ("European politics",
# "German football"): adjectives, not names.
DEMONYMS = set("""european american african asian british english french german italian spanish portuguese
dutch russian chinese japanese korean indian brazilian mexican canadian australian irish scottish welsh swiss
swedish norwegian danish finnish polish greek turkish arab arabic israeli iranian ukrainian belgian austrian
argentine argentinian colombian chilean peruvian cuban egyptian nigerian kenyan ghanaian moroccan saudi
pakistani bangladeshi vietnamese thai filipino indonesian malaysian latin western eastern northern southern
nordic scandinavian balkan baltic catholic muslim jewish islamic hindu buddhist olympic""".split())
# A nation's adjective and its name: "the irish players" are the post's Ireland.
DEMONYM_COUNTRY = {"american": "united states", "british": "great britain", "english": "england",
                   "french": "france", "german": "germany", "italian": "italy", "spanish": "spain",
                   "portuguese": "portugal", "dutch": "netherlands", "russian": "russia", "chinese": "china",
                   "japanese": "japan", "korean": "south korea", "indian": "india", "brazilian": "brazil",
                   "mexican": "mexico", "canadian": "canada", "australian": "australia", "aussie": "australia",
                   "irish": "ireland", "scottish": "scotland", "welsh": "wales", "swiss": "switzerland",
                   "swedish": "sweden", "norwegian": "norway", "danish": "denmark", "finnish": "finland",
                   "polish": "poland", "greek": "greece", "turkish": "turkey", "israeli": "israel",
                   "iranian": "iran", "ukrainian": "ukraine", "belgian": "belgium", "austrian": "austria",
                   "argentine": "argentina", "argentinian": "argentina", "colombian": "colombia",
                   "chilean": "chile", "peruvian": "peru", "cuban": "cuba", "egyptian": "egypt",
                   "nigerian": "nigeria", "kenyan": "kenya", "ghanaian": "ghana", "moroccan": "morocco",
                   "pakistani": "pakistan", "bangladeshi": "bangladesh", "vietnamese": "vietnam",
                   "thai": "thailand", "filipino": "philippines", "indonesian": "indonesia",
                   "kiwi": "new zealand", "saffa": "south africa", "springbok": "south africa",
                   "croatian": "croatia", "serbian": "serbia", "uruguayan": "uruguay", "jamaican": "jamaica"}
PRONOUNS = {"her": "PER", "him": "PER", "she": "PER", "he": "PER", "his": "PER", "hers": "PER",
            "it": None, "them": None, "they": None, "that": None}
# Titles before a name: "Pope Francis" is the post's "Francis", but "Venus
# Williams" is not the post's "Serena Williams".
TITLES = {"pope", "president", "queen", "king", "prince", "princess", "dr", "mr", "mrs", "ms", "sir",
          "saint", "st", "senator", "governor", "coach", "captain", "general", "lady", "lord", "judge"}
PLURALS = {"people": "PER", "persons": "PER", "person": "PER", "everyone": "PER", "everybody": "PER",
           "places": "LOC", "locations": "LOC", "organizations": "ORG", "organisations": "ORG",
           "companies": "ORG", "groups": "ORG", "entities": None, "names": None, "all": None}


@dataclass
class Mentions:
    known: list[str] = field(default_factory=list)      # canonical entity surfaces, in question order
    shared: dict = field(default_factory=dict)          # a known name -> all the entities a partial name fits
                                                        # ("Simeone" for Diego and Giuliano Simeone)
    unknown: list[str] = field(default_factory=list)    # capitalised names that are not in the post
    pronoun: Optional[str] = None                       # the pronoun's type hint ("PER") or "" for it/that
    plural: Optional[str] = None                        # type asked for in plural ("PER"), "" for all
    other: bool = False                                 # "the other one"
    masked: str = ""                                    # the question with names replaced by ENT

    @property
    def named(self) -> list[str]:
        return self.known + self.unknown


@lru_cache(maxsize=4096)
def fold(text: str) -> str:
    """Accents dropped character by character ("Świątek" -> "Swiatek"), so the length
    (and every offset) stays the same."""
    import unicodedata
    out = []
    for ch in text:
        base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
        out.append(base if len(base) == 1 else ch)
    return "".join(out)


def initials(name: str) -> str:
    """"Anthony Davis" -> "AD", "Alexandria Ocasio-Cortez" -> "AOC" (words and hyphenated parts)."""
    parts = [p for p in re.split(r"[\s-]+", fold(name)) if p and p.lower() not in STOP]
    return "".join(p[0].upper() for p in parts if p[0].isalpha()) if len(parts) >= 2 else ""


@lru_cache(maxsize=4096)
def _name_parts(surface: str) -> frozenset:
    """The words of a name, accents dropped, hyphenated ones also in parts ("Ocasio-Cortez")."""
    out = set()
    for t in re.findall(r"[A-Za-z0-9][\w'’.-]*", fold(surface)):
        t = re.sub(r"['’]s$", "", t).rstrip(".'’").lower()
        out.add(t)
        out.update(p for p in t.split("-") if len(p) >= 3)
        if "'" in t or "’" in t:
            out.add(re.sub(r"['’]", "", t))  # "aja" for "A'ja"
    return frozenset(out)


def _bare(word: str) -> str:
    """The word without a possessive or trailing dots ("LeBron's" -> "LeBron")."""
    return re.sub(r"['’]s$", "", word).rstrip(".'’")


def _tokens(text: str) -> list[tuple[str, int, int]]:
    return [(_bare(m.group(0)), m.start(), m.start() + len(_bare(m.group(0))))
            for m in WORD.finditer(text)]


# Short forms of first names ("Rafa", "Bill"): a question may use them for the post's full name.
NICKNAMES = {"bill": "william", "will": "william", "bob": "robert", "rob": "robert", "mike": "michael",
             "chris": "christopher", "kate": "katherine", "liz": "elizabeth", "beth": "elizabeth",
             "tom": "thomas", "joe": "joseph", "jim": "james", "jimmy": "james", "ben": "benjamin",
             "dave": "david", "dan": "daniel", "matt": "matthew", "nick": "nicholas", "steve": "steven",
             "tony": "anthony", "leo": "lionel", "rafa": "rafael", "alex": "alexander", "sam": "samuel",
             "andy": "andrew", "pete": "peter", "ed": "edward", "ted": "edward", "jen": "jennifer",
             "meg": "margaret", "maggie": "margaret", "abby": "abigail", "cristiano": "cristiano",
             "zach": "zachary", "greg": "gregory", "jon": "jonathan", "kim": "kimberly", "vicky": "victoria"}
NICKNAMES.update({"tay": "taylor", "philly": "philadelphia"})  # a place has short forms too


def _edits(a: str, b: str) -> int:
    """Damerau-Levenshtein distance (adjacent swaps count once), for typed names."""
    d = [[i + j if i * j == 0 else 0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[-1][-1]


def _near(word: str, name_token: str) -> bool:
    """A misspelt, shortened or nicknamed form of one word of an entity name."""
    w, t = fold(word).lower(), fold(name_token).lower()
    if w in STOP or w in QWORDS or w in PRONOUNS or w in common_words() or len(t) < 4:
        return False
    if NICKNAMES.get(w) == t or w in NICKNAMES and _sound(_initial_c(NICKNAMES[w])) == _sound(_initial_c(t)):
        return True  # "Kate" for "Catherine" as for "Katherine"
    if len(w) >= 4 and (t.startswith(w) or t.endswith(w)) and len(t) - len(w) <= 3:
        return True  # "Rafa" for "Rafael", "Bron" for "LeBron"
    if len(w) >= 5 and w[-1] in "yi" and len(t) >= 8 and t.startswith(w[:-1]):
        return True  # "Wemby" for "Wembanyama"
    if len(w) >= 5 and len(t) >= 8 and t.startswith(w) and 2 * len(w) >= len(t):
        return True  # "Glasto" for "Glastonbury", "Manch" for "Manchester"
    if len(w) >= 4 and _sound(w) == _sound(t):
        return True  # "Jenny" for "Jennie", "Filip" for "Philipp"
    return len(w) >= 4 and _edits(w, t) <= (1 if len(t) < 8 else 2)


def _initial_c(word: str) -> str:
    """Catherine and Katherine, Carl and Karl: one name."""
    return "k" + word[1:] if word.startswith("c") and word[1:2] in ("a", "o", "u", "l", "r") else word


def _sound(word: str) -> str:
    """A spelling-free key of a name: doubled letters as one, ph as f, a final -ie/-y/-ey/-ee/-i as i."""
    w = re.sub(r"ph", "f", word)
    w = re.sub(r"(.)\1+", r"\1", w)
    return re.sub(r"(?:ie|ey|ee|y|i)$", "i", w)


_COMMON: set[str] = set()
# Words after which a name comes ("where is …", "show me …", "segment …").
NAME_SLOT = {"is", "are", "where", "who", "what", "find", "locate", "show", "me", "segment", "mask", "box",
             "see", "spot", "about", "outline", "and", "or"}


# "is obama there?", "where is messi", "is merkel in the photo too", "if dhoni is in this shot":
# a single lower-case word alone in a name's slot
_PIC = r"(?:pic|picture|photo|image|shot|frame|photograph|foto|img)"
_TAIL = (rf"(?:\s+(?:there|here|in\s+there|in\s+(?:the|this|that|ur|your)\s+{_PIC}|in\s+it|visible|pictured"
         rf"|at\s+all|anywhere|around|or\s+not|too|also|as\s+well|either|now|again|then|standing|sitting"
         rf"|lol|haha|pls|plz|please|rn|tho|though|btw|bro|even|really|actually|or\s+what"
         rf"|in\s+(?:the|this|that)\s+(?:crowd|background|foreground|front|back|middle|corner|stands|audience|frame)))*")
SINGLE_SLOT = re.compile(
    r"^(?:(?:ok|so|and|hey|but|wait|hmm|also|then|now|oh)[\s,]+)*"
    r"(?:where\s+is|where's|wheres|is|who\s+is|who's|whos|show\s+me|find|locate|segment|mask|box"
    r"|(?:can\s+(?:you|u)\s+)?(?:see|spot)|.*?\b(?:if|whether))"
    rf"\s+([^\W\d_][^\W\d_-]*(?:-[^\W\d_]+)?)(?:\s+is)?{_TAIL}[^\w]*$", re.I)
# "and nadal?", "what about obama": a follow-up that is only a lower-case name
FOLLOW_SLOT = re.compile(r"^(?:(?:ok|so|hmm|oh)[\s,]+)*(?:and|what\s+about|how\s+about)\s+([^\W\d_][^\W\d_-]*)"
                         r"(?:\s+(?:too|then|now|pls|please|lol))?[^\w]*$", re.I)
NOT_NAMES = {"everyone", "everybody", "anyone", "anybody", "someone", "somebody", "nobody", "everything",
             "anything", "something", "nothing", "there", "here", "this", "that", "these", "those", "which",
             "what", "who", "where", "whom", "whose", "one", "ones", "all", "both", "each", "either", "neither",
             "none", "other", "others", "another", "yours", "mine", "ours", "theirs", "myself", "yourself",
             "right", "wrong", "true", "false", "sure", "correct", "real", "ready", "done", "possible"}


def _reference_words() -> set[str]:
    from riveg_agent.agent.chat.resolve import REFERENCE_WORDS, ROLE_NOUNS
    return REFERENCE_WORDS | ROLE_NOUNS


def common_words() -> set[str]:
    """Words of the chat's training questions (never names): a typo match must not turn
    "house" or "where" into an entity."""
    if not _COMMON:
        import json
        from pathlib import Path
        data = Path(__file__).with_name("data") / "intents.jsonl"
        if data.is_file():
            for line in data.read_text(encoding="utf-8").splitlines():
                _COMMON.update(w.lower() for w in re.findall(r"[A-Za-z]+", json.loads(line)["masked"]))
        _COMMON.discard("ent")
        _COMMON.add("")
    return _COMMON


def _capword(word: str) -> bool:
    """Capitalised as a name is: not an all-caps common word ("WHERE IS MESSI IN THE PIC")."""
    if not word[:1].isupper():
        return False
    low = word.lower()
    return not (word.isupper() and (len(word) == 1 or low in STOP or low in QWORDS or low in PRONOUNS
                                    or low in common_words() or low in _CAPS_COMMON))


# Words an all-caps question is made of even when the training words are not loaded
_CAPS_COMMON = {"pic", "pics", "photo", "can", "you", "u", "see", "show", "me", "box", "mask", "cut", "out", "why",
                "how", "sure", "are", "r", "there", "here", "this", "that", "tell", "about", "know", "visible",
                "list", "all", "entities", "types", "describe", "post", "tweet", "context", "similar", "posts",
                "please", "pls", "plz", "omg", "lol", "wtf", "tf", "confident", "around", "draw", "where", "who",
                "what", "whats", "wheres", "whos", "not", "no", "yes", "even", "really", "actually", "too"}


def _typo_of_common(word: str) -> bool:
    """A lower-case word one edit from a longer training word ("segmant", "pictre"): a typo, not a name."""
    if len(word) < 5:
        return False
    return any(abs(len(c) - len(word)) <= 1 and len(c) >= 5 and c[0] == word[0] and _edits(word, c) <= 1
               for c in common_words())


def as_name(typed: str) -> str:
    """A name typed in lower case, written as a name: "gavin newsom" -> "Gavin Newsom", "jay z" -> "Jay Z"."""
    return " ".join(w[:1].upper() + w[1:] if w.islower() else w for w in typed.split())


def _lower_initials(word: str, entities: list[tuple[str, str]]) -> list[str]:
    """Initials typed in lower case ("who is kd", "jwst"): only a word that is no English word, and
    only when they fit exactly one entity."""
    if not (word.islower() and 2 <= len(word) <= 4) or word in common_words() or word in QWORDS \
            or word in STOP or word in PRONOUNS or word in _CAPS_COMMON:
        return []
    hits = [surf for surf, _ in entities if initials(surf) == word.upper()]
    return hits if len(hits) == 1 else []


def find_mentions(question: str, entities: list[tuple[str, str]]) -> Mentions:
    """`entities`: (surface, type) of the post, in post order."""
    out = Mentions()
    q = question.strip()
    low = fold(q).lower()
    spans: list[tuple[int, int, str, bool]] = []  # start, end, canonical, known
    # 1. whole entity strings, longest first
    for surface, _ in sorted(entities, key=lambda e: -len(e[0])):
        for m in re.finditer(r"(?<!\w)" + re.escape(fold(surface).lower()) + r"(?!\w)", low):
            if not any(s < m.end() and m.start() < e for s, e, _, _ in spans):
                start = m.start()
                title = re.search(r"(\w+)\.?\s+$", q[:start])
                if title and title.group(1).lower() in TITLES:
                    start = title.start(1)
                spans.append((start, m.end(), surface, True))
    # 2. distinctive tokens of entity names ("Collins", "Johnson"), unless the
    #    capitalised name around them is another name ("Venus Williams")
    toks = _tokens(q)
    for i, (word, s, e) in enumerate(toks):
        lower_initials = _lower_initials(word, entities)
        if any(a < e and s < b for a, b, _, _ in spans) or word.lower() in STOP or (
                len(word) < 3 and not word.isupper() and not lower_initials):
            continue
        hits = [surf for surf, _ in entities
                if fold(word).lower() in _name_parts(surf)]
        if not hits and len(word) >= 4:  # run together: "badbunny", "jayz"
            hits = [surf for surf, _ in entities if " " in surf.strip() or "-" in surf
                    if fold(word).lower() == re.sub(r"[\s\-.'’]", "", fold(surf).lower())]
        if not hits and word.isupper() and 2 <= len(word) <= 4:  # initials: "AD", "AOC"
            hits = [surf for surf, _ in entities if initials(surf) == word]
        if not hits:
            hits = lower_initials
        if not hits and not (i > 0 and toks[i - 1][0].lower() in ("the", "that", "this")
                             and word.lower() in _reference_words()):  # "the burger" describes; no misspelt "Burgers"
            hits = [surf for surf, _ in entities if any(_near(word, t) for t, _, _ in _tokens(surf))]
        if hits and word[:1].isupper():
            parts = {t.lower() for t, _, _ in _tokens(hits[0])}
            j, k = i, i
            while j > 0 and _capword(toks[j - 1][0]) and toks[j - 1][0].lower() not in QWORDS \
                    and not (j - 1 == 0 and toks[0][0].lower() in common_words()):  # "Separate Klopp …"
                j -= 1
            while k + 1 < len(toks) and _capword(toks[k + 1][0]):
                k += 1
            extra = [t.lower() for n, (t, _, _) in enumerate(toks[j:k + 1], j)
                     if n != i and t.lower() not in parts and not any(_near(t, p) for p in parts)]
            if any(x not in TITLES for x in extra):
                continue  # another person's name: left to step 3
            s = toks[j][1] if all(x in TITLES for x in extra) else s
        elif hits and i > 1 and len(_name_parts(hits[0])) > 1 and toks[i - 2][0].lower() in NAME_SLOT:
            # "is johnny depp there" on a post naming Lily-Rose Depp: typed in lower case in a
            # name's slot, a first name that is none of the entity's words is another person's (step 4)
            before = fold(toks[i - 1][0]).lower()
            if (before.isalpha() and len(before) > 2 and before not in _name_parts(hits[0])
                    and before not in STOP and before not in QWORDS and before not in PRONOUNS
                    and before not in TITLES and before not in common_words() and before not in _reference_words()
                    and not any(_near(before, t) or t.startswith(before) for t in _name_parts(hits[0]))):
                continue
        if hits:
            spans.append((s, e, hits[0], True))
            if len(hits) > 1:
                out.shared[hits[0]] = hits
    # 3. capitalised runs that match nothing: names not in the post
    run: list[tuple[str, int, int]] = []
    # words that open a sentence are capitalised by position ("… post? I don't follow …")
    starts = {toks[0][1]} if toks else set()
    starts |= {t[1] for t in toks if re.search(r"[.?!:;]\s*$", q[:t[1]])}
    for i, (word, s, e) in enumerate(toks + [("", len(q) + 1, len(q) + 1)]):
        covered = any(a < e and s < b for a, b, _, _ in spans)
        nxt = toks[i + 1][0] if i + 1 < len(toks) else ""
        cap = (_capword(word) and not covered and word.lower() not in PRONOUNS
               and not (s in starts and (word.lower() in QWORDS or word.lower() in common_words()))
               and word.lower() not in QWORDS
               and not (fold(word).lower() in DEMONYMS and nxt[:1].islower()))
        if cap:
            run.append((word, s, e))
        elif run:
            # a lone capitalised first word ("Put a box…") is capitalised by position only
            # and a lone role or reference word ("the CEO", "the Mayor") names no one
            if not (run[0][1] == toks[0][1] and len(run) == 1 and len(toks) > 1) and not (
                    len(run) == 1 and run[0][0].lower() in _reference_words()):
                spans.append((run[0][1], run[-1][2], q[run[0][1]:run[-1][2]], False))
            run = []
    # 4. a lower-case run of two or more words no question uses, right where a name goes
    #    ("where is joe biden", "is max verstappen in it"): a name not in the post
    from riveg_agent.agent.chat.resolve import REFERENCE_WORDS
    common = common_words() | REFERENCE_WORDS
    run = []
    for k, (word, s, e) in enumerate(toks + [("", len(q) + 1, len(q) + 1)]):
        low_word = word.lower()
        nxt = toks[k + 1][0] if k + 1 < len(toks) else ""
        titled = not run and low_word in TITLES and nxt.isalpha() and nxt.islower() and nxt not in common \
            and nxt not in STOP and nxt not in QWORDS and nxt not in PRONOUNS  # "is king charles in it"
        if (len(common) > len(REFERENCE_WORDS) + 1 and word.isalpha() and word.islower()
                and (len(word) > 1 or (run and low_word not in ("a", "i", "u", "o")))
                and not (not run and len(word) > 5 and low_word.endswith("ing"))
                and (titled or low_word not in common) and low_word not in STOP and low_word not in QWORDS
                and low_word not in PRONOUNS and not any(a < e and s < b for a, b, _, _ in spans)
                and (run or (k > 0 and toks[k - 1][0].lower() in NAME_SLOT))):
            run.append((word, s, e))
            continue
        if len(run) >= 2:
            spans.append((run[0][1], run[-1][2], as_name(q[run[0][1]:run[-1][2]]), False))
        run = []
    # 5. a single lower-case word no question uses, alone in a name's slot
    #    ("is obama there?", "where is messi"): a name not in the post
    if not spans:
        slot = SINGLE_SLOT.match(q) or FOLLOW_SLOT.match(q)
        if slot:
            w = slot.group(1)
            lw = w.lower()
            if (len(common) > len(REFERENCE_WORDS) + 1 and lw not in common and lw not in STOP
                    and lw not in QWORDS and lw not in PRONOUNS and lw not in NOT_NAMES
                    and not _typo_of_common(lw)):
                spans.append((slot.start(1), slot.end(1), as_name(w), False))
    spans.sort()
    masked, last = [], 0
    for s, e, canon, known in spans:
        masked.append(q[last:s])
        masked.append("ENT")
        last = e
        target = out.known if known else out.unknown
        if canon not in target:
            target.append(canon)
    masked.append(q[last:])
    words = [w.lower() for w, _, _ in _tokens(q)]
    for w in words:
        if w in PRONOUNS and not out.named:
            out.pronoun = PRONOUNS[w] or ""
            break
    for k, w in enumerate(words):
        if w in PLURALS and not (w == "all" and k > 0 and words[k - 1] == "at"):  # "at all" counts no one
            out.plural = PLURALS[w] or ""
            break
    if out.plural is None and not out.named and out.pronoun is None and words[:1] == ["who"]:
        out.plural = "PER"  # "who … in the photo?" with no name asks about the people
    out.other = "other" in words or "others" in words or "second" in words
    text = "".join(masked)
    for p in PRONOUNS:
        if p != "that":  # "how sure are you that …" is no reference
            text = re.sub(rf"(?i)\b{p}\b", "ENT", text) if out.pronoun is not None else text
    out.masked = text
    return out

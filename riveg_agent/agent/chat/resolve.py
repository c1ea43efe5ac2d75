"""Who a turn is about, as its own step after the names are found (mentions.py).

Order: relations stated in the post ("her sister", "Serena's brother"), names
(post entities and names not in the post, kept as typed), ordinals ("the
second one"), "the other one/guy", counts and plurals ("both", "the two men",
"all three", "which people"), pronouns by gender and number, descriptions by
type ("the woman", "the city"), then the conversation's focus, then the only
entity of the post. A reference that fits several entities, or none, is not
guessed: the result carries the candidates, and the router asks (clarify).
Gender comes from the post itself: a title or relation word before the name,
a known first name, or the first he/she pronoun after it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Optional

from riveg_agent.agent.chat.mentions import DEMONYM_COUNTRY, Mentions

MALE = {"he", "him", "his", "himself"}
FEMALE = {"she", "her", "hers", "herself"}
PLURAL = {"they", "them", "their", "theirs", "themselves"}
THING = {"it", "its", "that", "this"}
# Relation nouns -> the relative's gender (None: either).
RELATIONS = {"brother": "m", "sister": "f", "son": "m", "daughter": "f", "father": "m", "dad": "m",
             "mother": "f", "mom": "f", "mum": "f", "husband": "m", "wife": "f", "boyfriend": "m",
             "girlfriend": "f", "fiance": "m", "fiancee": "f", "uncle": "m", "aunt": "f", "nephew": "m",
             "niece": "f", "grandson": "m", "granddaughter": "f", "grandfather": "m", "grandmother": "f",
             "partner": None, "teammate": None, "coach": None, "friend": None, "cousin": None, "twin": None,
             "sibling": None, "child": None, "kid": None, "spouse": None, "bandmate": None, "manager": None,
             "colleague": None, "rival": None, "opponent": None, "boss": None, "co-star": None}
SAME_RELATION = {"sibling": {"brother", "sister", "twin"}, "mom": {"mother"}, "mum": {"mother"},
                 "dad": {"father"}, "spouse": {"husband", "wife"}, "kid": {"son", "daughter", "child"},
                 "child": {"son", "daughter", "kid"}, "partner": {"husband", "wife", "boyfriend", "girlfriend"}}
# Who the relative is of the relative: "X and his wife Y" also says X is Y's husband.
INVERSE = {"brother": {"brother", "sister", "sibling", "twin"}, "sister": {"brother", "sister", "sibling", "twin"},
           "son": {"father", "mother", "dad", "mom", "mum", "parent"},
           "daughter": {"father", "mother", "dad", "mom", "mum", "parent"},
           "father": {"son", "daughter", "child", "kid"}, "mother": {"son", "daughter", "child", "kid"},
           "dad": {"son", "daughter", "child", "kid"}, "mom": {"son", "daughter", "child", "kid"},
           "mum": {"son", "daughter", "child", "kid"}, "husband": {"wife", "spouse", "partner"},
           "wife": {"husband", "spouse", "partner"}, "boyfriend": {"girlfriend", "boyfriend", "partner"},
           "girlfriend": {"boyfriend", "girlfriend", "partner"}, "fiance": {"fiancee", "fiance", "partner"},
           "fiancee": {"fiance", "fiancee", "partner"}, "uncle": {"nephew", "niece"}, "aunt": {"nephew", "niece"},
           "nephew": {"uncle", "aunt"}, "niece": {"uncle", "aunt"}, "grandson": {"grandfather", "grandmother"},
           "granddaughter": {"grandfather", "grandmother"}, "grandfather": {"grandson", "granddaughter"},
           "grandmother": {"grandson", "granddaughter"}, "partner": {"partner"}, "teammate": {"teammate"},
           "friend": {"friend"}, "cousin": {"cousin"}, "twin": {"twin", "brother", "sister", "sibling"},
           "sibling": {"sibling", "brother", "sister"}, "spouse": {"spouse", "husband", "wife"},
           "bandmate": {"bandmate"}, "colleague": {"colleague"}, "rival": {"rival"}, "opponent": {"opponent"},
           "co-star": {"co-star"}}
RELATIONS.update({"parent": None, "husband": "m", "fiancé": "m", "fiancée": "f"})
TITLE_GENDER = {"mr": "m", "sir": "m", "king": "m", "prince": "m", "lord": "m", "duke": "m", "pope": "m",
                "mrs": "f", "ms": "f", "miss": "f", "queen": "f", "princess": "f", "lady": "f", "duchess": "f",
                "dame": "f"}
TITLE_WORDS = {"pope", "president", "queen", "king", "prince", "princess", "senator", "governor", "coach",
               "captain", "general", "lady", "lord", "judge", "chancellor", "minister", "mayor", "duke",
               "duchess", "sheikh", "emperor", "dr", "doctor", "professor", "sir", "dame"}
# Common first names, for the gender of a post's people when the text has no pronoun for them.
MALE_NAMES = set("""james john robert michael william david richard joseph thomas charles christopher daniel
matthew anthony mark donald steven paul andrew joshua kenneth kevin brian george edward ronald timothy jason
jeffrey ryan jacob gary nicholas eric jonathan stephen larry justin scott brandon benjamin samuel frank gregory
raymond alexander patrick jack dennis jerry tyler aaron jose adam henry nathan douglas zachary peter kyle
walter ethan jeremy harold keith christian roger noah gerald carl terry sean austin arthur lawrence jesse
dylan bryan joe jordan billy bruce albert willie gabriel logan alan juan wayne roy ralph randy eugene vincent
russell elijah louis bobby philip johnny lionel cristiano rafael novak barack donald vladimir emmanuel
justin elon jeff bill mohamed mohammed ahmed ali luis carlos diego pablo sergio andres marco luca giovanni
francesco pierre jean louis francois hans karl stefan lebron kobe stephen kevin tiger lewis max sebastian
fernando neymar kylian harry kanye drake ed bruno shawn keanu leonardo brad tom chris hugh idris narendra
xi boris rishi keir joe kim shinzo recep olaf jens friedrich mesut thierry zinedine didier wayne steven
virat sachin usain mo roger andy pete carlos jannik daniil ivan boris igor dmitri eliud mike ryan damien
gordon jamie liam noel pep jurgen lewis george erling luka karim antoine robert jude declan marcus raheem
mason phil tim satya sundar mark larry sergey warren jay snoop eminem kendrick travis post bad ozzy mick
keith paul ringo bono sting prince elvis freddie kurt dave chad zach miles hunter colin aidan ahmad omar
hamza yusuf ibrahim hassan hussein khalid tariq rahul arjun ravi amit vijay raj sanjay hiroshi kenji takeshi
yuki haruki wei jun min hyun seung dong jin taehyung jimin jungkook namjoon yoongi hoseok seokjin ben matt
nathaniel oliver jake luke owen connor cameron caleb isaac levi owen wyatt leo theo felix oscar hugo
mateo santiago sebastian nicolas alejandro javier rafa iker xavi andres gerard cesc fabio paolo alessandro
lorenzo matteo andrea simone stefano federico jonas lukas niklas tobias florian mats thomas manuel toni
olivier hugo kylian ousmane theo raphael yann lucas""".split()) - {"post", "bad", "andrea", "simone"}
FEMALE_NAMES = set("""mary patricia jennifer linda elizabeth barbara susan jessica sarah karen lisa nancy
betty margaret sandra ashley kimberly emily donna michelle carol amanda dorothy melissa deborah stephanie
rebecca sharon laura cynthia kathleen amy angela shirley anna brenda pamela emma nicole helen samantha
katherine christine debra rachel carolyn janet catherine maria heather diane ruth julie olivia joyce virginia
victoria kelly lauren christina joan evelyn judith megan andrea cheryl hannah jacqueline martha gloria teresa
ann sara madison frances kathryn janice jean abigail alice judy sophia grace denise amber doris marilyn
danielle beverly isabella theresa diana natalie brittany charlotte marie kayla alexis lori serena venus
naomi simone taylor beyonce rihanna adele shakira oprah kamala hillary michelle angela theresa greta malala
eileen sally valentina marta megan alex ellie selena ariana billie dua lady madonna cher jennifer scarlett
meryl nicole cate natalie keira emma kate meghan camilla diana anne elena sofia giulia chiara francesca
ines lucia carmen paula marion sandrine ursula christine kristalina jacinda sanna ilhan nancy
alexandria coco iga aryna ons elina petra maria venus steffi martina monica billie kylie kris kim
khloe kourtney kendall hailey selena miley demi katy lana gigi bella hadid zendaya margot florence saoirse
anya sydney jenna millie greta blue ivy beyonce shania dolly reba carrie mariah whitney celine janet tina
aretha nina ella billie ruth sonia elizabeth priyanka deepika aishwarya kareena alia indira sheikh yoko
mei ling yan hui xiu jisoo jennie rose lisa nayeon aiko sakura yui hana jessica iris nora lena ingrid
astrid freya maja elsa frida giorgia ursula christine marine segolene anne sophie claire juliette
amelie leonie hannah lea mia emilia clara paula lucia valeria ximena camila gabriela fernanda alessia
caitlin kaitlyn caitlyn kathleen brianna breanna sabrina
giulia martina chiara aurora ginevra sara beatrice naomi simona amara chiamaka ngozi folake wanjiru
samantha gwen ariana taylor halsey lorde sza cardi nicki doja megan olivia sabrina chappell""".split()) - {"alex", "taylor", "rose", "sheikh", "blue", "ivy"}
ORDINALS = {"first": 0, "1st": 0, "second": 1, "2nd": 1, "third": 2, "3rd": 2, "fourth": 3, "4th": 3,
            "fifth": 4, "5th": 4, "last": -1}
COUNTS = {"both": 2, "two": 2, "three": 3, "four": 4, "five": 5, "couple": 2, "pair": 2, "duo": 2, "trio": 3,
          "2": 2, "3": 3, "4": 4, "5": 5}
# Nouns that describe an entity by its type (and a person's gender).
TYPE_NOUNS = {"man": ("PER", "m"), "guy": ("PER", "m"), "boy": ("PER", "m"), "gentleman": ("PER", "m"),
              "dude": ("PER", "m"), "bloke": ("PER", "m"), "lad": ("PER", "m"),
              "woman": ("PER", "f"), "lady": ("PER", "f"), "girl": ("PER", "f"), "gal": ("PER", "f"),
              "person": ("PER", None), "player": ("PER", None), "individual": ("PER", None),
              "people": ("PER", None), "persons": ("PER", None), "folks": ("PER", None),
              "ppl": ("PER", None), "peeps": ("PER", None),
              "men": ("PER", "m"), "guys": ("PER", "m"), "boys": ("PER", "m"), "women": ("PER", "f"),
              "ladies": ("PER", "f"), "girls": ("PER", "f"), "players": ("PER", None),
              **{w: ("PER", None) for w in ("leader", "leaders", "politician", "politicians", "athlete",
                                             "athletes", "singer", "singers", "actor", "actors", "star", "stars",
                                             "musician", "musicians", "chef", "chefs", "runner", "runners",
                                             "astronaut", "astronauts", "celebrity", "celebrities", "pm")},
              "actress": ("PER", "f"), "actresses": ("PER", "f"),
              "city": ("LOC", None), "place": ("LOC", None), "country": ("LOC", None), "town": ("LOC", None),
              "cities": ("LOC", None), "places": ("LOC", None), "countries": ("LOC", None),
              "team": ("ORG", None), "club": ("ORG", None), "company": ("ORG", None), "agency": ("ORG", None),
              "organisation": ("ORG", None), "organization": ("ORG", None), "band": ("ORG", None),
              "teams": ("ORG", None), "clubs": ("ORG", None), "companies": ("ORG", None),
              "organisations": ("ORG", None), "organizations": ("ORG", None), "bands": ("ORG", None),
              "event": ("MISC", None), "tournament": ("MISC", None), "festival": ("MISC", None),
              "film": ("MISC", None), "movie": ("MISC", None), "album": ("MISC", None)}
# Roles and jobs a post may give someone ("Mayor Karen Bass", "Microsoft's CEO"): person nouns.
# Doers of a deed ("the record breaker", "the top scorer"): people
TYPE_NOUNS.update({w: ("PER", None) for w in ("breaker", "holder", "setter", "scorer", "finisher", "performer",
                                              "speaker", "organiser", "organizer", "photographer", "dancer",
                                              "boxer", "golfer", "swimmer", "skater", "cyclist", "sprinter",
                                              "racer", "drummer", "guitarist", "bassist", "vocalist",
                                              "kid", "youngster", "teenager", "teen", "rookie", "veteran")
                   if w not in TYPE_NOUNS})
ROLE_NOUNS = {"ceo", "founder", "cofounder", "co-founder", "chairman", "chairwoman", "chief", "owner",
              "president", "mayor", "senator", "governor", "minister", "chancellor", "premier", "director",
              "producer", "manager", "captain", "striker", "goalkeeper", "goalie", "defender", "midfielder",
              "pitcher", "quarterback", "rapper", "presenter", "journalist", "reporter",
              "author", "writer", "artist", "designer", "driver", "rider", "pilot", "scientist", "officer",
              "spokesperson", "spokesman", "spokeswoman", "king", "queen", "prince", "princess", "pope",
              "winner", "victor", "champion", "loser", "runner-up", "candidate", "rival", "opponent", "boss",
              "ambassador", "lawyer", "doctor", "nurse", "teacher",
              "comedian", "dancer", "drummer", "guitarist", "frontman", "vocalist", "skater", "boxer",
              "fighter", "swimmer", "golfer", "cyclist", "sprinter", "climber", "referee", "umpire",
              "influencer", "youtuber", "streamer", "duchess", "duke", "emperor", "sheikh", "cardinal",
              "bishop", "priest", "monk", "soldier", "commander", "activist", "protester",
              "billionaire", "entrepreneur", "investor", "engineer", "inventor", "photographer", "filmmaker"}
_ROLE_GENDER = {"chairman": "m", "chairwoman": "f", "spokesman": "m", "spokeswoman": "f", "king": "m", "queen": "f",
                "prince": "m", "princess": "f", "pope": "m", "duke": "m", "duchess": "f", "emperor": "m",
                "frontman": "m", "monk": "m", "priest": "m"}
TYPE_NOUNS.update({w: ("PER", _ROLE_GENDER.get(w)) for w in ROLE_NOUNS if w not in TYPE_NOUNS})
TYPE_NOUNS.update({w + "s": ("PER", None) for w in ROLE_NOUNS if w + "s" not in TYPE_NOUNS and not w.endswith("man")})
TYPE_NOUNS["actor"] = ("PER", "m")  # next to "actress"
# A wedding's couple: "Congrats to X and Y who tied the knot" (the bride and the groom).
WEDDING_ROLES = {"bride": "f", "groom": "m", "bridegroom": "m", "newlywed": None, "newlyweds": None}
TYPE_NOUNS.update({w: ("PER", g) for w, g in WEDDING_ROLES.items()})
# Animals: a post's pet may be typed PER or MISC, so any type.
ANIMALS = {"dog": "dog", "pup": "dog", "puppy": "dog", "doggo": "dog", "pooch": "dog", "doggy": "dog",
           "hound": "dog", "cat": "cat", "kitten": "cat", "kitty": "cat", "horse": "horse", "pony": "horse",
           "pet": "pet", "animal": "pet", "bird": "bird", "parrot": "bird"}
TYPE_NOUNS.update({w: (None, None) for w in ANIMALS})
# Words and emoji by which a post says a name is an animal's ("Max the golden retriever 🐶").
ANIMAL_WORDS = set(ANIMALS) | {"retriever", "labrador", "lab", "poodle", "terrier", "beagle", "bulldog", "spaniel",
                               "shepherd", "husky", "corgi", "collie", "dachshund", "pug", "greyhound", "rottweiler",
                               "chihuahua", "doberman", "tabby", "kitten", "cub", "foal", "calf", "tiger", "lion",
                               "panda", "elephant", "giraffe", "gorilla", "bear", "otter", "penguin", "dolphin",
                               "whale", "seal", "monkey", "owl", "eagle", "rabbit", "bunny", "hamster", "tortoise"}
ANIMAL_EMOJI = "🐶🐕🐩🦮🐱🐈🐴🐎🐦🦜🐯🐅🦁🐼🐘🦒🦍🐻🦦🐧🐬🐳🦭🐒🦉🦅🐰🐇🐹🐢"


def animals(text: str, entities: list[tuple[str, str]]) -> list[str]:
    """The post's entities it says are animals: an animal word or emoji next to the name
    (within a few words), of a type a pet is given (PER or MISC)."""
    low = text.lower()
    by_word, by_emoji = [], []
    for s, e, name in _mentions_in(text, [n for n, t in entities if t in ("PER", "MISC")]):
        if set(WORD.findall(low[max(0, s - 25):e + 30])) & ANIMAL_WORDS:
            by_word.append(name)
        elif any(ch in ANIMAL_EMOJI for ch in low[e:e + 60]):
            by_emoji.append(name)
    return list(dict.fromkeys(by_word or by_emoji))  # an emoji only where no word says it
TYPE_NOUNS.update({w: ("LOC", None) for w in ("stadium", "arena", "venue", "palace", "station", "park", "court",
                                              "building", "island", "region", "village", "hotel", "airport",
                                              "bridge", "tower", "cathedral", "church", "temple",
                                              "mosque", "beach", "lake", "mountain", "river")})
TYPE_NOUNS.update({w: ("ORG", None) for w in ("party", "network", "channel", "brand", "firm", "startup",
                                              "university", "school", "league", "government")})
TYPE_NOUNS.update({w: ("MISC", None) for w in ("song", "tour", "award", "storm")})
TYPE_NOUNS.update({w: ("LOC", None) for w in ("mall",)})
TYPE_NOUNS.update({w: ("ORG", None) for w in ("cops", "police")})
# Words a name holds for a noun the question uses: "the trophy" is the post's "Summoner's Cup",
# "any cops" its "Greater Manchester Police".
NAME_WORDS = {"trophy": {"cup", "trophy", "shield", "plate", "award"}, "cops": {"police"}, "police": {"police"},
              "mall": {"centre", "center", "mall", "plaza"}, "centre": {"centre", "center"},
              "center": {"centre", "center"}, "shopping": {"centre", "center", "mall"}}
# Businesses and venues the datasets tag as a place or as an organisation ("Saffron & Salt",
# a restaurant, is ORG; Lord's, a cricket ground, is LOC): either type fits.
VENUE = "LOC/ORG"
VENUE_KINDS = {"venue", "stadium", "arena", "ground", "hall", "theatre", "theater", "circuit", "racecourse",
               "centre", "center", "park", "court", "club", "bar", "pub", "cafe", "café", "restaurant", "hotel",
               "studio", "gallery", "museum", "palace", "church", "cathedral"}
VENUE_PLACES = {"venue", "ground", "racecourse", "circuit", "hall", "theatre", "theater", "zoo", "hospital", "gallery"}
TYPE_NOUNS.update({w: (VENUE, None) for w in ("restaurant", "cafe", "café", "bar", "pub", "shop", "store",
                                              "bakery", "ground", "racecourse", "theatre", "theater", "hall",
                                              "hospital", "zoo", "gallery", "studio", "venue", "circuit",
                                              "centre", "center", "plant", "factory", "museum")})
# Members of a group, and the things a post launches or shows off (a product is MISC).
TYPE_NOUNS.update({w: ("PER", None) for w in ("member", "members", "bandmates", "teammates", "stars")})
PRODUCT_NOUNS = {"shoe", "shoes", "sneaker", "sneakers", "trainers", "boot", "boots", "product",
                 "products", "phone", "phones", "device", "devices", "gadget", "gadgets", "console", "laptop",
                 "car", "cars", "watches", "bag", "bags", "headphones", "earbuds", "jersey",
                 "shirt", "dress", "bottle", "trophy", "medal", "gpu", "gpus", "chip", "chips", "processor",
                 "tablet", "smartwatch", "robot", "drone", "camera", "headset", "glasses",
                 "burger", "pizza", "dish", "cake", "cocktail", "sandwich", "dessert", "wine", "beer",
                 "train", "plane", "jet", "bus", "ship", "boat", "rocket", "bike", "tram", "truck",
                 "painting", "artwork", "sculpture", "album", "film", "movie"}
TYPE_NOUNS.update({w: ("MISC", None) for w in PRODUCT_NOUNS if w not in TYPE_NOUNS})
LAUNCH = (r"\b(?:unveil(?:s|ed)?|reveal(?:s|ed)?|launch(?:es|ed)?|debut(?:s|ed)?|announce(?:s|d)?|release(?:s|d)?"
          r"|introduce(?:s|d)?|show(?:s|ed)?\s+off|present(?:s|ed)?|tr(?:y|ies|ied)|drops?|dropped)")
TYPE_NOUNS.update({w: ("ORG", None) for w in ("logo", "swoosh", "emblem", "crest", "badge")})
# Verbs of a win: "X beats Y" makes X the winner and Y the one X beat (not "X stuns in Versace").
_WIN = (r"beats?|defeats?|defeated|edges?|edged|downs|downed|overcomes?|overcame|stuns?(?!\s+in\b)|stunned(?!\s+in\b)"
        r"|thrash(?:es|ed)|crush(?:es|ed)|outlast(?:s|ed)?|eliminat(?:es|ed)|knocks? out|knocked out"
        r"|upsets?|routs?|routed|(?:wins?|won) against")
WIN_VERBS = re.compile(rf"\b(?:{_WIN})\b")
WINNER_WORDS = {"winner", "victor", "champion", "victorious"}
LOSER_WORDS = {"loser", "runner-up", "beaten", "defeated", "vanquished"}
# "X wins the marathon", "X takes the title": X won, even with no one beaten in the sentence;
# "with Y second", "Y finished second", "Y (runner-up)": Y came second.
WIN_OVER = re.compile(r"\b(?:win|victory|triumph)\s+(?:over|against)\b")
# "the winning team", "the runners-up": the words of an outcome as the post's descriptors name it
OUTCOME_WORDS = {"winning": "winner", "victorious": "winner", "losing": "loser", "beaten": "loser",
                 "runners-up": "runner-up", "losers": "loser", "winners": "winner"}
WINS = re.compile(r"\s+(?:wins|won|takes|took|claims|claimed|clinches|clinched|triumphs|lifts|lifted)\b")
SECOND = re.compile(r"^\s*(?:,\s*)?(?:\(|-|–)?\s*(?:finish(?:es|ed)?\s+|came\s+|comes\s+|in\s+|was\s+)?"
                    r"(?:second|2nd|p2|runner-up|runner up)\b")
# Words a post puts before a name that describe no one ("and", "met", "with").
_NOT_DESCRIPTORS = {"and", "with", "as", "at", "in", "on", "of", "for", "to", "by", "from", "vs", "v", "or", "but",
                    "meets", "met", "says", "said", "tells", "told", "thanks", "joins", "joined", "star", "stars",
                    "is", "was", "are", "were", "has", "have", "had", "the", "a", "an", "our", "my", "his", "her",
                    "their", "its", "your", "this", "that", "these", "those", "new", "today", "tonight", "rt",
                    "brings", "out", "welcomes", "hosts", "over", "against", "visit", "visits", "picture", "photo", "image", "pic",
                    # verbs of a win: "beats Sabalenka to win Roland Garros" calls neither a winner
                    "win", "wins", "won", "beat", "beats", "lose", "loses", "lost", "takes", "took", "claims",
                    "lifts", "lifted", "defeats", "edges", "downs", "stuns"}
# Words that ask about every entity (of a type, when a type noun is near).
EVERY = {"everyone": "PER", "everybody": "PER", "anyone": "PER", "anybody": "PER", "entities": None,
         "names": None, "all": None, "each": None}
WORD = re.compile(r"[a-z0-9]+(?:[-'’][a-z]+)?")


# Words that only point at an entity: a follow-up made of them ("and the other guy?",
# "what about her sister?") keeps the previous tool.
REFERENCE_WORDS = (set(ORDINALS) | set(COUNTS) | set(TYPE_NOUNS) | set(RELATIONS) | {r + "s" for r in RELATIONS}
                   | MALE | FEMALE | PLURAL | THING | {"the", "other", "one", "ones", "others", "of", "all", "ent"})


def _alt(words) -> str:
    return "|".join(sorted((re.escape(w) for w in words), key=len, reverse=True))


_NOUNS = _alt(TYPE_NOUNS)
_ORD = _alt(ORDINALS)
_REL = _alt(RELATIONS)
REFERENCE = re.compile(
    rf"\b(?:(?:the|that)\s+(?:one|ones|person|guy|woman|man|player|team|side)\s+(?:(?:who|that)\s+)?"
    rf"(?:ENT\s+)?(?:{_WIN})(?:\s+ENT)?"  # "the one she beat", "the guy who beat him"
    rf"|(?:the|that|this)\s+(?:{_ORD}|other)(?:\s+(?:one|ones|{_NOUNS}))?"
    rf"|other\s+(?:one|ones|{_NOUNS})"
    rf"|both(?:\s+of\s+(?:ENT|the\s+\w+)|\s+(?:{_NOUNS}))?"
    rf"|(?:all|the|those|these)\s+(?:two|three|four|five|[2-5])(?:\s+of\s+ENT|\s+(?:{_NOUNS})|\s+(?:{_REL})s?)?"
    rf"|ENT(?:['’]s)?\s+(?:{_REL})s?|the\s+(?:{_REL})s?(?:\s+of\s+ENT)?"
    rf"|(?:the|that|this)\s+(?:{_NOUNS}))\b", re.I)


def mask_references(masked: str) -> str:
    """The masked question with references to entities ("the second one", "both of
    them", "her sister", "the woman") as ENT too: the classifier sees what is asked,
    not how the entity is pointed at."""
    return REFERENCE.sub("ENT", masked)


@dataclass
class Resolution:
    entities: list[str] = field(default_factory=list)  # post entities, then names not in the post
    options: list[str] = field(default_factory=list)   # candidates when the reference is ambiguous
    how: str = ""                                      # which rule decided (for the transcript)


def _mentions_in(text: str, names: list[str]) -> list[tuple[int, int, str]]:
    low = text.lower()
    found = [(m.start(), m.end(), n) for n in names
             for m in re.finditer(r"(?<!\w)" + re.escape(n.lower()) + r"(?!\w)", low)]
    return sorted(found)


def genders(text: str, entities: list[tuple[str, str]]) -> dict[str, Optional[str]]:
    """'m', 'f' or None for each PER entity, from the post text."""
    people = [e for e, t in entities if t == "PER"]
    out: dict[str, Optional[str]] = {p: None for p in people}
    spans = _mentions_in(text, people)
    low = text.lower()
    for k, (s, e, name) in enumerate(spans):
        if out[name] is not None:
            continue
        before = WORD.findall(low[max(0, s - 30):s])[-1:]
        first = _first_name(name)
        if len(fold_lower(name).split()) > 1 and fold_lower(name).split()[0] in TITLE_GENDER:
            before = [fold_lower(name).split()[0]]  # "King Charles", "Princess Anne": the title is in the name
        if before and (before[0] in TITLE_GENDER or RELATIONS.get(before[0].rstrip("s"))):
            out[name] = TITLE_GENDER.get(before[0]) or RELATIONS.get(before[0].rstrip("s"))
        else:
            # the first he/she after the name (before the next name), else the first-name list
            end = spans[k + 1][0] if k + 1 < len(spans) else len(low)
            for w in WORD.findall(low[e:end]):
                if w in MALE or w in FEMALE:
                    out[name] = "m" if w in MALE else "f"
                    break
            if out[name] is None and (first in MALE_NAMES) != (first in FEMALE_NAMES):  # "Kim", "Jean": either
                out[name] = "m" if first in MALE_NAMES else "f"
    for p in people:  # names never spelt out whole in the text: the first-name list alone
        first = _first_name(p)
        if out[p] is None and (first in MALE_NAMES) != (first in FEMALE_NAMES):
            out[p] = "m" if first in MALE_NAMES else "f"
    return out


def _first_name(name: str) -> str:
    """The first name, after a title ("Prince William" -> "william")."""
    words = fold_lower(name).split()
    if len(words) > 1 and words[0].rstrip(".") in TITLE_WORDS | TITLE_GENDER.keys():
        words = words[1:]
    return words[0].split("-")[0] if words else ""


def name_gender(name: str) -> Optional[str]:
    """A name's gender from the first-name lists (accents ignored), else its ending."""
    first = _first_name(name) if name.strip() else ""
    if (first in MALE_NAMES) != (first in FEMALE_NAMES):
        return "m" if first in MALE_NAMES else "f"
    return None if first in MALE_NAMES else _ending_gender(first)  # in both lists: either


def _lean(name: str) -> Optional[str]:
    """A first name's likely gender from its ending (Sunita, Butch), for names
    the lists lack; a tie-break only, never a reason to rule someone out.
    None when the ending says nothing (-y, -i, -e, -s), and for a post's one-word
    names: "Swiatek", "Sabalenka" are surnames, whose endings say nothing."""
    first = _first_name(name)
    if first in MALE_NAMES or first in FEMALE_NAMES or len(fold_lower(name).split()) < 2:
        return None
    return _ending_gender(first)


def _ending_gender(first: str) -> Optional[str]:
    if first.endswith(("a", "ine", "elle", "ette", "lyn")):  # not -ie: Scottie, Charlie, Archie
        return "f"
    if first[-1:] in set("bcdfghkmnoprtxz"):
        return "m"
    return None


@dataclass
class Relation:
    word: str
    relative: str
    anchor: Optional[str]
    inverse: bool = False  # read backwards: "X and his wife Y" makes X "her husband"


def relations(text: str, entities: list[tuple[str, str]]) -> list[Relation]:
    """Relations the post states between its people: "X and her sister Y",
    "X's brother Y", "Y, X's coach", "Y, the son of X"."""
    people = [e for e, t in entities if t in ("PER", "MISC")]  # a pet or a zoo's animal may be MISC
    spans = _mentions_in(text, people)
    low = text.lower()
    out = []
    # "her coach and mother Bisi", "her brother Prince Sverre": more relation words or a title between
    between = r"[\s,:(]*(?:(?:and|&)\s+(?:" + _REL + r")s?\s+|(?:" + _alt(TITLE_WORDS | TITLE_GENDER.keys()) + r")\.?\s+)*"
    for m in re.finditer(r"\b(" + "|".join(re.escape(r) for r in RELATIONS) + r")s?\b", low):
        word = m.group(1)
        after = [n for s, _, n in spans if s >= m.end() and re.fullmatch(between, low[m.end():s])][:1]
        before_text = low[:m.start()]
        owner = re.search(r"(?:\bthe\s+)?(\S+?)['’]s\s+$|\b(his|her|their)\s+$|\bthe\s+$", before_text)
        anchor = None
        if owner and owner.group(1):
            anchor = next((n for s, e, n in spans if e == owner.start(1) + len(owner.group(1))), None)
        if after:
            relative = after[0]
        else:  # "Y, her sister" / "Y, X's coach": the person just before the owner
            cut = owner.start() if owner else m.start()
            # "Y, her sister" / "Y, the bride's brother"
            prev = [n for s, e, n in spans if e <= cut and re.fullmatch(r"[\s,:(]*(?:the\s+)?", low[e:cut])
                    and n != anchor]
            if not prev:
                continue
            relative = prev[-1]
        if anchor is None:
            of = re.match(r"\s+of\s+", low[m.end():])
            later = [n for s, _, n in spans if of and s == m.end() + of.end()]
            earlier = [n for s, e, n in spans if e <= m.start() and n != relative]
            anchor = later[0] if later else earlier[-1] if earlier else None
        if anchor != relative:
            out.append(Relation(word, relative, anchor))
            if anchor is not None:  # "X and his wife Y": X is Y's husband
                out += [Relation(w, anchor, relative, inverse=True) for w in INVERSE.get(word, ())]
    return out


def singular(word: str) -> str:
    return word[:-3] + "y" if word.endswith("ies") else word[:-1] if word.endswith("s") and len(word) > 3 else word


def _venues_first(cands: list[str], noun: str, types: dict, need: int = 1) -> list[str]:
    """"the venue", "the ground": the places first; "the cafe", "both museums": the businesses
    first; all of them when fewer than `need` are of that kind."""
    kind = "LOC" if singular(noun) in VENUE_PLACES else "ORG"
    first = [e for e in cands if types[e] == kind]
    return first if len(first) >= need else cands


def _canon_noun(word: str) -> str:
    return OUTCOME_WORDS.get(word) or ANIMALS.get(word, word)


def descriptors(text: str, entities: list[tuple[str, str]]) -> dict[str, list[str]]:
    """What the post calls each entity, by the word next to its name: "Mayor Karen Bass",
    "our pup Biscuit", "Karen Bass, the mayor", "Princess Diana's statue", "the statue of
    X"; and "winner" / "loser" from "X beats Y"."""
    names = [e for e, _ in entities]
    types = dict(entities)
    spans = _mentions_in(text, names)
    low = text.lower().replace("’", "'")
    out: dict[str, list[str]] = {}

    def add(word: str, name: str) -> None:
        word = _canon_noun(word)
        if len(word) < 3 or word in _NOT_DESCRIPTORS or not re.fullmatch(r"[a-z][a-z-]*", word):
            return
        if any(word in n.lower().split() for n in names):
            return  # a word of a name ("Storm" of "Storm Ciarán") is matched as a name
        out.setdefault(word, [])
        if name not in out[word]:
            out[word].append(name)

    for s, e, name in spans:
        before = re.search(r"([a-z][a-z-]*)\s+$", low[max(0, s - 40):s])
        if before and not re.search(r"'s\s+$", low[max(0, s - 40):s]):
            add(before.group(1), name)
        of = re.search(r"([a-z][a-z-]*)\s+of\s+(?:the\s+)?$", low[max(0, s - 40):s])
        if of:
            add(of.group(1), name)
        after = re.match(r"\s*(?:,|\(|-|–)\s*(?:the|a|an|our|his|her|their)?\s*([a-z][a-z-]*)\b(?!')", low[e:])
        if after:
            add(after.group(1), name)
        poss = re.match(r"'s\s+([a-z][a-z-]*)", low[e:])
        if poss:
            add(poss.group(1), name)
        kind = re.match(r"\s+([a-z][a-z-]*)\b(?!')", low[e:])
        if kind and types.get(name) in ("MISC", "ORG") and TYPE_NOUNS.get(kind.group(1), ("PER",))[0] not in ("PER", None):
            # "Blackwell GPUs", "Shell headquarters": a thing's kind (not "FC Porto striker X")
            word = kind.group(1)
            add(word[:-1] if word.endswith("s") and word[:-1] in TYPE_NOUNS else word, name)
    for s, e, name in spans:
        doer = re.search(r"\b([a-z]+?)e?d\s+(?:(?:as\s+always|again|once\s+again|also|,)\s*)?by\s+(?:the\s+)?$", low[max(0, s - 40):s])
        if doer and types.get(name) == "PER":  # "styled by Law Roach": the stylist; "directed by": the director
            stem = doer.group(1)
            for agent in (stem, stem + "er", stem + "or", stem + "ist", stem + "r", stem + "ier"):
                add(agent, name)
        if re.search(r"\bled\s+by\s+$", low[max(0, s - 40):s]):
            add("leader", name)
    for s, e, name in spans:
        if WINS.match(low[e:]) and not WIN_VERBS.match(low[e:].lstrip()):
            for w in WINNER_WORDS:
                add(w, name)
        if SECOND.match(low[e:]):
            add("runner-up", name)
            add("loser", name)
    # "X beats Y"; "inspired Toulouse to a 31-22 win over Leinster" (its loser before any comma)
    wins = [(v, r"[.;!?,]") for v in WIN_OVER.finditer(low)] + [(v, r"[.;!?]") for v in WIN_VERBS.finditer(low)]
    for v, stop in wins:
        subj = [n for a, b, n in spans if b <= v.start() and not re.search(r"[.;!?]", low[b:v.start()])]
        obj = [n for a, b, n in spans if a >= v.end() and not re.search(stop, low[v.end():a])]
        if subj and obj:
            for w in WINNER_WORDS:
                add(w, subj[-1])
            for w in LOSER_WORDS:
                add(w, obj[0])
    return out


def _nearest(anchor: str, etype: Optional[str], text: str, entities: list[tuple[str, str]],
             exclude: set) -> Optional[str]:
    """The entity of a type the post puts closest to `anchor` ("Microsoft's Satya
    Nadella", "Haaland scores as Manchester City win"): for "his team", "the Arsenal guy"."""
    types = dict(entities)
    cands = [e for e in types if e != anchor and e not in exclude and type_fits(etype, types[e])]
    if not cands:
        return None
    spans = _mentions_in(text, list(types))
    low = text.lower().replace("’", "'")
    own = [(s, e) for s, e, n in spans if n == anchor]
    best, best_d = None, None
    for s, e, n in spans:
        if n not in cands:
            continue
        for a, b in own:
            gap = low[b:s] if b <= s else low[e:a]
            d = len(gap) - (20 if re.fullmatch(r"'s\s+", gap) and b <= s else 0)
            if re.search(r"[.!?]\s", gap):
                d += 100  # another sentence
            if best_d is None or d < best_d:
                best, best_d = n, d
    return best if best is not None else (cands[0] if len(cands) == 1 else None)


def _person_for(pronoun: str, focus, names: list[str], types: dict, sexes: dict) -> Optional[str]:
    """Who "his" / "her" / "its" points at: the last one discussed that fits, else the only one."""
    if pronoun in ("his", "her"):
        g = "m" if pronoun == "his" else "f"
        fits = [e for e in names if types[e] == "PER" and sexes.get(e) in (g, None)]
    else:
        fits = [e for e in names if types[e] != "PER"]
    recent = [e for e in reversed(focus.discussed) if e in fits]
    if recent:
        return recent[0]
    return fits[0] if len(fits) == 1 else None


def _affiliation(question: str, m: Mentions, entities: list[tuple[str, str]], focus, text: str,
                 sexes: dict) -> Optional[tuple[str, list[str]]]:
    """"his team", "Salah's team's stadium", "the Arsenal guy", "the Microsoft CEO": an entity
    of another type than its owner, the one the post puts next to the owner.
    (resolved entity, the owner names it replaces), or None."""
    types = dict(entities)
    names = [e for e, _ in entities]
    q = fold_lower(question)
    nouns = _alt(w for w in TYPE_NOUNS if w not in RELATIONS)

    def owner_of(word: str) -> Optional[str]:
        if word in ("his", "her", "its"):
            return _person_for(word, focus, names, types, sexes)
        last = word.split()[-1]
        return next((n for n in m.known if word == fold_lower(n)
                     or last in {t.lower() for t in re.findall(r"[\w.-]+", fold_lower(n))}), None)

    for found in re.finditer(rf"(?:\b(his|her|its)|([\w.-]+?)'s|\bthe\s+((?:[\w.-]+\s+){{0,2}}?[\w.-]+))\s+"
                             rf"((?:{nouns})(?:'s\s+(?:{nouns}))*)\b", q):
        word = found.group(1) or found.group(2) or found.group(3)
        owner = owner_of(word)
        if owner is None:
            continue
        current, replaced = owner, [owner] if owner in m.known else []
        if types.get(owner) == "ORG" and found.group(4) in GROUP_OF_PEOPLE:
            continue  # "the greenpeace ppl", "the Arsenal players": the organisation itself
        if types.get(owner) in ("ORG", "MISC") and found.group(4) in PRODUCT_NOUNS and found.group(3):
            return owner, [owner]  # "the versace dress": the brand's own thing, the brand
        for noun in re.split(r"'s\s+", found.group(4)):
            etype = TYPE_NOUNS[noun][0]
            if etype is None or type_fits(etype, types.get(current)):
                current = None
                break
            current = _nearest(current, etype, text, entities, exclude={owner})
            if current is None:
                break
        if current is not None and current != owner:
            return current, replaced
    return None


# Plural person nouns that, after an organisation's name, are that organisation.
GROUP_OF_PEOPLE = {"people", "ppl", "folks", "peeps", "guys", "members", "players", "activists", "protesters",
                   "fans", "staff", "workers", "team", "crew", "lads", "girls", "boys", "men", "women"}


def fold_lower(text: str) -> str:
    from riveg_agent.agent.chat.mentions import fold
    return fold(text).lower().replace("’", "'")


def _described(question: str, words: list[str], entities: list[tuple[str, str]], text: str,
               focus) -> Optional[Resolution]:
    """"the mayor", "the pup", "the winner", "the one she beat": what the post calls someone."""
    if not text:
        return None
    desc = descriptors(text, entities)
    q = fold_lower(question)
    if WIN_VERBS.search(q):  # "the one she beat" / "who beat her"
        key = "winner" if re.search(rf"\b(?:who|that)\s+(?:{_WIN})\b", q) else "loser"
        if len(desc.get(key, [])) == 1:
            return Resolution(list(desc[key]), how=f"described ({key})")
    for num in re.findall(r"\b\d{2,}\b", q):  # "the one who scored 117": who the post puts before "117"
        at = [mt.start() for mt in re.finditer(rf"\b{num}\b", text)]
        if len(at) == 1:
            spans = _mentions_in(text, [e for e, _ in entities])
            before = [n for a, b, n in spans if b <= at[0] and not re.search(r"[.;!?]", text[b:at[0]])]
            if before:
                return Resolution([before[-1]], how="described by a number the post gives")
    outcome = re.search(r"\b(?:who|that)\s+(?:(lost|loses|lose|(?:came|finished|qualified|placed)\s+second)"
                        r"|(won|wins|win|came\s+first|finished\s+first))\b", q)
    if outcome:  # "the one who lost", "the girl who won"
        key = "loser" if outcome.group(1) else "winner"
        if len(desc.get(key, [])) == 1:
            return Resolution(list(desc[key]), how=f"described ({key})")
    for k, w in enumerate(words):
        if k == 0 or words[k - 1] not in ("the", "that", "this", "our", "your", "my", "their", "his", "her"):
            continue
        got = desc.get(_canon_noun(w), [])
        after = words[k + 1] if k + 1 < len(words) else ""
        if got and w in OUTCOME_WORDS and TYPE_NOUNS.get(after, (None,))[0]:  # "the winning team": of that type
            got = [e for e in got if type_fits(TYPE_NOUNS[after][0], dict(entities).get(e))]
        if len(got) == 1:
            return Resolution(list(got), how="described by the post")
        if len(got) > 1:
            return _pick(got, focus, 1, how="described by the post")
    return None


def described_phrase(question: str, entities: list[tuple[str, str]], text: str) -> Optional[str]:
    """The description in the question ("the guy who attacked") when the post's words fit one
    of its entities: the router masks it as a reference."""
    if not text or not entities:
        return None
    res = _by_description(question, Mentions(), entities, text, genders(text, entities), phrase=True)
    return res


# Words that count or order entities: such a reference is a later step's ("the two
# sisters", "the first rider"), not a description.
COUNTING = set(ORDINALS) | set(COUNTS) | {"other", "others", "all", "every", "each"}


def question_description(question: str, entities: list[tuple[str, str]], possessives: bool = False):
    """The description the question points with (describe.find_description), the words of
    the post's names skipped; None when it counts or orders. possessives=True reads "his
    trainer", "her book" as "the trainer", "the book"."""
    from riveg_agent.agent.chat.describe import find_description
    q = fold_lower(question)
    if set(WORD.findall(q)) & COUNTING:
        return None
    if possessives:
        q = re.sub(r"\b(?:his|her|its|their)\s+", "the ", q)
    skip = set(ORDINALS) | set(COUNTS) | {"other", "others"} | {
        w for e, _ in entities for w in WORD.findall(fold_lower(e))}
    return find_description(q, skip)


def _by_description(question: str, m: Mentions, entities: list[tuple[str, str]], text: str,
                    sexes: dict, phrase: bool = False):
    """The entity a description in the question fits best by the post's words (describe.py);
    None when there is no description or none clearly fits. phrase=True: the phrase instead."""
    from riveg_agent.agent.chat.describe import score
    types = dict(entities)
    desc = question_description(question, entities)
    if desc is None:
        return None
    etype, gender = None, None
    for g in desc.generic:
        etype, gender = TYPE_NOUNS.get(g, ("PER", None))
    head = desc.head[-1] if desc.head else None
    if etype is None and head in TYPE_NOUNS:  # "the record breaker" is a person
        etype, gender = TYPE_NOUNS[head]
    allowed = [e for e, _ in entities if _compatible(e, etype, gender, types, sexes)
               and (gender is None or sexes.get(e) is not None or _lean(e) in (gender, None))] if etype else None
    semantic = not (head in TYPE_NOUNS or head in RELATIONS) and (head is not None or desc.clause)
    match = score(desc, text, entities, allowed, semantic=semantic)
    if match.entity is None:
        return None
    if phrase:
        return desc.text
    words = set(desc.head) | set(desc.clause)
    rest = [n for n in m.unknown if fold_lower(n) not in words and n.lower() not in ROLE_NOUNS]
    return Resolution([match.entity] + rest, how=match.how)


def _count_by_post(question: str, words: list[str], count: int, cands: list[str],
                   entities: list[tuple[str, str]], text: str) -> Optional[Resolution]:
    """"both tigers" where the post calls one of them a tiger: that one and the others of its
    type, when they are as many as asked; "the couple" / "the pair": the only pair the post
    joins with "and" ("Congrats to X and Y")."""
    from riveg_agent.agent.chat.describe import Description, score
    types = dict(entities)
    for k, w in enumerate(words[:-1]):
        if COUNTS.get(w) == count and words[k + 1] not in TYPE_NOUNS and words[k + 1] not in ("of", "the"):
            noun = words[k + 1]
            noun = noun[:-1] if noun.endswith("s") and len(noun) > 3 else noun
            match = score(Description(noun, [noun]), text, entities, semantic=False)
            if match.entity is not None:
                mates = [e for e, t in entities if t == types[match.entity]]
                if len(mates) == count:
                    return Resolution(mates, how=f"{count} of them (one described by the post, the rest of its type)")
    if any(w in ("couple", "pair", "duo") for w in words) and count == 2:
        low = fold_lower(text)
        pairs = []
        for a in cands:
            for b in cands:
                if a != b and re.search(re.escape(fold_lower(a)) + r"\s+(?:and|&)\s+" + re.escape(fold_lower(b)), low):
                    pairs.append([a, b])
        if len(pairs) == 1:
            return Resolution(pairs[0], how="the pair the post names together")
    return None


def _fits_pronoun(name: str, g: str, sexes: dict) -> bool:
    """Known to be of gender g, or of unknown gender with a name that does not lean the other way."""
    return sexes.get(name) == g or (sexes.get(name) is None and _lean(name) in (g, None))


def type_fits(etype: Optional[str], entity_type: Optional[str]) -> bool:
    """Whether an entity of entity_type is what a noun of etype describes (None: any; "LOC/ORG": either)."""
    return etype is None or entity_type in etype.split("/")


def _compatible(name: str, etype: Optional[str], gender: Optional[str], types: dict, sexes: dict) -> bool:
    if not type_fits(etype, types.get(name)):
        return False
    return gender is None or sexes.get(name) in (gender, None)


def _fitting(names: list[str], etype: Optional[str], gender: Optional[str], types: dict, sexes: dict) -> list[str]:
    """The entities a description fits, best first: known to be of the gender asked
    for; else of unknown gender whose name leans that way; else of unknown gender."""
    cands = [e for e in names if _compatible(e, etype, gender, types, sexes)]
    if gender is None:
        return cands
    for pool in ([e for e in cands if sexes.get(e) == gender],
                 [e for e in cands if sexes.get(e) is None and _lean(e) in (gender, None)]):
        if pool:
            return pool
    return cands


ALL_OF = {"both", "all", "two", "three", "each", "either", "every"}


def _pick(cands: list[str], focus, n: Optional[int] = 1, how: str = "") -> Resolution:
    """One (or n) of the candidates: the most recently discussed first; several left -> ask."""
    recent = [e for e in reversed(focus.discussed) if e in cands]
    if n is None:
        return Resolution(list(cands), how=how) if cands else Resolution(how=how)
    if len(recent) >= n:
        chosen = recent[:n]
        return Resolution([e for e in cands if e in chosen], how=how + " (from the conversation)")
    if len(cands) == n or (len(cands) < n and cands and n > 1):
        return Resolution(list(cands), how=how)
    return Resolution([], options=list(cands), how=how + " (ambiguous)")


LONE_RELATION = re.compile(r"(?i)^(\W*(?:and|what\s+about|how\s+about)\s+)(" + _alt(RELATIONS) + r")(\W*)$")
PROP = re.compile(r"\b(him|her|them)\s+(?:holding|wearing|lifting|raising|carrying|with|in)\b.*", re.I)
POSSESSED = re.compile(r"\b(his|her|their)\s+(\w+)\b", re.I)
_OBJECT = {"his": "him", "her": "her", "their": "them"}


NATION_GROUPS = {"players", "team", "side", "squad", "fans", "ones", "guys", "lads", "boys", "girls", "women",
                 "men", "supporters", "crowd", "flag", "flags", "kit", "jerseys", "shirts", "bench", "xv", "xi"}


def _drop_props(question: str, entities: list[tuple[str, str]]) -> str:
    """"segment him holding the trophy", "outline her dress": the person is the reference,
    what they hold or wear is not, unless a name holds that word ("his Nike jersey")."""
    question = PROP.sub(lambda mt: mt.group(1), question)

    def person(mt: re.Match) -> str:
        thing = mt.group(2).lower()
        named = any(thing in fold_lower(e).split() or thing.rstrip("s") in fold_lower(e).split() for e, _ in entities)
        return _OBJECT[mt.group(1).lower()] if thing in PRODUCT_NOUNS and not named else mt.group(0)
    return POSSESSED.sub(person, question)


def resolve(question: str, m: Mentions, entities: list[tuple[str, str]], focus,
            text: str = "") -> Resolution:
    """The entities a turn is about (see the module docstring). `focus`: routing.Focus."""
    question = _drop_props(question, entities)
    question = LONE_RELATION.sub(r"\1the \2\3", question)  # "and mum?" is "and the mum?"
    # "is X in it?", "who's in there": "it" is the picture, not an entity
    words = WORD.findall(re.sub(r"\bin (?:it|there|this one|that one)\b|\bat all\b", " ",
                                question.lower().replace("’", "'")))
    words = [w[:-2] if w.endswith("'s") and w[:-2] in MALE | FEMALE | THING else w for w in words]
    types = dict(entities)
    sexes = genders(text, entities)
    names = [e for e, _ in entities]

    # 1. a relation stated in the post: "her sister", "Serena's brother", "the coach"
    rel = re.search(r"(?:\b(his|her|their)|(\S+?)['’]s|\bthe)\s+(" + "|".join(map(re.escape, RELATIONS))
                    + r")s?\b(?:\s+of\s+(\S+))?", question, re.I)
    if rel and rel.group(0).lower().startswith("the") and re.match(r"\s+(?:who|that)\b", question[rel.end():]):
        rel = None  # "the kid who scored twice": a description (1c), not whose kid
    if rel and not rel.group(0).lower().endswith(rel.group(3).lower() + "s"):  # "the sisters": a group (5.)
        word = rel.group(3).lower()
        kin = {word} | SAME_RELATION.get(word, set())
        owner_word = (rel.group(2) or rel.group(4) or "").lower()
        owners = [n for n in m.known if owner_word and owner_word in n.lower().split()]
        found = [r for r in relations(text, entities) if r.word in kin or word in SAME_RELATION.get(r.word, ())]
        if RELATIONS.get(word):  # "her husband" is a man
            found = [r for r in found if sexes.get(r.relative) in (RELATIONS[word], None)]
        if owners:  # "Lando's teammate" on "… ahead of Max and McLaren teammate Oscar": the one the post calls so
            found = [r for r in found if r.anchor in owners] or \
                [r for r in found if not r.inverse and r.relative not in owners]
        elif rel.group(1) and rel.group(1).lower() != "their":
            g = "m" if rel.group(1).lower() == "his" else "f"
            found = [r for r in found if r.anchor is None or sexes.get(r.anchor) in (g, None)] or found
        direct = [r for r in found if not r.inverse]
        if not owners and not rel.group(1) and direct:
            found = direct  # "the sister": the one the post calls her sister
        recent = [r for r in found if r.anchor in focus.discussed[-1:]] or \
            [r for r in found if r.anchor in focus.discussed]
        found = recent or (direct if len({r.relative for r in found}) > 1 and direct else found)
        rels = list(dict.fromkeys(r.relative for r in found))
        if len(rels) == 1:
            rest = [n for n in m.named if n not in owners and n not in rels]
            return Resolution(rels + rest, how="relation")
        if rels:
            return Resolution([], options=rels, how="relation (ambiguous)")
        if not [n for n in m.named if n not in owners]:
            described = _described(question, words, entities, text, focus)
            if described is not None:  # "the statue of their mum": the post's "Diana's statue"
                return described
            cands = [e for e in names if types[e] == "PER" and e not in owners]
            return Resolution([], options=cands, how="relation not stated in the post")

    # 1a. two references joined by "and" ("outline both of them, bride and groom"): each on its own
    if not m.named and text:
        pair = re.search(r"\b(?:the\s+)?([a-z-]+)\s+(?:and|&)\s+(?:the\s+)?([a-z-]+)\b", question.lower())
        if pair and all(w in TYPE_NOUNS or w in RELATIONS for w in pair.groups()) and pair.group(1) != pair.group(2):
            each = [resolve(f"the {w}", Mentions(), entities, focus, text) for w in pair.groups()]
            if all(len(r.entities) == 1 for r in each) and each[0].entities != each[1].entities:
                return Resolution(each[0].entities + each[1].entities, how="two references")

    # 1b. an entity by its owner: "his team", "Salah's team's stadium", "the Arsenal guy"
    owned = _affiliation(question, m, entities, focus, text, sexes)
    if owned is not None:
        entity, replaced = owned
        rest = [n for n in m.named if n not in replaced and n != entity and n.lower() not in ROLE_NOUNS]
        return Resolution([entity] + rest, how="owner")
    # 1d. "the irish players", "the french side": the post's team or country of that nation
    #     (not "the french president": a person the post may not name)
    if not m.named:
        for k, w in enumerate(words):
            nation = DEMONYM_COUNTRY.get(w)
            after = words[k + 1] if k + 1 < len(words) else ""
            if nation and (not after or after in NATION_GROUPS):
                hits = [e for e in names if fold_lower(e) == nation and types[e] in ("ORG", "LOC")]
                if len(hits) == 1:
                    return Resolution(hits, how="a nation's adjective")
    # 1c. a description the post's words around an entity fit: "the soprano", "the guy who
    #     attacked", "the baby tiger" (describe.py); then the words right next to a name
    if not m.known and text and set(words) & (WINNER_WORDS | LOSER_WORDS | OUTCOME_WORDS.keys()):
        # "the winner" of "X beats Y to win Z" is X, not Z, whose context holds "win"
        outcome = _described(question, words, entities, text, focus)
        if outcome is not None and outcome.entities:
            return outcome
    if not m.known and text:
        fitted = _by_description(question, m, entities, text, sexes)
        if fitted is not None:
            return fitted
    if not m.known:
        described = _described(question, words, entities, text, focus)
        if described is not None:
            rest = [n for n in m.unknown if n.lower() not in ROLE_NOUNS]
            return Resolution(described.entities + rest, options=described.options, how=described.how) \
                if described.entities else described

    # 2. names: the post's entities, and names not in the post as the user typed them
    if m.named:
        named = list(m.named)
        for k, n in enumerate(named):
            shared = m.shared.get(n)
            if not shared:
                continue
            # "where's Simeone?" on a post naming Diego and Giuliano Simeone: the one in
            # focus, else ask
            current = [e for e in shared if e in focus.entities]
            # "Jane" for Jane Goodall, not the Jane Goodall Institute: a name inside another
            # entity's is that entity's namesake
            own = [e for e in shared if not any(o != e and fold_lower(o) in fold_lower(e) for o in shared)]
            if set(words) & ALL_OF:  # "both hollands", "all the Simeones"
                named[k:k + 1] = list(shared)
            elif len(current) == 1:
                named[k] = current[0]
            elif len(own) == 1:
                named[k] = own[0]
            elif words[:1] == ["who"] and len([e for e in shared if types.get(e) == "PER"]) == 1:
                named[k] = next(e for e in shared if types.get(e) == "PER")  # "who's crenn": the chef
            else:
                return Resolution([], options=list(shared), how="a name several entities share")
        # "cut out dana and the cat": a name and a description, each resolved
        for noun in re.findall(r"\b(?:and|&)\s+(?:the|her|his|their)\s+([a-z]+)\b", fold_lower(question)):
            if noun in TYPE_NOUNS and not any(noun in fold_lower(n).split() for n in named):
                other = resolve(f"the {noun}", Mentions(), entities, focus, text)
                if len(other.entities) == 1 and other.entities[0] not in named and other.how != "focus":
                    named.append(other.entities[0])
        return Resolution(list(dict.fromkeys(named)), how="named")

    # the type noun of the reference ("the other guy", "the two teams", "the second woman")
    # (not the first word: "show …", "park …" open a request, they describe no one)
    noun_word = next((w for k, w in enumerate(words) if w in TYPE_NOUNS and (k or len(words) == 1)), None)
    if noun_word is None:  # a plural the lists lack: "both museums", "the two parties"
        noun_word = next((w for k, w in enumerate(words) if k and singular(w) in TYPE_NOUNS
                          and TYPE_NOUNS[singular(w)][0] is not None), None)
    etype, gender = TYPE_NOUNS.get(noun_word) or TYPE_NOUNS[singular(noun_word)] if noun_word else (None, None)
    noun = noun_word is not None

    # 3. ordinals: "the first person", "the second one", "the last one"
    ords = [i for i, w in enumerate(words) if w in ORDINALS
            and (i > 0 and words[i - 1] in ("the", "that", "this") or i + 1 < len(words)
                 and (words[i + 1] in ("one", "entity", "name", "mentioned", "of") or words[i + 1] in TYPE_NOUNS
                      or words[i + 1] in COUNTS))]
    if ords:
        pool = focus.options or [e for e in names if _compatible(e, etype, gender, types, sexes)]
        if focus.options and noun:
            # "the first person mentioned" after a question back about places: the post's
            # people, not the offered places
            pool = [e for e in pool if _compatible(e, etype, gender, types, sexes)] or \
                [e for e in names if _compatible(e, etype, gender, types, sexes)] or pool
        at = ords[0]
        k = ORDINALS[words[at]]
        n = COUNTS.get(words[at + 1]) if at + 1 < len(words) and k in (0, -1) else None
        if n and n <= len(pool):  # "the first two guys mentioned", "the last three"
            return Resolution(pool[:n] if k == 0 else pool[-n:], how="ordinal")
        if pool and (k == -1 or k < len(pool)):
            return Resolution([pool[k]], how="ordinal")
        return Resolution([], options=pool, how="ordinal out of range")

    # 4. "the other one", "the other guy"
    if "other" in words or "others" in words:
        last = focus.entities[-1] if focus.entities else None
        rest = [e for e in names if e not in focus.entities]
        if noun:
            rest = _fitting(rest, etype, gender, types, sexes)
        elif last is not None:
            rest = [e for e in rest if types.get(e) == types.get(last)] or rest
        if "others" in words:
            return Resolution(rest, how="the others")
        if last is None and len(rest) > 1:
            return Resolution([], options=rest, how="the other (no one in focus yet)")
        return Resolution(rest[:1], options=[] if rest else names, how="the other")

    # 5. counts and plurals: "both", "the two men", "all three", "which people", "them"
    count = next((COUNTS[w] for w in words if w in COUNTS), None)
    every = next((w for w in words if w in EVERY), None)
    if not count and not noun and re.search(r"\b(?:either|neither|each|any|all|every one)\s+of\s+(?:them|those|these)\b",
                                            question.lower()):
        # "either of them", "each of them": the group last discussed, else the post's people
        seen = [e for e in focus.discussed if e in types]
        alike = [e for e in seen if types[e] == types[seen[-1]]] if seen else []
        group = alike if len(alike) >= 2 else [e for e in names if types[e] == "PER"] or names
        return Resolution([e for e in names if e in group], how="each of them")
    plural_noun = noun and noun_word.endswith(("s", "men", "people", "folks", "ppl", "cops")) \
        and not noun_word.endswith("ss")  # "the actress", "the princess" are one
    if plural_noun and noun_word[:-1] in ROLE_NOUNS and text:  # "the strikers": those the post calls so
        described = descriptors(text, entities).get(noun_word[:-1])
        if described:
            return Resolution([e for e in names if e in described], how="described by the post (all)")
    if count or every or plural_noun or m.plural is not None or any(w in PLURAL for w in words):
        if not noun and every and EVERY[every]:
            etype = EVERY[every]
        elif not noun and m.plural:
            etype = m.plural
        if not noun and any(w.rstrip("s") in RELATIONS for w in words):
            etype = "PER"  # "the two sisters"
        cands = [e for e in names if _compatible(e, etype, gender, types, sexes)]
        if count and not noun and etype is None:
            # "both of them": the last ones discussed if they are alike, else the post's people
            last = [e for e in focus.discussed if e in types][-count:]
            if len(last) == count and len({types[e] for e in last if e in types}) == 1:
                return Resolution([e for e in names if e in last], how=f"{count} of them (from the conversation)")
            people = [e for e in names if types[e] == "PER"]
            if len(people) == count:
                return Resolution(people, how=f"{count} of them (the post's people)")
        if count and text:
            grouped = _count_by_post(question, words, count, cands, entities, text)
            if grouped is not None:
                return grouped
        if count and etype == VENUE and len(cands) > count:  # "both museums": businesses first, as for one
            cands = _venues_first(cands, noun_word, types, need=count)
        if count:
            picked = _pick(cands, focus, count, how=f"{count} of them")
            if not picked.entities and text and etype in ("PER", None):
                # "the two players" where the post says "X beats Y": the two sides of the contest
                desc = descriptors(text, entities)
                sides = [e for e in cands if e in desc.get("winner", []) + desc.get("loser", [])]
                if len(sides) == count:
                    return Resolution(sides, how=f"{count} of them (the sides of the win the post states)")
            if not picked.entities and text and count == 2:
                # "both teams" where the post says "Lakers vs Thunder": the pair it joins
                low = fold_lower(text)
                pairs = [[a, b] for a in cands for b in cands if a != b and re.search(
                    re.escape(fold_lower(a)) + r"\s+(?:vs\.?|v\.?|versus|against|and|&)\s+" + re.escape(fold_lower(b)), low)]
                if len(pairs) == 1:
                    return Resolution(pairs[0], how="2 of them (the pair the post joins)")
            return picked
        if every or plural_noun or m.plural is not None:
            return Resolution(cands, how="all of the type")
        # "they"/"them": the last group discussed, else the post's people
        if focus.entities:
            return Resolution(list(focus.entities), how="they (from the conversation)")
        people = [e for e in names if types[e] == "PER"]
        return Resolution(people, how="they (the post's people)") if people else \
            Resolution([], options=names, how="they (ambiguous)")

    # 6. pronouns by gender: he / she / it
    g = next(("m" if w in MALE else "f" for w in words if w in MALE or w in FEMALE), None)
    if g is not None and noun and etype == "PER":
        at_noun = words.index(noun_word)
        at_pronoun = next(k for k, w in enumerate(words) if w in MALE or w in FEMALE)
        if 0 < at_noun < at_pronoun and words[at_noun - 1] in ("the", "that", "this", "other"):
            g = None  # "the guy she arrived with": the pronoun is in the clause, the guy is meant
    if g is not None and focus.entities and text and focus.entities[-1] in animals(text, entities) \
            and len(focus.entities) == 1:
        return Resolution(list(focus.entities), how="pronoun (the animal in focus)")  # "point him out" (the dog)
    if g is not None:
        cands = [e for e in names if types[e] == "PER"]
        group = [e for e in focus.entities if e in cands and _fits_pronoun(e, g, sexes)]
        if len(group) > 1:
            # the last turn was about several people the pronoun fits ("which of them are
            # in the photo?" … "where is she?"): which one is not said
            return Resolution([], options=group, how="pronoun (several in focus)")
        for e in reversed(focus.discussed):
            if e in cands and (sexes.get(e) == g or sexes.get(e) is None and _lean(e) in (g, None)):
                return Resolution([e], how="pronoun (from the conversation)")
            if e not in types and name_gender(e) == g:  # "who is Beyoncé?" … "is she there?"
                return Resolution([e], how="pronoun (a name not in the post, from the conversation)")
        pool = _fitting(cands, None, g, types, sexes)
        leaning = [e for e in cands if sexes.get(e) is None and _lean(e) == g and e not in pool]
        if len(pool) == 1 and not leaning:
            return Resolution(pool, how="pronoun")
        if len(pool) == 1:  # "is she in it" on Mayor Karen Bass and Nithya Raman: the name's ending says she may be either
            return Resolution([], options=pool + leaning, how="pronoun (ambiguous)")
        return Resolution([], options=pool or cands, how="pronoun (ambiguous)")
    the_noun = noun and re.search(r"\b(?:the|that|this)\s+(?:\w+\s+)?" + re.escape(noun_word), question.lower())
    if any(w in THING for w in words) and (focus.discussed or len(names) == 1) and not the_noun:
        # ("the venue, where is it in the pic": "it" is the venue named first, step 7)
        last = focus.discussed[-1] if focus.discussed else names[0]
        return Resolution([last], how="it")

    # 7b. "the bride", "the groom": of the couple the post names together, the one of that gender
    if noun_word in WEDDING_ROLES and text:
        people = [e for e in names if types[e] == "PER"]
        couples = [(a, b) for a in people for b in people if a != b and re.search(
            re.escape(fold_lower(a)) + r"\s+(?:and|&)\s+" + re.escape(fold_lower(b)), fold_lower(text))]
        pool = list(couples[0]) if len(couples) == 1 else people
        g = WEDDING_ROLES[noun_word]
        fits = _fitting(pool, "PER", g, types, sexes) if g else pool
        if g and len(fits) == 1 or not g and len(couples) == 1:
            return Resolution(fits, how="the couple the post names")
    # 7c. "the dog", "the pup": the entity the post says is an animal
    if noun_word in ANIMALS and text:
        pets = animals(text, entities)
        if pets:
            return _pick(pets, focus, 1, how="the animal the post names")

    # 7a. a title the post gives someone: "the princess" for "Princess Kate"
    for w in words:
        if w in TITLE_WORDS:
            titled = [e for e in names if types[e] == "PER"
                      and re.search(rf"\b{w}\.?\s+{re.escape(e.lower())}", text.lower())]
            if titled:
                return _pick(titled, focus, 1, how="title")
    # 7. a description by type: "the woman", "the city", "the team"
    if noun and re.search(r"\b(?:the|that|this)\s+(?:\w+\s+)?" + noun_word, question.lower()):
        cands = _fitting(names, etype, gender, types, sexes)
        if len(cands) > 1 and etype in ("LOC", "ORG", "MISC", VENUE):
            named_so = [e for e in cands if ({noun_word} | NAME_WORDS.get(noun_word, set())) & set(
                re.findall(r"[a-z]+", fold_lower(e)))] or [
                e for e in cands if len(noun_word) >= 4 and any(
                    w.endswith(noun_word) for w in fold_lower(e).split())]  # "the phone": the iPhone 16
            # "the venue" may be any kind of venue ("T-Mobile Arena"); "the city" is no stadium
            kin = VENUE_KINDS if noun_word == "venue" else {noun_word}
            other_kind = [e for e in cands if any(w in TYPE_NOUNS and w not in kin and TYPE_NOUNS[w][0] is not None
                                                  for w in re.split(r"[\s-]+", fold_lower(e)))]
            cands = named_so or [e for e in cands if e not in other_kind] or cands
            if etype == VENUE and len(cands) > 1:
                cands = _venues_first(cands, noun_word, types)
        if noun_word in PRODUCT_NOUNS and len(cands) > 1 and text:
            # "the console" on "X reveals the Switch 2 …, Mario creator Y": the thing launched
            launched = [e for e in cands if re.search(LAUNCH + r"\s+(?:the\s+|its\s+|their\s+|a\s+|an\s+)?(?:new\s+)?"
                                                      + re.escape(fold_lower(e)), fold_lower(text))]
            cands = launched if len(launched) == 1 else cands
        if noun_word in ROLE_NOUNS and len(cands) > 1:
            # a role the post gives no one ("the director"): which of them it is takes world
            # knowledge, so ask rather than take the last one discussed
            return Resolution([], options=cands, how="a role the post does not state")
        if cands:
            return _pick(cands, focus, 1, how="description")

    # 8. the conversation's focus, 9. the post's only entity
    if focus.entities:
        return Resolution(list(focus.entities), how="focus")
    if len(names) == 1:
        return Resolution(names, how="the only entity")
    return Resolution([], options=names, how="no reference")

"""Training data and weights for the chat's learned intent classifier.

    python scripts/chat_intents.py generate   # -> riveg_agent/agent/chat/data/intents.jsonl
    python scripts/chat_intents.py train      # -> riveg_agent/agent/chat/data/intent_model.npz

`generate` writes paraphrases of every intent from templates: casual
spellings, typos, fillers, pronouns, possessives, several entities at once,
names not in the post, over made-up posts whose names appear in no routing
set. Each question is masked exactly as the router masks it at run time
(routing.masked), so the classifier learns the form it will see.
Deterministic (seed 0). `train` first holds out a fifth of the templates
and reports accuracy on them (paraphrase forms never seen in training), then
fits on everything and writes the weights (numpy arrays, no pickle).
"""
from __future__ import annotations

import argparse
import json
import random
import re
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from riveg_agent.agent.chat.intent_model import INTENTS, WEIGHTS, embed, train  # noqa: E402
from riveg_agent.agent.chat import mentions  # noqa: E402
from riveg_agent.agent.chat.routing import CLARIFY, EXAMPLES, EXPLAIN, masked as mask, normalise  # noqa: E402

# {e}/{f}: entity references (a name, a part of it, a pronoun, "both of them" ...);
# {p}: a word for the picture. One list per route label.
T: dict[str, list[str]] = {
    "check_in_image": [
        "is {e} in the {p}", "is {e} in this {p}", "can u see {e}", "can you see {e} anywhere", "do you see {e}",
        "does {e} show up in the {p}", "is {e} visible", "is {e} visible in the {p}", "{e} in the {p}?",
        "is that {e} in the {p}", "any sign of {e} in the {p}", "is {e} actually pictured", "is {e} pictured",
        "does the {p} include {e}", "is {e} there or not", "can {e} be seen", "can {e} be seen in the {p}",
        "is {e} in frame", "does {e} appear", "does {e} make an appearance in the {p}", "is {e} shown",
        "did {e} make it into the {p}", "is {e} anywhere in the {p}", "would i find {e} in the {p}",
        "does the {p} contain {e}", "is {e} present", "is {e} really in the {p}", "{e} visible?",
        "is {e} or {f} in the {p}", "are {e} and {f} in the {p}", "are both of them in the {p}",
        "are the two of them visible", "which of the two is in the {p}", "who from the post is in the {p}",
        "who is visible in the {p}", "who can i see in the {p}", "are any of the people in the {p}",
        "which people show up in the {p}", "which of the people mentioned are pictured",
        "who appears in the {p}", "are they both in the {p}", "can you spot {e}", "do i see {e} in the {p}",
        "is {e} in there", "is {e} even in the {p}", "is the {p} showing {e}", "is {e} captured in the {p}",
        "does {e} feature in the {p}", "is {e} in the shot", "r they in the {p}", "are all of them in the {p}",
        "is {e} physically in the {p}", "can we see {e} or not", "who of them is in the {p}",
        "is there {e} in the {p}", "do they appear in the {p}", "which entities can be seen",
        "is {e} part of the {p}", "does {e} appear anywhere", "is {e} in it",
        "{e} is in the {p}, right", "tell me if {e} is in the {p}", "{e} is visible, right?",
        "so {e} is in the {p}?", "is {e} in it or not", "{e} is not in the {p}, right?",
        "i wanna know if {e} is in the {p}", "could you check whether {e} is in the {p}",
        "tell me whether {e} shows up", "do we get to see {e}", "i don't see {e}, is that right",
        "any chance {e} is in the {p}", "is {e} somewhere in this {p}", "does {e} appear or not",
        "{e} in {p} y/n", "{e} in the {p} or nah", "i bet {e} isn't in the {p}", "pretty sure {e} is not there",
        "i can't tell if {e} is in the {p}", "i'm not sure {e} is in the {p}", "need to know if {e} is there",
        "IS {e} IN THE {p}", "{e} there? 👀", "is {e} in this 🤔", "{e} showing up in the {p} at all?",
        "i'm trying to figure out whether {e} is pictured", "wondering if {e} made it into the {p}",
        "check if {e} is in the {p}", "{e} in frame or not", "does this {p} have {e} in it",
        "so is {e} actually there or what", "is {e} in the {p} rn", "can u confirm {e} is in the {p}",
        "is {e} around", "is {e} about", "{e} around?", "u think {e} made the {p}?",
    ],
    "locate_entity": [
        "where is {e}", "where's {e}", "wheres {e} in the {p}", "where is {e} in the {p}", "show me {e}",
        "show {e}", "find {e}", "find {e} in the {p}", "point out {e}", "point to {e}", "can you point {e} out",
        "box {e}", "put a box around {e}", "draw a box around {e}", "bounding box for {e}", "bbox of {e}",
        "locate {e}", "where exactly is {e}", "where abouts is {e}", "whereabouts is {e} in the {p}",
        "which one is {e}", "which person is {e}", "where in the {p} is {e}", "mark {e}", "mark where {e} is",
        "circle {e}", "highlight {e} in the {p}", "coordinates of {e}", "where does {e} appear",
        "where is {e} standing", "where is {e} sitting", "where can i see {e}", "can you show me {e}",
        "show me where {e} is", "where are {e} and {f}", "where are they", "show me both of them",
        "locate the two of them", "where's {e} at", "which part of the {p} is {e}", "give me {e}'s box",
        "what's {e}'s position", "where is {e} located in the {p}", "position of {e} in the {p}",
        "frame {e} with a box", "draw {e}'s bounding box", "show where {e} appears in the {p}",
        "is {e} on the left or the right", "where in the {p} can i find {e}", "indicate {e}",
        "zoom in on {e}", "where do i look for {e}", "pinpoint {e}", "tag {e} in the {p}",
        "i'd like to see where {e} is", "can i get a box on {e}", "i can't find {e} in the {p}",
        "help me spot {e}", "gimme {e}'s location", "show me which one is {e}", "where's {e} in this",
        "put a rectangle around {e}", "where would {e} be in the {p}", "locate {e} for me",
        "WHERE IS {e}", "where is {e} 👀", "yo where's {e} at", "{e}?? where", "i can't see {e} anywhere, help",
        "i need to know where {e} is in the {p}", "would love a box around {e}", "box round {e} pls",
        "draw a box round {e}", "show me {e} in the {p} 🙏", "where did {e} end up in the {p}",
        "i'm looking for {e} in the {p}", "point {e} out to me", "which one's {e}", "{e} is where exactly",
        "spot {e} for me", "where's {e} hiding", "just show me {e}", "where abouts is {e} rn",
    ],
    "segment_entity": [
        "segment {e}", "segment {e} please", "can you segment {e}", "mask {e}", "give me a mask of {e}",
        "make a mask for {e}", "mask out {e}", "cut out {e}", "cut {e} out", "cut {e} out of the {p}",
        "outline {e}", "trace {e}", "trace the outline of {e}", "isolate {e}", "isolate {e} from the background",
        "separate {e} from the background", "remove the background around {e}", "crop {e} out",
        "extract {e}", "extract {e} from the {p}", "which pixels belong to {e}", "pixel mask for {e}",
        "silhouette of {e}", "draw the shape of {e}", "segmentation of {e}", "segment both of them",
        "mask {e} and {f}", "segment the two of them", "cut them both out", "shade {e}'s pixels",
        "colour in {e}", "fill in {e}'s outline", "do a segmentation mask of {e}", "segment out {e}",
        "can i get a mask for {e}", "mask the pixels of {e}", "cut out {e} from the {p}",
        "separate {e} out", "give me {e}'s silhouette", "exact shape of {e} please", "clip {e} out",
        "i want a mask of {e}", "can you do a cutout of {e}", "just the pixels of {e}",
        "remove everything except {e}", "make {e} stand out from the background", "give me a cutout of {e}",
        "erase the background behind {e}", "paint over {e}",
        "SEGMENT {e}", "cut {e} out pls 🙏", "i want {e} isolated from the background", "mask {e} for me",
        "a mask of {e} would be great", "need {e} cut out", "i need a precise mask of {e}",
        "can u mask out {e} real quick", "get me {e}'s outline", "segmentation for {e} pls",
        "cut out {e} and nothing else", "pixel-level mask of {e}", "segmant {e}",
    ],
    "expand_entity": [
        "what is {e}", "what is {e} exactly", "what exactly is {e}", "who is {e}", "who's {e}",
        "who is {e} exactly", "whos {e}", "what's {e}", "wat is {e}", "tell me about {e}",
        "tell me more about {e}", "what do you know about {e}", "never heard of {e}, who is that",
        "what kind of place is {e}", "what sort of organisation is {e}", "what kind of thing is {e}",
        "is {e} a company", "what does {e} stand for", "what does {e} mean", "what does {e} refer to",
        "what is {e} referring to", "explain who {e} is", "explain what {e} is", "what's {e} known for",
        "what is {e} famous for", "info about {e}", "give me some info on {e}", "describe {e}",
        "who are they", "who are {e} and {f}", "what are {e} and {f}", "who exactly is {e}",
        "what is {e} anyway", "and who is {e} again", "remind me who {e} is", "what even is {e}",
        "who is that", "what is that", "what's {e} all about", "any idea who {e} is",
        "what does {e} do", "what is {e} in this context", "what is meant by {e}", "define {e}",
        "who's the {e} person", "is {e} a place", "identify {e}",
        "i don't know who {e} is", "can you tell me something about {e}", "what's {e}'s deal",
        "never heard of {e}", "who or what is {e}", "is {e} famous", "what is {e} like",
        "what's the story with {e}", "fill me in on {e}",
        "WHO IS {e}", "who tf is {e}", "never heard of {e} tbh", "{e} = ?", "{e}??", "who's {e} again 🤔",
        "explain {e} to me like i'm 5", "i don't know what {e} is", "no idea who {e} is",
        "i'm new to this, who is {e}", "what's {e} exactly", "what is {e} exactly lol", "is {e} a big deal",
        "{e}, who's that", "{e} - what is it", "so {e} is what", "need some info on {e}",
        "i'd like to learn about {e}", "what can you tell me about {e}", "who even is {e}",
    ],
    "recognize_entities": [
        "list the entities", "list all the entities", "list all entities and their types",
        "what entities are in the text", "what names are mentioned", "which names appear in the post",
        "who is mentioned in the tweet", "who and what does the post mention", "extract the named entities",
        "run ner on the text", "tag the named entities", "what entities r in the text", "give me the entity list",
        "any names in the post", "what people places and organisations are named", "named entities please",
        "which people are mentioned", "what organisations are mentioned", "what places does the tweet name",
        "which locations are in the text", "show me all the entities", "what did the recognizer find",
        "what are the entities and their types", "enumerate the entities", "who gets mentioned in this tweet",
        "what proper names are in the text", "list everyone mentioned", "entities?", "which entities did you find",
        "what entity types are there", "how many entities are there", "what are the types of the entities",
        "list the people and places", "what names did you pick up", "which named entities are in the tweet",
        "pull out the names from the text", "who's mentioned", "what's named in the tweet",
        "give me every name in the post", "which proper nouns are there",
        # how one name was tagged: the recognizer's output
        "what type of entity is {e}", "what type is {e}", "what category is {e}", "what kind of entity is {e}",
        "is {e} a person or a place", "what type did you give {e}", "how did you tag {e}",
        "what label did {e} get", "is {e} tagged as a person", "is {e} marked as an org or a place",
        "what did the recognizer call {e}", "which type is {e} labelled as", "did you classify {e} as a location",
        "what entity type is {e}", "is {e} a PER or an ORG", "what tag does {e} have",
        "what category did {e} end up in", "did {e} get tagged as an organisation", "{e} is tagged as what",
        "was {e} recognised as a place", "what's {e}'s entity type", "what ner label is {e}",
        "which entities did the ner pick up", "what did u tag", "what types did you assign",
        "i want the list of entities", "i need all the names in the text with their types",
        "the entities pls", "LIST THE ENTITIES", "names + types?", "ner output please",
    ],
    "caption_image": [
        "describe the {p}", "describe this {p}", "what's in the {p}", "what is in the {p}",
        "what does the {p} show", "what am i looking at", "caption this", "caption the {p}",
        "give me a caption", "what's going on in the {p}", "what can you see", "what can you see in the {p}",
        "summarise the {p}", "summarize the {p}", "what's happening in the {p}", "what is shown in the {p}",
        "tell me what's in the {p}", "what does the {p} look like", "describe the scene",
        "what is the {p} of", "what's in this {p}", "can you describe what you see", "what's depicted",
        "what is depicted in the {p}", "describe it visually", "what's the {p} showing",
        "give me a description of the {p}", "what's the scene", "what do you see", "describe what's pictured",
        "what is this a {p} of", "one line description of the {p}",
        "what do u see in the {p}", "give me a quick description of the {p}", "can u tell me what the {p} shows",
        "what's visible in the {p}", "paint me a picture of the scene", "what's in frame",
        "WHAT IS IN THE {p}", "describe the {p} 📷", "what's going on in the {p} lol", "tell me what you see",
        "i'm blind, describe the {p} for me", "i can't load the {p}, what's in it", "caption pls",
        "what does it look like", "describe the whole scene", "what's happening in this {p} 👀",
        "whats the {p} look like", "what is the {p} showing exactly", "walk me through the {p}",
    ],
    "generate_knowledge": [
        "what is this tweet about", "what's this post about", "what is the post about", "context?",
        "give me some context", "background on the post", "any background", "what's the story here",
        "what's the story behind this", "explain the tweet", "explain this post", "what is going on in this post",
        "why is this newsworthy", "what's the background", "background knowledge please",
        "what do you know about this tweet", "what's the context of this post", "what is the tweet referring to",
        "what's the news here", "give me the backstory", "what is happening in the tweet",
        "summarise the tweet", "summarize the post", "what's the gist of the post", "tell me about this tweet",
        "what's this about", "what happened here", "fill me in on the context", "what event is this about",
        "what's the deal with this tweet", "fill me in on this post", "why was this posted",
        "what's the tweet trying to say", "what is this post referring to", "what's the background story here",
        "what's going on here", "give me the backstory of this post", "what's the context of this post",
        "WHAT IS THIS POST ABOUT", "whats the context here 🤷", "why is this a big deal",
        "give me the tl;dr of this tweet", "tl;dr?", "i don't get this tweet", "i don't understand the post",
        "could you give me some background on this whole post", "what is this post about overall",
        "why does this tweet matter", "what's the significance of this post", "any context on this? i'm lost",
        "what's the gist", "explain what's going on in this tweet", "what's this tweet even about",
    ],
    "find_exemplars": [
        "similar posts", "show similar annotated posts", "which examples are similar", "nearest exemplars",
        "which training examples are like this", "show me similar tweets", "which exemplars did you use",
        "msea examples", "what annotated examples did you retrieve", "find similar examples in the training data",
        "closest annotated tweets", "which posts in the dataset look like this one", "top similar exemplars",
        "any similar labelled posts", "retrieved exemplars", "what examples is this based on",
        "similar examples please", "show the nearest neighbours from the training set",
        "any other posts like this in the data", "which training tweets resemble this",
        "lookalike examples from the dataset", "what past examples match this one",
        "any tweets like this in the training set", "SIMILAR POSTS?", "got any other annotated tweets like this one",
        "are there labelled posts like this", "i want to see similar annotated examples", "find me lookalike posts",
    ],
    EXPLAIN: [
        "why", "why?", "why do you think so", "why do you say that", "why is that", "how do you know",
        "how do you know that", "how can you tell", "what's the evidence", "what is your evidence",
        "explain your answer", "explain that", "on what basis", "what makes you say that", "how did you decide",
        "how sure are you", "how confident are you", "how confident are you about that", "are you sure",
        "are you certain", "how certain is that", "what's your confidence", "confidence?", "what's the score",
        "how likely is that", "what's the probability", "is that reliable", "how reliable is that",
        "how much do you trust that", "can you justify that", "what's that based on", "source?", "prove it",
        "why not", "why isn't {e} in the {p}", "why do you think {e} is in the {p}",
        "how confident are you that {e} is in the {p}", "how sure are you that {e} is there",
        "how sure are you about {e}", "what makes you think {e} is there", "why did you pick that box",
        "how did you find {e}", "what evidence do you have for {e}", "how confident is the model",
        "what's the confidence score", "how high is your confidence", "are you confident about that",
        "how do you know it's {e}", "what's your reasoning", "walk me through your reasoning",
        "why that one", "really?", "is that right", "how accurate is that", "what score did {e} get",
        "how confident are you in that answer", "what is the certainty", "how sure is the system",
        "how sure are you {e} is visible", "how sure are you {e} is in the {p}", "how confident are you {e} is there",
        "what's the chance {e} is really in the {p}", "how certain is it that {e} is there",
        "is that a confident answer", "how much do you trust the visibility call", "how sure are you it's {e}",
        "how'd you figure that out", "what makes you so sure", "is that a guess", "how did you work that out",
        "what's your proof", "why should i believe that", "how did you know it was {e}",
        "WHY", "u sure?? 🤔", "HOW CONFIDENT ARE YOU", "based on what", "hmm not convinced", "i don't buy it",
        "that seems wrong, why", "how did u get that", "what's the number behind that answer",
        "how sure are you of that mask", "how confident r u about that box", "source pls", "says who",
        "why did you tag {e} as that", "why do you say {e} isn't there", "that can't be right, explain",
        "i doubt it", "i doubt that", "not sure about that", "hmm really?", "are you kidding", "no way",
        "that doesn't look right", "you sure it's {e}",
    ],
    CLARIFY: [
        "hi", "hello", "hey there", "thanks", "thank you", "ok", "cool", "nice", "hmm", "lol",
        "what's the weather like", "tell me a joke", "can you help me", "what can you do", "help",
        "who are you", "good morning", "bye", "asdf", "what time is it", "play some music",
        "write me a poem", "what's 2 plus 2", "sing a song", "how are you", "whatever", "never mind",
        "translate this to french", "book me a flight", "what should i eat tonight",
        "what's the capital of france", "how tall is mount everest", "who won the world cup in 2010",
        "what's the population of japan", "convert 10 km to miles", "what year is it", "recommend a good movie",
        "what's the meaning of life", "do you like football", "are you a robot", "where do you live",
        "set an alarm for 7", "what's the news today", "tell me something funny", "i'm bored",
        "that's all thanks", "ok cool thanks", "nvm", "forget it", "brb", "good night",
        # out of scope even when a name is in it
        "tell me a joke about {e}", "write a poem about {e}", "what's the weather in {e}",
        "book me a flight to {e}", "what time is it in {e}", "sing a song about {e}", "buy tickets for {e}",
        "follow {e} on twitter for me", "send {e} a message", "what's {e}'s phone number",
        "who won {e} in 2015", "when was {e} founded", "how many goals has {e} scored this season",
        "who will win {e} next year", "predict the {e} result", "what's the score of the {e} game tonight",
        "order a pizza", "HELLO", "thx bye 👋", "lol ok", "😂😂", "say something funny",
    ],
}
PICTURE = ["picture", "photo", "image", "pic", "photograph", "shot", "foto", "img", "pic", "photo", "picture"]
FILLERS = ["hey ", "ok so ", "um ", "quick q: ", "so ", "and ", "also ", "pls ", "can you tell me ",
           "i wonder ", "btw ", "hmm ", "right, ", "wait, ", "one more: ", "i'd like to know ", "could you tell me ",
           "quick question, ", "omg ", "yo ", "sorry, ", "i was wondering ", "do you know ", "just curious, ",
           "ok next one: ", "lemme ask, ", "i need to know ", "help me out: ", "ok but ", "alright, "]
EMOJI = [" 👀", " 🤔", " 🙏", " 😂", " 🔥", " ❤️", " 🤷", " 😅", " 👍", " 🙂"]
# a sentence of chatter before or after the question ("… I don't really follow football.")
CHATTER = ["I don't really follow sports.", "my friend sent me this.", "I'm kinda new to this.",
           "sorry if this is a dumb question.", "it's for a school project.", "just curious.",
           "I don't really follow European politics.", "no rush.", "this is so cool.", "ok next question.",
           "I saw this on my feed.", "I'm not from here.", "thanks in advance!", "ngl I'm confused.",
           "I'm asking for my mum.", "Honestly no idea."]
ENDINGS = [" please", " pls", " thx", " lol", " ?", "??", " then", " again", " now", " for me", " haha", " ty",
           " :)", " if you can", " real quick", " thanks!", " asap", " tho", " btw", " lmao"]
CASUAL = [(r"\byou\b", "u"), (r"\bare\b", "r"), (r"\byour\b", "ur"), (r"\bwhat is\b", "whats"),
          (r"\bwhat\b", "wat"), (r"\bplease\b", "plz"), (r"\bpicture\b", "pic"), (r"\bthe\b", "teh"),
          (r"\bwhere is\b", "wheres"), (r"\bwho is\b", "whos"), (r"\bis\b", "iz")]

# Made-up posts (no routing set uses these names).
MEN = ["Marco Bellini", "Tariq Haddad", "Owen Pryce", "Kenji Sato", "Luis Ortega", "Dmitri Volkov",
       "Samuel Adeyemi", "Jonah Reyes"]
WOMEN = ["Priya Nair", "Ingrid Holm", "Chloe Marchetti", "Amara Okafor", "Lena Fischer", "Rosa Delgado"]
PLACES = ["Lisbon", "Nairobi", "Lake Como", "Osaka", "Patagonia", "Glasgow", "Quebec City"]
ORGS = ["Red Cross", "Nordic Rail", "FC Porto", "Apex Robotics", "Unicef", "Oxfam", "Blue Harbor Bank"]
MISC = ["Winter Games", "Harvest Festival", "Golden Lyre Awards", "Ocean Cup", "Solstice Marathon"]
ABSENT = ["Barack Obama", "Taylor Swift", "Elon Musk", "Zendaya", "Pele", "Angela Merkel", "Bad Bunny"]


def make_post(rng: random.Random) -> list[tuple[str, str]]:
    people = rng.sample(MEN, rng.choice([0, 1, 1, 2])) + rng.sample(WOMEN, rng.choice([0, 1, 1, 2]))
    others = [(rng.choice(PLACES), "LOC"), (rng.choice(ORGS), "ORG"), (rng.choice(MISC), "MISC")]
    ents = [(p, "PER") for p in people] + rng.sample(others, rng.choice([1, 2, 3]))
    rng.shuffle(ents)
    return ents


def typo(word: str, rng: random.Random) -> str:
    if len(word) < 4:
        return word
    i = rng.randrange(1, len(word) - 1)
    kind = rng.choice(["drop", "swap", "double"])
    if kind == "drop":
        return word[:i] + word[i + 1:]
    if kind == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    return word[:i] + word[i] + word[i:]


def reference(ents: list[tuple[str, str]], rng: random.Random, pronoun_ok: bool) -> str:
    """A way to refer to one entity: whole name, last or first name, lower case, a typo, a pronoun."""
    name, etype = rng.choice(ents)
    r = rng.random()
    if pronoun_ok and r < 0.2:
        return rng.choice(["he", "she", "him", "her"] if etype == "PER" else ["it", "that"])
    if r < 0.25:
        return rng.choice(["the other one", "the other guy", "the first one", "the second person",
                           "her sister", "his brother", "the woman", "the team", "the city", "the mayor",
                           "the ceo", "the dog", "the pup", "his team", "her company", "the winner",
                           "the one she beat", "the 2 of them", "the last person mentioned", "the coach",
                           "the singer", "the stadium", "the other woman", "both of them", "all three"])
    if r < 0.27 and len(name.split()) > 1:  # initials: "MJ"
        return "".join(w[0].upper() for w in name.split())
    if r < 0.3:
        return rng.choice(ABSENT)
    parts = name.split()
    if r < 0.5 and len(parts) > 1:
        return rng.choice(parts)
    if r < 0.6:
        return name.lower()
    if r < 0.65:
        return " ".join(typo(p, rng) for p in parts)
    return name


def fill(template: str, ents, rng: random.Random) -> str:
    q = template.replace("{p}", rng.choice(PICTURE))
    subject = bool(re.search(r"\b(is|does|can|did|was)\s+\{e\}", template))
    q = q.replace("{e}", reference(ents, rng, pronoun_ok=True), 1)
    if "{f}" in q:
        q = q.replace("{f}", reference(ents, rng, pronoun_ok=False), 1)
    if subject:  # "is her in the picture" is not a question anyone types
        q = re.sub(r"\b(is|does|can|did|was) (him|her)\b",
                   lambda m: f"{m.group(1)} {'he' if m.group(2) == 'him' else 'she'}", q)
    return q


def casual(q: str, rng: random.Random) -> str:
    if rng.random() < 0.3:
        pattern, repl = rng.choice(CASUAL)
        q = re.sub(pattern, repl, q, count=1)
    if rng.random() < 0.2:
        q = rng.choice(FILLERS) + q
    if rng.random() < 0.15:
        q += rng.choice(ENDINGS)
    words = q.split()
    if rng.random() < 0.1:
        q += rng.choice(EMOJI)
    if rng.random() < 0.08:
        q = (rng.choice(CHATTER) + " " + q) if rng.random() < 0.5 else (q.rstrip("?") + "? " + rng.choice(CHATTER))
    words = q.split()
    if rng.random() < 0.15 and words:  # a typo in a non-name word
        i = rng.randrange(len(words))
        if words[i].islower():
            words[i] = typo(words[i], rng)
        q = " ".join(words)
    if rng.random() < 0.05:
        q = q.upper()  # all caps
    elif rng.random() < 0.5:
        q = q[:1].upper() + q[1:]
    if rng.random() < 0.6 and not q.endswith(("?", ".", "!")):
        q += "?"
    return q


def generate(per_template: int = 12, seed: int = 0) -> list[dict]:
    rng = random.Random(seed)
    # the masks must not depend on an earlier intents.jsonl (its words guard the typo matching)
    mentions._COMMON.clear()
    mentions._COMMON.add("")
    rows, seen = [], {}
    for label, templates in T.items():
        for k, template in enumerate(templates):
            for _ in range(per_template if "{" in template else max(3, per_template // 3)):
                ents = make_post(rng)
                q = casual(fill(template, ents, rng), rng)
                masked = mask(q, ents)
                key = normalise(masked)
                if seen.setdefault(key, label) != label:
                    continue  # the same masked words under two labels: keep the first
                rows.append({"q": q, "masked": masked, "label": label, "template": f"{label}/{k}", "ents": ents})
    for label, examples in EXAMPLES.items():  # the rule router's own phrasings too
        for k, x in enumerate(examples):
            if seen.setdefault(normalise(mask(x, [])), label) == label:
                rows.append({"q": x, "masked": mask(x, []), "label": label, "template": f"examples/{label}/{k}"})
    # The masks again, now with the words of these questions loaded as the router loads them
    # from intents.jsonl at run time (they keep typo matching and lower-case names apart,
    # and all-caps words from being read as names); the first pass made them.
    mentions._COMMON.clear()
    mentions._COMMON.update(w.lower() for r in rows for w in re.findall(r"[A-Za-z]+", r["masked"]))
    mentions._COMMON.discard("ent")
    mentions._COMMON.add("")
    for r in rows:
        r["masked"] = mask(r["q"], r["ents"]) if r.get("ents") is not None else mask(r["q"], [])
    for r in rows:
        r.pop("ents", None)
    # one row per masked form (the first label it got)
    uniq: dict = {}
    for r in rows:
        uniq.setdefault(normalise(r["masked"]), r)
    mentions._COMMON.clear()  # the router loads them from the file written
    return list(uniq.values())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("step", choices=["generate", "train"])
    ap.add_argument("--per-template", type=int, default=25)
    args = ap.parse_args()
    if args.step == "generate":
        rows = generate(args.per_template)
        INTENTS.parent.mkdir(parents=True, exist_ok=True)
        INTENTS.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
        print(f"{len(rows)} questions -> {INTENTS}", dict(Counter(r["label"] for r in rows)))
        return
    rows = [json.loads(line) for line in INTENTS.read_text(encoding="utf-8").splitlines()]
    masked = [r["masked"] for r in rows]
    emb = embed(masked)
    # held-out templates: every fifth template of each label, never seen in training
    held = [int(r["template"].rsplit("/", 1)[1]) % 5 == 4 and not r["template"].startswith("examples")
            for r in rows]
    tr = [i for i, h in enumerate(held) if not h]
    te = [i for i, h in enumerate(held) if h]
    model = train([masked[i] for i in tr], [rows[i]["label"] for i in tr], emb[tr])
    right = 0
    for i in te:
        p = model.probs(masked[i], emb[i])
        right += max(p, key=p.get) == rows[i]["label"]
    print(f"held-out templates: {right}/{len(te)} = {right / len(te):.1%} "
          f"(trained on {len(tr)} questions of the other templates)")
    model = train(masked, [r["label"] for r in rows], emb)
    model.save(WEIGHTS)
    print(f"weights -> {WEIGHTS} ({WEIGHTS.stat().st_size} bytes), labels {model.labels}")


if __name__ == "__main__":
    main()

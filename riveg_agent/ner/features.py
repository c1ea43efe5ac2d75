"""Token casing / shape ids. The offline encoders are uncased, and case is a
strong NER cue on tweets, so each word gets one of these ids (0 = padding
and special tokens)."""
from __future__ import annotations

import re

SHAPES = ("<pad>", "lower", "title", "upper", "mixed", "digit", "alnum", "punct",
          "mention", "hashtag", "url", "other")
SHAPE_IDS = {s: i for i, s in enumerate(SHAPES)}
NUM_SHAPES = len(SHAPES)

_URL = re.compile(r"^(https?://|www\.)", re.I)


def shape(token: str) -> str:
    """The shape class of one token."""
    if _URL.match(token):
        return "url"
    if len(token) > 1 and token[0] == "@":
        return "mention"
    if len(token) > 1 and token[0] == "#":
        return "hashtag"
    letters = [c for c in token if c.isalpha()]
    if not letters:
        if any(c.isdigit() for c in token):
            return "digit"
        if all(not c.isalnum() for c in token):
            return "punct"
        return "other"
    if any(c.isdigit() for c in token):
        return "alnum"
    if all(c.islower() for c in letters):
        return "lower"
    if all(c.isupper() for c in letters):
        return "upper" if len(letters) > 1 else "title"
    if letters[0].isupper() and all(c.islower() for c in letters[1:]):
        return "title"
    return "mixed"


def shape_id(token: str) -> int:
    return SHAPE_IDS[shape(token)]

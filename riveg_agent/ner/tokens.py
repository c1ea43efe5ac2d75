"""Raw post text -> tweet-like tokens in the Twitter-2017 style (`@`, `#`,
apostrophes and hyphens apart from the words, URLs whole), with character
offsets, so that models trained on the CoNLL files see familiar tokens."""
from __future__ import annotations

import re

_TOKEN = re.compile(
    r"https?://\S+|www\.\S+"  # URLs whole
    r"|\d+(?:[.,:]\d+)+"  # numbers such as 2.00 or 10:30
    r"|\w+"  # words; apostrophes and hyphens split off, as in Twitter-2017
    r"|[^\w\s]",  # any other symbol on its own (@ and # included)
    re.UNICODE)


def tokenize(text: str) -> list[tuple[str, int, int]]:
    """Tweet-like tokens of a raw text with their (start, end) offsets."""
    return [(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(text)]


def joined_offsets(tokens: list[str]) -> list[tuple[int, int]]:
    """(start, end) of each token in `" ".join(tokens)`: dataset tweets come
    as tokens, entities are reported with character offsets into that text."""
    offsets, pos = [], 0
    for tok in tokens:
        offsets.append((pos, pos + len(tok)))
        pos += len(tok) + 1
    return offsets

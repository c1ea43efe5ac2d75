"""CoNLL reader for the Twitter MNER/GMNER files: an `IMGID:<id>` line,
`token<TAB>label` lines, a blank line between tweets."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from riveg_agent.scoring.errors import ScoringError, where
from riveg_agent.scoring.spans import Span, bio_to_spans, split_tag
from riveg_agent.scoring.triples import normalise_image_id


@dataclass
class Tweet:
    image: str
    line: int  # line of its IMGID line (1-based)
    tokens: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)

    def spans(self) -> list[Span]:
        return bio_to_spans(self.tags)

    def entities(self) -> list[tuple[str, str]]:
        """(space-joined tokens, raw type) of each entity, in order."""
        return [(" ".join(self.tokens[s:e]), t) for s, e, t in self.spans()]


def read_text(path: Path) -> list[str]:
    """Lines of a UTF-8 file (BOM and CRLF tolerated)."""
    try:
        return path.read_text(encoding="utf-8-sig").splitlines()
    except FileNotFoundError as exc:
        raise ScoringError(f"{path}: no such file") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ScoringError(f"{path}: cannot read ({exc})") from exc


def read_conll(path: Path) -> list[Tweet]:
    tweets: list[Tweet] = []
    cur: Tweet | None = None
    for n, raw in enumerate(read_text(path), start=1):
        line = raw.strip()
        if not line:
            cur = None
            continue
        if line.startswith("IMGID:"):
            cur = Tweet(normalise_image_id(line), n)
            tweets.append(cur)
            continue
        if cur is None:
            raise ScoringError(f"{where(path, n)}: token line outside a tweet (no IMGID line before it)")
        parts = raw.rstrip("\r\n").split("\t") if "\t" in raw else line.split()
        if len(parts) < 2:
            raise ScoringError(f"{where(path, n)}: want 'token<TAB>label', got {raw!r}")
        token, tag = parts[0], parts[-1].strip()
        try:
            split_tag(tag)
        except ScoringError as exc:
            raise ScoringError(f"{where(path, n)}: {exc}") from exc
        cur.tokens.append(token)
        cur.tags.append(tag)
    return tweets


def gold_from_conll(path: Path, regions_of) -> tuple[list, set[str]]:
    """Gold triples of a CoNLL file, each entity with the regions its image
    has under its surface string: `regions_of(image_id) -> {name: [region]}`
    (read only for tweets that have entities). Returns (triples, image ids)."""
    from riveg_agent.scoring.triples import GoldTriple, normalise_type

    triples, images = [], set()
    for tweet in read_conll(path):
        images.add(tweet.image)
        ents = tweet.entities()
        if not ents:
            continue
        regions = regions_of(tweet.image)
        for name, typ in ents:
            triples.append(GoldTriple(tweet.image, name, normalise_type(typ),
                                      tuple(regions.get(name, ())), where(path, tweet.line)))
    return triples, images

"""Readers for MNER training data: the IMGID CoNLL files (through
riveg_agent.scoring.conll) and the PGIM/RiVEG knowledge files.

A knowledge file holds one record per tweet: `token<TAB>label` lines, then
`<EOS><TAB>X`, then the knowledge text one token a line labelled `X`; blank
line between records, CRLF line ends, no IMGID lines. The Twitter-2015 files
lack the last tweet of each split, so records are aligned to the CoNLL tweets
by their tokens, never by position.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from riveg_agent.core.errors import RivegError
from riveg_agent.scoring.conll import read_conll, read_text
from riveg_agent.scoring.spans import split_tag

TYPES = ("PER", "LOC", "ORG", "MISC")
LABELS = ("O",) + tuple(f"{p}-{t}" for t in TYPES for p in ("B", "I"))
TYPE_MAP = {"OTHER": "MISC"}  # Twitter-2015 and Twitter-GMNER call MISC "OTHER"
EOS = "<EOS>"

# dataset -> {split: (CoNLL file, knowledge file)}, relative to --data-dir
DATASETS: dict[str, dict[str, tuple[str, str]]] = {
    "twitter2017": {s: (f"twitter2017/{f}.txt", f"twitter2017/knowledge/{f}.txt")
                    for s, f in (("train", "train"), ("dev", "valid"), ("test", "test"))},
    "twitter2015": {s: (f"twitter2015/{f}.txt", f"twitter2015/knowledge/{f}.txt")
                    for s, f in (("train", "train"), ("dev", "valid"), ("test", "test"))},
    "twitter-gmner": {s: (f"twitter-gmner/txt/{t}.txt", f"twitter-gmner/knowledge/{k}.txt")
                      for s, t, k in (("train", "train", "train"), ("dev", "dev", "valid"),
                                      ("test", "test", "test"))},
}


class DataError(RivegError):
    code = "data"


@dataclass
class KnowledgeRecord:
    tokens: list[str]
    tags: list[str]
    knowledge: list[str]
    line: int  # first line of the record (1-based)


@dataclass
class Example:
    """One tweet: tokens, BIO tags over PER/LOC/ORG/MISC, knowledge tokens
    (None when the dataset has no knowledge for it)."""

    id: str
    tokens: list[str]
    tags: list[str]
    knowledge: Optional[list[str]] = field(default=None)


def normalise_tag(tag: str) -> str:
    """Map a dataset tag to the shared label set ('B-OTHER' -> 'B-MISC')."""
    prefix, typ = split_tag(tag)
    if prefix == "O":
        return "O"
    typ = TYPE_MAP.get(typ, typ)
    if typ not in TYPES or prefix not in ("B", "I"):
        raise DataError(f"tag {tag!r} is not B-/I- over {'/'.join(TYPES)} (or OTHER)")
    return f"{prefix}-{typ}"


def read_knowledge(path: Path) -> list[KnowledgeRecord]:
    """All records of a knowledge file (CRLF and BOM tolerated)."""
    records: list[KnowledgeRecord] = []
    cur: Optional[KnowledgeRecord] = None
    after_eos = False
    for n, raw in enumerate(read_text(path), start=1):
        line = raw.strip()
        if not line:
            cur, after_eos = None, False
            continue
        # split the raw line: a token may itself be whitespace (U+00A0 in 2015)
        parts = raw.rstrip("\r\n").split("\t") if "\t" in raw else line.split()
        token = parts[0] if len(parts) > 1 else parts[0].strip()
        if cur is None:
            cur = KnowledgeRecord([], [], [], n)
            records.append(cur)
        if token == EOS:
            after_eos = True
        elif after_eos:
            cur.knowledge.append(token)
        else:
            if len(parts) < 2:
                raise DataError(f"{path}:{n}: want 'token<TAB>label' before {EOS}, got {raw!r}")
            cur.tokens.append(token)
            cur.tags.append(parts[-1].strip())
    return records


def align_knowledge(tweets: list[list[str]], records: list[KnowledgeRecord],
                    path: object = "knowledge") -> list[Optional[list[str]]]:
    """Knowledge tokens for each tweet (given as its tokens), matched by token
    sequence in order; a tweet with no matching record gets None. Raises when
    a record matches no tweet (the files do not belong together)."""
    out: list[Optional[list[str]]] = [None] * len(tweets)
    j = 0
    for rec in records:
        while j < len(tweets) and tweets[j] != rec.tokens:
            j += 1
        if j == len(tweets):
            raise DataError(f"{path}:{rec.line}: knowledge record {' '.join(rec.tokens[:8])!r}... "
                            "matches no remaining tweet of the CoNLL file")
        out[j] = rec.knowledge
        j += 1
    return out


def load_examples(conll: Path, knowledge: Optional[Path] = None) -> list[Example]:
    """Tweets of a CoNLL file with tags normalised, plus aligned knowledge."""
    tweets = read_conll(conll)
    examples = []
    for t in tweets:
        try:
            tags = [normalise_tag(x) for x in t.tags]
        except DataError as exc:
            raise DataError(f"{conll}:{t.line}: {exc}") from exc
        examples.append(Example(t.image, list(t.tokens), tags))
    if knowledge is not None:
        know = align_knowledge([e.tokens for e in examples], read_knowledge(knowledge), knowledge)
        for e, k in zip(examples, know):
            e.knowledge = k
    return examples


# Twitter-GMNER was built from Twitter-2015/2017 tweets: a model trained on
# one side has seen tweets of the other side's test split.
_OVERLAPS = {frozenset({"twitter-gmner", "twitter2015"}), frozenset({"twitter-gmner", "twitter2017"})}


def check_not_leaky(model: str, trained_on: Optional[str], dataset: str, split: str) -> None:
    """Refuse to score `model` on a test split whose tweets it was trained on."""
    if split == "test" and trained_on and frozenset({trained_on, dataset}) in _OVERLAPS:
        raise DataError(f"model '{model}' was trained on {trained_on}, which shares tweets "
                        f"with {dataset} test: refusing a leaky score")


def dataset_files(data_dir: Path, dataset: str, split: str) -> tuple[Path, Path]:
    if dataset not in DATASETS:
        raise DataError(f"unknown dataset {dataset!r}; choose one of {', '.join(DATASETS)}")
    if split not in DATASETS[dataset]:
        raise DataError(f"unknown split {split!r}; choose one of {', '.join(DATASETS[dataset])}")
    conll, know = DATASETS[dataset][split]
    return data_dir / conll, data_dir / know


def load_split(data_dir: Path, dataset: str, split: str, knowledge: bool = True) -> list[Example]:
    conll, know = dataset_files(data_dir, dataset, split)
    return load_examples(conll, know if knowledge else None)


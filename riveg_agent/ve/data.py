"""D_GMNER(VE): one example per Twitter-GMNER entity, label 1 (entail) iff the
entity string is a `<name>` of its image's XML. The image side is its BLIP-2
short caption plus the long description of twitter-gmner/captions/.
Expansions (the `– expansion` part of the referring expression) come from a
JSONL file `{"image", "entity", "type", "expansion"}` when one is given; the
post's auxiliary knowledge (step 1 of RiVEG) from the dataset's knowledge
files when asked for."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from riveg_agent.core.errors import RivegError
from riveg_agent.retrieval.index import read_captions
from riveg_agent.scoring.conll import read_conll
from riveg_agent.scoring.triples import normalise_type
from riveg_agent.scoring.voc import read_voc

SPLITS = {"train": "train", "dev": "dev", "valid": "dev", "test": "test"}
SHORT_CAPTIONS = ("captions/BLIP2_15.txt", "captions/BLIP2_17.txt")
LONG_CAPTIONS = "twitter-gmner/captions/owl{split}caption_1.txt"
_LONG_RECORD = re.compile(r"imgid:(\S+?)###(.*?)(?=^imgid:|\Z)", re.S | re.M)


@dataclass
class VeExample:
    image: str
    text: str          # the tweet, tokens joined by spaces
    entity: str
    type: str          # PER, LOC, ORG, MISC
    caption: str       # short caption, then the long description
    label: int         # 1 = groundable
    expansion: str = ""
    knowledge: str = ""  # the post's auxiliary knowledge, if used
    short_caption: str = ""  # the one-line caption alone (description dropout)

    @property
    def expression(self) -> str:
        return referring_expression(self.entity, self.type, self.expansion)


def referring_expression(entity: str, type: str, expansion: str = "") -> str:
    """`Name (TYPE) – expansion`, or `Name (TYPE)` without an expansion: the one
    place the VE's text side is spelt, so training and run time agree."""
    base = f"{entity} ({type})"
    return f"{base} – {expansion}" if expansion else base


def read_long_captions(path: Path) -> dict[str, str]:
    """`imgid:<id>###<text>` records, a record may span several lines."""
    text = path.read_text(encoding="utf-8")
    return {m.group(1): " ".join(m.group(2).split()) for m in _LONG_RECORD.finditer(text)}


def read_expansions(path: Path) -> dict[tuple[str, str, str], str]:
    out = {}
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            out[(row["image"], row["entity"], row["type"])] = row["expansion"]
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise RivegError(f"{path}:{n}: want a JSON object with image, entity, type, "
                             f"expansion ({exc})") from exc
    return out


def expansions_file(expansions_dir: Optional[str], split: str) -> Optional[Path]:
    """`<expansions_dir>/<split>.jsonl` when a training config names a folder
    and the file is there."""
    if not expansions_dir:
        return None
    path = Path(expansions_dir) / f"{split}.jsonl"
    return path if path.is_file() else None


def short_captions(data_dir: Path) -> dict[str, str]:
    """image id -> the BLIP-2 one-line caption (both Twitter datasets)."""
    short: dict[str, str] = {}
    for rel in SHORT_CAPTIONS:
        if (data_dir / rel).is_file():
            short.update(read_captions(data_dir / rel))
    return short


def image_captions(data_dir: Path, split: str,
                   short: Optional[dict[str, str]] = None) -> dict[str, str]:
    """image id -> 'short caption. long description' (either may be missing);
    `short`: the one-line captions when the caller has read them already."""
    short = short_captions(data_dir) if short is None else short
    long_path = data_dir / LONG_CAPTIONS.format(split=split)
    long = read_long_captions(long_path) if long_path.is_file() else {}
    return {i: ". ".join(p for p in (short.get(i, ""), long.get(i, "")) if p)
            for i in set(short) | set(long)}


def dataset_knowledge(data_dir: Path, split: str) -> list[str]:
    """The knowledge text of each tweet of the split's CoNLL file, in order
    (twitter-gmner/knowledge/, the LLM knowledge the NER step reads too)."""
    from riveg_agent.ner.readers import dataset_files, load_examples
    conll, know = dataset_files(data_dir, "twitter-gmner", split)
    if not know.is_file():
        raise RivegError(f"{know}: Twitter-GMNER knowledge file not found")
    return [" ".join(e.knowledge or []) for e in load_examples(conll, know)]


def load_ve_split(data_dir: Path, split: str, expansions: Optional[Path] = None,
                  knowledge: bool = False) -> list[VeExample]:
    if split not in SPLITS:
        raise RivegError(f"unknown split {split!r}; choose train, dev or test")
    split = SPLITS[split]
    root = data_dir / "twitter-gmner"
    conll = root / "txt" / f"{split}.txt"
    if not conll.is_file():
        raise RivegError(f"{conll}: Twitter-GMNER split file not found (is --data-dir right?)")
    short = short_captions(data_dir)
    captions = image_captions(data_dir, split, short)
    expand = read_expansions(expansions) if expansions else {}
    tweets = read_conll(conll)
    know = dataset_knowledge(data_dir, split) if knowledge else [""] * len(tweets)
    if len(know) != len(tweets):
        raise RivegError(f"{conll}: {len(tweets)} tweets but {len(know)} knowledge records")
    examples = []
    for tweet, tweet_knowledge in zip(tweets, know):
        ents = tweet.entities()
        if not ents:
            continue
        names = read_voc(root / "xml" / f"{tweet.image}.xml")
        text = " ".join(tweet.tokens)
        for name, typ in ents:
            typ = normalise_type(typ)
            examples.append(VeExample(tweet.image, text, name, typ, captions.get(tweet.image, ""),
                                      int(name in names), expand.get((tweet.image, name, typ), ""),
                                      tweet_knowledge, short.get(tweet.image, "")))
    return examples

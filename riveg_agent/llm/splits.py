"""`riveg knowledge generate`: auxiliary knowledge for a whole dataset split,
written in the datasets' `<EOS>` format so NER training reads it.

Per tweet: its `token<TAB>label` lines, a `<EOS><TAB>X` line, the knowledge as
one token a line labelled X, a blank line. Resumable: tweets already in the
output (checked token by token) are skipped. LLM calls go through the SQLite
cache, so a rerun costs nothing."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

from riveg_agent.core.errors import RivegError
from riveg_agent.io.files import trim_torn_tail
from riveg_agent.retrieval.index import read_captions
from riveg_agent.ner.readers import dataset_files
from riveg_agent.scoring.conll import Tweet, read_conll

# Caption files per dataset (GMNER tweets come from both 2015 and 2017).
CAPTIONS = {
    "twitter2015": ["captions/BLIP2_15.txt"],
    "twitter2017": ["captions/BLIP2_17.txt"],
    "twitter-gmner": ["captions/BLIP2_15.txt", "captions/BLIP2_17.txt"],
}
SPLIT_ALIASES = {"valid": "dev", "validation": "dev"}
NO_CAPTION = "no image description"


def split_file(data_dir: Path, dataset: str, split: str) -> Path:
    """The CoNLL file of a split (the dataset map of riveg_agent.ner.readers)."""
    path = dataset_files(data_dir, dataset, SPLIT_ALIASES.get(split, split))[0]
    if not path.is_file():
        raise RivegError(f"no split file {path}")
    return path


def dataset_captions(data_dir: Path, dataset: str) -> dict[str, str]:
    caps: dict[str, str] = {}
    for rel in CAPTIONS[dataset]:
        if (data_dir / rel).is_file():
            caps.update(read_captions(data_dir / rel))
    return caps


def format_block(tweet: Tweet, knowledge: str) -> str:
    lines = [f"{tok}\t{tag}" for tok, tag in zip(tweet.tokens, tweet.tags)]
    lines.append("<EOS>\tX")
    lines += [f"{tok}\tX" for tok in knowledge.split()]
    return "\n".join(lines) + "\n\n"


def done_blocks(out: Path) -> list[list[str]]:
    """Token lists of the complete tweets already written (a cut last block is dropped)."""
    if not out.exists():
        return []
    complete = trim_torn_tail(out, b"\n\n").decode("utf-8")
    blocks = []
    for block in complete.split("\n\n"):
        lines = [l for l in block.splitlines() if l]
        if not lines:
            continue
        toks = []
        for l in lines:
            if l.startswith("<EOS>\t"):
                break
            toks.append(l.split("\t")[0])
        blocks.append(toks)
    return blocks


def still_ours(out: Path, sink) -> None:
    """Stop when `out` is no longer the file being appended to (a `git
    stash`, checkout or copy replaced it): lines written after that would go
    to the replaced file and be lost. The output so far stays; rerun to resume."""
    import os
    try:
        same = os.stat(out).st_ino == os.fstat(sink.fileno()).st_ino
    except FileNotFoundError:
        same = False
    if not same:
        raise RivegError(f"{out} was replaced or removed while it was being written; "
                         "rerun the command to resume from what the file holds now")


@dataclass
class GenStats:
    total: int
    skipped: int = 0
    generated: int = 0


def generate_split(pipeline, data_dir: Path, dataset: str, split: str, out: Path,
                   limit: Optional[int] = None,
                   on_tweet: Callable[[int, int], None] | None = None) -> GenStats:
    from riveg_agent.core.roles import Caption, Post
    from riveg_agent.core.state import ChainState

    tweets = read_conll(split_file(data_dir, dataset, split))
    if limit is not None:
        tweets = tweets[:limit]
    caps = dataset_captions(data_dir, dataset)
    done = done_blocks(out)
    for i, toks in enumerate(done):
        if i >= len(tweets) or toks != tweets[i].tokens:
            raise RivegError(f"{out}: tweet {i + 1} does not match {dataset}/{split}; "
                             "it was written for another split or file — use a new --out")
    stats = GenStats(total=len(tweets), skipped=len(done))
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("a", encoding="utf-8") as sink:
        for n, tweet in enumerate(tweets[len(done):], start=len(done) + 1):
            # The chain's own exemplar and knowledge stages, with the dataset's caption.
            state = ChainState(Post(tweet.image, " ".join(tweet.tokens), tokens=list(tweet.tokens)),
                               caption=Caption(caps.get(tweet.image, NO_CAPTION), "dataset caption (BLIP-2)"),
                               done=["detector", "captioner"])
            knowledge = pipeline.generate_knowledge(state).knowledge  # never skipped: it is the product here
            still_ours(out, sink)
            sink.write(format_block(tweet, knowledge.text))
            sink.flush()
            stats.generated += 1
            if on_tweet:
                on_tweet(n, len(tweets))
    return stats


def done_expansions(out: Path) -> set[tuple[str, str, str]]:
    """(image, entity, type) of the expansions already in the JSONL file. Only
    a cut last line can be incomplete (lines are flushed per tweet): it is dropped."""
    import json

    if not out.exists():
        return set()
    complete = trim_torn_tail(out, b"\n").decode("utf-8")
    done = set()
    for n, line in enumerate(complete.splitlines(), start=1):
        try:
            row = json.loads(line)
            done.add((row["image"], row["entity"], row["type"]))
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise RivegError(f"{out}:{n}: not an expansion line ({exc}) — use a new --out") from exc
    return done


def generate_expansions(pipeline, data_dir: Path, dataset: str, split: str, out: Path,
                        limit: Optional[int] = None,
                        on_tweet: Callable[[int, int], None] | None = None) -> GenStats:
    """The Expander's `– expansion` for every gold entity of a split, as JSONL
    `{image, entity, type, expansion}` (what `riveg train ve` / `eval ve`
    read through `expansions_dir` / `--expansions`). Background: the BLIP-2
    caption. Resumable per entity; LLM calls go through the cache."""
    import json

    from riveg_agent.ner.tokens import joined_offsets
    from riveg_agent.core.roles import Caption, EntitySpan, Post
    from riveg_agent.core.state import ChainState
    from riveg_agent.scoring.triples import normalise_type

    tweets = [t for t in read_conll(split_file(data_dir, dataset, split)) if t.spans()]
    if limit is not None:
        tweets = tweets[:limit]
    caps = dataset_captions(data_dir, dataset)
    done = done_expansions(out)
    stats = GenStats(total=len(tweets))
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("a", encoding="utf-8") as sink:
        for n, tweet in enumerate(tweets, start=1):
            text, offsets = " ".join(tweet.tokens), joined_offsets(tweet.tokens)
            entities = [EntitySpan(" ".join(tweet.tokens[s:e]), normalise_type(t),
                                   offsets[s][0], offsets[e - 1][1]) for s, e, t in tweet.spans()]
            if all((tweet.image, e.text, e.type) in done for e in entities):
                stats.skipped += 1
                continue
            # The whole tweet is expanded again (one prompt may cover all its
            # entities); only the lines a crash lost are written.
            # The chain's own expansion stage, on the gold entities and the dataset's caption.
            state = ChainState(Post(tweet.image, text, tokens=list(tweet.tokens)),
                               caption=Caption(caps.get(tweet.image, NO_CAPTION), "dataset caption (BLIP-2)"),
                               entities=entities,
                               done=["detector", "captioner", "exemplars", "knowledge", "recognizer"])
            expressions = pipeline.expand(state).expressions
            still_ours(out, sink)
            sink.write("".join(json.dumps({"image": tweet.image, "entity": x.entity.text,
                                           "type": x.entity.type, "expansion": x.expansion},
                                          ensure_ascii=False) + "\n" for x in expressions
                               if (tweet.image, x.entity.text, x.entity.type) not in done))
            sink.flush()
            stats.generated += 1
            if on_tweet:
                on_tweet(n, len(tweets))
    return stats

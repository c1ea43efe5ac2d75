"""`riveg knowledge generate`: the <EOS> format, resume, and the cache."""
from paths import FIXTURES
import subprocess
import sys
from pathlib import Path

import pytest

from riveg_agent.core.errors import RivegError
from riveg_agent.llm.splits import done_blocks, generate_split
from riveg_agent.ner.readers import read_knowledge
from riveg_agent.scoring.conll import read_conll

DATA = FIXTURES / "data"


def test_writes_the_eos_format_then_resumes_from_the_cache(tmp_path, fast_pipeline):
    out = tmp_path / "k.txt"
    tweets = read_conll(DATA / "twitter2017" / "test.txt")
    stats = generate_split(fast_pipeline, DATA, "twitter2017", "test", out)
    assert (stats.total, stats.generated, stats.skipped) == (3, 3, 0)
    blocks = read_knowledge(out)
    assert [b.tokens for b in blocks] == [t.tokens for t in tweets]
    assert all(" ".join(b.knowledge).startswith("Named entities:") for b in blocks)
    first_lines = out.read_text().splitlines()[: len(tweets[0].tokens) + 1]
    assert first_lines[-1] == "<EOS>\tX"
    assert first_lines[0] == f"{tweets[0].tokens[0]}\t{tweets[0].tags[0]}"
    # nothing new on a rerun
    again = generate_split(fast_pipeline, DATA, "twitter2017", "test", out)
    assert (again.generated, again.skipped) == (0, 3)
    # a crash mid-block: the cut block is dropped and regenerated, from the cache
    text = out.read_text()
    out.write_text(text[: text.rfind("<EOS>") + 3])
    assert len(done_blocks(out)) == 2
    cache = fast_pipeline.plugin("knowledge").cache
    hits = cache.hits
    resumed = generate_split(fast_pipeline, DATA, "twitter2017", "test", out)
    assert (resumed.generated, resumed.skipped) == (1, 2) and cache.hits == hits + 1
    assert out.read_text() == text


def test_refuses_to_append_to_another_split(tmp_path, fast_pipeline):
    out = tmp_path / "k.txt"
    out.write_text("other\tO\n<EOS>\tX\nx\tX\n\n")
    with pytest.raises(RivegError, match="does not match"):
        generate_split(fast_pipeline, DATA, "twitter2017", "test", out)


def test_cli_reports_counts(tmp_path):
    out = tmp_path / "k.txt"
    cmd = [sys.executable, "-m", "riveg_agent", "knowledge", "generate", "--data-dir", str(DATA),
           "--dataset", "twitter2017", "--split", "test", "--out", str(out), "--config", "fast",
           "--limit", "1"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "1 generated" in proc.stderr and len(read_knowledge(out)) == 1
    bad = subprocess.run(cmd[:-6] + ["--dataset", "twitter2099", "--split", "test", "--out", str(out)],
                         capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and "unknown dataset 'twitter2099'" in bad.stderr


def test_expansions_cover_every_gold_entity_and_resume(tmp_path, fast_pipeline):
    from riveg_agent.llm.splits import generate_expansions
    from riveg_agent.ve.data import read_expansions
    out = tmp_path / "exp.jsonl"
    tweets = [t for t in read_conll(DATA / "twitter2017" / "test.txt") if t.spans()]
    stats = generate_expansions(fast_pipeline, DATA, "twitter2017", "test", out)
    assert (stats.total, stats.generated, stats.skipped) == (len(tweets), len(tweets), 0)
    got = read_expansions(out)
    want = {(t.image, name, typ) for t in tweets for name, typ in t.entities()}
    assert set(got) == want and all(got.values())
    # a crash mid-line: the cut line's tweet is expanded again, from the cache
    text = out.read_text()
    out.write_text(text[:-5])
    again = generate_expansions(fast_pipeline, DATA, "twitter2017", "test", out)
    assert again.generated == 1 and again.skipped == len(tweets) - 1
    assert read_expansions(out) == got
    assert len(out.read_text().splitlines()) == len(want)  # nothing written twice


def test_stops_when_the_file_is_replaced_under_it(tmp_path, fast_pipeline):
    """A `git stash` / checkout swaps the file for a new one: appending on to
    the old one would lose every later tweet, so the run stops, keeping the
    replaced file's content, and a rerun resumes from it."""
    out = tmp_path / "k.txt"
    knowledge = fast_pipeline.plugin("knowledge")
    real = knowledge.generate
    calls = []

    def replacing_generate(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:  # after the first tweet is written: replace the file, as git does
            text = out.read_text()
            out.unlink()
            out.write_text(text)
        return real(*args, **kwargs)

    knowledge.generate = replacing_generate
    try:
        with pytest.raises(RivegError, match="was replaced or removed"):
            generate_split(fast_pipeline, DATA, "twitter2017", "test", out)
    finally:
        knowledge.generate = real
    assert len(done_blocks(out)) == 1
    resumed = generate_split(fast_pipeline, DATA, "twitter2017", "test", out)
    assert (resumed.skipped, resumed.generated) == (1, 2)

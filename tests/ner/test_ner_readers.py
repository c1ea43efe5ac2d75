from pathlib import Path

import pytest

from riveg_agent.ner.features import SHAPE_IDS, shape
from riveg_agent.ner.readers import (DataError, align_knowledge, load_split, normalise_tag,
                                     read_knowledge)

DATA = Path(__file__).parent / "fixtures" / "data"


def test_knowledge_file_crlf_records_split_at_eos():
    recs = read_knowledge(DATA / "twitter2017/knowledge/train.txt")
    assert len(recs) == 4
    assert recs[0].tokens == ["Kawhi", "Leonard", "wins", "in", "Toronto"]
    assert recs[0].tags[:2] == ["B-PER", "I-PER"]
    assert recs[0].knowledge[:3] == ["Kawhi", "Leonard", "(person)"]
    assert all(not t.endswith("\r") for r in recs for t in r.tokens + r.knowledge)


def test_2017_loads_with_aligned_knowledge():
    ex = load_split(DATA, "twitter2017", "test")
    assert [e.id for e in ex] == ["17_3", "17_4", "17_1"]
    assert ex[0].knowledge[0] == "Blackburn" and ex[2].knowledge[0] == "Kawhi"


def test_2015_other_is_misc_and_missing_last_record_aligns_by_tokens():
    ex = load_split(DATA, "twitter2015", "test")
    assert len(ex) == 4
    assert ex[0].tags[-2:] == ["B-MISC", "I-MISC"]
    assert "\xa0" in ex[0].tokens and ex[0].knowledge is not None  # a whitespace token aligns
    # duplicate tweets get their own records in order; the last tweet has none
    assert ex[1].knowledge == ["Hopkins", "(person)."]
    assert ex[2].knowledge[-2:] == ["second", "copy."]
    assert ex[3].knowledge is None


def test_align_rejects_foreign_records():
    recs = read_knowledge(DATA / "twitter2017/knowledge/train.txt")
    with pytest.raises(DataError, match="matches no remaining tweet"):
        align_knowledge([["something", "else"]], recs)


def test_orphan_i_tag_is_kept_and_chunks_as_an_entity():
    from riveg_agent.scoring.spans import bio_to_spans
    ex = load_split(DATA, "twitter2015", "train", knowledge=False)
    assert ex[1].tags == ["O", "I-PER", "O"]
    assert bio_to_spans(ex[1].tags) == [(1, 2, "PER")]
    assert all(e.knowledge is None for e in ex)


def test_normalise_tag():
    assert normalise_tag("I-OTHER") == "I-MISC"
    assert normalise_tag("O") == "O"
    with pytest.raises(DataError):
        normalise_tag("B-DATE")


def test_unknown_dataset_names_the_choices():
    with pytest.raises(DataError, match="twitter2017"):
        load_split(DATA, "conll2003", "test")


@pytest.mark.parametrize("tok,expected", [
    ("kawhi", "lower"), ("Kawhi", "title"), ("NBA", "upper"), ("iPhone", "mixed"),
    ("2017", "digit"), ("G20", "alnum"), (":", "punct"), ("@user", "mention"),
    ("#NBA", "hashtag"), ("https://t.co/x", "url"), ("I", "title")])
def test_shapes(tok, expected):
    assert shape(tok) == expected
    assert SHAPE_IDS[expected] > 0

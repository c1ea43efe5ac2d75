from riveg_agent.scoring import PRF, ScoringError, bio_to_spans, count_matches, score_spans
import pytest


def test_bio_chunks_with_orphan_i_as_conlleval() -> None:
    tags = ["B-PER", "I-PER", "O", "I-LOC", "I-LOC", "B-ORG", "I-PER", "B-PER", "B-PER"]
    assert bio_to_spans(tags) == [(0, 2, "PER"), (3, 5, "LOC"), (5, 6, "ORG"), (6, 7, "PER"),
                                  (7, 8, "PER"), (8, 9, "PER")]


def test_entity_at_end_and_empty() -> None:
    assert bio_to_spans(["O", "B-MISC", "I-MISC"]) == [(1, 3, "MISC")]
    assert bio_to_spans([]) == []
    assert bio_to_spans(["O", "O"]) == []


def test_bioes() -> None:
    assert bio_to_spans(["S-PER", "B-LOC", "E-LOC", "E-LOC", "O"]) == [
        (0, 1, "PER"), (1, 3, "LOC"), (3, 4, "LOC")]


def test_bad_tag_raises() -> None:
    with pytest.raises(ScoringError, match="bad tag"):
        bio_to_spans(["B-PER", "X-PER"])
    with pytest.raises(ScoringError):
        bio_to_spans(["B-"])


def test_prf_counts() -> None:
    c = PRF(predicted=4, gold=5, correct=2)
    assert c.precision == 0.5
    assert c.recall == 0.4
    assert c.f1 == pytest.approx(2 * 0.5 * 0.4 / 0.9)
    assert PRF(0, 3, 0).as_dict() == {"predicted": 0, "gold": 3, "correct": 0,
                                      "precision": 0.0, "recall": 0.0, "f1": 0.0}


def test_multiset_matching() -> None:
    # the same span predicted twice counts once against one gold copy
    c = count_matches([(0, 1, "PER"), (0, 1, "PER"), (2, 3, "LOC")], [(0, 1, "PER"), (2, 3, "ORG")])
    assert (c.predicted, c.gold, c.correct) == (3, 2, 1)
    total = score_spans([[(0, 1, "PER")], []], [[(0, 1, "PER")], [(1, 2, "LOC")]])
    assert (total.predicted, total.gold, total.correct) == (1, 2, 1)
    with pytest.raises(ScoringError):
        score_spans([[]], [[], []])

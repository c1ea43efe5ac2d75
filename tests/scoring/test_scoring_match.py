"""The matching rule on hand-computed cases. Gold (fixtures/paper_gold.txt):
img1 Alice PER [2 boxes], Paris LOC -; img2 Bob PER box, Bob PER box,
'Guns ( band )' ORG -; img3 Nike MISC box, London LOC -.  7 gold, 4 groundable."""
from pathlib import Path

import pytest

from riveg_agent.scoring import ScoringError, evaluate, read_gold, read_predictions, score


def run(task: str, gold: Path, pred: Path, fmt: str = "riveg-agent", iou: float = 0.5):
    return score(task, read_gold(gold), read_predictions(pred, fmt), iou).total


def counts(c) -> tuple[int, int, int]:
    return (c.predicted, c.gold, c.correct)


def test_perfect_jsonl_scores_one(paper_gold, conll_gold, write_jsonl, make_records, perfect_rows):
    pred = write_jsonl(make_records(perfect_rows))
    for gold in (paper_gold, conll_gold):
        for task in ("gmner", "eeg", "flag"):
            c = run(task, gold, pred)
            assert counts(c) == (7, 7, 7)
            assert (c.precision, c.recall, c.f1) == (1.0, 1.0, 1.0)


def test_several_gold_boxes_any_one_counts(paper_gold, write_jsonl, make_records):
    for box, ok in [([0, 0, 10, 10], 1), ([20, 20, 40, 40], 1), ([21, 21, 40, 40], 1),
                    ([100, 100, 110, 110], 0), ([0, 0, 40, 40], 0)]:
        # [0, 0, 40, 40] overlaps both gold boxes but neither by half: IoU 1/16 and 1/4
        c = run("gmner", paper_gold, write_jsonl(make_records([("img1", "Alice", "PER", True, box)])))
        assert counts(c) == (1, 7, ok), box


def test_same_entity_twice_each_gold_used_once(paper_gold, write_jsonl, make_records):
    bob = ("img2", "Bob", "PER", True, [0, 0, 100, 100])
    assert counts(run("gmner", paper_gold, write_jsonl(make_records([bob])))) == (1, 7, 1)
    assert counts(run("gmner", paper_gold, write_jsonl(make_records([bob, bob])))) == (2, 7, 2)
    c = run("gmner", paper_gold, write_jsonl(make_records([bob, bob, bob])))
    assert counts(c) == (3, 7, 2)
    assert c.precision == pytest.approx(2 / 3) and c.recall == pytest.approx(2 / 7)


def test_entity_name_with_parenthesis(paper_gold, write_lines):
    pred = write_lines(["Imageid:img2.jpg#3###Guns ( band )(ORG)###a band###0"])
    assert counts(run("gmner", paper_gold, pred, "riveg")) == (1, 7, 1)
    wrong = write_lines(["Imageid:img2.jpg#3###Guns(ORG)###a band###0"])
    assert counts(run("gmner", paper_gold, wrong, "riveg")) == (1, 7, 0)


def test_iou_exactly_at_threshold_counts(paper_gold, write_jsonl, make_records):
    # Nike gold [10, 10, 20, 20]; [10, 10, 20, 15] has IoU 50 / 100 = 0.5 exactly
    pred = write_jsonl(make_records([("img3", "Nike", "MISC", True, [10, 10, 20, 15])]))
    assert run("gmner", paper_gold, pred, iou=0.5).correct == 1
    assert run("gmner", paper_gold, pred, iou=0.50001).correct == 0
    # IoU 60 / 100 = 0.6 is kept at the sweep's 0.6 (no 0.6000000000000001 drift)
    pred6 = write_jsonl(make_records([("img3", "Nike", "MISC", True, [10, 10, 20, 16])]), "p6.jsonl")
    res = evaluate("gmner", read_gold(paper_gold), read_predictions(pred6), sweep=[0.5, 0.55, 0.6, 0.65])
    assert [r["correct"] for r in res["sweep"]] == [1, 1, 1, 0]


def test_empty_predictions(paper_gold, write_jsonl):
    c = run("gmner", paper_gold, write_jsonl([]))
    assert counts(c) == (0, 7, 0)
    assert (c.precision, c.recall, c.f1) == (0.0, 0.0, 0.0)


def test_images_absent_from_gold_are_wrong_predictions(paper_gold, write_jsonl, make_records,
                                                       perfect_rows):
    pred = write_jsonl(make_records(perfect_rows + [("img9", "Alice", "PER", True, [0, 0, 10, 10])]))
    res = evaluate("gmner", read_gold(paper_gold), read_predictions(pred))
    assert (res["predicted"], res["gold"], res["correct"]) == (8, 7, 7)
    assert res["precision"] == 7 / 8 and res["recall"] == 1.0
    assert res["pred_images_not_in_gold"] == 1


def test_wrong_type_fails_gmner_but_not_eeg(paper_gold, write_jsonl, make_records):
    pred = write_jsonl(make_records([("img1", "Alice", "LOC", True, [0, 0, 10, 10]),
                                     ("img3", "London", "ORG", False, None)]))
    assert counts(run("gmner", paper_gold, pred)) == (2, 7, 0)
    assert counts(run("eeg", paper_gold, pred)) == (2, 7, 2)
    assert counts(run("flag", paper_gold, pred)) == (2, 7, 0)


def test_groundability_mismatches(paper_gold, write_jsonl, make_records):
    cases = [
        (("img1", "Paris", "LOC", True, [0, 0, 10, 10]), 0, 0),  # ungroundable gold, box given
        (("img1", "Alice", "PER", False, None), 0, 0),  # groundable gold, predicted none
        # ungroundable prediction: any box it carries is ignored
        (("img1", "Alice", "PER", False, [0, 0, 10, 10]), 0, 0),
        (("img1", "Paris", "LOC", False, [0, 0, 10, 10]), 1, 1),
        # groundable without a box: region None, so it matches an ungroundable gold in gmner,
        # but its flag is wrong
        (("img1", "Paris", "LOC", True, None), 1, 0),
        (("img1", "Alice", "PER", True, None), 0, 1),  # flag right, no box to score
        (("img1", "Alice", "PER", True, [100, 100, 110, 110]), 0, 1),  # flag ignores the box
    ]
    for i, (row, gmner_ok, flag_ok) in enumerate(cases):
        pred = write_jsonl(make_records([row]), f"p{i}.jsonl")
        assert run("gmner", paper_gold, pred).correct == gmner_ok, row
        assert run("flag", paper_gold, pred).correct == flag_ok, row


def test_any_unused_gold_not_just_the_first_of_that_name(tmp_path, write_lines):
    gold = tmp_path / "g.txt"
    gold.write_text("a.jpg###X(PER)###e###2###&[0, 0, 10, 10]\n"
                    "a.jpg###X(PER)###e###0###&[0, 0, 0, 0]\n")
    pred = write_lines(["Imageid:a.jpg#1###X(PER)###e###0"])
    assert counts(run("gmner", gold, pred, "riveg")) == (1, 2, 1)


def test_predictions_matched_greedily_in_file_order(tmp_path, write_lines):
    # gold 1 accepts either box, gold 2 only A: in this order only one can match
    gold = tmp_path / "g.txt"
    gold.write_text("a.jpg###X(PER)###e###2###&[0, 0, 10, 10]&[50, 50, 60, 60]\n"
                    "a.jpg###X(PER)###e###2###&[0, 0, 10, 10]\n")
    a = "Imageid:a.jpg#1###X(PER)###e###2###&[0, 0, 10, 10]"
    b = "Imageid:a.jpg#2###X(PER)###e###2###&[50, 50, 60, 60]"
    assert run("gmner", gold, write_lines([a, b], "ab.txt"), "riveg").correct == 1
    assert run("gmner", gold, write_lines([b, a], "ba.txt"), "riveg").correct == 2


def test_dropping_predictions_moves_recall_exactly(paper_gold, write_jsonl, make_records,
                                                   perfect_rows):
    for k in range(1, 4):
        c = run("gmner", paper_gold, write_jsonl(make_records(perfect_rows[k:]), f"d{k}.jsonl"))
        assert counts(c) == (7 - k, 7, 7 - k)
        assert c.precision == 1.0 and c.recall == (7 - k) / 7


def test_perturbing_predictions_moves_p_and_r_exactly(paper_gold, write_jsonl, make_records,
                                                      perfect_rows):
    rows = list(perfect_rows)
    rows[0] = ("img1", "Alice", "PER", True, [0, 0, 10, 4])  # IoU 0.4 with the first box
    rows[6] = ("img3", "London", "PER", False, None)  # wrong type
    c = run("gmner", paper_gold, write_jsonl(make_records(rows)))
    assert counts(c) == (7, 7, 5)
    assert c.precision == 5 / 7 and c.recall == 5 / 7
    # an extra, spurious prediction costs precision only
    c2 = run("gmner", paper_gold, write_jsonl(
        make_records(perfect_rows + [("img2", "Carol", "PER", False, None)]), "x.jsonl"))
    assert counts(c2) == (8, 7, 7) and c2.precision == 7 / 8 and c2.recall == 1.0


def test_by_type_counts(paper_gold, write_jsonl, make_records, perfect_rows):
    rows = list(perfect_rows)
    rows[6] = ("img3", "London", "PER", False, None)
    gold = read_gold(paper_gold)
    res = evaluate("gmner", gold, read_predictions(write_jsonl(make_records(rows))), by_type=True)
    bt = {t: (v["predicted"], v["gold"], v["correct"]) for t, v in res["by_type"].items()}
    assert bt == {"LOC": (1, 2, 1), "MISC": (1, 1, 1), "ORG": (1, 1, 1), "PER": (4, 3, 3)}
    # eeg ignores the type for matching; correct is still booked under the predicted type
    res = evaluate("eeg", gold, read_predictions(write_jsonl(make_records(rows), "e.jsonl")),
                   by_type=True)
    assert res["by_type"]["PER"]["correct"] == 4 and res["by_type"]["LOC"]["correct"] == 1


def test_region_kind_mismatch_raises(paper_gold, write_lines, write_jsonl):
    with pytest.raises(ScoringError, match="mask gold"):
        run("smner", paper_gold, write_jsonl([]))
    with pytest.raises(ScoringError, match="unknown task"):
        run("mner", paper_gold, write_jsonl([]))

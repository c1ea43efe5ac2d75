"""Gold and prediction readers on the hand-made fixtures."""
from pathlib import Path

import pytest

from riveg_agent.scoring import ScoringError, read_gold, read_predictions

FIX = Path(__file__).parent / "fixtures"


def keys(gold) -> list:
    return [(t.image, t.entity, t.type, tuple(sorted(t.regions))) for t in gold.triples]


def test_paper_gold(paper_gold: Path) -> None:
    g = read_gold(paper_gold)
    assert g.format == "riveg"
    assert len(g.triples) == 7
    assert sum(t.groundable for t in g.triples) == 4
    alice, paris = g.triples[0], g.triples[1]
    assert alice.regions == ((0, 0, 10, 10), (20, 20, 40, 40))  # several boxes
    assert paris.regions == ()  # the dummy [0, 0, 0, 0] is no region
    assert g.triples[4].entity == "Guns ( band )" and g.triples[4].type == "ORG"
    assert g.triples[5].type == "MISC"  # OTHER normalised
    assert g.triples[5].source.endswith("paper_gold.txt:6")


def test_conll_xml_gold_agrees_with_paper_gold(conll_gold: Path, paper_gold: Path) -> None:
    g = read_gold(conll_gold)  # XML folder found at <gold>/../../xml
    assert g.format == "conll"
    assert keys(g) == keys(read_gold(paper_gold))
    assert "img4" in g.images  # a tweet without entities still counts as covered


def test_conll_orphan_i_and_absent_xml(conll_gold: Path, tmp_path: Path) -> None:
    g = read_gold(conll_gold, xml_dir=tmp_path)  # an empty XML folder: nothing groundable
    assert [t.entity for t in g.triples if t.image == "img3"] == ["Nike", "London"]
    assert not any(t.groundable for t in g.triples)


def test_missing_xml_dir_raises(tmp_path: Path) -> None:
    gold = tmp_path / "test.txt"
    gold.write_text("IMGID:1\nA\tB-PER\n")
    with pytest.raises(ScoringError, match="XML folder"):
        read_gold(gold)


@pytest.mark.parametrize("line, match", [
    ("img1.jpg###Alice###x###2###&[0, 0, 1, 1]", r"paper_gold.txt:2: want 'Entity\(TYPE\)'"),
    ("img1.jpg###Alice(PER)###x###2###&[0, 0, 0, 0]", r":2: groundable \(2\) entity without a box"),
    ("img1.jpg###Alice(PER)###x###1###&[0, 0, 0, 0]", r":2: groundability must be one of \[0, 2\]"),
    ("img1.jpg###Alice(PER)###x###2###&[0, 0, 1]", r":2: box \[0, 0, 1\] needs 4 numbers"),
    ("img1.jpg###Alice(PER)", r":2: want at least"),
])
def test_malformed_paper_gold_names_file_and_line(tmp_path: Path, line: str, match: str) -> None:
    path = tmp_path / "paper_gold.txt"
    path.write_text("img0.jpg###Bob(PER)###x###0###&[0, 0, 0, 0]\n" + line + "\n")
    with pytest.raises(ScoringError, match=match):
        read_gold(path)


def test_paper_name_with_parentheses_keeps_last_group_as_type(write_lines) -> None:
    p = read_predictions(write_lines(["Imageid:9.jpg#1###Foo (Bar) (baz)(other)###e###0"]), "riveg")
    t = p.triples[0]
    assert (t.image, t.entity, t.type, t.groundable) == ("9", "Foo (Bar) (baz)", "MISC", False)


def test_paper_predictions_boxes_optional(write_lines) -> None:
    p = read_predictions(write_lines([
        "Imageid:img1.jpg#1###Alice(PER)###a person###2###&[1, 2, 3, 4]",
        "Imageid:img1.jpg#2###Paris(LOC)###a city###0",
        "Imageid:img1.jpg#3###Rome(LOC)###e###2",
        "",
        "Imageid:img1.jpg#4###Oslo(LOC)###e###0###&[0, 0, 0, 0]",
    ]), "riveg")
    assert [(t.entity, t.groundable, t.box) for t in p.triples] == [
        ("Alice", True, (1.0, 2.0, 3.0, 4.0)), ("Paris", False, None),
        ("Rome", True, None), ("Oslo", False, None)]


def test_jsonl_reader(write_jsonl) -> None:
    p = read_predictions(write_jsonl([
        {"kind": "riveg-agent/result", "id": "img1.jpg", "entities": [
            {"text": "Alice", "type": "PER", "groundable": True, "box": [0, 0, 10, 10]}]},
        {"kind": "riveg-agent/error", "id": "img2", "error": {"code": "x", "message": "y"}},
        {"kind": "riveg-agent/result", "id": "img5", "entities": []},
    ]))
    assert [(t.image, t.entity, t.box) for t in p.triples] == [("img1", "Alice", (0, 0, 10, 10))]
    assert p.errors == 1
    assert p.images == {"img1", "img5"}


def test_jsonl_from_schema_models(write_jsonl) -> None:
    from riveg_agent.core import schema

    ent = schema.Entity(text="Alice", type="PER", start=0, end=5, expression="Alice (PER)",
                        groundable=True, box=(0, 0, 10, 10),
                        mask=schema.RLEMask(size=(100, 200), counts="PPYo1"))
    rec = schema.Result(id="img1", text="Alice went", entities=[ent], provenance=schema.Provenance(
        plugins={}, config_name="t", config_hash="0", riveg_agent_version="0"))
    path = write_jsonl([])
    path.write_text(rec.model_dump_json() + "\n")
    p = read_predictions(path)
    t = p.triples[0]
    assert (t.image, t.entity, t.type, t.groundable, t.box) == ("img1", "Alice", "PER", True,
                                                               (0, 0, 10, 10))
    assert t.mask == {"size": [100, 200], "counts": b"PPYo1"} and p.has_masks


def test_jsonl_errors_name_line(write_lines) -> None:
    path = write_lines(['{"kind": "riveg-agent/result", "id": "1", "entities": []}',
                        "img1.jpg###Alice(PER)###x###0"], "pred.jsonl")
    with pytest.raises(ScoringError, match=r"pred.jsonl:2: not JSON \(paper-format"):
        read_predictions(path)
    bad_box = write_lines(['{"kind": "riveg-agent/result", "id": "1", "entities": '
                           '[{"text": "A", "type": "PER", "groundable": true, "box": [1, 2]}]}'],
                          "box.jsonl")
    with pytest.raises(ScoringError, match=r"box.jsonl:1: box must be"):
        read_predictions(bad_box)
    with pytest.raises(ScoringError, match="not a riveg-agent record"):
        read_predictions(write_lines(['{"id": "1"}'], "other.jsonl"))


def test_missing_files_raise(tmp_path: Path) -> None:
    with pytest.raises(ScoringError, match="no such file"):
        read_predictions(tmp_path / "nope.jsonl")
    with pytest.raises(ScoringError, match="no such file"):
        read_gold(tmp_path / "nope.txt")

"""Twitter-SMNER gold (labelme polygons) and mask IoU scoring.
fixtures/labelme: 200x100 images; img1 Alice = two regions (square 0-10 and a
rectangle 20-40), Eiffel; img2 Bob = two squares with one group_id (one
region); img3 Nike = square 10-20. Entities from fixtures/gmner/txt/test.txt."""
from pathlib import Path

import numpy as np
import pytest
from pycocotools import mask as mask_utils

from riveg_agent.scoring import ScoringError, read_gold, read_predictions, score
from riveg_agent.scoring.labelme import read_labelme

FIX = Path(__file__).parent / "fixtures"
LABELME = FIX / "labelme"


def rect_mask(x1: int, y1: int, x2: int, y2: int) -> dict:
    a = np.zeros((100, 200), dtype=np.uint8)
    a[y1:y2, x1:x2] = 1
    r = mask_utils.encode(np.asfortranarray(a))
    return {"size": [100, 200], "counts": r["counts"].decode("ascii")}


def test_labelme_rasterised_to_image_size() -> None:
    masks = read_labelme(LABELME / "img1.json")
    assert [int(mask_utils.area(m)) for m in masks["Alice"]] == [100, 400]
    assert masks["Alice"][0]["size"] == [100, 200]
    bob = read_labelme(LABELME / "img2.json")["Bob"]
    assert len(bob) == 1 and int(mask_utils.area(bob[0])) == 5000  # group_id merges the parts
    assert read_labelme(LABELME / "img4.json") == {}  # absent file: no masks


def test_labelme_gold(conll_gold: Path) -> None:
    g = read_gold(LABELME, conll=conll_gold)
    assert g.format == "labelme" and g.region_kind == "mask"
    assert [(t.entity, len(t.regions)) for t in g.triples] == [
        ("Alice", 2), ("Paris", 0), ("Bob", 1), ("Bob", 1), ("Guns ( band )", 0),
        ("Nike", 1), ("London", 0)]
    with pytest.raises(ScoringError, match="--conll"):
        read_gold(LABELME)


def test_smner_and_ees(conll_gold: Path, write_jsonl, make_entity) -> None:
    e = make_entity
    recs = [
        {"kind": "riveg-agent/result", "id": "img1", "entities": [
            e("Alice", "PER", True, mask=rect_mask(20, 20, 40, 40)),  # the second region: right
            e("Paris", "LOC", False)]},  # right
        {"kind": "riveg-agent/result", "id": "img2", "entities": [
            e("Bob", "PER", True, mask=rect_mask(0, 0, 50, 50)),  # IoU 2500/5000 = 0.5: right
            e("Bob", "PER", True, mask=rect_mask(0, 0, 49, 50)),  # IoU 0.49: wrong
            e("Guns ( band )", "ORG", True, mask=None)]},  # groundable, no mask = None: right
        {"kind": "riveg-agent/result", "id": "img3", "entities": [
            e("Nike", "ORG", True, mask=rect_mask(10, 10, 20, 20)),  # wrong type, mask right
            e("London", "LOC", False)]},  # right
    ]
    gold = read_gold(LABELME, conll=conll_gold)
    preds = read_predictions(write_jsonl(recs))
    s = score("smner", gold, preds).total
    assert (s.predicted, s.gold, s.correct) == (7, 7, 5)
    assert score("ees", gold, preds).total.correct == 6  # Nike's type no longer matters
    assert score("smner", gold, preds, iou=0.51).total.correct == 4


def test_mask_tasks_need_masks(conll_gold: Path, write_lines) -> None:
    gold = read_gold(LABELME, conll=conll_gold)
    preds = read_predictions(write_lines(["Imageid:img3.jpg#1###Nike(MISC)###e###0"]), "riveg")
    with pytest.raises(ScoringError, match="carry no masks"):
        score("smner", gold, preds)
    with pytest.raises(ScoringError, match="needs box gold"):
        score("gmner", gold, preds)


def test_bad_labelme_names_file(tmp_path: Path, conll_gold: Path) -> None:
    (tmp_path / "img1.json").write_text('{"shapes": [], "imageWidth": 10}')
    with pytest.raises(ScoringError, match="img1.json"):
        read_gold(tmp_path, conll=conll_gold)
    (tmp_path / "img1.json").write_text('{"shapes": [{"label": "Alice", "points": [[0, 0], [1, 1]]}],'
                                        ' "imageWidth": 10, "imageHeight": 10}')
    with pytest.raises(ScoringError, match="fewer than 3 points"):
        read_gold(tmp_path, conll=conll_gold)

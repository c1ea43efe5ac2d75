import numpy as np
import pytest
from pycocotools import mask as mask_utils

from riveg_agent.scoring import ScoringError
from riveg_agent.scoring.regions import as_rle, box_iou, mask_iou
from riveg_agent.scoring.triples import normalise_image_id, normalise_type


def rle(a: np.ndarray) -> dict:
    return mask_utils.encode(np.asfortranarray(a.astype(np.uint8)))


def test_box_iou_hand_values() -> None:
    assert box_iou((0, 0, 10, 10), (5, 0, 15, 10)) == pytest.approx(1 / 3)
    assert box_iou((0, 0, 10, 10), (0, 0, 10, 5)) == 0.5
    assert box_iou((0, 0, 10, 10), (10, 0, 20, 10)) == 0.0  # touching edges
    assert box_iou((0, 0, 10, 10), (0, 0, 10, 10)) == 1.0
    assert box_iou((0, 0, 0, 0), (0, 0, 0, 0)) == 0.0  # degenerate


def test_mask_iou_hand_values() -> None:
    left = np.zeros((4, 4)); left[:, :2] = 1
    top = np.zeros((4, 4)); top[:2, :] = 1
    assert mask_iou(rle(left), rle(top)) == pytest.approx(4 / 12)
    # the JSON form (str counts) round-trips
    js = {"size": [4, 4], "counts": rle(left)["counts"].decode("ascii")}
    assert mask_iou(as_rle(js), rle(left)) == 1.0


def test_mask_size_mismatch_raises() -> None:
    with pytest.raises(ScoringError, match="size"):
        mask_iou(rle(np.ones((4, 4))), rle(np.ones((4, 5))), "pred.jsonl:3")


def test_bad_rle_raises() -> None:
    with pytest.raises(ScoringError, match="pred.jsonl:7"):
        as_rle({"counts": "abc"}, "pred.jsonl:7")


def test_normalisations() -> None:
    assert normalise_image_id("Imageid:16_05_14_1160.jpg#3") == "16_05_14_1160"
    assert normalise_image_id("IMGID:123") == "123"
    # RiVEG's released prediction files use hex suffixes too
    assert normalise_image_id("Imageid:16_05_14_1160.jpg#0a3f") == "16_05_14_1160"
    assert normalise_image_id("O_2371.jpg") == "O_2371"
    assert normalise_image_id("O_2371") == "O_2371"
    assert normalise_type("OTHER") == "MISC"
    assert normalise_type("PER") == "PER"

from paths import ROOT
import json

import numpy as np
import pytest
from pydantic import ValidationError

from riveg_agent.io.masks import clip_box, decode, encode
from riveg_agent.core.schema import (SCHEMA_VERSION, Entity, ErrorInfo, ErrorRecord, ImageInfo, Provenance,
                                Result, parse_record)


def make_result() -> Result:
    mask = np.zeros((4, 6), bool)
    mask[1:3, 2:5] = True
    return Result(
        id="p1", text="Eileen Collins at NASA", image=ImageInfo(path="a.jpg", width=6, height=4),
        entities=[Entity(text="Eileen Collins", type="PER", start=0, end=14, expansion="an astronaut",
                         expression="Eileen Collins (PER) – an astronaut", groundable=True, score=0.9,
                         box=(2, 1, 5, 3), mask=encode(mask)),
                  Entity(text="NASA", type="ORG", start=18, end=22, expression="NASA (ORG) – an agency")],
        provenance=Provenance(plugins={"recognizer": "x.v1"}, config_name="t", config_hash="h",
                              riveg_agent_version="0"),
        timings={"total": 1.0})


def test_result_round_trip_through_json():
    r = make_result()
    back = parse_record(r.model_dump_json())
    assert back == r
    assert back.schema_version == SCHEMA_VERSION and back.kind == "riveg-agent/result"
    assert decode(back.entities[0].mask)[1:3, 2:5].all()
    assert back.entities[1].box is None and back.entities[1].mask is None


def test_error_record_round_trip():
    e = ErrorRecord(id="p2", error=ErrorInfo(code="image_missing", message="record 'p2': image not found"))
    back = parse_record(e.model_dump_json())
    assert isinstance(back, ErrorRecord) and back.error.code == "image_missing"


def test_schema_rejects_unknown_fields_and_types():
    data = json.loads(make_result().model_dump_json())
    data["entities"][0]["type"] = "PERSON"
    with pytest.raises(ValidationError):
        Result.model_validate(data)
    data = json.loads(make_result().model_dump_json())
    data["surprise"] = 1
    with pytest.raises(ValidationError):
        Result.model_validate(data)


def test_rle_round_trip_is_exact_on_random_masks():
    rng = np.random.default_rng(0)
    for shape in [(1, 1), (7, 13), (64, 48)]:
        mask = rng.random(shape) > 0.5
        rle = encode(mask)
        assert rle.size == shape
        assert np.array_equal(decode(rle), mask)


def test_rle_is_coco_compatible():
    from pycocotools import mask as mask_utils
    mask = np.zeros((10, 10), bool)
    mask[2:5, 3:9] = True
    rle = encode(mask)
    assert mask_utils.area({"size": list(rle.size), "counts": rle.counts.encode()}) == 18


def test_encode_rejects_non_2d():
    with pytest.raises(ValueError):
        encode(np.zeros((2, 2, 2), bool))


def test_clip_box_orders_and_clips():
    assert clip_box((-5, 20, 30, 2), width=25, height=10) == (0.0, 2.0, 25.0, 10.0)


def test_published_json_schema_is_current():
    """docs/output-schema.json must follow riveg_agent/schema.py."""
    from pathlib import Path
    from riveg_agent.core.schema import ErrorRecord
    doc = json.loads((ROOT / "docs" / "output-schema.json").read_text())
    assert doc == {"result": Result.model_json_schema(), "error": ErrorRecord.model_json_schema()}

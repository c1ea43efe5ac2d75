"""The shipped vision stages: the ONNX detectors against the detections
recorded when they were converted, the demo photo against hand-drawn gold
(box and mask), the ranked grounder's choices, and the evidence captions."""
import json

import numpy as np
import pytest
from PIL import Image

from paths import FIXTURES, ROOT
from riveg_agent.core.roles import (Detection, EntailmentDecision, EntitySpan, Expression, ImageEvidence, Post)
from riveg_agent.io.images import load_image
from riveg_plugins.evidence_captioner import describe
from riveg_plugins.ranked_grounder import factory as grounder_factory
from riveg_plugins.vision_detector import factory as detector_factory
from riveg_plugins.vision_detector import iou

DETECTORS = ROOT / "weights" / "detectors"
GOLD = FIXTURES / "gold"


@pytest.fixture(scope="module")
def detector():
    return detector_factory()


def test_shipped_onnx_files_match_their_checksums():
    from riveg_agent.llm.catalogue import file_sha256
    for line in (DETECTORS / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split()
        assert file_sha256(DETECTORS / name.lstrip("*")) == digest, name


def test_onnx_detections_match_the_conversion_record():
    """The product's decoders on the product's ONNX files give what the
    conversion recorded (TensorFlow-checked) on the same photo."""
    import onnxruntime as ort
    from skimage import data

    from riveg_agent.vision.onnx_models import decode_movenet, decode_nanodet, prep_movenet, prep_nanodet
    expected = json.loads((DETECTORS / "expected-astronaut.json").read_text())["models"]
    rgb = data.astronaut()
    got = {}
    for name, prep, decode in (("nanodet", prep_nanodet, lambda o: decode_nanodet(o, 512, 512)),
                               ("movenet-multipose", prep_movenet, lambda o: decode_movenet(o[0], 512, 512))):
        sess = ort.InferenceSession(str(DETECTORS / f"{name}.onnx"), providers=["CPUExecutionProvider"])
        got[name] = decode(sess.run(None, {sess.get_inputs()[0].name: prep(rgb)}))[:3]
    for name in got:
        for g, e in zip(got[name], expected[name]["top"]):
            assert g["label"] == e["label"] and abs(g["score"] - e["score"]) < 1e-3
            assert np.allclose(g["box_xyxy"], e["box_xyxy"], atol=1.0)


def test_demo_photo_box_and_mask_against_hand_drawn_gold(detector, demo_image):
    from riveg_plugins.grabcut_segmenter import factory as segmenter_factory
    gold = json.loads((GOLD / "astronaut.json").read_text())
    img = load_image(demo_image)
    ev = detector.detect(img)
    assert ev.faces and ev.persons[0].face is not None
    post = Post("demo", "NASA astronaut Eileen Collins poses", img)
    ent = EntitySpan("Eileen Collins", "PER", 15, 29)
    region = grounder_factory().ground(post, [Expression(ent, "")], [EntailmentDecision(True, 0.9)], ev)[0]
    assert iou(region.box, tuple(gold["box"])) >= 0.8
    mask = segmenter_factory().segment(img, [region], ev)[0]
    want = np.asarray(Image.open(GOLD / gold["mask"])) > 0
    assert (mask & want).sum() / (mask | want).sum() >= 0.8


def _ev(*dets):
    return ImageEvidence(list(dets))


def _ground(types, evidence, groundable=None, size=(1000, 1000)):
    post = Post("p", "x", type("Img", (), {"width": size[0], "height": size[1]})())
    exprs = [Expression(EntitySpan(f"E{i}", t, 0, 1), "") for i, t in enumerate(types)]
    decs = [EntailmentDecision(True if groundable is None else groundable[i], 0.9) for i in range(len(types))]
    return grounder_factory().ground(post, exprs, decs, evidence)


def test_two_people_named_two_people_found_one_each():
    a = Detection((50, 100, 450, 1000), 0.9, "person", "t", face=(200, 120, 300, 230))
    b = Detection((550, 100, 950, 1000), 0.8, "person", "t", face=(700, 120, 800, 230))
    regions = _ground(["PER", "PER"], _ev(a, b))
    assert {r.box for r in regions} == {a.box, b.box}


def test_a_team_takes_its_group_and_an_object_goes_to_misc():
    a = Detection((50, 100, 450, 1000), 0.9, "person", "t")
    b = Detection((550, 100, 950, 1000), 0.8, "person", "t")
    phone = Detection((600, 300, 700, 450), 0.7, "cell phone", "t")
    team, product = _ground(["ORG", "MISC"], _ev(a, b, phone))
    assert team.box == (50, 100, 950, 1000)
    assert product.box == phone.box and product.label == "cell phone"


def test_nothing_fits_means_no_box_and_not_groundable_means_none():
    cup = Detection((10, 10, 50, 50), 0.6, "cup", "t")
    assert _ground(["PER"], _ev(cup)) == [None]  # a person name never takes a cup
    person = Detection((50, 100, 450, 1000), 0.9, "person", "t")
    assert _ground(["PER"], _ev(person), groundable=[False]) == [None]


def test_captions_say_what_was_seen():
    person = Detection((0, 0, 800, 900), 0.9, "person", "t")
    small = Detection((0, 0, 100, 200), 0.9, "person", "t")
    mic = Detection((10, 10, 40, 60), 0.8, "microwave", "t")
    assert describe(_ev(person), 1000, 1000) == "a close-up of a person"
    assert describe(_ev(small, small, mic), 1000, 1000) == "two people with a microwave"
    assert describe(_ev(small, small, small, small), 1000, 1000) == "a group of people"
    assert describe(_ev(Detection((1, 1, 9, 9), 0.9, "umbrella", "t")), 100, 100) == "an umbrella"
    assert "no people" in describe(_ev(), 100, 100)


def test_scene_labels_when_asked_for(demo_image):
    from skimage import data

    from riveg_agent.io.images import to_post_image
    ev = detector_factory(scene_score=0.15).detect(to_post_image(data.coffee()))
    assert ev.scene and ev.scene[0][0] == "espresso" and ev.scene[0][1] > 0.5
    assert detector_factory().detect(load_image(demo_image)).scene == []  # off by default

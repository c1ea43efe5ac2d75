"""The public Python API on the real `fast` chain: `riveg_agent.load`, images
as a path, PIL image, bytes or array, `pipe()` against single calls, and
LangChain `.batch()` in threads against sequential runs."""
from __future__ import annotations

import threading
import time

import numpy as np
import pytest
from PIL import Image

import riveg_agent
from riveg_agent.core.pipeline import Pipeline, make_post

TEXTS = [
    "NASA astronaut Eileen Collins poses for her official portrait at the Johnson Space Center in Houston.",
    "Kawhi Leonard wins the fan vote for Block of the Year in Toronto !",
    "Taylor Swift performs in London tonight",
    "RT @nba : LeBron James and the Lakers beat the Celtics in Boston",
    "Great morning run along the river",
]


def comparable(result) -> dict:
    """A result without its timings (the only part that may differ between runs)."""
    return result.model_dump(mode="json", exclude={"timings"})


@pytest.fixture(scope="module")
def nlp():
    with riveg_agent.load("fast") as pipeline:
        yield pipeline


def test_every_image_form_gives_the_same_entities_and_boxes(nlp, demo_image, demo_text):
    picture = Image.open(demo_image)
    forms = {"path": str(demo_image), "pil": picture, "bytes": demo_image.read_bytes(),
             "array": np.asarray(picture.convert("RGB"))}
    got = {}
    for name, image in forms.items():
        r = nlp(demo_text, image=image)
        got[name] = [(e.text, e.type, e.groundable, e.box) for e in r.entities]
        assert (r.image.width, r.image.height) == picture.size
    assert got["path"] and any(box for *_, box in got["path"])
    assert got["pil"] == got["path"] and got["bytes"] == got["path"] and got["array"] == got["path"]


def test_pipe_equals_single_calls_in_order(nlp):
    # 20 posts over the 5 texts: the LLM cache answers the repeats, so the
    # test costs 5 posts of LLM time while pipe() batches 8 posts at a time.
    records = [{"id": f"p{i}", "text": TEXTS[i % len(TEXTS)]} for i in range(20)]
    single = [comparable(nlp(r["text"], id=r["id"])) for r in records]
    piped = [comparable(r) for r in nlp.pipe(records, batch_size=8)]
    assert [r["id"] for r in piped] == [r["id"] for r in records]
    assert piped == single


def test_langchain_batch_in_threads_equals_sequential_runs(nlp, demo_image):
    base = Image.open(demo_image).convert("RGB")
    pictures = [base, base.transpose(Image.FLIP_LEFT_RIGHT), base.crop((0, 0, 400, 300)),
                base.resize((256, 256))]
    posts = [make_post(f"t{i}", TEXTS[0], pic) for i, pic in enumerate(pictures)]
    sequential = [comparable(nlp.run(p)) for p in posts]
    states = nlp.chain().batch(posts, config={"max_concurrency": 4})
    assert [comparable(nlp.to_result(s)) for s in states] == sequential
    assert len({str(r["entities"]) for r in sequential}) > 1, "the pictures should differ in their boxes"


def test_plugins_are_built_once_under_concurrency():
    from riveg_agent.core.config import parse_config
    from riveg_agent.core.registry import Registry
    from fakes import CapitalRecognizer

    built = []

    def slow_factory():
        time.sleep(0.05)  # a model load
        built.append(1)
        return CapitalRecognizer()

    reg = Registry()
    reg.load_entry_points()
    reg.add("recognizer", "test.slow.v1", slow_factory)
    cfg = parse_config({"pipeline": {**{r: rc.plugin for r, rc in riveg_agent.load("fast").config.roles.items()},
                                     "recognizer": "test.slow.v1"}}, "test", reg)
    pipe = Pipeline(cfg, registry=reg)
    threads = [threading.Thread(target=pipe.plugin, args=("recognizer",)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(built) == 1

"""MSEA fused features: the fusion identity, the shipped fused index, and
retrieval through the plugin (the shipped PLIM encoder + MiniLM)."""
from __future__ import annotations

import numpy as np
import pytest

from riveg_agent.core.errors import RivegError
from riveg_agent.retrieval.index import load_index, load_parts
from riveg_agent.retrieval.msea import fuse
from riveg_agent.core.roles import Caption, Post


def _unit(rng, n, d):
    v = rng.normal(size=(n, d))
    return v / np.linalg.norm(v, axis=1, keepdims=True)


@pytest.mark.parametrize("w", [0.0, 0.3, 1.0])
def test_fused_cosine_is_the_weighted_mean_of_the_parts(w):
    rng = np.random.default_rng(0)
    t, c = _unit(rng, 4, 8), _unit(rng, 4, 5)
    f = fuse(t, c, w)
    assert np.allclose(np.linalg.norm(f, axis=1), 1.0, atol=1e-6)
    assert np.allclose(f @ f.T, (1 - w) * (t @ t.T) + w * (c @ c.T), atol=1e-6)
    with pytest.raises(ValueError):
        fuse(t, c, 1.5)


def test_shipped_fused_index_records_its_parts_and_models():
    vectors, records, meta = load_index("twitter2017-msea")
    parts = load_parts("twitter2017-msea", ("text", "caption"))
    assert vectors.shape == (202, 768) and len(records) == 202
    assert meta["fusion"] == "msea-v1" and meta["ner_model"] == "plim-minilm-t17"
    assert np.allclose(vectors, fuse(parts["text"], parts["caption"], meta["image_weight"]), atol=1e-5)
    with pytest.raises(RivegError, match="not a fused MSEA index"):
        load_parts("twitter2017-minilm", ("text",))


@pytest.fixture(scope="module")
def records():
    return load_index("twitter2017-msea")[1]


def test_an_exemplar_finds_itself_first_and_never_its_own_id(records):
    from riveg_plugins.msea_exemplars import factory
    r = records[7]
    msea = factory(k=3)
    found = msea.retrieve(Post("someone-else", r.text, None), Caption(r.caption, "test"))
    assert found[0].id == r.id and found[0].score == pytest.approx(1.0, abs=1e-3)
    assert [e.score for e in found] == sorted((e.score for e in found), reverse=True)
    own = msea.retrieve(Post(r.id, r.text, None), Caption(r.caption, "test"))
    assert r.id not in [e.id for e in own] and len(own) == 3


def test_image_weight_changes_the_ranking_by_the_caption(records):
    from riveg_plugins.msea_exemplars import factory
    r = records[7]
    post = Post("q", "what a day", None)
    by_caption = factory(k=1, image_weight=1.0).retrieve(post, Caption(r.caption, "test"))
    assert by_caption[0].caption == r.caption  # text ignored: the exemplar with that caption
    with pytest.raises(ValueError):
        factory(image_weight=-0.1)


def test_text_only_index_is_refused_with_a_pointer():
    from riveg_plugins.msea_exemplars import factory
    with pytest.raises(RivegError, match="riveg.minilm_exemplars.v1"):
        factory(index="twitter2017-minilm").retrieve(Post("q", "x", None), None)


def test_random_exemplars_are_fixed_for_every_post_and_skip_the_post_itself():
    from riveg_plugins.random_exemplars import factory
    a = factory(k=3, seed=1)
    first = a.retrieve(Post("p1", "one", None), None)
    second = a.retrieve(Post("p2", "something else", None), Caption("a dog", "t"))
    assert len(first) == 3 and [e.id for e in first] == [e.id for e in second]
    assert [e.id for e in factory(k=3, seed=1).retrieve(Post("p3", "x", None), None)] == [e.id for e in first]
    assert [e.id for e in factory(k=3, seed=2).retrieve(Post("p3", "x", None), None)] != [e.id for e in first]
    own = a.retrieve(Post(first[0].id, "x", None), None)
    assert first[0].id not in [e.id for e in own] and len(own) == 3

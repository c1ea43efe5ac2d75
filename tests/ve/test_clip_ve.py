"""The real-image VE plugin (CLIP through transformers) on a tiny CLIP built
from a config, with a tiny BPE vocabulary: loading from a folder, scores,
threshold, and clear errors. No downloaded weights."""
from __future__ import annotations

import pytest

from riveg_agent.core.errors import ModelError
from riveg_agent.io.images import load_image
from riveg_agent.core.roles import EntitySpan, Expression, Post


def _expr(text: str) -> Expression:
    return Expression(EntitySpan(text, "PER", 0, len(text)), "an astronaut")


def test_clip_ve_scores_each_expression_against_the_image(tiny_clip, demo_image):
    from riveg_plugins.clip_ve import factory
    post = Post("r1", "Eileen Collins at NASA", load_image(demo_image))
    ve = factory(checkpoint=str(tiny_clip), threshold=-1.0)
    decisions = ve.entail(post, None, [_expr("Eileen Collins"), _expr("NASA")])
    assert len(decisions) == 2
    assert all(-1.0 <= d.score <= 1.0 and d.groundable for d in decisions)
    assert decisions[0].score != decisions[1].score  # the text matters
    assert "CLIP image-text cosine" in decisions[0].evidence
    strict = factory(checkpoint=str(tiny_clip), threshold=1.01)
    assert not any(d.groundable for d in strict.entail(post, None, [_expr("NASA")]))
    assert ve.models()[0].path == str(tiny_clip)


def test_clip_ve_without_an_image_says_so(tiny_clip):
    from riveg_plugins.clip_ve import factory
    d = factory(checkpoint=str(tiny_clip)).entail(Post("r", "x", None), None, [_expr("X")])[0]
    assert not d.groundable and "no image" in d.evidence


def test_clip_ve_errors_are_clear(tmp_path, demo_image):
    from riveg_plugins.clip_ve import _check, factory
    with pytest.raises(ModelError, match="\\{expression\\}"):
        factory(template="a photo")
    ve = factory(checkpoint=str(tmp_path / "none"))
    with pytest.raises(ModelError, match="cannot load CLIP checkpoint"):
        ve.entail(Post("r", "x", load_image(demo_image)), None, [_expr("X")])
    assert "not in the local Hugging Face cache" in _check("openai/clip-vit-base-patch32")

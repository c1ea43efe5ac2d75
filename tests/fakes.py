"""Stand-in plugins for unit tests of the chain's plumbing (never in the
product path): each implements its role with a trivial rule and counts its
calls. `fake_pipeline()` is a real Pipeline with all of them injected."""
from __future__ import annotations

import numpy as np

from riveg_agent.core.roles import (Caption, Captioner, Detection, Detector, EntailmentDecision, Entailment,
                                    EntitySpan, ExemplarRetriever, Expander, Expression, Grounder,
                                    ImageEvidence, Knowledge, KnowledgeGenerator, Recognizer, Segmenter)


class Spy:
    def __init__(self):
        self.calls = 0
        self.posts: list[str] = []


class FakeDetector(Spy, Detector):
    def detect(self, image):
        self.calls += 1
        return ImageEvidence([Detection((1, 1, 5, 5), 0.9, "face", "test")], [("desk", 0.8)])


class FakeCaptioner(Spy, Captioner):
    def caption(self, post, evidence=None):
        self.calls += 1
        if post.image is None:
            return None
        return Caption(f"{len(evidence.faces)} face(s), a {evidence.scene[0][0]}", "test")


class NoExemplars(ExemplarRetriever):
    def retrieve(self, post, caption):
        return []


class FakeKnowledge(Spy, KnowledgeGenerator):
    def generate(self, post, caption, exemplars):
        self.calls += 1
        return Knowledge(f"background on {post.text[:3]}", "test-prompt")


class CapitalRecognizer(Spy, Recognizer):
    """Entities: every word 'Ada' (PER); the text 'explode' raises."""

    def __init__(self):
        super().__init__()
        self.seen = []

    def recognize(self, post, knowledge):
        self.calls += 1
        self.posts.append(post.id)
        self.seen.append(knowledge)
        if post.text == "explode":
            raise RuntimeError("model fell over")
        out, start = [], post.text.find("Ada")
        while start >= 0:
            out.append(EntitySpan("Ada", "PER", start, start + 3))
            start = post.text.find("Ada", start + 3)
        return out


class FakeExpander(Spy, Expander):
    def expand(self, post, caption, entities):
        self.calls += 1
        return [Expression(e, "a mathematician") for e in entities]


class FakeEntailment(Spy, Entailment):
    """Groundable when the post has an image."""

    def __init__(self):
        super().__init__()
        self.seen = []

    def entail(self, post, caption, expressions, knowledge=None, evidence=None):
        self.calls += 1
        self.seen.append((knowledge, evidence))
        return [EntailmentDecision(evidence is not None, 0.8, "spy") for _ in expressions]


class FaceGrounder(Spy, Grounder):
    def ground(self, post, expressions, decisions, evidence=None):
        self.calls += 1
        return [Detection(evidence.faces[0].box, 0.9, "person", "test", "the only face")
                if d.groundable else None for d in decisions]


class BoxSegmenter(Spy, Segmenter):
    def segment(self, image, regions, evidence=None):
        self.calls += 1
        masks = []
        for r in regions:
            if r is None:
                masks.append(None)
                continue
            m = np.zeros((image.height, image.width), bool)
            x1, y1, x2, y2 = (int(v) for v in r.box)
            m[y1:y2, x1:x2] = True
            masks.append(m)
        return masks


def fake_plugins(**over):
    plugins = {"detector": FakeDetector(), "captioner": FakeCaptioner(), "exemplars": NoExemplars(),
               "knowledge": FakeKnowledge(), "recognizer": CapitalRecognizer(), "expander": FakeExpander(),
               "entailment": FakeEntailment(), "grounder": FaceGrounder(), "segmenter": BoxSegmenter()}
    plugins.update(over)
    return plugins


def fake_pipeline(**over):
    from riveg_agent.core.pipeline import Pipeline
    return Pipeline("fast", plugins=fake_plugins(**over))

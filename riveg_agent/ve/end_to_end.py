"""GMNER without images, end to end on a Twitter-GMNER split: the PLIM NER
model finds entities (with the dataset's knowledge, or none), the caption
cross-encoder decides groundability from the tweet and the image
descriptions (and the same knowledge, for a VE model trained to read it); no boxes (no images offline). Output: one `riveg-agent/result`
record per tweet, so `riveg eval flag` scores entity + type + groundability."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Optional

from riveg_agent import __version__
from riveg_agent.errors import RivegError
from riveg_agent.schema import Entity, ModelRef, Provenance, Result


def _ref(folder: Path, weights: str, licence: str) -> ModelRef:
    from riveg_agent.models import file_sha256
    return ModelRef(name=f"riveg/{folder.name}", path=str(folder / weights),
                    sha256=file_sha256(folder / weights), license=licence)


def gmner_predictions(ner_model: str, ve_model: str, data_dir: Path, split: str = "test",
                      knowledge: str = "dataset", expansions: Optional[Path] = None,
                      threads: int = 2) -> list[dict[str, Any]]:
    import torch

    from riveg_agent.ner import io as ner_io
    from riveg_agent.ner.predict import predict_tags
    from riveg_agent.ner.readers import check_not_leaky, load_split
    from riveg_agent.ner.tokens import joined_offsets
    from riveg_agent.scoring.spans import bio_to_spans

    from . import io as ve_io
    from .data import SPLITS, image_captions, read_expansions, referring_expression

    if split not in SPLITS:
        raise RivegError(f"unknown split {split!r}; choose train, dev or test")
    split = SPLITS[split]  # "valid" -> "dev", as the GMNER files name it
    if knowledge not in ("dataset", "none"):
        raise RivegError(f"knowledge must be 'dataset' or 'none', not {knowledge!r}")
    torch.set_num_threads(threads)
    tagger, tokenizer = ner_io.load(ner_model)
    check_not_leaky(ner_model, getattr(tagger, "trained_on", None), "twitter-gmner", split)
    ve, ve_tok, _ = ve_io.load(ve_model)
    examples = load_split(data_dir, "twitter-gmner", split, knowledge == "dataset")
    tags = predict_tags(tagger, tokenizer, [(e.tokens, e.knowledge) for e in examples])
    captions = image_captions(data_dir, split)
    expand = read_expansions(expansions) if expansions else {}

    rows = []  # (example index, text, start, end, entity, type, expansion)
    for i, (ex, tg) in enumerate(zip(examples, tags)):
        offsets = joined_offsets(ex.tokens)
        for s, e, typ in bio_to_spans(tg):
            start, end = offsets[s][0], offsets[e - 1][1]
            name = " ".join(ex.tokens[s:e])
            rows.append((i, start, end, name, typ, expand.get((ex.id, name, typ), "")))
    texts = [" ".join(ex.tokens) for ex in examples]
    expressions = [referring_expression(n, t, x) for _, _, _, n, t, x in rows]
    know = [" ".join(ex.knowledge or []) for ex in examples]
    probs = ve.probabilities(ve_tok, expressions, [texts[r[0]] for r in rows],
                             [captions.get(examples[r[0]].id, "") for r in rows],
                             knowledge=[know[r[0]] for r in rows])
    threshold = ve.config.threshold

    ner_folder, ve_folder = ner_io.resolve_model(ner_model), ve_io.resolve_model(ve_model)
    provenance = Provenance(
        plugins={"recognizer": "riveg.plim_crf_ner.v1", "entailment": "riveg.caption_ve.v1"},
        models=[_ref(ner_folder, ner_io.WEIGHTS, "Apache-2.0 (see weights/README.md)"),
                _ref(ve_folder, ve_io.WEIGHTS, "Apache-2.0 (see weights/README.md)")],
        prompts=[], config_name=f"gmner-end-to-end:{split}",
        config_hash=hashlib.sha256(json.dumps(
            {"ner_model": ner_model, "ve_model": ve_model, "knowledge": knowledge, "split": split,
             "expansions": str(expansions) if expansions else None, "threshold": threshold},
            sort_keys=True).encode()).hexdigest(),
        riveg_agent_version=__version__)
    entities: list[list[Entity]] = [[] for _ in examples]
    for (i, start, end, name, typ, exp), expr, p in zip(rows, expressions, probs):
        entities[i].append(Entity(text=name, type=typ, start=start, end=end,
                                  expansion=exp or None, expression=expr,
                                  groundable=p >= threshold, score=round(p, 4),
                                  evidence=f"caption cross-encoder P(in image) {p:.2f}, "
                                           f"threshold {threshold:.2f}"))
    return [Result(id=ex.id, text=text, caption=captions.get(ex.id), entities=ents,
                   knowledge=" ".join(ex.knowledge) if ex.knowledge else None,
                   provenance=provenance).model_dump(mode="json", exclude_none=True)
            for ex, text, ents in zip(examples, texts, entities)]

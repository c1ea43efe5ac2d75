"""Build a shipped MSEA index from the exemplar data (riveg index build)."""
from __future__ import annotations

from pathlib import Path

from .errors import RivegError
from .exemplars import DATASET_FILES, ExemplarRecord, read_exemplars, save_index
from .models import file_sha256


def _records_and_meta(data_dir: Path, dataset: str) -> tuple[list[ExemplarRecord], dict]:
    """The dataset's exemplars and the index metadata every index kind shares."""
    if dataset not in DATASET_FILES:
        raise RivegError(f"unknown dataset '{dataset}'; choose one of {', '.join(DATASET_FILES)}")
    meta = {
        "dataset": dataset,
        "similarity": "cosine (inner product of L2-normalised vectors, faiss.IndexFlatIP)",
        "sources": {p: file_sha256(data_dir / p) for p in DATASET_FILES[dataset]},
        "license": "exemplar annotations and captions: PGIM (Li et al., EMNLP Findings 2023), "
                   "research use only; tweets: Twitter terms (UMT, Yu et al. 2020)",
    }
    return read_exemplars(data_dir, dataset), meta


def build_minilm_index(data_dir: Path, dataset: str, out: Path) -> dict:
    from riveg_plugins.minilm_exemplars import ENCODER_NAME, encode

    records, meta = _records_and_meta(data_dir, dataset)
    vectors = encode([r.text for r in records])
    meta.update({
        "features": "text only: mean-pooled all-MiniLM-L6-v2 sentence embedding of the post",
        "encoder": ENCODER_NAME,
    })
    save_index(out, vectors, records, meta)
    return {**meta, "count": len(records), "dim": int(vectors.shape[1])}


def build_fused_index(data_dir: Path, dataset: str, out: Path, ner_model: str,
                      image_weight: float) -> dict:
    """MSEA index over fused NER-encoder text + caption features (riveg_agent.msea)."""
    from riveg_plugins.minilm_exemplars import ENCODER_NAME

    from .msea import caption_features, fuse, text_features
    from .ner.locate import WEIGHTS, resolve_model

    records, meta = _records_and_meta(data_dir, dataset)
    text = text_features([r.text.split() for r in records], ner_model)
    caption = caption_features([r.caption for r in records])
    meta.update({
        "features": "fused (riveg_agent.msea): PLIM NER encoder mean-pooled over the post + "
                    "MiniLM sentence embedding of the caption; cos = (1-w) cos_text + w cos_caption",
        "fusion": "msea-v1",
        "ner_model": ner_model,
        "ner_model_sha256": file_sha256(resolve_model(ner_model) / WEIGHTS),
        "caption_encoder": ENCODER_NAME,
        "image_weight": image_weight,
    })
    save_index(out, fuse(text, caption, image_weight), records, meta,
               parts={"text": text, "caption": caption})
    return {**meta, "count": len(records), "dim": int(text.shape[1] + caption.shape[1])}

"""Build a shipped MSEA index from the exemplar data (riveg index build)."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import numpy as np

from riveg_agent.core.errors import RivegError
from riveg_agent.retrieval.index import DATASET_FILES, ExemplarRecord, read_exemplars, save_index
from riveg_agent.io.images import find_image
from riveg_agent.llm.catalogue import file_sha256


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


def exemplar_image_features(records: list[ExemplarRecord], images: Path) -> tuple[np.ndarray, int]:
    """EfficientNet-Lite0 features of the exemplars' pictures; an exemplar
    without one gets a zero row (it then matches a picture on text alone)."""
    from PIL import Image, UnidentifiedImageError

    from riveg_agent.retrieval.effnet import FEATURE_DIM, image_features

    if not images.is_dir():
        raise RivegError(f"--images {images}: not a folder")
    found: list[tuple[int, Image.Image]] = []
    for row, rec in enumerate(records):
        path = find_image(images, rec.id)
        if path is None:
            continue
        try:
            found.append((row, Image.open(path).convert("RGB")))
        except (OSError, UnidentifiedImageError) as exc:
            raise RivegError(f"exemplar {rec.id}: cannot read image {path}: {exc}") from exc
    if not found:
        raise RivegError(f"--images {images}: none of the {len(records)} exemplar pictures is there "
                         f"(looked for e.g. {records[0].id}.jpg)")
    vectors = np.zeros((len(records), FEATURE_DIM), np.float32)
    vectors[[r for r, _ in found]] = image_features([im for _, im in found])
    return vectors, len(found)


def build_fused_index(data_dir: Path, dataset: str, out: Path, ner_model: str,
                      image_weight: float, images: Optional[Path] = None) -> dict:
    """MSEA index over fused NER-encoder text + caption features (riveg_agent.retrieval.msea);
    with `images`, also the exemplars' picture features, used for posts with a picture."""
    from riveg_plugins.minilm_exemplars import ENCODER_NAME

    from riveg_agent.retrieval.msea import caption_features, fuse, text_features
    from riveg_agent.ner.locate import WEIGHTS, resolve_model

    records, meta = _records_and_meta(data_dir, dataset)
    text = text_features([r.text.split() for r in records], ner_model)
    caption = caption_features([r.caption for r in records])
    parts = {"text": text, "caption": caption}
    if images is not None:
        from riveg_agent.retrieval import effnet
        parts["image"], found = exemplar_image_features(records, images)
        meta.update({"image_encoder": effnet.ENCODER_NAME, "image_encoder_license": effnet.LICENSE,
                     "image_encoder_sha256": file_sha256(effnet.weights_path()),
                     "images_found": found})
    meta.update({
        "features": "fused (riveg_agent.retrieval.msea): PLIM NER encoder mean-pooled over the post + "
                    "MiniLM sentence embedding of the caption; cos = (1-w) cos_text + w cos_caption",
        "fusion": "msea-v1",
        "ner_model": ner_model,
        "ner_model_sha256": file_sha256(resolve_model(ner_model) / WEIGHTS),
        "caption_encoder": ENCODER_NAME,
        "image_weight": image_weight,
    })
    save_index(out, fuse(text, caption, image_weight), records, meta, parts=parts)
    return {**meta, "count": len(records), "dim": int(text.shape[1] + caption.shape[1])}

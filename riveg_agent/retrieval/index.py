"""The hand-annotated exemplars (PGIM/RiVEG) and the MSEA index files.

An index is a folder: `vectors.npy` (float32, L2-normalised rows, read with
allow_pickle=False), `exemplars.json` (one object per row) and `meta.json`
(encoder, dataset, source hashes, licence); a fused MSEA index also keeps
its feature parts (`text_vectors.npy`, `caption_vectors.npy`). No pickle anywhere.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path
from typing import Optional

import numpy as np

from riveg_agent.core.errors import RivegError
from riveg_agent.scoring.conll import read_conll

DATASET_FILES = {  # dataset -> (exemplar file, train file, caption file)
    "twitter2017": ("twitter2017/exemplars/2017train.txt", "twitter2017/train.txt", "captions/BLIP2_17.txt"),
    "twitter2015": ("twitter2015/exemplars/2015train.txt", "twitter2015/train.txt", "captions/BLIP2_15.txt"),
}


@dataclass
class ExemplarRecord:
    id: str
    text: str
    caption: str
    annotation: str


def read_captions(path: Path) -> dict[str, str]:
    caps = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if " :" in line:
            name, cap = line.split(" :", 1)
            caps[name.strip().removesuffix(".jpg")] = cap.strip()
    return caps


def read_exemplars(data_dir: Path, dataset: str) -> list[ExemplarRecord]:
    ex_file, train_file, cap_file = (data_dir / p for p in DATASET_FILES[dataset])
    texts = {t.image: " ".join(t.tokens) for t in read_conll(train_file)}
    caps = read_captions(cap_file)
    lines = [l.strip() for l in ex_file.read_text(encoding="utf-8").splitlines() if l.strip()]
    if len(lines) % 2:
        raise RivegError(f"{ex_file}: expected alternating id and annotation lines")
    records = []
    for i in range(0, len(lines), 2):
        ex_id, annotation = lines[i], lines[i + 1]
        if ex_id not in texts:
            raise RivegError(f"{ex_file} line {i + 1}: exemplar id {ex_id} not in {train_file}")
        records.append(ExemplarRecord(ex_id, texts[ex_id], caps.get(ex_id, "no image description"),
                                      annotation))
    return records


def save_index(folder: Path, vectors: np.ndarray, records: list[ExemplarRecord], meta: dict,
               parts: Optional[dict[str, np.ndarray]] = None) -> None:
    """`parts` (fused indexes): the feature parts the vectors were fused from,
    saved as `<name>_vectors.npy` so a retriever can re-fuse them."""
    folder.mkdir(parents=True, exist_ok=True)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    np.save(folder / "vectors.npy", (vectors / np.maximum(norms, 1e-12)).astype(np.float32))
    for name, part in (parts or {}).items():
        np.save(folder / f"{name}_vectors.npy", part.astype(np.float32))
    (folder / "exemplars.json").write_text(
        json.dumps([asdict(r) for r in records], ensure_ascii=False, indent=1), encoding="utf-8")
    (folder / "meta.json").write_text(json.dumps({**meta, "count": len(records),
                                                  "dim": int(vectors.shape[1])}, indent=1))


def index_folder(name_or_path: str) -> Path:
    """A shipped index name (indexes/<name>) or a folder path."""
    p = Path(name_or_path)
    if p.is_dir():
        return p
    shipped = Path(str(resources.files("riveg_indexes") / name_or_path))
    if shipped.is_dir():
        return shipped
    raise RivegError(f"no exemplar index '{name_or_path}' (neither a folder nor a shipped index)")


def load_index(name_or_path: str) -> tuple[np.ndarray, list[ExemplarRecord], dict]:
    folder = index_folder(name_or_path)
    vectors = np.load(folder / "vectors.npy", allow_pickle=False)
    records = [ExemplarRecord(**r) for r in json.loads((folder / "exemplars.json").read_text("utf-8"))]
    meta = json.loads((folder / "meta.json").read_text())
    if len(records) != vectors.shape[0]:
        raise RivegError(f"index {folder}: {vectors.shape[0]} vectors but {len(records)} exemplars")
    return vectors, records, meta


def load_parts(name_or_path: str, names: tuple[str, ...]) -> dict[str, np.ndarray]:
    folder = index_folder(name_or_path)
    parts = {}
    for name in names:
        path = folder / f"{name}_vectors.npy"
        if not path.is_file():
            raise RivegError(f"index {folder} has no {path.name}: not a fused MSEA index "
                             f"(build one with `riveg index build --features fused`)")
        parts[name] = np.load(path, allow_pickle=False)
    return parts

"""Where a NER model folder is: a shipped name (package `riveg_weights`,
top-level folder weights/) or a path. Imports no torch, so plugin checks and
listings stay fast."""
from __future__ import annotations

from pathlib import Path

from riveg_agent.model_folder import WEIGHTS, resolve, shipped_folder  # noqa: F401 (re-exported)

CONFIG = "ner_config.json"


def resolve_model(name_or_path: str) -> Path:
    """A shipped model name (riveg_weights/<name>) or a folder."""
    return resolve(name_or_path, CONFIG, "NER model")

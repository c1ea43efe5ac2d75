"""Where a NER model folder is: a shipped name (package `riveg_weights`,
top-level folder weights/) or a path. Imports no torch, so plugin checks and
listings stay fast."""
from __future__ import annotations

from importlib import resources
from pathlib import Path

from riveg_agent.errors import ModelError

WEIGHTS = "model.safetensors"
CONFIG = "ner_config.json"


def shipped_folder(name: str) -> Path:
    return Path(str(resources.files("riveg_weights") / name))


def resolve_model(name_or_path: str) -> Path:
    """A shipped model name (riveg_weights/<name>) or a folder."""
    p = Path(name_or_path).expanduser()
    if (p / CONFIG).is_file():
        return p
    try:
        shipped = shipped_folder(name_or_path)
    except ModuleNotFoundError:
        shipped = None
    if shipped is not None and (shipped / CONFIG).is_file():
        return shipped
    raise ModelError(f"NER model '{name_or_path}' is neither a shipped model nor a folder with "
                     f"{CONFIG} and {WEIGHTS}")

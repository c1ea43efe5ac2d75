"""Trained models as flat folders (NER tagger, VE cross-encoder):
`model.safetensors` (fp16 by default), a JSON config file of the model kind,
and the tokenizer files. No pickle. A shipped model is a folder of the package
`riveg_weights` (top-level weights/), found by name. Imports no torch at
module level, so plugin checks and listings stay fast."""
from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any, Optional

from riveg_agent.core.errors import ModelError

WEIGHTS = "model.safetensors"


def shipped_folder(name: str) -> Path:
    return Path(str(resources.files("riveg_weights") / name))


def resolve(name_or_path: str, config_file: str, what: str) -> Path:
    """A shipped model name (riveg_weights/<name>) or a folder holding `config_file`."""
    p = Path(name_or_path).expanduser()
    if (p / config_file).is_file():
        return p
    try:
        shipped = shipped_folder(name_or_path)
    except ModuleNotFoundError:
        shipped = None
    if shipped is not None and (shipped / config_file).is_file():
        return shipped
    raise ModelError(f"{what} '{name_or_path}' is neither a shipped model nor a folder with "
                     f"{config_file} and {WEIGHTS}")


def save(model, tokenizer, folder: Path, config_file: str, config: dict[str, Any],
         fp16: bool = True, extra: Optional[dict[str, Any]] = None) -> None:
    """Weights (floating tensors as fp16 unless fp16 is False), `config_file`
    = {**config, dtype, **extra}, and the tokenizer."""
    from safetensors.torch import save_file
    folder.mkdir(parents=True, exist_ok=True)
    state = {k: (v.half() if fp16 and v.is_floating_point() else v).contiguous()
             for k, v in model.state_dict().items()}
    save_file(state, str(folder / WEIGHTS), metadata={"format": "pt"})
    data = {**config, "dtype": "float16" if fp16 else "float32", **(extra or {})}
    (folder / config_file).write_text(json.dumps(data, indent=2), encoding="utf-8")
    tokenizer.save_pretrained(str(folder))


def load_weights(model, folder: Path) -> None:
    """Fill `model` from the folder's safetensors (as float32); any missing or
    unexpected tensor (bar position ids) is an error naming the file."""
    from safetensors.torch import load_file
    state = {k: v.float() if v.is_floating_point() else v
             for k, v in load_file(str(folder / WEIGHTS)).items()}
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [k for k in missing if not k.endswith("position_ids")]
    if missing or unexpected:
        raise ModelError(f"{folder / WEIGHTS}: missing {missing[:5]}, unexpected {unexpected[:5]}")

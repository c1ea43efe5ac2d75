"""Save / load a VE cross-encoder as a flat folder: `model.safetensors` (fp16
by default), `ve_config.json` (VeConfig with the encoder's config, threshold,
dev scores, data hashes) and the tokenizer files. No pickle. Shipped models
live in the package `riveg_weights` (top-level folder weights/)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional

from riveg_agent import model_folder
from riveg_agent.core.errors import ModelError
from riveg_agent.model_folder import WEIGHTS  # noqa: F401 (re-exported)
from riveg_agent.ner.encoders import encoder_config_dict, load_encoder, load_tokenizer

CONFIG = "ve_config.json"
DEFAULT_MODEL = "ve-minilm-gmner"


def resolve_model(name_or_path: str) -> Path:
    """A shipped model name (riveg_weights/<name>) or a folder."""
    return model_folder.resolve(name_or_path, CONFIG, "VE model")


def build(config, tokenizer_from: Optional[str] = None):
    """A fresh model over the pretrained encoder of `config.encoder` (or one
    built from `config.encoder_config`) and its tokenizer."""
    from riveg_agent.ve.model import CrossEncoderVE
    encoder = load_encoder(config.encoder, config.encoder_config)
    tokenizer = load_tokenizer(tokenizer_from or config.encoder)
    config.encoder_config = encoder_config_dict(encoder)
    return CrossEncoderVE(config, encoder), tokenizer


def save(model, tokenizer, folder: Path, fp16: bool = True,
         extra: Optional[dict[str, Any]] = None) -> None:
    model_folder.save(model, tokenizer, folder, CONFIG, {"ve_config": model.config.to_dict()},
                      fp16, extra)


def load(name_or_path: str):
    """(model in eval mode, float32, tokenizer, the saved JSON) from a folder."""
    from riveg_agent.ve.model import CrossEncoderVE
    folder = resolve_model(name_or_path)
    data = json.loads((folder / CONFIG).read_text(encoding="utf-8"))
    config = saved_config(data)
    if config.encoder_config is None:
        raise ModelError(f"{folder / CONFIG}: ve_config.encoder_config is missing")
    model = CrossEncoderVE(config, load_encoder(config.encoder, config.encoder_config))
    model_folder.load_weights(model, folder)
    model.eval()
    return model, load_tokenizer(str(folder)), data


def saved_config(data: dict[str, Any]):
    """The VeConfig of a folder's saved JSON."""
    from riveg_agent.ve.config import VeConfig
    config = VeConfig.from_dict(data["ve_config"])
    if "use_expansions" not in data["ve_config"]:
        # folders saved before the field: what the training config says
        config.use_expansions = bool((data.get("train_config") or {}).get("expansions_dir"))
    return config

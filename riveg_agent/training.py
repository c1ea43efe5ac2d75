"""Pieces shared by the training loops (NER, VE): optimizer groups, the linear
warm-up schedule, a log file, and resumable checkpoints (safetensors weights,
optimizer state read back with weights_only=True, a JSON state written last)."""
from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import torch

from riveg_agent.errors import ConfigError


class TrainOptions:
    """Mixin for the training-config dataclasses: built from a dict or a YAML
    file, an unknown key is a ConfigError naming it and the valid ones."""

    @classmethod
    def from_dict(cls, data: dict[str, Any]):
        unknown = sorted(set(data) - set(cls.__dataclass_fields__))  # type: ignore[attr-defined]
        if unknown:
            raise ConfigError(unknown[0], f"unknown training option; valid: "
                                          f"{', '.join(cls.__dataclass_fields__)}")  # type: ignore[attr-defined]
        return cls(**data)

    @classmethod
    def from_yaml(cls, path: Path):
        import yaml
        return cls.from_dict(yaml.safe_load(path.read_text(encoding="utf-8")) or {})


def setup_logging(log: logging.Logger, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(out / "train.log", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
    log.handlers = [handler, logging.StreamHandler()]
    log.setLevel(logging.INFO)
    log.propagate = False


def optimizer_and_schedule(model: torch.nn.Module, lr: float, head_lr: float, weight_decay: float,
                           total_steps: int, warmup_ratio: float):
    """AdamW (encoder weights decayed; biases, norms and the head at head_lr
    not) and a linear warm-up then linear decay to zero."""
    head = [p for n, p in model.named_parameters() if not n.startswith("encoder.")]
    enc_decay = [p for n, p in model.named_parameters() if n.startswith("encoder.") and p.ndim > 1]
    enc_nodecay = [p for n, p in model.named_parameters() if n.startswith("encoder.") and p.ndim <= 1]
    optimizer = torch.optim.AdamW([
        {"params": enc_decay, "lr": lr, "weight_decay": weight_decay},
        {"params": enc_nodecay, "lr": lr, "weight_decay": 0.0},
        {"params": head, "lr": head_lr, "weight_decay": 0.0},
    ])
    warmup = max(1, int(warmup_ratio * total_steps))
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warmup,
                                 max(0.0, (total_steps - s) / max(1, total_steps - warmup))))
    return optimizer, scheduler


def save_checkpoint(ckpt: Path, model, optimizer, scheduler, state: dict[str, Any]) -> None:
    from safetensors.torch import save_file
    ckpt.mkdir(parents=True, exist_ok=True)
    tmp = ckpt / "state.json.tmp"
    save_file({k: v.contiguous() for k, v in model.state_dict().items()},
              str(ckpt / "model.safetensors"))
    torch.save({"optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict()},
               ckpt / "optimizer.pt")
    tmp.write_text(json.dumps(state, indent=1), encoding="utf-8")
    tmp.replace(ckpt / "state.json")  # the state file lands last: it marks a whole checkpoint


def load_checkpoint(ckpt: Path, model, optimizer, scheduler) -> dict[str, Any]:
    from safetensors.torch import load_file
    model.load_state_dict(load_file(str(ckpt / "model.safetensors")))
    opt = torch.load(ckpt / "optimizer.pt", weights_only=True)
    optimizer.load_state_dict(opt["optimizer"])
    scheduler.load_state_dict(opt["scheduler"])
    return json.loads((ckpt / "state.json").read_text(encoding="utf-8"))

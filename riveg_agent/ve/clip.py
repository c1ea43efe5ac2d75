"""Fine-tune CLIP for visual entailment on D_GMNER(VE) from the tweet images
(`riveg train clip-ve`), for users who have the images and CLIP weights.

The score of a pair is CLIP's: the cosine of the image embedding and the
embedding of the referring expression put in a template ("a photo of
Hermione (PER) – A female character"). Fine-tuning learns both towers and a
calibration `P(in image) = sigmoid(scale * cosine + bias)` with the same loss
as the caption cross-encoder (BCE, positives weighted by the
negative/positive ratio); the decision threshold is chosen on dev. The
result is a folder the `riveg.clip_ve.v1` plugin reads as its checkpoint:
the CLIP model and processor (safetensors, `save_pretrained`) plus
`clip_ve.json` (template, scale, bias, threshold, base checkpoint, training
config, dev scores). No pickle.

An entity whose image is not in the folder is left out (counted in the log);
an image that cannot be read is an error naming it."""
from __future__ import annotations

import json
import logging
import math
import os
import random
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Optional, Sequence

import torch
from torch import nn

from riveg_agent.core.errors import ConfigError, ModelError, RivegError
from riveg_agent.io.images import find_image
from riveg_agent.llm.catalogue import file_sha256
from riveg_agent.training import (DevResult, TrainOptions, optimizer_and_schedule, run_epochs, run_identity,
                                  setup_logging, start_state)

from riveg_agent.ve.data import VeExample, expansions_file, load_ve_split
from riveg_agent.ve.evaluate import best_threshold, metrics

log = logging.getLogger("riveg.ve.clip")

CALIBRATION = "clip_ve.json"
DEFAULT_CHECKPOINT = "openai/clip-vit-base-patch32"
DEFAULT_TEMPLATE = "a photo of {expression}"


@dataclass
class ClipVeTrainConfig(TrainOptions):
    checkpoint: str = DEFAULT_CHECKPOINT  # hub id (local HF cache) or folder
    out_dir: str = "runs/ve/clip-gmner"
    template: str = DEFAULT_TEMPLATE
    batch_size: int = 16
    lr: float = 1e-5
    head_lr: float = 1e-2  # scale and bias
    weight_decay: float = 0.01
    warmup_ratio: float = 0.1
    epochs: int = 2
    patience: int = 2
    freeze_vision: bool = False  # train the text tower only (faster on a CPU)
    expansions_dir: Optional[str] = None  # {train,dev}.jsonl, as for the caption VE
    checkpoint_every: int = 50
    log_every: int = 10
    seed: int = 13
    threads: int = 2
    limit_train: Optional[int] = None
    limit_dev: Optional[int] = None
    time_budget_min: Optional[float] = None


class ClipVE(nn.Module):
    """CLIP (as `encoder`, so the optimizer groups treat it as the encoder)
    and the two calibration numbers."""

    def __init__(self, clip: nn.Module, scale: float = 10.0, bias: float = -2.5):
        super().__init__()
        self.encoder = clip
        self.scale = nn.Parameter(torch.tensor(float(scale)))
        self.bias = nn.Parameter(torch.tensor(float(bias)))

    def cosines(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """Cosine of each text with the image at the same position, shape [batch]."""
        out = self.encoder(**batch)
        img = nn.functional.normalize(out.image_embeds, dim=-1)
        txt = nn.functional.normalize(out.text_embeds, dim=-1)
        return (img * txt).sum(-1)

    def forward(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        return self.scale * self.cosines(batch) + self.bias


def load_clip(checkpoint: str):
    """(CLIPModel, CLIPProcessor) from a hub id in the local cache or a folder."""
    from transformers import CLIPModel, CLIPProcessor
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        return CLIPModel.from_pretrained(checkpoint), CLIPProcessor.from_pretrained(checkpoint)
    except OSError as exc:
        raise ModelError(f"cannot load CLIP checkpoint '{checkpoint}' (a hub id needs the "
                         f"hub or its cache; a folder needs config.json, weights and "
                         f"the processor files): {exc}") from exc


def read_calibration(folder: str) -> Optional[dict[str, Any]]:
    """A fine-tuned folder's clip_ve.json, or None for a plain CLIP checkpoint."""
    path = Path(folder) / CALIBRATION
    if not path.is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    missing = [k for k in ("template", "scale", "bias", "threshold") if k not in data]
    if missing:
        raise ModelError(f"{path}: missing {', '.join(missing)}")
    return data


def encode(processor, texts: Sequence[str], images: Sequence[Any]) -> dict[str, torch.Tensor]:
    return dict(processor(text=list(texts), images=list(images), return_tensors="pt",
                          padding=True, truncation=True))


def with_images(examples: list[VeExample], images_dir: Path,
                split: str) -> tuple[list[tuple[VeExample, Path]], int]:
    """The examples whose picture is in the folder, each with its path, and
    the number of the split's images that are not there."""
    if not images_dir.is_dir():
        raise RivegError(f"--images {images_dir}: not a folder")
    paths: dict[str, Optional[Path]] = {}
    found = []
    for ex in examples:
        if ex.image not in paths:
            paths[ex.image] = find_image(images_dir, ex.image)
        if paths[ex.image] is not None:
            found.append((ex, paths[ex.image]))
    if not found:
        first = examples[0].image if examples else "<id>"
        raise RivegError(f"--images {images_dir}: none of the {split} images is there "
                         f"(looked for e.g. {first}.jpg)")
    return found, sum(p is None for p in paths.values())


def read_picture(path: Path, image_id: str):
    from PIL import Image, UnidentifiedImageError
    try:
        with Image.open(path) as im:
            return im.convert("RGB")
    except (OSError, UnidentifiedImageError) as exc:
        raise RivegError(f"image {image_id}: cannot read {path}: {exc}") from exc


@torch.no_grad()
def probabilities(model: ClipVE, processor, template: str,
                  pairs: Sequence[tuple[VeExample, Path]], batch_size: int = 32) -> list[float]:
    was = model.training
    model.eval()
    probs: list[float] = []
    for s in range(0, len(pairs), batch_size):
        part = pairs[s:s + batch_size]
        batch = encode(processor, [template.format(expression=e.expression) for e, _ in part],
                       [read_picture(p, e.image) for e, p in part])
        probs += torch.sigmoid(model(batch)).tolist()
    model.train(was)
    return probs


def train(cfg: ClipVeTrainConfig, data_dir: Path, images_dir: Path, resume: bool = False,
          progress: bool = True) -> dict[str, Any]:
    """Fine-tune, keep the best dev model (with scale, bias and threshold) in cfg.out_dir."""
    if "{expression}" not in cfg.template:
        raise ConfigError("template", "must contain '{expression}'")
    out = Path(cfg.out_dir)
    ckpt = out / "checkpoint"
    setup_logging(log, out)
    torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    if (ckpt / "state.json").is_file() and not resume:
        raise ConfigError("out_dir", f"{out} holds a checkpoint; pass --resume or choose another out_dir")

    splits = {}
    for split, limit in (("train", cfg.limit_train), ("dev", cfg.limit_dev)):
        examples = load_ve_split(data_dir, split, expansions_file(cfg.expansions_dir, split))
        pairs, missing = with_images(examples, images_dir, split)
        log.info("%s: %d of %d entities have their image in %s (%d images missing)",
                 split, len(pairs), len(examples), images_dir, missing)
        splits[split] = pairs[:limit]
    train_pairs, dev_pairs = splits["train"], splits["dev"]
    clip, processor = load_clip(cfg.checkpoint)
    model = ClipVE(clip)
    if cfg.freeze_vision:
        for p in clip.vision_model.parameters():
            p.requires_grad_(False)
        for p in clip.visual_projection.parameters():
            p.requires_grad_(False)
    positives = sum(e.label for e, _ in train_pairs)
    pos_weight = torch.tensor((len(train_pairs) - positives) / max(1, positives))
    steps_per_epoch = math.ceil(len(train_pairs) / cfg.batch_size)
    optimizer, scheduler = optimizer_and_schedule(model, cfg.lr, cfg.head_lr, cfg.weight_decay,
                                                  steps_per_epoch * cfg.epochs, cfg.warmup_ratio)
    # The images are identified by the annotation files' ids; their folder is named in the config.
    hashes = {str(f.relative_to(data_dir)): file_sha256(f)
              for f in sorted((data_dir / "twitter-gmner" / "txt").glob("*.txt"))}
    state, resumed = start_state(ckpt, resume, model, optimizer, scheduler, run_identity(cfg, hashes))
    if resumed:
        log.info("resumed at epoch %d step %d, best dev accuracy %.4f",
                 state.epoch + 1, state.step_in_epoch, state.best_score)
    else:
        log.info("config %s", json.dumps(asdict(cfg)))
        log.info("train %d entities with images (%d groundable), dev %d; %d steps/epoch, %d epochs",
                 len(train_pairs), positives, len(dev_pairs), steps_per_epoch, cfg.epochs)

    def epoch_batches(epoch: int) -> list:
        order = list(train_pairs)
        random.Random(cfg.seed * 1000 + epoch).shuffle(order)  # replayable on resume
        return [order[i:i + cfg.batch_size] for i in range(0, len(order), cfg.batch_size)]

    def batch_loss(batch) -> torch.Tensor:
        enc = encode(processor, [cfg.template.format(expression=e.expression) for e, _ in batch],
                     [read_picture(p, e.image) for e, p in batch])
        labels = torch.tensor([float(e.label) for e, _ in batch])
        return nn.functional.binary_cross_entropy_with_logits(model(enc), labels,
                                                              pos_weight=pos_weight)

    def dev_accuracy() -> DevResult:
        probs = probabilities(model, processor, cfg.template, dev_pairs)
        examples = [e for e, _ in dev_pairs]
        threshold = best_threshold(examples, probs)
        dev = metrics(examples, probs, threshold)
        return DevResult(dev["accuracy"], {"dev_accuracy": dev["accuracy"], "threshold": threshold},
                         f"dev accuracy {dev['accuracy']:.4f} at threshold {threshold:.2f}, "
                         f"groundable F1 {dev['groundable']['f1']:.4f}", (dev, threshold))

    def save_best(result: DevResult) -> None:
        dev, threshold = result.details
        out.mkdir(parents=True, exist_ok=True)
        model.encoder.save_pretrained(str(out))  # safetensors
        processor.save_pretrained(str(out))
        (out / CALIBRATION).write_text(json.dumps({
            "template": cfg.template, "scale": model.scale.item(), "bias": model.bias.item(),
            "threshold": threshold, "base_checkpoint": cfg.checkpoint,
            "train_config": asdict(cfg), "dataset": "twitter-gmner",
            "best_epoch": state.best_epoch, "dev": dev}, indent=2), encoding="utf-8")

    return run_epochs(cfg, model, optimizer, scheduler, state, out, log, metric="accuracy",
                      epoch_batches=epoch_batches, batch_loss=batch_loss, evaluate=dev_accuracy,
                      save_best=save_best, progress=progress)


def load(checkpoint: str) -> tuple[ClipVE, Any, Optional[dict[str, Any]]]:
    """(model in eval mode, processor, calibration): a folder fine-tuned by
    `riveg train clip-ve` comes with its clip_ve.json, a plain CLIP checkpoint
    (hub id or folder) with None."""
    calibration = read_calibration(checkpoint) if os.path.isdir(checkpoint) else None
    clip, processor = load_clip(checkpoint)
    model = ClipVE(clip, calibration["scale"], calibration["bias"]) if calibration else ClipVE(clip)
    return model.eval(), processor, calibration

"""`riveg train ve`: fine-tune the caption cross-encoder on D_GMNER(VE).
AdamW with linear warm-up, BCE with the positive class weighted by the
negative/positive ratio (about 60% of entities are not in the image), dev
accuracy after each epoch with early stopping, the decision threshold chosen
on dev, resumable checkpoints, a log file and a progress bar."""
from __future__ import annotations

import json
import logging
import math
import random
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Optional

import torch

from riveg_agent.core.errors import ConfigError
from riveg_agent.llm.catalogue import file_sha256
from riveg_agent.training import (DevResult, TrainOptions, optimizer_and_schedule, run_epochs, run_identity,
                                  setup_logging, sorted_batches, start_state)

from riveg_agent.ve import io
from riveg_agent.ve.data import LONG_CAPTIONS, VeExample, expansions_file, load_ve_split
from riveg_agent.ve.evaluate import best_threshold, metrics
from riveg_agent.ve.model import VeConfig, tokenize

log = logging.getLogger("riveg.ve.train")


@dataclass
class VeTrainConfig(TrainOptions):
    encoder: str = "minilm"
    encoder_config: Optional[dict[str, Any]] = None  # build from config (tests)
    out_dir: str = "runs/ve"
    max_length: int = 160
    dropout: float = 0.1
    batch_size: int = 16
    lr: float = 4e-5
    head_lr: float = 1e-3
    weight_decay: float = 0.01
    warmup_ratio: float = 0.1
    epochs: int = 3
    patience: int = 2
    expansions_dir: Optional[str] = None  # {train,dev}.jsonl of expansions, if any
    expansion_dropout: float = 0.3  # share of examples shown without their expansion
    knowledge: bool = False  # read the dataset's auxiliary knowledge of each post
    knowledge_dropout: float = 0.2  # share of examples shown without it (runs without knowledge)
    # share of examples shown with the one-line caption alone instead of the
    # full description: the run-time Captioner gives one line, not BLIP-2 + a paragraph
    description_dropout: float = 0.0
    init_from: Optional[str] = None  # start from a trained VE model (name or folder), same encoder
    checkpoint_every: int = 50
    log_every: int = 10
    seed: int = 13
    threads: int = 2
    limit_train: Optional[int] = None
    limit_dev: Optional[int] = None
    time_budget_min: Optional[float] = None
    fp16_weights: bool = True


def _batches(examples: list[VeExample], cfg: VeTrainConfig, epoch: int) -> list[list[VeExample]]:
    """Deterministic from (seed, epoch), so a resumed run replays the same
    order; an expansion is dropped from `expansion_dropout` of the examples,
    the knowledge from `knowledge_dropout`, the long description from
    `description_dropout`."""
    rng = random.Random(cfg.seed * 1000 + epoch)
    shown = []
    for e in examples:
        # draw only where there is something to drop: runs without expansions
        # or knowledge keep the batch order they always had
        drop_expansion = bool(e.expansion) and rng.random() < cfg.expansion_dropout
        drop_knowledge = bool(e.knowledge) and rng.random() < cfg.knowledge_dropout
        one_line = cfg.description_dropout > 0 and rng.random() < cfg.description_dropout
        shown.append(replace(e, expansion="" if drop_expansion else e.expansion,
                             knowledge="" if drop_knowledge else e.knowledge,
                             caption=e.short_caption if one_line else e.caption))
    return sorted_batches(shown, cfg.batch_size, rng, lambda e: len(e.text) + len(e.caption) + len(e.knowledge))


def predict(model, tokenizer, examples: list[VeExample]) -> list[float]:
    return model.probabilities(tokenizer, [e.expression for e in examples],
                               [e.text for e in examples], [e.caption for e in examples],
                               knowledge=[e.knowledge for e in examples])


def _data_hashes(data_dir: Path, knowledge: bool) -> dict[str, str]:
    rels = [f"twitter-gmner/txt/{s}.txt" for s in ("train", "dev")] + \
           [LONG_CAPTIONS.format(split=s) for s in ("train", "dev")] + \
           ["captions/BLIP2_15.txt", "captions/BLIP2_17.txt"] + \
           ([f"twitter-gmner/knowledge/{s}.txt" for s in ("train", "valid")] if knowledge else [])
    return {r: file_sha256(data_dir / r) for r in rels if (data_dir / r).is_file()}


def train(cfg: VeTrainConfig, data_dir: Path, resume: bool = False,
          progress: bool = True) -> dict[str, Any]:
    """Train, keep the best dev model (with its threshold) in cfg.out_dir."""
    out = Path(cfg.out_dir)
    ckpt = out / "checkpoint"
    setup_logging(log, out)
    torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    if (ckpt / "state.json").is_file() and not resume:
        raise ConfigError("out_dir", f"{out} holds a checkpoint; pass --resume or choose another out_dir")

    train_ex = load_ve_split(data_dir, "train", expansions_file(cfg.expansions_dir, "train"),
                             cfg.knowledge)[: cfg.limit_train]
    dev_ex = load_ve_split(data_dir, "dev", expansions_file(cfg.expansions_dir, "dev"),
                           cfg.knowledge)[: cfg.limit_dev]
    model, tokenizer = io.build(VeConfig(encoder=cfg.encoder, max_length=cfg.max_length,
                                         dropout=cfg.dropout, encoder_config=cfg.encoder_config,
                                         use_knowledge=cfg.knowledge,
                                         use_expansions=bool(cfg.expansions_dir)))
    if cfg.init_from and not (resume and (ckpt / "state.json").is_file()):
        from riveg_agent import model_folder
        model_folder.load_weights(model, io.resolve_model(cfg.init_from))
        log.info("weights from %s", cfg.init_from)
    positives = sum(e.label for e in train_ex)
    pos_weight = torch.tensor((len(train_ex) - positives) / max(1, positives))
    steps_per_epoch = math.ceil(len(train_ex) / cfg.batch_size)
    optimizer, scheduler = optimizer_and_schedule(model, cfg.lr, cfg.head_lr, cfg.weight_decay,
                                                  steps_per_epoch * cfg.epochs, cfg.warmup_ratio)
    hashes = _data_hashes(data_dir, cfg.knowledge)
    state, resumed = start_state(ckpt, resume, model, optimizer, scheduler, run_identity(cfg, hashes))
    if resumed:
        log.info("resumed at epoch %d step %d, best dev accuracy %.4f",
                 state.epoch + 1, state.step_in_epoch, state.best_score)
    else:
        log.info("config %s", json.dumps(asdict(cfg)))
        log.info("train %d entities (%d groundable, %d with expansions), dev %d; "
                 "%d steps/epoch, %d epochs", len(train_ex), positives,
                 sum(1 for e in train_ex if e.expansion), len(dev_ex), steps_per_epoch, cfg.epochs)

    def batch_loss(batch: list[VeExample]) -> torch.Tensor:
        enc = tokenize(tokenizer, [e.expression for e in batch], [e.text for e in batch],
                       [e.caption for e in batch], cfg.max_length, [e.knowledge for e in batch])
        labels = torch.tensor([float(e.label) for e in batch])
        return torch.nn.functional.binary_cross_entropy_with_logits(model(enc), labels,
                                                                    pos_weight=pos_weight)

    def dev_accuracy() -> DevResult:
        probs = predict(model, tokenizer, dev_ex)
        threshold = best_threshold(dev_ex, probs)
        dev = metrics(dev_ex, probs, threshold)
        return DevResult(dev["accuracy"], {
            "dev_accuracy": dev["accuracy"], "threshold": threshold,
            "dev_accuracy_at_0.5": metrics(dev_ex, probs, 0.5)["accuracy"]},
            f"dev accuracy {dev['accuracy']:.4f} at threshold {threshold:.2f}, "
            f"groundable F1 {dev['groundable']['f1']:.4f}", (dev, threshold))

    def save_best(result: DevResult) -> None:
        dev, model.config.threshold = result.details
        io.save(model, tokenizer, out, fp16=cfg.fp16_weights, extra={
            "train_config": asdict(cfg), "dataset": "twitter-gmner", "data_sha256": hashes,
            "best_epoch": state.best_epoch, "dev": dev})

    return run_epochs(cfg, model, optimizer, scheduler, state, out, log, metric="accuracy",
                      epoch_batches=lambda epoch: _batches(train_ex, cfg, epoch),
                      batch_loss=batch_loss, evaluate=dev_accuracy, save_best=save_best,
                      progress=progress)

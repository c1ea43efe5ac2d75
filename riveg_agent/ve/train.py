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
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Optional

import torch

from riveg_agent.errors import ConfigError
from riveg_agent.models import file_sha256
from riveg_agent.training import (TrainOptions, load_checkpoint, optimizer_and_schedule,
                                  save_checkpoint, setup_logging)

from . import io
from .data import LONG_CAPTIONS, VeExample, load_ve_split
from .evaluate import best_threshold, metrics
from .model import VeConfig, tokenize

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
    checkpoint_every: int = 50
    log_every: int = 10
    seed: int = 13
    threads: int = 2
    limit_train: Optional[int] = None
    limit_dev: Optional[int] = None
    time_budget_min: Optional[float] = None
    fp16_weights: bool = True


@dataclass
class TrainState:
    epoch: int = 0
    step_in_epoch: int = 0
    global_step: int = 0
    best_accuracy: float = -1.0
    best_epoch: int = -1
    bad_epochs: int = 0
    history: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0
    done: bool = False


def _batches(examples: list[VeExample], cfg: VeTrainConfig, epoch: int) -> list[list[VeExample]]:
    """Deterministic from (seed, epoch), so a resumed run replays the same
    order; length-sorted within chunks for little padding."""
    rng = random.Random(cfg.seed * 1000 + epoch)
    shown = [VeExample(**{**asdict(e), "expansion": ""}) if e.expansion and
             rng.random() < cfg.expansion_dropout else e for e in examples]
    rng.shuffle(shown)
    chunk = cfg.batch_size * 50
    batches = []
    for s in range(0, len(shown), chunk):
        part = sorted(shown[s:s + chunk], key=lambda e: len(e.text) + len(e.caption))
        batches += [part[i:i + cfg.batch_size] for i in range(0, len(part), cfg.batch_size)]
    rng.shuffle(batches)
    return batches


def predict(model, tokenizer, examples: list[VeExample]) -> list[float]:
    return model.probabilities(tokenizer, [e.expression for e in examples],
                               [e.text for e in examples], [e.caption for e in examples])


def _data_hashes(data_dir: Path) -> dict[str, str]:
    rels = [f"twitter-gmner/txt/{s}.txt" for s in ("train", "dev")] + \
           [LONG_CAPTIONS.format(split=s) for s in ("train", "dev")] + \
           ["captions/BLIP2_15.txt", "captions/BLIP2_17.txt"]
    return {r: file_sha256(data_dir / r) for r in rels if (data_dir / r).is_file()}


def _expansions(cfg: VeTrainConfig, split: str) -> Optional[Path]:
    if not cfg.expansions_dir:
        return None
    path = Path(cfg.expansions_dir) / f"{split}.jsonl"
    return path if path.is_file() else None


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

    train_ex = load_ve_split(data_dir, "train", _expansions(cfg, "train"))[: cfg.limit_train]
    dev_ex = load_ve_split(data_dir, "dev", _expansions(cfg, "dev"))[: cfg.limit_dev]
    model, tokenizer = io.build(VeConfig(encoder=cfg.encoder, max_length=cfg.max_length,
                                         dropout=cfg.dropout, encoder_config=cfg.encoder_config))
    positives = sum(e.label for e in train_ex)
    pos_weight = torch.tensor((len(train_ex) - positives) / max(1, positives))
    steps_per_epoch = math.ceil(len(train_ex) / cfg.batch_size)
    optimizer, scheduler = optimizer_and_schedule(model, cfg.lr, cfg.head_lr, cfg.weight_decay,
                                                  steps_per_epoch * cfg.epochs, cfg.warmup_ratio)
    state = TrainState()
    if resume and (ckpt / "state.json").is_file():
        state = TrainState(**load_checkpoint(ckpt, model, optimizer, scheduler))
        log.info("resumed at epoch %d step %d, best dev accuracy %.4f",
                 state.epoch + 1, state.step_in_epoch, state.best_accuracy)
    else:
        log.info("config %s", json.dumps(asdict(cfg)))
        log.info("train %d entities (%d groundable, %d with expansions), dev %d; "
                 "%d steps/epoch, %d epochs", len(train_ex), positives,
                 sum(1 for e in train_ex if e.expansion), len(dev_ex), steps_per_epoch, cfg.epochs)
    hashes = _data_hashes(data_dir)

    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
    bar = Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                   TimeElapsedColumn(), TimeRemainingColumn(), TextColumn("{task.fields[info]}"),
                   disable=not progress, transient=False)
    model.train()
    with bar:
        while not state.done and state.epoch < cfg.epochs:
            epoch_start = time.time()
            batches = _batches(train_ex, cfg, state.epoch)
            task = bar.add_task(f"epoch {state.epoch + 1}/{cfg.epochs}", total=len(batches),
                                completed=state.step_in_epoch, info="")
            run_loss, t0 = 0.0, time.time()
            for i in range(state.step_in_epoch, len(batches)):
                b = batches[i]
                enc = tokenize(tokenizer, [e.expression for e in b], [e.text for e in b],
                               [e.caption for e in b], cfg.max_length)
                labels = torch.tensor([float(e.label) for e in b])
                loss = torch.nn.functional.binary_cross_entropy_with_logits(
                    model(enc), labels, pos_weight=pos_weight)
                optimizer.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                optimizer.step()
                scheduler.step()
                state.step_in_epoch, state.global_step = i + 1, state.global_step + 1
                run_loss += loss.item()
                bar.update(task, advance=1, info=f"loss {loss.item():.3f}")
                if state.global_step % cfg.log_every == 0:
                    dt = time.time() - t0
                    state.seconds += dt
                    log.info("epoch %d step %d/%d loss %.4f lr %.2e %.2fs/step", state.epoch + 1,
                             i + 1, len(batches), run_loss / cfg.log_every,
                             scheduler.get_last_lr()[0], dt / cfg.log_every)
                    run_loss, t0 = 0.0, time.time()
                if state.global_step % cfg.checkpoint_every == 0:
                    save_checkpoint(ckpt, model, optimizer, scheduler, asdict(state))
            state.seconds += time.time() - t0
            bar.remove_task(task)
            probs = predict(model, tokenizer, dev_ex)
            threshold = best_threshold(dev_ex, probs)
            dev = metrics(dev_ex, probs, threshold)
            acc = dev["accuracy"]
            epoch_s = time.time() - epoch_start
            state.history.append({"epoch": state.epoch + 1, "dev_accuracy": acc,
                                  "dev_accuracy_at_0.5": metrics(dev_ex, probs, 0.5)["accuracy"],
                                  "threshold": threshold, "seconds": round(epoch_s, 1)})
            log.info("epoch %d dev accuracy %.4f at threshold %.2f, groundable F1 %.4f (%.0fs)",
                     state.epoch + 1, acc, threshold, dev["groundable"]["f1"], epoch_s)
            if acc > state.best_accuracy:
                state.best_accuracy, state.best_epoch, state.bad_epochs = acc, state.epoch + 1, 0
                model.config.threshold = threshold
                io.save(model, tokenizer, out, fp16=cfg.fp16_weights, extra={
                    "train_config": asdict(cfg), "dataset": "twitter-gmner", "data_sha256": hashes,
                    "best_epoch": state.best_epoch, "dev": dev})
                log.info("new best dev accuracy %.4f: saved %s", acc, out)
            else:
                state.bad_epochs += 1
                if state.bad_epochs >= cfg.patience:
                    log.info("early stop: no dev gain for %d epochs", state.bad_epochs)
                    state.done = True
            state.epoch, state.step_in_epoch = state.epoch + 1, 0
            if cfg.time_budget_min is not None and not state.done:
                if state.seconds + epoch_s > cfg.time_budget_min * 60:
                    log.info("stop: the next epoch would overrun the %.0f-minute budget",
                             cfg.time_budget_min)
                    state.done = True
            save_checkpoint(ckpt, model, optimizer, scheduler, asdict(state))
    summary = {"best_epoch": state.best_epoch, "best_dev_accuracy": state.best_accuracy,
               "history": state.history, "train_seconds": round(state.seconds, 1),
               "out_dir": str(out)}
    (out / "train_summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    log.info("done: best dev accuracy %.4f at epoch %d; %.0f s of training",
             state.best_accuracy, state.best_epoch, state.seconds)
    return summary

"""Training loop for the PLIM tagger: AdamW, linear warm-up then linear decay,
knowledge dropout, dev F1 after each epoch with early stopping, a resumable
checkpoint (safetensors weights + optimizer state read with
weights_only=True + JSON state), a rich progress bar and a log file."""
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
from riveg_agent.training import (TrainOptions, load_checkpoint, optimizer_and_schedule,
                                  save_checkpoint, setup_logging)

from . import io
from .model import Encoded, NerConfig, SubwordCache, collate, encode
from .predict import evaluate
from ..models import file_sha256
from .readers import dataset_files, load_split

log = logging.getLogger("riveg.ner.train")


@dataclass
class TrainConfig(TrainOptions):
    dataset: str = "twitter2017"
    encoder: str = "minilm"
    encoder_config: Optional[dict[str, Any]] = None  # build from config (tests)
    out_dir: str = "runs/ner"
    max_length: int = 256
    shape_dim: int = 32
    dropout: float = 0.1
    batch_size: int = 16
    lr: float = 5e-5  # encoder
    head_lr: float = 1e-3  # shape embeddings, classifier, CRF
    weight_decay: float = 0.01
    warmup_ratio: float = 0.1
    epochs: int = 10
    patience: int = 3
    knowledge_dropout: float = 0.3  # share of training tweets shown without knowledge
    use_knowledge: bool = True
    eval_with_knowledge: bool = True
    checkpoint_every: int = 50  # steps
    log_every: int = 10
    seed: int = 13
    threads: int = 2
    limit_train: Optional[int] = None  # first N train tweets (timing runs, tests)
    limit_dev: Optional[int] = None
    time_budget_min: Optional[float] = None  # stop after the epoch that would overrun it
    fp16_weights: bool = True


@dataclass
class TrainState:
    epoch: int = 0  # current epoch (0-based)
    step_in_epoch: int = 0  # batches of `epoch` already done
    global_step: int = 0
    best_f1: float = -1.0
    best_epoch: int = -1
    bad_epochs: int = 0
    history: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0
    done: bool = False


def _batches(enc_k: list[Encoded], enc_t: list[Encoded], cfg: TrainConfig,
             epoch: int) -> list[list[Encoded]]:
    """The epoch's batches: deterministic from (seed, epoch) so a resumed run
    replays the same order. Each tweet is shown with knowledge unless dropped."""
    rng = random.Random(cfg.seed * 1000 + epoch)
    chosen = [t if (not cfg.use_knowledge or rng.random() < cfg.knowledge_dropout) else k
              for k, t in zip(enc_k, enc_t)]
    rng.shuffle(chosen)
    chunk = cfg.batch_size * 50  # sort within chunks: little padding, still random
    batches = []
    for s in range(0, len(chosen), chunk):
        part = sorted(chosen[s:s + chunk], key=lambda e: len(e.input_ids))
        batches += [part[i:i + cfg.batch_size] for i in range(0, len(part), cfg.batch_size)]
    rng.shuffle(batches)
    return batches


def _data_hashes(data_dir: Path, dataset: str, splits: tuple[str, ...]) -> dict[str, str]:
    hashes = {}
    for split in splits:
        for p in dataset_files(data_dir, dataset, split):
            if p.is_file():
                hashes[str(p.relative_to(data_dir))] = file_sha256(p)
    return hashes


def train(cfg: TrainConfig, data_dir: Path, resume: bool = False,
          progress: bool = True) -> dict[str, Any]:
    """Train, keep the best dev model in cfg.out_dir; returns its summary."""
    out = Path(cfg.out_dir)
    ckpt = out / "checkpoint"
    setup_logging(log, out)
    torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    if (ckpt / "state.json").is_file() and not resume:
        raise ConfigError("out_dir", f"{out} holds a checkpoint; pass --resume or choose another out_dir")

    train_ex = load_split(data_dir, cfg.dataset, "train", cfg.use_knowledge)[: cfg.limit_train]
    dev_ex = load_split(data_dir, cfg.dataset, "dev", cfg.use_knowledge)[: cfg.limit_dev]
    ner_cfg = NerConfig(encoder=cfg.encoder, max_length=cfg.max_length, shape_dim=cfg.shape_dim,
                        dropout=cfg.dropout, encoder_config=cfg.encoder_config)
    model, tokenizer = io.build(ner_cfg)
    label_index = {l: i for i, l in enumerate(ner_cfg.labels)}
    sub = SubwordCache(tokenizer)
    enc_k = [encode(sub, e.tokens, e.knowledge, cfg.max_length, e.tags, label_index) for e in train_ex]
    enc_t = [encode(sub, e.tokens, None, cfg.max_length, e.tags, label_index) for e in train_ex]

    steps_per_epoch = math.ceil(len(enc_k) / cfg.batch_size)
    optimizer, scheduler = optimizer_and_schedule(model, cfg.lr, cfg.head_lr, cfg.weight_decay,
                                                  steps_per_epoch * cfg.epochs, cfg.warmup_ratio)

    state = TrainState()
    if resume and (ckpt / "state.json").is_file():
        state = TrainState(**load_checkpoint(ckpt, model, optimizer, scheduler))
        log.info("resumed at epoch %d step %d (global %d), best dev F1 %.4f",
                 state.epoch + 1, state.step_in_epoch, state.global_step, state.best_f1)
    else:
        log.info("config %s", json.dumps(asdict(cfg)))
        log.info("train %d tweets (%d with knowledge), dev %d; %d steps/epoch, %d epochs",
                 len(train_ex), sum(1 for e in train_ex if e.knowledge), len(dev_ex),
                 steps_per_epoch, cfg.epochs)
    hashes = _data_hashes(data_dir, cfg.dataset, ("train", "dev"))

    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
    bar = Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                   TimeElapsedColumn(), TimeRemainingColumn(), TextColumn("{task.fields[info]}"),
                   disable=not progress, transient=False)
    model.train()
    with bar:
        while not state.done and state.epoch < cfg.epochs:
            epoch_start = time.time()
            batches = _batches(enc_k, enc_t, cfg, state.epoch)
            task = bar.add_task(f"epoch {state.epoch + 1}/{cfg.epochs}", total=len(batches),
                                completed=state.step_in_epoch, info="")
            run_loss, t0 = 0.0, time.time()
            for i in range(state.step_in_epoch, len(batches)):
                loss = model.loss(collate(batches[i], tokenizer.pad_token_id))
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
                    log.info("epoch %d step %d/%d loss %.4f lr %.2e %.2fs/step",
                             state.epoch + 1, i + 1, len(batches), run_loss / cfg.log_every,
                             scheduler.get_last_lr()[0], dt / cfg.log_every)
                    run_loss, t0 = 0.0, time.time()
                if state.global_step % cfg.checkpoint_every == 0:
                    save_checkpoint(ckpt, model, optimizer, scheduler, asdict(state))
            state.seconds += time.time() - t0
            bar.remove_task(task)
            dev = evaluate(model, tokenizer, dev_ex, cfg.use_knowledge and cfg.eval_with_knowledge)
            f1 = dev["micro"]["f1"]
            epoch_s = time.time() - epoch_start
            state.history.append({"epoch": state.epoch + 1, "dev_f1": f1, "dev": dev["micro"],
                                  "seconds": round(epoch_s, 1)})
            log.info("epoch %d dev P %.4f R %.4f F1 %.4f (%.0fs)", state.epoch + 1,
                     dev["micro"]["precision"], dev["micro"]["recall"], f1, epoch_s)
            if f1 > state.best_f1:
                state.best_f1, state.best_epoch, state.bad_epochs = f1, state.epoch + 1, 0
                io.save(model, tokenizer, out, fp16=cfg.fp16_weights, extra={
                    "train_config": asdict(cfg), "dataset": cfg.dataset, "data_sha256": hashes,
                    "best_epoch": state.best_epoch, "dev": dev})
                log.info("new best dev F1 %.4f: saved %s", f1, out)
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
    summary = {"best_epoch": state.best_epoch, "best_dev_f1": state.best_f1,
               "history": state.history, "train_seconds": round(state.seconds, 1),
               "out_dir": str(out)}
    (out / "train_summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    log.info("done: best dev F1 %.4f at epoch %d; %.0f s of training", state.best_f1,
             state.best_epoch, state.seconds)
    return summary

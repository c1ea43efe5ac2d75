"""Training loop for the PLIM tagger: AdamW, linear warm-up then linear decay,
knowledge dropout, dev F1 after each epoch with early stopping, a resumable
checkpoint (safetensors weights + optimizer state read with
weights_only=True + JSON state), a rich progress bar and a log file."""
from __future__ import annotations

import json
import logging
import math
import random
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Optional

import torch

from riveg_agent.core.errors import ConfigError
from riveg_agent.training import (DevResult, TrainOptions, optimizer_and_schedule, run_epochs, run_identity,
                                  setup_logging, sorted_batches, start_state)

from riveg_agent.ner import io
from riveg_agent.ner.model import Encoded, NerConfig, SubwordCache, collate, encode
from riveg_agent.ner.predict import evaluate
from riveg_agent.llm.catalogue import file_sha256
from riveg_agent.ner.readers import align_knowledge, dataset_files, load_split, read_knowledge

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
    # Knowledge written by the local LLM (what users get at run time), a file
    # per split in the dataset's knowledge format: a path with "{split}", e.g.
    # benchmarks/results/knowledge/twitter2017-{split}.qwen2.5-coder-0.5b.default.txt
    # (`riveg knowledge generate`). Tweets it lacks keep the dataset's knowledge.
    local_knowledge: Optional[str] = None
    local_knowledge_share: float = 0.35  # share of training tweets shown with it, when they have it
    dev_knowledge: str = "dataset"  # what dev selection uses: "dataset", "local" or "none"
    checkpoint_every: int = 50  # steps
    log_every: int = 10
    seed: int = 13
    threads: int = 2
    limit_train: Optional[int] = None  # first N train tweets (timing runs, tests)
    limit_dev: Optional[int] = None
    time_budget_min: Optional[float] = None  # stop after the epoch that would overrun it
    fp16_weights: bool = True
    # Mixed precision for the training steps (torch.autocast bf16 on the CPU):
    # an MPNet step of 16 x 160 subwords 9.4 s -> 5.0 s on this project's
    # 2-core EPYC (avx512_bf16). Dev evaluation and the saved model stay float32.
    bf16: bool = False


def _batches(enc_k: list[Encoded], enc_t: list[Encoded], cfg: TrainConfig, epoch: int,
             enc_l: Optional[list[Optional[Encoded]]] = None) -> list[list[Encoded]]:
    """The epoch's batches: deterministic from (seed, epoch) so a resumed run
    replays the same order. Each tweet is shown without knowledge (a share
    `knowledge_dropout`), with the local LLM's knowledge where it has some (a
    share `local_knowledge_share`), else with the dataset's: one draw a tweet."""
    rng = random.Random(cfg.seed * 1000 + epoch)
    enc_l = enc_l or [None] * len(enc_k)
    chosen = []
    for k, t, l in zip(enc_k, enc_t, enc_l):
        r = rng.random() if cfg.use_knowledge else 0.0
        if not cfg.use_knowledge or r < cfg.knowledge_dropout:
            chosen.append(t)
        elif l is not None and r < cfg.knowledge_dropout + cfg.local_knowledge_share:
            chosen.append(l)
        else:
            chosen.append(k)
    return sorted_batches(chosen, cfg.batch_size, rng, lambda e: len(e.input_ids))


def local_knowledge(cfg: TrainConfig, split: str, examples: list) -> tuple[Optional[Path], list]:
    """(file, knowledge tokens per example or None) from cfg.local_knowledge."""
    if not cfg.local_knowledge:
        return None, [None] * len(examples)
    path = Path(cfg.local_knowledge.format(split=split, dataset=cfg.dataset))
    if not path.is_file():
        raise ConfigError("local_knowledge", f"{path} not found (riveg knowledge generate writes it)")
    return path, align_knowledge([e.tokens for e in examples], read_knowledge(path), path)


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

    if cfg.dev_knowledge not in ("dataset", "local", "none"):
        raise ConfigError("dev_knowledge", f"{cfg.dev_knowledge!r}: choose dataset, local or none")
    train_ex = load_split(data_dir, cfg.dataset, "train", cfg.use_knowledge)[: cfg.limit_train]
    dev_ex = load_split(data_dir, cfg.dataset, "dev", cfg.use_knowledge)[: cfg.limit_dev]
    # With no share for it, train needs no local file (Twitter-2015 selects on local dev only).
    local_train_file, local_train = (local_knowledge(cfg, "train", train_ex) if cfg.local_knowledge_share > 0
                                     else (None, [None] * len(train_ex)))
    local_dev_file, local_dev = local_knowledge(cfg, "dev", dev_ex) if cfg.dev_knowledge == "local" else (None, [])
    if cfg.dev_knowledge == "local":  # select on what users run; a tweet it lacks is scored without
        for e, k in zip(dev_ex, local_dev):
            e.knowledge = k
    elif cfg.dev_knowledge == "none":
        for e in dev_ex:
            e.knowledge = None
    ner_cfg = NerConfig(encoder=cfg.encoder, max_length=cfg.max_length, shape_dim=cfg.shape_dim,
                        dropout=cfg.dropout, encoder_config=cfg.encoder_config)
    model, tokenizer = io.build(ner_cfg)
    label_index = {l: i for i, l in enumerate(ner_cfg.labels)}
    sub = SubwordCache(tokenizer)
    enc_k = [encode(sub, e.tokens, e.knowledge, cfg.max_length, e.tags, label_index) for e in train_ex]
    enc_t = [encode(sub, e.tokens, None, cfg.max_length, e.tags, label_index) for e in train_ex]
    enc_l = [None if k is None else encode(sub, e.tokens, k, cfg.max_length, e.tags, label_index)
             for e, k in zip(train_ex, local_train)]

    steps_per_epoch = math.ceil(len(enc_k) / cfg.batch_size)
    optimizer, scheduler = optimizer_and_schedule(model, cfg.lr, cfg.head_lr, cfg.weight_decay,
                                                  steps_per_epoch * cfg.epochs, cfg.warmup_ratio)

    hashes = _data_hashes(data_dir, cfg.dataset, ("train", "dev"))
    for f in (local_train_file, local_dev_file):
        if f is not None:
            hashes[f"local:{f.name}"] = file_sha256(f)
    state, resumed = start_state(ckpt, resume, model, optimizer, scheduler, run_identity(cfg, hashes))
    if resumed:
        log.info("resumed at epoch %d step %d (global %d), best dev F1 %.4f",
                 state.epoch + 1, state.step_in_epoch, state.global_step, state.best_score)
    else:
        log.info("config %s", json.dumps(asdict(cfg)))
        log.info("train %d tweets (%d with the dataset's knowledge, %d with local knowledge), dev %d "
                 "(%s knowledge, %d with it); %d steps/epoch, %d epochs",
                 len(train_ex), sum(1 for e in train_ex if e.knowledge), sum(1 for k in local_train if k),
                 len(dev_ex), cfg.dev_knowledge, sum(1 for e in dev_ex if e.knowledge),
                 steps_per_epoch, cfg.epochs)

    def dev_f1() -> DevResult:
        dev = evaluate(model, tokenizer, dev_ex, cfg.use_knowledge and cfg.eval_with_knowledge
                       and cfg.dev_knowledge != "none")
        m = dev["micro"]
        return DevResult(m["f1"], {"dev_f1": m["f1"], "dev": m},
                         f"dev P {m['precision']:.4f} R {m['recall']:.4f} F1 {m['f1']:.4f}", dev)

    def save_best(result: DevResult) -> None:
        io.save(model, tokenizer, out, fp16=cfg.fp16_weights, extra={
            "train_config": asdict(cfg), "dataset": cfg.dataset, "data_sha256": hashes,
            "best_epoch": state.best_epoch, "dev": result.details})

    return run_epochs(cfg, model, optimizer, scheduler, state, out, log, metric="F1",
                      epoch_batches=lambda epoch: _batches(enc_k, enc_t, cfg, epoch, enc_l),
                      batch_loss=lambda batch: model.loss(collate(batch, tokenizer.pad_token_id)),
                      evaluate=dev_f1, save_best=save_best, progress=progress)

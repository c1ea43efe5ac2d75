"""What the trainers (NER, VE) share: the epoch loop with early stopping and
a time budget (`run_epochs`), length-sorted batches, optimizer groups, the
linear warm-up schedule, a log file, and resumable checkpoints (safetensors
weights, optimizer and RNG state read back with weights_only=True, a JSON
state written last, and a resume that refuses a checkpoint made by another
config or other data: `start_state`). Each trainer supplies its data, loss,
dev metric and saving."""
from __future__ import annotations

import json
import logging
import random
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

import torch

from riveg_agent.core.errors import ConfigError
from riveg_agent.llm.catalogue import sha256_uncached


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
    """Each file is written to a temporary name and renamed into place; the
    state file lands last and records the other files' sha256, so a crash at
    any point leaves either the previous checkpoint or a mismatch that
    `load_checkpoint` names, never silently torn weights."""
    from safetensors.torch import save_file
    ckpt.mkdir(parents=True, exist_ok=True)
    weights, opt = ckpt / "model.safetensors.tmp", ckpt / "optimizer.pt.tmp"
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(weights))
    # The torch RNG drives dropout: restoring it makes a resumed run take the
    # same steps as an uninterrupted one (batch order is replayed from the seed).
    torch.save({"optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(),
                "torch_rng": torch.get_rng_state()}, opt)
    files = {"model.safetensors": sha256_uncached(weights), "optimizer.pt": sha256_uncached(opt)}
    weights.replace(ckpt / "model.safetensors")
    opt.replace(ckpt / "optimizer.pt")
    tmp = ckpt / "state.json.tmp"
    tmp.write_text(json.dumps({**state, "files_sha256": files}, indent=1), encoding="utf-8")
    tmp.replace(ckpt / "state.json")  # the state file lands last: it marks a whole checkpoint


def load_checkpoint(ckpt: Path, model, optimizer, scheduler) -> dict[str, Any]:
    from safetensors.torch import load_file
    state = json.loads((ckpt / "state.json").read_text(encoding="utf-8"))
    for name, digest in state.pop("files_sha256", {}).items():
        if sha256_uncached(ckpt / name) != digest:
            raise ConfigError("--resume", f"checkpoint {ckpt}: {name} does not match its state.json "
                              "(a run stopped while writing it); remove the folder to start afresh")
    model.load_state_dict(load_file(str(ckpt / "model.safetensors")))
    opt = torch.load(ckpt / "optimizer.pt", weights_only=True)
    optimizer.load_state_dict(opt["optimizer"])
    scheduler.load_state_dict(opt["scheduler"])
    if "torch_rng" in opt:  # checkpoints from before the RNG was saved lack it
        torch.set_rng_state(opt["torch_rng"])
    return state


# Options a resumed run may change: how fast or how verbosely it goes, and
# how long (more epochs continue a run; the LR schedule follows the new length).
RESUME_MAY_CHANGE = frozenset({"threads", "time_budget_min", "log_every", "checkpoint_every",
                               "epochs", "patience"})


def run_identity(cfg, data_sha256: dict[str, str]) -> dict[str, Any]:
    """What a checkpoint must have been made with to be resumed: the training
    config (less RESUME_MAY_CHANGE) and the sha256 of the data files."""
    config = {k: v for k, v in asdict(cfg).items() if k not in RESUME_MAY_CHANGE}
    return json.loads(json.dumps({"config": config, "data_sha256": data_sha256}))  # as state.json holds it


def start_state(ckpt: Path, resume: bool, model, optimizer, scheduler,
                identity: dict[str, Any]) -> tuple["TrainState", bool]:
    """(state, resumed): a fresh state, or with --resume the checkpoint's,
    after checking it was made with the same config on the same data."""
    if not (resume and (ckpt / "state.json").is_file()):
        return TrainState(identity=identity), False
    state = TrainState.from_dict(load_checkpoint(ckpt, model, optimizer, scheduler))
    if state.identity and state.identity != identity:  # checkpoints before identities had none
        raise ConfigError("--resume", f"checkpoint {ckpt} was made with {_difference(state.identity, identity)}; "
                                      "resume with the same config and data, or start in another out_dir")
    state.identity = identity
    return state, True


def _difference(saved: dict[str, Any], now: dict[str, Any]) -> str:
    for part in ("config", "data_sha256"):
        a, b = saved.get(part, {}), now.get(part, {})
        for key in sorted(set(a) | set(b)):
            if a.get(key) != b.get(key):
                what = "option" if part == "config" else "data file"
                return f"{what} {key} = {a.get(key)!r}, now {b.get(key)!r}"
    return "another config"


@dataclass
class TrainState:
    """Where a run stands; saved as the checkpoint's state.json."""
    epoch: int = 0  # current epoch (0-based)
    step_in_epoch: int = 0  # batches of `epoch` already done
    global_step: int = 0
    best_score: float = -1.0  # the dev metric of the best epoch so far
    best_epoch: int = -1
    bad_epochs: int = 0
    history: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0
    done: bool = False
    identity: dict[str, Any] = field(default_factory=dict)  # run_identity of the run

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "TrainState":
        data = dict(data)
        for old in ("best_f1", "best_accuracy"):  # checkpoints from before the loops were shared
            if old in data:
                data["best_score"] = data.pop(old)
        return cls(**data)


@dataclass
class DevResult:
    """One epoch's dev evaluation, as `run_epochs` needs it."""
    score: float  # the metric that chooses the best epoch and stops early
    record: dict[str, Any]  # fields for the epoch's history entry
    message: str  # the epoch's log line
    details: Any = None  # handed to save_best


def sorted_batches(items: list, batch_size: int, rng: random.Random,
                   length: Callable[[Any], int]) -> list[list]:
    """Shuffled, then length-sorted within chunks of 50 batches (little
    padding, still random), then the batches shuffled."""
    items = list(items)
    rng.shuffle(items)
    chunk = batch_size * 50
    batches = []
    for s in range(0, len(items), chunk):
        part = sorted(items[s:s + chunk], key=length)
        batches += [part[i:i + batch_size] for i in range(0, len(part), batch_size)]
    rng.shuffle(batches)
    return batches


def run_epochs(cfg, model, optimizer, scheduler, state: TrainState, out: Path, log: logging.Logger, *,
               metric: str, epoch_batches: Callable[[int], list], batch_loss: Callable[[Any], torch.Tensor],
               evaluate: Callable[[], DevResult], save_best: Callable[[DevResult], None],
               progress: bool = True) -> dict[str, Any]:
    """The loop both trainers share: steps with gradient clipping, a log line
    every `cfg.log_every` steps, a checkpoint every `cfg.checkpoint_every`
    steps and after each epoch, dev evaluation after each epoch, the best epoch
    saved through `save_best`, early stop after `cfg.patience` epochs without
    gain, and a stop before an epoch that would overrun `cfg.time_budget_min`.
    A resumed state replays the interrupted epoch's batches (`epoch_batches`
    is deterministic) from where it stopped. Returns the run's summary, also
    written to out/train_summary.json."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    ckpt = out / "checkpoint"
    bar = Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                   TimeElapsedColumn(), TimeRemainingColumn(), TextColumn("{task.fields[info]}"),
                   disable=not progress, transient=False)
    model.train()
    with bar:
        while not state.done and state.epoch < cfg.epochs:
            epoch_start = time.time()
            batches = epoch_batches(state.epoch)
            task = bar.add_task(f"epoch {state.epoch + 1}/{cfg.epochs}", total=len(batches),
                                completed=state.step_in_epoch, info="")
            run_loss, t0 = 0.0, time.time()
            for i in range(state.step_in_epoch, len(batches)):
                # bf16 autocast halves a CPU step where the CPU has bf16 units (avx512_bf16,
                # AMX); weights, optimizer and the losses' reductions stay float32.
                with torch.autocast("cpu", dtype=torch.bfloat16, enabled=getattr(cfg, "bf16", False)):
                    loss = batch_loss(batches[i])
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
            dev = evaluate()
            epoch_s = time.time() - epoch_start
            state.history.append({"epoch": state.epoch + 1, **dev.record, "seconds": round(epoch_s, 1)})
            log.info("epoch %d %s (%.0fs)", state.epoch + 1, dev.message, epoch_s)
            if dev.score > state.best_score:
                state.best_score, state.best_epoch, state.bad_epochs = dev.score, state.epoch + 1, 0
                save_best(dev)
                log.info("new best dev %s %.4f: saved %s", metric, dev.score, out)
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
    summary = {"best_epoch": state.best_epoch, f"best_dev_{metric.lower()}": state.best_score,
               "history": state.history, "train_seconds": round(state.seconds, 1), "out_dir": str(out)}
    (out / "train_summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    log.info("done: best dev %s %.4f at epoch %d; %.0f s of training", metric, state.best_score,
             state.best_epoch, state.seconds)
    return summary

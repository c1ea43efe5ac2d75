"""Training checkpoints are written file by file to temporary names and
renamed; the state file records the others' sha256, so a checkpoint torn by
a crash is named on --resume instead of silently loaded. A resume restores
the RNG and refuses a checkpoint made with another config or other data."""
from dataclasses import asdict, dataclass

import pytest
import torch

from riveg_agent.core.errors import ConfigError
from riveg_agent.training import load_checkpoint, run_identity, save_checkpoint, start_state


def parts():
    torch.manual_seed(0)
    model = torch.nn.Linear(4, 2)
    opt = torch.optim.AdamW(model.parameters(), lr=0.1)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 1.0)
    return model, opt, sched


def test_round_trip_and_no_temporary_files_left(tmp_path):
    model, opt, sched = parts()
    save_checkpoint(tmp_path / "ckpt", model, opt, sched, {"epoch": 1})
    assert sorted(p.name for p in (tmp_path / "ckpt").iterdir()) == ["model.safetensors", "optimizer.pt",
                                                                      "state.json"]
    other, o2, s2 = parts()
    torch.nn.init.zeros_(other.weight)
    assert load_checkpoint(tmp_path / "ckpt", other, o2, s2) == {"epoch": 1}
    assert torch.equal(other.weight, model.weight)


def test_a_torn_weights_file_is_named_on_resume(tmp_path):
    model, opt, sched = parts()
    save_checkpoint(tmp_path / "ckpt", model, opt, sched, {"epoch": 1})
    weights = tmp_path / "ckpt" / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[: len(weights.read_bytes()) // 2])  # a crash mid-write
    with pytest.raises(ConfigError, match="model.safetensors does not match"):
        load_checkpoint(tmp_path / "ckpt", *parts())


def test_the_torch_rng_is_restored_so_dropout_continues_as_uninterrupted(tmp_path):
    model, opt, sched = parts()
    torch.manual_seed(7)
    save_checkpoint(tmp_path / "ckpt", model, opt, sched, {"epoch": 1})
    expected = torch.rand(5)  # what the uninterrupted run draws next
    torch.manual_seed(99)  # a new process starts with another RNG state
    load_checkpoint(tmp_path / "ckpt", *parts())
    assert torch.equal(torch.rand(5), expected)


@dataclass
class Cfg:
    lr: float = 0.1
    threads: int = 2
    out_dir: str = "x"
    layers: tuple = (1, 2)


def test_resume_refuses_another_config_or_other_data_and_allows_speed_options(tmp_path):
    ckpt = tmp_path / "ckpt"
    identity = run_identity(Cfg(), {"train.txt": "aa"})
    state, resumed = start_state(ckpt, True, *parts(), identity)  # nothing to resume yet
    assert not resumed and state.identity == identity
    save_checkpoint(ckpt, *parts(), asdict(state))

    state, resumed = start_state(ckpt, True, *parts(), run_identity(Cfg(threads=8), {"train.txt": "aa"}))
    assert resumed  # threads change the speed, not the result
    with pytest.raises(ConfigError, match=r"option lr = 0.1, now 0.2"):
        start_state(ckpt, True, *parts(), run_identity(Cfg(lr=0.2), {"train.txt": "aa"}))
    with pytest.raises(ConfigError, match=r"data file train.txt = 'aa', now 'bb'"):
        start_state(ckpt, True, *parts(), run_identity(Cfg(), {"train.txt": "bb"}))

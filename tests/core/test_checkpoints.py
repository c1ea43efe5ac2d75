"""Training checkpoints are written file by file to temporary names and
renamed; the state file records the others' sha256, so a checkpoint torn by
a crash is named on --resume instead of silently loaded."""
import pytest
import torch

from riveg_agent.core.errors import ConfigError
from riveg_agent.training import load_checkpoint, save_checkpoint


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

"""`riveg train ...`: thin CLI over riveg_agent.ner.train, riveg_agent.ve.train and
riveg_agent.ve.clip."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from riveg_agent.core.errors import RivegError

app = typer.Typer(help="Train models (the PLIM NER recognizer, the VE cross-encoder).", no_args_is_help=True)


def _train(config_cls, train, config: Path, data_dir: Path, resume: bool,
           out_dir: Optional[Path], progress: bool, **extra) -> None:
    """Read the YAML, apply --out-dir, train, print the summary; errors -> exit 2."""
    try:
        cfg = config_cls.from_yaml(config)
        if out_dir is not None:
            cfg.out_dir = str(out_dir)
        summary = train(cfg, data_dir, resume=resume, progress=progress, **extra)
    except (RivegError, OSError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2)
    typer.echo(json.dumps(summary, indent=2))


@app.command("ner")
def ner(config: Annotated[Path, typer.Option("--config", help="training YAML (see riveg_agent/configs/ner/)")],
        data_dir: Annotated[Path, typer.Option("--data-dir", help="folder with twitter2015/, twitter2017/, twitter-gmner/")],
        resume: Annotated[bool, typer.Option("--resume", help="continue from out_dir/checkpoint")] = False,
        out_dir: Annotated[Optional[Path], typer.Option("--out-dir", help="override the config's out_dir")] = None,
        progress: Annotated[bool, typer.Option("--progress/--no-progress", help="rich progress bar")] = True) -> None:
    """Train the encoder + CRF tagger; the best dev model lands in out_dir."""
    from riveg_agent.ner.train import TrainConfig, train
    _train(TrainConfig, train, config, data_dir, resume, out_dir, progress)


@app.command("ve")
def ve(config: Annotated[Path, typer.Option("--config", help="training YAML (see riveg_agent/configs/ve/)")],
       data_dir: Annotated[Path, typer.Option("--data-dir", help="folder with twitter-gmner/ and captions/")],
       resume: Annotated[bool, typer.Option("--resume", help="continue from out_dir/checkpoint")] = False,
       out_dir: Annotated[Optional[Path], typer.Option("--out-dir", help="override the config's out_dir")] = None,
       progress: Annotated[bool, typer.Option("--progress/--no-progress", help="rich progress bar")] = True) -> None:
    """Train the caption cross-encoder for visual entailment on Twitter-GMNER;
    the best dev model (and its dev-chosen threshold) lands in out_dir."""
    from riveg_agent.ve.train import VeTrainConfig, train
    _train(VeTrainConfig, train, config, data_dir, resume, out_dir, progress)


@app.command("clip-ve")
def clip_ve(config: Annotated[Path, typer.Option("--config", help="training YAML (see riveg_agent/configs/ve/clip-gmner.yaml)")],
            data_dir: Annotated[Path, typer.Option("--data-dir", help="folder with twitter-gmner/")],
            images: Annotated[Path, typer.Option("--images", help="the tweet images, named <image id>.jpg")],
            resume: Annotated[bool, typer.Option("--resume", help="continue from out_dir/checkpoint")] = False,
            out_dir: Annotated[Optional[Path], typer.Option("--out-dir", help="override the config's out_dir")] = None,
            progress: Annotated[bool, typer.Option("--progress/--no-progress", help="rich progress bar")] = True) -> None:
    """Fine-tune CLIP for visual entailment on Twitter-GMNER with its images;
    the best dev model (CLIP + calibration + threshold) lands in out_dir, a
    checkpoint for the riveg.clip_ve.v1 plugin."""
    from riveg_agent.ve.clip import ClipVeTrainConfig, train
    _train(ClipVeTrainConfig, train, config, data_dir, resume, out_dir, progress, images_dir=images)

"""Shared CLI plumbing: error reporting and quiet native libraries."""
from __future__ import annotations

import contextlib
import os
import sys
from typing import Iterator

import typer
from rich.console import Console

from riveg_agent.core.errors import RivegError

err_console = Console(stderr=True)
CONFIG_HELP = "pipeline config: a built-in name (default, fast) or a YAML file"


def quiet_native_logs() -> None:
    """Keep TensorFlow-Lite/absl chatter off stderr unless asked for."""
    os.environ.setdefault("GLOG_minloglevel", "2")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@contextlib.contextmanager
def errors_to_exit() -> Iterator[None]:
    """RivegError -> `error: <message>` on stderr and exit code 2."""
    try:
        yield
    except RivegError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None


def print_json(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()

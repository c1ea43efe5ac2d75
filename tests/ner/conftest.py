"""NER test fixtures: the tiny data folder and a tiny tagger (the tiny encoder
and tokenizer fixtures are in tests/conftest.py)."""
from __future__ import annotations

from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
DATA = FIXTURES / "data"


@pytest.fixture
def tiny_model(tiny_tokenizer_dir, tiny_config):
    import torch

    from riveg_agent.ner import io
    from riveg_agent.ner.model import NerConfig
    torch.manual_seed(0)
    return io.build(NerConfig(encoder=str(tiny_tokenizer_dir), max_length=64,
                              encoder_config=dict(tiny_config)))

"""NER test fixtures: the tiny data folder (the tiny encoder, tokenizer and
tagger fixtures are in tests/conftest.py)."""
from __future__ import annotations

from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"
DATA = FIXTURES / "data"

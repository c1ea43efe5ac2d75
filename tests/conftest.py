"""Shared fixtures. Unit tests never read ../shared: small fixtures ship here."""
from __future__ import annotations

import os
import string
import sys
from importlib import resources
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # tests/fakes.py for every test folder
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GLOG_minloglevel", "2")
# One llama.cpp thread: with two, any other busy process on a 2-core machine
# slows decoding ~25x (spinning threads; see docs/results.md "Speed of the whole chain").
os.environ.setdefault("RIVEG_THREADS", "1")
# A fresh LLM cache per test session, so the tests run the models for real.
if "RIVEG_CACHE_DIR" not in os.environ:
    import tempfile
    os.environ["RIVEG_CACHE_DIR"] = tempfile.mkdtemp(prefix="riveg-test-cache-")

FAST_LLM = "smollm2-135m-instruct-q4_1"

# A tiny BERT built from a config over a vocabulary of fixture words and single
# characters (NER and VE tests): training runs in seconds, no downloaded weights.
WORDS = ["kawhi", "leonard", "wins", "in", "toronto", "nba", "golden", "state", "warriors",
         "celebrate", "new", "post", "blackburn", "festival", "of", "voice", "rt", "paris",
         "is", "lovely", "person", "location", "organization", "city", "league", "team"]


def tiny_encoder_config(vocab_size: int) -> dict:
    return {"model_type": "bert", "vocab_size": vocab_size, "hidden_size": 32,
            "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 64,
            "max_position_embeddings": 256, "type_vocab_size": 2}


@pytest.fixture(scope="session", autouse=True)
def one_thread():
    """Tiny models gain nothing from threads, and with another job on the
    cores two spinning threads make each step ~100x slower."""
    import torch
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def tiny_tokenizer_dir(tmp_path_factory) -> Path:
    from transformers import BertTokenizer
    folder = tmp_path_factory.mktemp("tiny_tok")
    chars = list(string.ascii_lowercase + string.digits + string.punctuation)
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + WORDS + chars + [f"##{c}" for c in chars]
    tok = BertTokenizer(vocab={w: i for i, w in enumerate(dict.fromkeys(vocab))},
                        do_lower_case=True)
    out = folder / "tok"
    tok.save_pretrained(str(out))
    return out


@pytest.fixture(scope="session")
def tiny_config(tiny_tokenizer_dir):
    from transformers import AutoTokenizer
    n = len(AutoTokenizer.from_pretrained(str(tiny_tokenizer_dir)))
    return tiny_encoder_config(n)


@pytest.fixture
def tiny_model(tiny_tokenizer_dir, tiny_config):
    import torch

    from riveg_agent.ner import io
    from riveg_agent.ner.model import NerConfig
    torch.manual_seed(0)
    return io.build(NerConfig(encoder=str(tiny_tokenizer_dir), max_length=64,
                              encoder_config=dict(tiny_config)))


@pytest.fixture(scope="session")
def demo_image() -> Path:
    return Path(str(resources.files("riveg_agent.assets") / "astronaut.jpg"))


@pytest.fixture(scope="session")
def demo_text() -> str:
    import json
    return json.loads((resources.files("riveg_agent.assets") / "demo.json").read_text())["text"]


@pytest.fixture(scope="session")
def fast_pipeline():
    """The real chain with the small SmolLM2 model (the `fast` built-in config)."""
    from riveg_agent.core.pipeline import Pipeline
    return Pipeline("fast")

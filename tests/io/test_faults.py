"""Fault injection: `run_batch` killed with SIGKILL at many points (a real
process, a real kill), then resumed, until it finishes. Every input id ends
with exactly one well-formed record: none lost, none duplicated."""
import json
import os
import signal
import subprocess
import sys

from paths import TESTS

WORKER = r"""
import sys, time
sys.path.insert(0, sys.argv[3])
from pathlib import Path
from fakes import CapitalRecognizer, fake_pipeline
from riveg_agent.io.batch import run_batch

class Slow(CapitalRecognizer):
    def recognize(self, post, knowledge):
        time.sleep(0.05)  # a model's time per post: kills land mid-run
        return super().recognize(post, knowledge)

run_batch(fake_pipeline(recognizer=Slow()), Path(sys.argv[1]), Path(sys.argv[2]), batch_size=3)
"""


def test_sigkill_at_many_points_then_resume_loses_and_duplicates_nothing(tmp_path):
    inp, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    ids = [f"p{i:03d}" for i in range(60)]
    inp.write_text("".join(json.dumps({"id": i, "text": f"Ada post {i}"}) + "\n" for i in ids))
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    kills, written_at_kill = 0, []
    for attempt in range(40):
        proc = subprocess.Popen([sys.executable, str(script), str(inp), str(out), str(TESTS)], env=env)
        delay = 1.2 + 0.05 * (attempt % 7)  # start-up, then somewhere in the run
        try:
            proc.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            kills += 1
            written_at_kill.append(out.read_bytes().count(b"\n") if out.exists() else 0)
            continue
        assert proc.returncode == 0
        break
    else:
        raise AssertionError("the batch never finished")
    # killed at least twice with some but not all records written: mid-run
    assert sum(0 < n < len(ids) for n in written_at_kill) >= 2, written_at_kill
    lines = out.read_bytes().split(b"\n")
    assert lines[-1] == b""  # ends with a newline: no torn tail left
    records = [json.loads(l) for l in lines[:-1]]  # every line is whole JSON
    assert sorted(r["id"] for r in records) == ids  # each id exactly once
    assert all(r["kind"] == "riveg-agent/result" for r in records)


HALF_LINE_WORKER = r"""
import os, sys
sys.path.insert(0, sys.argv[3])
from pathlib import Path
from fakes import fake_pipeline
from riveg_agent.io.batch import run_batch

out = Path(sys.argv[2])
die_after = int(sys.argv[4])
done = []

def on_record(rid, ok):
    done.append(rid)
    if len(done) == die_after:
        # The disk as a write that died half-way leaves it: half a record, no newline.
        with out.open("ab") as f:
            f.write(b'{"id": "p0' + str(die_after).encode() + b'", "kind": "riveg-agent/res')
        os._exit(137)

run_batch(fake_pipeline(), Path(sys.argv[1]), out, on_record=on_record, batch_size=2)
"""


def test_a_writer_dying_after_half_a_line_loses_and_duplicates_nothing(tmp_path):
    inp, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    ids = [f"p{i:03d}" for i in range(12)]
    inp.write_text("".join(json.dumps({"id": i, "text": f"Ada post {i}"}) + "\n" for i in ids))
    script = tmp_path / "worker.py"
    script.write_text(HALF_LINE_WORKER)
    for die_after in (3, 7, 99):  # two torn deaths, then a run that finishes
        proc = subprocess.run([sys.executable, str(script), str(inp), str(out), str(TESTS), str(die_after)])
        assert proc.returncode == (0 if die_after == 99 else 137)
        if die_after != 99:
            assert not out.read_bytes().endswith(b"\n")  # the torn line is there
    lines = out.read_bytes().split(b"\n")
    assert lines[-1] == b""
    records = [json.loads(l) for l in lines[:-1]]
    assert sorted(r["id"] for r in records) == ids


def test_a_fatal_model_error_stops_riveg_batch_with_status_2_and_no_records(tmp_path):
    from importlib import resources
    fast = (resources.files("riveg_agent.configs") / "fast.yaml").read_text()
    config = tmp_path / "broken.yaml"  # the fast chain with a knowledge model that is not there
    config.write_text(fast.replace("model: smollm2-135m-instruct-q4_1", f"model: {tmp_path / 'missing.gguf'}", 1))
    inp, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    inp.write_text("".join(json.dumps({"id": f"p{i}", "text": "Ada Lovelace in London"}) + "\n" for i in range(3)))
    proc = subprocess.run([sys.executable, "-m", "riveg_agent", "batch", str(inp), str(out), "--config", str(config)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert "missing.gguf" in proc.stderr and "Traceback" not in proc.stderr
    assert not out.exists() or out.read_text() == ""  # nothing a rerun would skip

"""`riveg batch --engine ray` against the local engine: a local Ray with two
CPUs, the same JSONL contract. The workers' Pipelines get the stand-in
plugins of tests/fakes.py (the batch plumbing is under test, not the models;
the real chain on Ray is measured in docs/results.md)."""
import json
import subprocess
import sys

import pytest

ray = pytest.importorskip("ray", reason="the ray extra is not installed (pip install -e '.[ray]')")

import fakes  # noqa: E402
from riveg_agent.core.config import load_config  # noqa: E402
from riveg_agent.core.errors import PluginUnavailable, RivegError  # noqa: E402
from riveg_agent.core.roles import Recognizer  # noqa: E402
from riveg_agent.io import ray_batch  # noqa: E402
from riveg_agent.io.batch import run_batch  # noqa: E402
from riveg_agent.io.ray_batch import run_ray_batch  # noqa: E402


class BrokenInstall(Recognizer):
    """A recognizer whose model is missing: an installation error, not a post's."""

    def recognize(self, post, knowledge):
        raise PluginUnavailable("recognizer model not found: /nowhere/model")


@pytest.fixture(scope="module", autouse=True)
def local_ray():
    # The workers cannot import tests/: send the stand-ins by value.
    ray.cloudpickle.register_pickle_by_value(fakes)
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    ray.init(num_cpus=2, include_dashboard=False, logging_level="WARNING")
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def config():
    return load_config("fast")


def write_input(path, demo_image):
    lines = [json.dumps({"id": "a", "text": "Ada at the lab", "image": str(demo_image)}),
             json.dumps({"id": "b", "text": "Ada and Ada, no picture"}),
             "{not json",
             json.dumps({"id": "c", "text": "explode", "image": str(demo_image)}),  # the recognizer crashes
             json.dumps({"id": "d", "text": "Ada here", "image": "no/such.jpg"}),
             json.dumps({"id": "e", "text": "Ada again", "image": str(demo_image)})]
    path.write_text("\n".join(lines) + "\n")


def records(path) -> list[dict]:
    out = []
    for line in path.read_text().splitlines():
        rec = json.loads(line)
        rec.pop("timings", None)  # seconds differ between runs; everything else must not
        out.append(rec)
    return out


def test_ray_writes_what_the_local_engine_writes(tmp_path, demo_image, config):
    inp = tmp_path / "in.jsonl"
    write_input(inp, demo_image)
    local = run_batch(fakes.fake_pipeline(), inp, tmp_path / "local.jsonl", batch_size=2)
    on_ray = run_ray_batch(config, inp, tmp_path / "ray.jsonl", batch_size=2, plugins=fakes.fake_plugins())
    assert (on_ray.results, on_ray.errors, on_ray.skipped) == (local.results, local.errors, 0) == (3, 3, 0)
    mine, theirs = records(tmp_path / "ray.jsonl"), records(tmp_path / "local.jsonl")
    assert [r["id"] for r in mine] == ["a", "b", "line-3", "c", "d", "e"]
    assert mine == theirs  # record for record: ids, entities, boxes, masks, error records
    by_id = {r["id"]: r for r in mine}
    assert [e["box"] for e in by_id["a"]["entities"]] == [[1.0, 1.0, 5.0, 5.0]]
    assert [e["text"] for e in by_id["b"]["entities"]] == ["Ada", "Ada"]
    assert by_id["c"]["error"]["code"] == "internal" and "model fell over" in by_id["c"]["error"]["message"]
    assert by_id["d"]["error"]["code"] == "image_missing" and "record 'd'" in by_id["d"]["error"]["message"]
    assert by_id["line-3"]["error"]["code"] == "bad_json"


def test_ray_resumes_skipping_the_ids_in_out(tmp_path, demo_image, config):
    inp, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    write_input(inp, demo_image)
    run_batch(fakes.fake_pipeline(), inp, tmp_path / "full.jsonl")
    full = (tmp_path / "full.jsonl").read_text().splitlines(keepends=True)
    out.write_text("".join(full[:2]) + full[2][:10])  # two records, then a line cut by a crash
    stats = run_ray_batch(config, inp, out, plugins=fakes.fake_plugins(), num_workers=1)
    assert (stats.skipped, stats.results + stats.errors) == (2, 4)
    assert [r["id"] for r in records(out)] == ["a", "b", "line-3", "c", "d", "e"]
    assert records(out) == records(tmp_path / "full.jsonl")


def test_an_installation_error_in_a_worker_stops_the_run(tmp_path, demo_image, config):
    inp, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    write_input(inp, demo_image)
    with pytest.raises(RivegError, match="recognizer model not found: /nowhere/model"):
        run_ray_batch(config, inp, out, plugins=fakes.fake_plugins(recognizer=BrokenInstall()), num_workers=1)
    assert out.read_text() == ""  # nothing for the posts not run: a rerun runs them


def test_without_ray_the_error_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(RivegError, match=r"pip install 'riveg-agent\[ray\]'"):
        ray_batch._ray()


@pytest.mark.parametrize("args, words", [
    (["--address", "127.0.0.1:6379"], "need --engine ray"),
    (["--engine", "ray", "--address", "127.0.0.1:1"], "cannot reach the Ray cluster at 127.0.0.1:1"),
    (["--engine", "spark"], "--engine must be local or ray"),
])
def test_cli_engine_options_fail_in_one_line(tmp_path, args, words):
    (tmp_path / "in.jsonl").write_text('{"id": "a", "text": "hi"}\n')
    proc = subprocess.run([sys.executable, "-m", "riveg_agent", "batch", str(tmp_path / "in.jsonl"),
                           str(tmp_path / "out.jsonl"), "--config", "fast", *args],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and words in errors[0] and "Traceback" not in proc.stderr, proc.stderr

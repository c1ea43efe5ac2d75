"""The whole chain with real models, as a user runs it."""
import json
import subprocess
import sys

import pytest

from riveg_agent.io.masks import decode
from riveg_agent.core.schema import Result, parse_record


def riveg(*args, timeout=600):
    return subprocess.run([sys.executable, "-m", "riveg_agent", *args], capture_output=True, text=True,
                          timeout=timeout)


def check_demo(result: Result):
    ent = next(e for e in result.entities if e.text == "Eileen Collins")
    assert ent.type == "PER" and ent.groundable and ent.score > 0.5
    x1, y1, x2, y2 = ent.box
    assert 0 <= x1 < x2 <= result.image.width and 0 <= y1 < y2 <= result.image.height
    mask = decode(ent.mask)
    assert mask.shape == (result.image.height, result.image.width) and mask.sum() > 1000
    # The shipped VE and VG read `Name (TYPE)`: with `expansions: auto` the expander does not run
    assert ent.expression == "Eileen Collins (PER)" and ent.expansion is None
    assert {e.text for e in result.entities} >= {"NASA", "Eileen Collins", "Houston"}
    assert result.text[ent.start:ent.end] == ent.text


@pytest.mark.parametrize("config", ["fast", "default"])
def test_demo_json(tmp_path, config):
    overlay = tmp_path / "overlay.png"
    proc = riveg("demo", "--json", "--config", config, "--overlay", str(overlay))
    assert proc.returncode == 0, proc.stderr
    result = Result.model_validate_json(proc.stdout)
    check_demo(result)
    assert overlay.stat().st_size > 10_000
    prov = result.provenance
    assert prov.config_name == config and len(prov.config_hash) == 64
    assert "riveg.entity_expansion.v3" not in prov.prompts  # no expansion was made: none is claimed
    assert set(result.timings) >= {"captioner", "knowledge", "segmenter", "total"}
    llms = [m for m in prov.models if m.name.startswith(("qwen", "smollm"))]
    if config == "fast":  # knowledge always: the LLM stage runs
        from riveg_agent.core.config import load_config
        k = load_config(config).roles["exemplars"].params["k"]
        assert result.knowledge.startswith("Named entities:") and len(result.exemplars) == k >= 1
        assert "riveg.plim_knowledge.v1" in prov.prompts and len(llms[0].sha256) == 64
    else:  # adaptive knowledge: the CRF is sure of the demo post alone (path probability 0.78 >= 0.5)
        assert result.knowledge is None and result.exemplars == []
        assert not llms and "riveg.plim_knowledge.v1" not in prov.prompts  # no LLM ran: none is claimed


def test_run_with_overlay(tmp_path, demo_image, demo_text):
    overlay = tmp_path / "o.png"
    proc = riveg("run", "--text", demo_text, "--image", str(demo_image), "--config", "fast",
                 "--overlay", str(overlay), "--id", "p-1")
    assert proc.returncode == 0, proc.stderr
    result = Result.model_validate_json(proc.stdout)
    assert result.id == "p-1" and overlay.exists()
    check_demo(result)


def test_batch_20_records_3_broken_then_resume(tmp_path, demo_image):
    texts = ["Kawhi Leonard wins the fan vote at the NBA Awards in New York",
             "Great night with Taylor Swift in London",
             "Manchester United sign a new striker from Barcelona"]
    records = []
    for i in range(17):
        image = str(demo_image) if i % 6 == 0 else None
        records.append(json.dumps({"id": f"p{i}", "text": texts[i % 3], "image": image}).encode())
    records.insert(4, json.dumps({"id": "broken-img", "text": "Hi Paris", "image": "missing.jpg"}).encode())
    records.insert(9, b'{"id": "broken-utf8", "text": "Caf\xe9 in Rome"}')
    records.insert(14, json.dumps({"id": "broken-text", "text": ""}).encode())
    inp, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    inp.write_bytes(b"\n".join(records) + b"\n")
    proc = riveg("batch", str(inp), str(out), "--config", "fast")
    assert proc.returncode == 0, proc.stderr
    recs = [parse_record(l) for l in out.read_text().splitlines()]
    assert len(recs) == 20
    ok = [r for r in recs if isinstance(r, Result)]
    errors = [r for r in recs if not isinstance(r, Result)]
    assert len(ok) == 17 and len(errors) == 3
    assert {e.error.code for e in errors} == {"image_missing", "bad_encoding", "bad_text"}
    assert "17 results, 3 error records" in proc.stderr
    again = riveg("batch", str(inp), str(out), "--config", "fast")
    assert again.returncode == 0 and "0 results, 0 error records, 20 already" in again.stderr
    assert len(out.read_text().splitlines()) == 20

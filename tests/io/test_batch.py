"""run_batch with a stand-in pipeline (the real chain is exercised in
test_e2e.py): resume, one error record per bad input, nothing lost."""
import json

from fakes import fake_pipeline
from riveg_agent.io.batch import done_ids, read_input, run_batch


class EchoPipeline:
    """The real Pipeline (its validation, its pipe) over the fake plugins;
    `calls`: the ids the recognizer saw, in order."""

    def __new__(cls):
        pipe = fake_pipeline()
        pipe.calls = pipe.plugin("recognizer").posts
        return pipe


def write_input(path, demo_image):
    lines = [json.dumps({"id": f"ok{i}", "text": f"post {i}", "image": None}) for i in range(15)]
    lines.insert(3, json.dumps({"id": "img", "text": "with picture", "image": str(demo_image)}))
    lines.insert(5, json.dumps({"id": "gone", "text": "missing image", "image": "no/such.jpg"}))
    lines.insert(7, '{"id": "bad-utf8", "text": "caf\xe9"}')  # replaced below with raw bytes
    lines.insert(9, json.dumps({"id": "empty", "text": ""}))
    lines.insert(11, "{not json")
    data = "\n".join(lines).encode("utf-8").replace("caf\xe9".encode("utf-8"), b"caf\xe9")
    path.write_bytes(data + b"\n\n")
    return len(lines)


def test_batch_writes_one_record_per_input_and_resumes(tmp_path, demo_image):
    inp, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    n = write_input(inp, demo_image)
    assert n == 20
    stats = run_batch(EchoPipeline(), inp, out)
    records = [json.loads(l) for l in out.read_text().splitlines()]
    assert len(records) == 20 and (stats.results, stats.errors) == (16, 4)
    errors = {r["id"]: r["error"] for r in records if r["kind"] == "riveg-agent/error"}
    assert set(errors) == {"gone", "bad-utf8", "empty", "line-12"}  # a readable id survives bad bytes
    assert errors["gone"]["code"] == "image_missing" and "record 'gone'" in errors["gone"]["message"]
    assert errors["bad-utf8"]["code"] == "bad_encoding" and "invalid UTF-8" in errors["bad-utf8"]["message"]
    assert errors["line-12"]["code"] == "bad_json"
    assert errors["empty"]["code"] == "bad_text"
    # second run: nothing new
    again = run_batch(EchoPipeline(), inp, out)
    assert (again.results, again.errors, again.skipped) == (0, 0, 20)
    assert len(out.read_text().splitlines()) == 20


def test_a_crashing_post_becomes_an_error_and_the_batch_goes_on(tmp_path):
    inp, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    inp.write_text("\n".join(json.dumps({"id": i, "text": t}) for i, t in
                             [("a", "fine"), ("b", "explode"), ("c", "fine too")]))
    pipe = EchoPipeline()
    stats = run_batch(pipe, inp, out)
    assert pipe.calls == ["a", "b", "c"] and (stats.results, stats.errors) == (2, 1)
    rec = json.loads(out.read_text().splitlines()[1])
    assert rec["id"] == "b" and rec["error"]["code"] == "internal" and "model fell over" in rec["error"]["message"]


def test_retry_errors_and_duplicates_and_cut_lines(tmp_path):
    inp, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    inp.write_text("\n".join(json.dumps(r) for r in [
        {"id": "a", "text": "one"}, {"id": "a", "text": "again"}, {"id": 7, "text": "int id"},
        {"text": "no id"}]))
    run_batch(EchoPipeline(), inp, out)
    recs = [json.loads(l) for l in out.read_text().splitlines()]
    # one record per id: the duplicate line's error record carries the line's id and names the id
    assert [r["id"] for r in recs] == ["a", "line-2", "7", "line-4"]
    assert recs[1]["error"]["code"] == "duplicate_id" and "duplicate id 'a'" in recs[1]["error"]["message"]
    assert recs[3]["error"]["code"] == "bad_id"
    with out.open("a") as f:
        f.write('{"id": "half-writ')  # a crash mid-line: ignored on resume
    assert done_ids(out) == {"a", "line-2", "7", "line-4"}
    assert done_ids(out, retry_errors=True) == {"a", "7"}


def test_relative_image_paths_resolve_against_the_input_file(tmp_path, demo_image):
    (tmp_path / "pics").mkdir()
    (tmp_path / "pics" / "x.jpg").write_bytes(demo_image.read_bytes())
    inp, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    inp.write_text(json.dumps({"id": "rel", "text": "hi", "image": "pics/x.jpg"}))
    assert run_batch(EchoPipeline(), inp, out).results == 1
    assert [r.id for r in read_input(inp)] == ["rel"]


def test_a_torn_last_line_is_cut_before_resuming(tmp_path):
    """A crash mid-line left a fragment without its newline: the resumed run
    cuts it off, so its first record is not glued to it (issue: torn tail)."""
    inp, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    inp.write_text("\n".join(json.dumps({"id": i, "text": "Ada " + i}) for i in ("a", "b", "c")) + "\n")
    run_batch(EchoPipeline(), inp, out)
    lines = out.read_text().splitlines()
    out.write_text(lines[0] + "\n" + lines[1][: len(lines[1]) // 2])  # b was half written
    run_batch(EchoPipeline(), inp, out)
    recs = [json.loads(l) for l in out.read_text().splitlines()]  # every line parses
    assert sorted(r["id"] for r in recs) == ["a", "b", "c"]


def test_a_utf8_byte_order_mark_is_accepted(tmp_path):
    inp, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    inp.write_bytes(b"\xef\xbb\xbf" + json.dumps({"id": "first", "text": "Ada here"}).encode() + b"\n")
    stats = run_batch(EchoPipeline(), inp, out)
    assert (stats.results, stats.errors) == (1, 0)
    assert json.loads(out.read_text())["id"] == "first"


def test_an_installation_error_stops_the_batch_and_writes_nothing_more(tmp_path):
    import pytest

    from riveg_agent.core.errors import ModelError
    from riveg_agent.core.roles import Recognizer

    class Missing(Recognizer):
        def recognize(self, post, knowledge):
            raise ModelError("cannot load GGUF /nope.gguf")

    inp, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    inp.write_text("\n".join(json.dumps({"id": i, "text": "Ada"}) for i in ("a", "b")) + "\n")
    with pytest.raises(ModelError):
        run_batch(fake_pipeline(recognizer=Missing()), inp, out)
    assert not out.exists() or out.read_text() == ""  # no error records to skip on the rerun


def test_retry_errors_leaves_one_record_per_id(tmp_path):
    inp, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    inp.write_text(json.dumps({"id": "a", "text": "explode"}) + "\n" + json.dumps({"id": "b", "text": "Ada"}) + "\n")
    run_batch(EchoPipeline(), inp, out)
    inp.write_text(json.dumps({"id": "a", "text": "Ada now"}) + "\n" + json.dumps({"id": "b", "text": "Ada"}) + "\n")
    stats = run_batch(EchoPipeline(), inp, out, retry_errors=True)
    recs = [json.loads(l) for l in out.read_text().splitlines()]
    assert sorted(r["id"] for r in recs) == ["a", "b"] and stats.results == 1
    assert all(r["kind"] == "riveg-agent/result" for r in recs)


def test_a_second_writer_on_the_same_output_is_refused(tmp_path):
    import pytest

    from riveg_agent.core.errors import RivegError
    from riveg_agent.io.batch import exclusive
    inp, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    inp.write_text(json.dumps({"id": "a", "text": "Ada"}) + "\n")
    with exclusive(out):  # another process holds OUT (flock is per open file, so this stands in for it)
        with pytest.raises(RivegError, match="another riveg batch"):
            run_batch(EchoPipeline(), inp, out)
    assert run_batch(EchoPipeline(), inp, out).results == 1  # free again


def test_image_root_confines_image_paths(tmp_path, demo_image):
    (tmp_path / "pics").mkdir()
    (tmp_path / "pics" / "x.jpg").write_bytes(demo_image.read_bytes())
    (tmp_path / "secret.jpg").write_bytes(demo_image.read_bytes())
    inp, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    inp.write_text("\n".join(json.dumps(r) for r in [
        {"id": "in", "text": "Ada", "image": "pics/x.jpg"},
        {"id": "climb", "text": "Ada", "image": "pics/../secret.jpg"},
        {"id": "abs", "text": "Ada", "image": str(tmp_path / "secret.jpg")}]) + "\n")
    stats = run_batch(EchoPipeline(), inp, out, image_root=tmp_path / "pics")
    recs = {r["id"]: r for r in map(json.loads, out.read_text().splitlines())}
    assert stats.results == 1 and recs["in"]["kind"] == "riveg-agent/result"
    for rid in ("climb", "abs"):
        assert recs[rid]["error"]["code"] == "image_outside_root"

import json

import pytest
import torch

from riveg_agent.ner import io
from riveg_agent.ner.model import SubwordCache, collate, encode
from riveg_agent.ner.predict import predict_tags, score
from riveg_agent.ner.readers import LABELS


def test_encode_post_first_then_knowledge_and_truncation(tiny_model):
    model, tok = tiny_model
    sub = SubwordCache(tok)
    e = encode(sub, ["Kawhi", "Leonard"], ["person"] * 100, 20, ["B-PER", "I-PER"],
               {l: i for i, l in enumerate(LABELS)})
    assert len(e.input_ids) == 20
    assert e.input_ids[0] == tok.cls_token_id and e.input_ids[-1] == tok.sep_token_id
    assert e.word_starts == [1, 2] and e.label_ids == [1, 2]
    assert e.segment_ids[:4] == [0, 0, 0, 0] and e.segment_ids[4] == 1
    assert e.shape_ids[1] == e.shape_ids[2] != 0
    # the post keeps priority: a long post cuts the knowledge entirely
    long = encode(sub, ["x"] * 50, ["person"], 20)
    assert len(long.input_ids) == 20 and long.n_words == 50 and len(long.word_starts) == 18
    assert 1 not in long.segment_ids


def test_decode_gives_one_valid_tag_per_word(tiny_model):
    model, tok = tiny_model
    items = [(["Kawhi", "Leonard", "wins"], ["person"]), (["Paris"], None), (["x"] * 70, None)]
    tags = predict_tags(model, tok, items, batch_size=2)
    assert [len(t) for t in tags] == [3, 1, 70]
    assert all(t in LABELS for seq in tags for t in seq)
    assert tags[2][-5:] == ["O"] * 5  # words cut by max_length are O


def test_loss_is_finite_and_backpropagates(tiny_model):
    model, tok = tiny_model
    idx = {l: i for i, l in enumerate(LABELS)}
    sub = SubwordCache(tok)
    batch = collate([encode(sub, ["Kawhi", "wins"], None, 64, ["B-PER", "O"], idx),
                     encode(sub, ["Paris"], ["location"], 64, ["B-LOC"], idx)], tok.pad_token_id)
    loss = model.loss(batch)
    loss.backward()
    assert torch.isfinite(loss) and loss.item() > 0
    assert model.shape_in.weight.grad is not None and model.crf.transitions.grad is not None


def test_bf16_autocast_keeps_the_crf_in_float32(tiny_model):
    """Training with `bf16: true`: the encoder and classifier run in bf16, the
    CRF's log-likelihood in float32, and the gradients land on float32 weights."""
    model, tok = tiny_model
    idx = {l: i for i, l in enumerate(LABELS)}
    sub = SubwordCache(tok)
    batch = collate([encode(sub, ["Kawhi", "wins"], ["person"], 64, ["B-PER", "O"], idx)], tok.pad_token_id)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert model.emissions(batch).dtype == torch.bfloat16
        loss = model.loss(batch)
    assert loss.dtype == torch.float32 and torch.isfinite(loss)
    loss.backward()
    assert model.crf.transitions.grad.dtype == torch.float32
    assert model.classifier.weight.dtype == torch.float32 and model.classifier.weight.grad is not None


def test_crf_learns_a_tiny_pattern(tiny_model):
    """A few steps of AdamW on two sentences: the CRF output must follow."""
    model, tok = tiny_model
    idx = {l: i for i, l in enumerate(LABELS)}
    sub = SubwordCache(tok)
    data = [(["Kawhi", "Leonard", "wins"], ["B-PER", "I-PER", "O"]),
            (["in", "Toronto"], ["O", "B-LOC"])]
    batch = collate([encode(sub, t, None, 64, y, idx) for t, y in data], tok.pad_token_id)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    model.train()
    for _ in range(60):
        opt.zero_grad()
        model.loss(batch).backward()
        opt.step()
    model.eval()
    assert model.decode(batch) == [y for _, y in data]


def test_save_load_round_trip(tiny_model, tmp_path):
    model, tok = tiny_model
    io.save(model, tok, tmp_path / "m", fp16=False, extra={"dataset": "twitter2017"})
    cfg = json.loads((tmp_path / "m" / io.CONFIG).read_text())
    assert cfg["ner_config"]["encoder_config"]["hidden_size"] == 32
    assert not list((tmp_path / "m").glob("*.bin")) and not list((tmp_path / "m").glob("*.pt"))
    loaded, tok2 = io.load(str(tmp_path / "m"))
    assert loaded.trained_on == "twitter2017"
    for (k, v), (k2, v2) in zip(model.state_dict().items(), loaded.state_dict().items()):
        assert k == k2 and torch.equal(v, v2), k
    items = [(["Kawhi", "Leonard", "in", "Toronto"], ["person"])]
    assert predict_tags(model, tok, items) == predict_tags(loaded, tok2, items)


def test_fp16_save_stays_close(tiny_model, tmp_path):
    model, tok = tiny_model
    io.save(model, tok, tmp_path / "h", fp16=True)
    loaded, _ = io.load(str(tmp_path / "h"))
    w, w2 = model.classifier.weight, loaded.classifier.weight
    assert w2.dtype == torch.float32 and torch.allclose(w, w2, atol=1e-3)


def test_load_unknown_model_names_the_problem():
    from riveg_agent.core.errors import ModelError
    with pytest.raises(ModelError, match="neither a shipped model"):
        io.load("no-such-model")


def test_score_counts_spans_per_type():
    gold = [["B-PER", "I-PER", "O", "B-LOC"], ["I-ORG"]]
    pred = [["B-PER", "I-PER", "O", "B-ORG"], ["B-ORG"]]
    r = score(pred, gold)
    assert r["micro"]["gold"] == 3 and r["micro"]["correct"] == 2
    assert r["per_type"]["LOC"]["recall"] == 0.0 and r["per_type"]["ORG"]["precision"] == 0.5

"""The transformers vision plugins (riveg_plugins.hub_vision) on tiny, randomly
initialised models built from configs: no public checkpoint exists offline,
so only the contract is checked (one item per input, boxes inside the image,
masks at the original size, a caption string), never the quality. Most
models are saved to a folder and loaded through the plugin's own loading
code (HF_HUB_OFFLINE is set by conftest: local files only)."""
from __future__ import annotations

import json
import string

import numpy as np
import pytest
from PIL import Image

from riveg_agent.core.errors import PluginUnavailable
from riveg_agent.core.registry import Registry
from riveg_agent.core.roles import Caption, Detection, EntailmentDecision, EntitySpan, Expression, Post
from riveg_agent.io.images import load_image, to_post_image
from riveg_plugins import hub_vision as hv

CHARS = list(string.ascii_lowercase + string.digits + string.punctuation)


def wordpiece_tokenizer(extra: tuple[str, ...] = ()):
    from transformers import BertTokenizer
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *extra] + CHARS + [f"##{c}" for c in CHARS]
    return BertTokenizer(vocab={w: i for i, w in enumerate(dict.fromkeys(vocab))}, do_lower_case=True)


def bpe_files(folder, vocab: list[str]):
    """vocab.json and an empty merges.txt: every character is its own token."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vocab.json").write_text(json.dumps({t: i for i, t in enumerate(vocab)}))
    (folder / "merges.txt").write_text("#version: 0.2\n")
    return str(folder / "vocab.json"), str(folder / "merges.txt")


@pytest.fixture(scope="module")
def owlv2_dir(tmp_path_factory):
    import torch
    from transformers import (CLIPTokenizer, Owlv2Config, Owlv2ForObjectDetection, Owlv2ImageProcessor,
                              Owlv2Processor)
    folder = tmp_path_factory.mktemp("owlv2")
    # A query counts only when its first id is > 0 (OWL's query mask): "!" (the pad) is 0.
    vocab = ["!", "<|startoftext|>", "<|endoftext|>"] + CHARS + [c + "</w>" for c in CHARS]
    vocab = list(dict.fromkeys(vocab))
    tok = CLIPTokenizer(*bpe_files(folder / "tok", vocab), pad_token="!", model_max_length=16)
    processor = Owlv2Processor(image_processor=Owlv2ImageProcessor(size={"height": 64, "width": 64}),
                               tokenizer=tok)
    config = Owlv2Config(
        text_config=dict(vocab_size=len(vocab), hidden_size=32, intermediate_size=37, num_hidden_layers=1,
                         num_attention_heads=2, max_position_embeddings=16, bos_token_id=1,
                         eos_token_id=2, pad_token_id=0),
        vision_config=dict(hidden_size=32, intermediate_size=37, num_hidden_layers=1, num_attention_heads=2,
                           image_size=64, patch_size=16),
        projection_dim=32)
    torch.manual_seed(0)
    model = Owlv2ForObjectDetection(config)
    # Random box-head outputs saturate the sigmoid into zero-width boxes; zeroed,
    # every patch predicts OWL's own prior box (its cell of the patch grid).
    torch.nn.init.zeros_(model.box_head.dense2.weight)
    torch.nn.init.zeros_(model.box_head.dense2.bias)
    model.save_pretrained(str(folder))
    processor.save_pretrained(str(folder))
    return folder


def tiny_grounding_dino():
    import torch
    from transformers import (BertConfig, GroundingDinoConfig, GroundingDinoForObjectDetection,
                              GroundingDinoImageProcessor, GroundingDinoProcessor, SwinConfig)
    tok = wordpiece_tokenizer()
    config = GroundingDinoConfig(
        backbone_config=SwinConfig(image_size=64, patch_size=4, embed_dim=8, depths=[1, 1], num_heads=[1, 1],
                                   window_size=2, out_features=["stage1", "stage2"]),
        text_config=BertConfig(vocab_size=len(tok), hidden_size=16, num_hidden_layers=1,
                               num_attention_heads=2, intermediate_size=32, max_position_embeddings=64),
        use_timm_backbone=False, use_pretrained_backbone=False, d_model=32, num_queries=10,
        encoder_layers=1, decoder_layers=2, encoder_ffn_dim=32, decoder_ffn_dim=32,
        encoder_attention_heads=2, decoder_attention_heads=2, num_feature_levels=2,
        encoder_n_points=2, decoder_n_points=2, max_text_len=32)
    torch.manual_seed(0)
    processor = GroundingDinoProcessor(
        image_processor=GroundingDinoImageProcessor(size={"shortest_edge": 64, "longest_edge": 96}),
        tokenizer=tok)
    return GroundingDinoForObjectDetection(config), processor


@pytest.fixture(scope="module")
def sam_dir(tmp_path_factory):
    import torch
    from transformers import SamConfig, SamImageProcessor, SamModel, SamProcessor
    folder = tmp_path_factory.mktemp("sam")
    config = SamConfig(
        vision_config=dict(hidden_size=32, output_channels=16, num_hidden_layers=1, num_attention_heads=2,
                           image_size=64, patch_size=16, window_size=2, global_attn_indexes=[0],
                           num_pos_feats=8, mlp_dim=32),
        prompt_encoder_config=dict(hidden_size=16, image_size=64, patch_size=16, mask_input_channels=4),
        mask_decoder_config=dict(hidden_size=16, mlp_dim=32, num_hidden_layers=1, num_attention_heads=2,
                                 iou_head_depth=1, iou_head_hidden_dim=16))
    torch.manual_seed(0)
    SamModel(config).save_pretrained(str(folder))
    SamProcessor(image_processor=SamImageProcessor(
        size={"longest_edge": 64}, pad_size={"height": 64, "width": 64},
        mask_size={"longest_edge": 16}, mask_pad_size={"height": 16, "width": 16})
    ).save_pretrained(str(folder))
    return folder


@pytest.fixture(scope="module")
def blip_dir(tmp_path_factory):
    import torch
    from transformers import BlipConfig, BlipForConditionalGeneration, BlipImageProcessor, BlipProcessor
    folder = tmp_path_factory.mktemp("blip")
    tok = wordpiece_tokenizer(("[DEC]",))
    tok.bos_token = "[DEC]"
    ids = tok.convert_tokens_to_ids
    config = BlipConfig(
        text_config=dict(vocab_size=len(tok), hidden_size=16, encoder_hidden_size=16, intermediate_size=32,
                         num_hidden_layers=1, num_attention_heads=2, max_position_embeddings=64,
                         bos_token_id=ids("[DEC]"), eos_token_id=ids("[SEP]"), sep_token_id=ids("[SEP]"),
                         pad_token_id=ids("[PAD]")),
        vision_config=dict(hidden_size=16, intermediate_size=32, num_hidden_layers=1, num_attention_heads=2,
                           image_size=32, patch_size=8),
        projection_dim=16)
    torch.manual_seed(0)
    BlipForConditionalGeneration(config).save_pretrained(str(folder))
    BlipProcessor(image_processor=BlipImageProcessor(size={"height": 32, "width": 32}),
                  tokenizer=tok).save_pretrained(str(folder))
    return folder


def tiny_blip2(folder):
    """BLIP-2 (ViT + Q-Former + OPT) through the generic image-to-text path."""
    import torch
    from transformers import (Blip2Config, Blip2ForConditionalGeneration, Blip2Processor, BlipImageProcessor,
                              GPT2Tokenizer)
    vocab = list(dict.fromkeys(["<pad>", "</s>", "<unk>"] + CHARS + ["Ġ"]))
    tok = GPT2Tokenizer(*bpe_files(folder / "tok", vocab), bos_token="</s>", eos_token="</s>",
                        pad_token="<pad>", unk_token="<unk>")
    processor = Blip2Processor(image_processor=BlipImageProcessor(size={"height": 32, "width": 32}),
                               tokenizer=tok, num_query_tokens=4)
    config = Blip2Config(
        vision_config=dict(hidden_size=16, intermediate_size=32, num_hidden_layers=1, num_attention_heads=2,
                           image_size=32, patch_size=8),
        qformer_config=dict(vocab_size=len(tok), hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                            num_attention_heads=2, encoder_hidden_size=16, max_position_embeddings=32),
        text_config=dict(model_type="opt", vocab_size=len(tok), hidden_size=16, ffn_dim=32,
                         num_hidden_layers=1, num_attention_heads=2, word_embed_proj_dim=16,
                         max_position_embeddings=64, bos_token_id=1, eos_token_id=1, pad_token_id=0),
        num_query_tokens=4, image_token_index=tok.convert_tokens_to_ids("<image>"))
    torch.manual_seed(1)
    model = Blip2ForConditionalGeneration(config)
    model.generation_config.eos_token_id = None  # a random model may stop at once: decode all 5 tokens
    return model, processor


@pytest.fixture(scope="module")
def wide_image():
    """Wider than WORK_SIDE, so the working copy is scaled (1.25) and results must come back."""
    rng = np.random.default_rng(0)
    return to_post_image(rng.integers(0, 255, (900, 1600, 3), dtype=np.uint8))


def expr(name: str, etype: str, expansion: str = "") -> Expression:
    return Expression(EntitySpan(name, etype, 0, len(name)), expansion)


EXPRESSIONS = [expr("Eileen Collins", "PER", "an astronaut"), expr("Houston", "LOC"), expr("NASA", "ORG")]
DECISIONS = [EntailmentDecision(True, 0.9), EntailmentDecision(False, 0.1), EntailmentDecision(True, 0.8)]


def assert_grounded(out, image, family: str, source: str):
    assert len(out) == 3 and out[1] is None
    for det, label in ((out[0], "person"), (out[2], "object")):
        assert isinstance(det, Detection) and det.label == label and det.source == source
        x1, y1, x2, y2 = det.box
        assert 0 <= x1 < x2 <= image.width and 0 <= y1 < y2 <= image.height
        assert det.note.startswith(f"text-prompted {family} score")


def test_owlv2_grounder_loads_a_folder_and_grounds_groundable_expressions(owlv2_dir, wide_image):
    grounder = hv.text_grounder(checkpoint=str(owlv2_dir), threshold=0.0)
    out = grounder.ground(Post("p", "Eileen Collins at NASA", wide_image), EXPRESSIONS, DECISIONS)
    assert_grounded(out, wide_image, "OWLv2", str(owlv2_dir))
    # Nothing reaches an impossible threshold; no image, nothing groundable: no boxes.
    grounder.threshold = 1.01
    assert grounder.ground(Post("p", "t", wide_image), EXPRESSIONS, DECISIONS) == [None] * 3
    assert grounder.ground(Post("p", "t", None), EXPRESSIONS, DECISIONS) == [None] * 3


def test_grounding_dino_grounder_prompts_each_expression(demo_image):
    model, processor = tiny_grounding_dino()
    grounder = hv.TextGrounder("tiny-gdino", threshold=0.0, model=model, processor=processor)
    img = load_image(demo_image)
    out = grounder.ground(Post("p", "t", img), EXPRESSIONS, DECISIONS)
    assert_grounded(out, img, "Grounding DINO", "tiny-gdino")


def test_nothing_groundable_loads_nothing():
    grounder = hv.text_grounder(checkpoint="no-such-org/no-such-detector")
    no = [EntailmentDecision(False, 0.0)] * 3
    assert grounder.ground(Post("p", "t", None), EXPRESSIONS, no) == [None] * 3
    assert grounder._model is None


def test_query_text_drops_the_type_tag():
    assert EXPRESSIONS[0].text == "Eileen Collins (PER) – an astronaut"
    assert hv.query_text(EXPRESSIONS[0]) == "Eileen Collins, an astronaut"
    assert hv.query_text(expr("Kawhi Leonard", "PER")) == "Kawhi Leonard, a person"
    assert hv.query_text(EXPRESSIONS[2]) == "NASA"


def test_sam_gives_original_size_boolean_masks(sam_dir, wide_image):
    seg = hv.hf_sam_segmenter(checkpoint=str(sam_dir))
    regions = [Detection((100, 50, 900, 800), 1.0, "person"), None,
               Detection((0, 0, 1600, 900), 0.5, "object")]
    masks = seg.segment(wide_image, regions)
    assert masks[1] is None
    for m in (masks[0], masks[2]):
        assert m.shape == (wide_image.height, wide_image.width) and m.dtype == bool
    assert seg.segment(wide_image, [None, None]) == [None, None]


def test_blip_captioner(blip_dir, demo_image):
    cap = hv.hf_captioner(checkpoint=str(blip_dir), max_new_tokens=8)
    out = cap.caption(Post("p", "t", load_image(demo_image)))
    assert isinstance(out, Caption) and isinstance(out.text, str) and out.text
    assert out.source == str(blip_dir)
    assert cap.caption(Post("p", "t", None)) is None
    assert type(cap._model).__name__ == "BlipForConditionalGeneration"


def test_generic_image_to_text_captioner(tmp_path, demo_image):
    model, processor = tiny_blip2(tmp_path)
    cap = hv.HfCaptioner("tiny-blip2", max_new_tokens=5, model=model, processor=processor)
    out = cap.caption(Post("p", "t", load_image(demo_image)))
    assert isinstance(out, Caption) and isinstance(out.text, str) and out.text
    # The loading path of a non-BLIP folder goes through the auto class.
    model.save_pretrained(str(tmp_path / "b2"))
    processor.save_pretrained(str(tmp_path / "b2"))
    loaded, _ = hv.HfCaptioner(str(tmp_path / "b2"))._load_pair()
    assert type(loaded).__name__ == "Blip2ForConditionalGeneration"


@pytest.mark.parametrize("check, family", [(hv.check_text_grounder, "Grounding DINO"),
                                           (hv.check_hf_sam, "SAM"),
                                           (hv.check_hf_captioner, "BLIP")])
def test_checks_name_an_absent_checkpoint(check, family, tmp_path):
    missing = f"no-such-org/{family.lower().replace(' ', '-')}-absent"
    reason = check(checkpoint=missing)
    assert reason == f"{family} checkpoint '{missing}' is not in the local Hugging Face cache"
    assert f"'{tmp_path}' has no config.json" in check(checkpoint=str(tmp_path))
    (tmp_path / "config.json").write_text("{}")
    assert check(checkpoint=str(tmp_path)) is None


def test_owlv2_check_and_loading_a_missing_checkpoint_is_clear():
    reason = hv.check_text_grounder(checkpoint="google/owlv2-absent")
    assert reason.startswith("OWLv2 checkpoint 'google/owlv2-absent'")
    seg = hv.hf_sam_segmenter(checkpoint="no-such-org/sam-absent")
    with pytest.raises(PluginUnavailable, match="no-such-org/sam-absent"):
        seg.segment(to_post_image(Image.new("RGB", (8, 8))), [Detection((0, 0, 4, 4), 1.0, "object")])


def test_offline_means_local_files_only(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert hv.load_kwargs("facebook/sam-vit-base") == {"local_files_only": True}
    monkeypatch.delenv("HF_HUB_OFFLINE")
    assert hv.load_kwargs("facebook/sam-vit-base") == {"local_files_only": False}
    assert hv.load_kwargs(str(tmp_path)) == {"local_files_only": True}


def test_models_name_checkpoint_and_licence(tmp_path):
    refs = {f().models()[0].name: f().models()[0].license
            for f in (hv.text_grounder, hv.hf_sam_segmenter, hv.hf_captioner)}
    assert refs == {hv.DEFAULT_GROUNDER: "Apache-2.0", hv.DEFAULT_SAM: "Apache-2.0",
                    hv.DEFAULT_CAPTIONER: "BSD-3-Clause"}
    assert hv.text_grounder(checkpoint=hv.OWLV2_GROUNDER).models()[0].license == "Apache-2.0"
    folder = hv.hf_captioner(checkpoint=str(tmp_path)).models()[0]
    assert folder.path == str(tmp_path) and "model card" in folder.license


def test_registered_and_composed_by_the_hub_config():
    from riveg_agent.core.config import load_config
    reg = Registry()
    reg.load_entry_points()  # the other built-ins (idempotent if hub_vision is among them)
    reg.register_module("riveg_plugins.hub_vision")
    for role, name in (("grounder", "riveg.text_grounder.v1"), ("segmenter", "riveg.hf_sam_segmenter.v1"),
                       ("captioner", "riveg.hf_captioner.v1")):
        spec = reg.get(role, name)
        reason = spec.availability()  # no weights offline here; a user's cache may have them
        assert reason is None or "checkpoint" in reason
        assert all(p.default is not p.empty for p in spec.parameters().values())
    cfg = load_config("hub", registry=reg)
    assert {r: c.plugin for r, c in cfg.roles.items()} == {
        "detector": "riveg.vision_detector.v1", "captioner": "riveg.hf_captioner.v1",
        "exemplars": "riveg.minilm_exemplars.v1", "knowledge": "riveg.llama_knowledge.v1",
        "recognizer": "riveg.plim_crf_ner.v1", "expander": "riveg.llama_expander.v1",
        "entailment": "riveg.clip_ve.v1", "grounder": "riveg.text_grounder.v1",
        "segmenter": "riveg.hf_sam_segmenter.v1"}
    assert cfg.roles["grounder"].params == {"checkpoint": hv.DEFAULT_GROUNDER, "threshold": 0.3,
                                            "device": "cpu"}

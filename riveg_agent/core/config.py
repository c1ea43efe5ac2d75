"""Pipeline configuration: YAML naming one plugin per role with its parameters.

Only overrides live in the file; each plugin's defaults live with its factory
signature. `resolve()` fills them in, and the hash of the resolved config is
recorded in every output.
"""
from __future__ import annotations

import hashlib
import inspect
import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from riveg_agent.core.errors import ConfigError, RegistryError
from riveg_agent.core.registry import ROLES, Registry, default_registry

TOP_KEYS = {"name", "description", "pipeline", "expansions"}
# When the expander runs: "auto" only if the VE or VG plugin reads expansions
# (or a tool asks, as the chat does), "always", or "never".
EXPANSIONS = ("auto", "always", "never")
_SIMPLE_TYPES = {"int": int, "float": (int, float), "str": str, "bool": bool}
# Roles added after configs were first written: a config without them gets this plugin.
DEFAULT_PLUGINS = {"detector": "riveg.vision_detector.v1"}


@dataclass
class RoleConfig:
    plugin: str
    params: dict[str, Any]


@dataclass
class PipelineConfig:
    name: str
    description: str
    roles: dict[str, RoleConfig]
    source: str  # file path or "builtin:<name>"
    expansions: str = "auto"  # one of EXPANSIONS

    def resolved(self) -> dict[str, Any]:
        return {"name": self.name, "expansions": self.expansions, "pipeline": {
            role: {"plugin": rc.plugin, **rc.params} for role, rc in self.roles.items()}}

    def hash(self) -> str:
        canon = json.dumps(self.resolved(), sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(canon.encode()).hexdigest()


def builtin_configs() -> list[str]:
    folder = resources.files("riveg_agent.configs")
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml"))


def load_config(name_or_path: str | Path = "default", registry: Registry | None = None) -> PipelineConfig:
    """Load a built-in config by name, or a YAML file by path, and validate it."""
    text, source = _read(str(name_or_path))
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError("(file)", f"{source} is not valid YAML: {exc}") from None
    return parse_config(data, source, registry)


def _read(name_or_path: str) -> tuple[str, str]:
    p = Path(name_or_path)
    if p.suffix in (".yaml", ".yml") or p.exists():
        if not p.is_file():
            raise ConfigError("(file)", f"config file not found: {p}")
        return p.read_text(encoding="utf-8"), str(p)
    if name_or_path in builtin_configs():
        res = resources.files("riveg_agent.configs") / f"{name_or_path}.yaml"
        return res.read_text(encoding="utf-8"), f"builtin:{name_or_path}"
    raise ConfigError("(file)", f"no config file '{name_or_path}' and no built-in config of that "
                      f"name; built-in: {', '.join(builtin_configs())}")


def parse_config(data: Any, source: str, registry: Registry | None = None) -> PipelineConfig:
    reg = registry or default_registry()
    if not isinstance(data, dict):
        raise ConfigError("(top)", f"{source}: expected a mapping at the top level")
    for key in data:
        if key not in TOP_KEYS:
            raise ConfigError(str(key), f"unknown top-level key in {source}; valid: {', '.join(sorted(TOP_KEYS))}")
    expansions = data.get("expansions", "auto")
    if expansions not in EXPANSIONS:
        raise ConfigError("expansions", f"{expansions!r}: choose one of {', '.join(EXPANSIONS)}")
    pipeline = data.get("pipeline")
    if not isinstance(pipeline, dict):
        raise ConfigError("pipeline", f"{source}: missing or not a mapping of role -> plugin")
    for role in pipeline:
        if role not in ROLES:
            raise ConfigError(f"pipeline.{role}", f"unknown role; roles: {', '.join(ROLES)}")
    roles = {}
    for role in ROLES:
        key = f"pipeline.{role}"
        entry = pipeline.get(role, DEFAULT_PLUGINS.get(role))
        if entry is None:
            raise ConfigError(key, "missing: every role needs a plugin")
        if isinstance(entry, str):
            entry = {"plugin": entry}
        if not isinstance(entry, dict) or not isinstance(entry.get("plugin"), str):
            raise ConfigError(f"{key}.plugin", "missing: name the plugin for this role")
        params = {k: v for k, v in entry.items() if k != "plugin"}
        try:
            spec = reg.get(role, entry["plugin"])
        except RegistryError as exc:
            raise ConfigError(f"{key}.plugin", str(exc)) from None
        roles[role] = RoleConfig(spec.name, _resolve_params(key, spec.parameters(), params))
    return PipelineConfig(str(data.get("name", Path(source).stem)), str(data.get("description", "")),
                          roles, source, expansions)


def _resolve_params(key: str, signature: dict[str, inspect.Parameter], given: dict) -> dict:
    for name in given:
        if name not in signature:
            valid = ", ".join(sorted(signature)) or "(none)"
            raise ConfigError(f"{key}.{name}", f"unknown parameter; valid: {valid}")
    resolved = {}
    for name, param in signature.items():
        if name in given:
            value = given[name]
            expected = _SIMPLE_TYPES.get(_plain_type(param.annotation))
            if expected and value is not None and (not isinstance(value, expected)
                                                  or (expected is int and isinstance(value, bool))):
                raise ConfigError(f"{key}.{name}", f"expected {param.annotation}, got {value!r}")
            resolved[name] = value
        elif param.default is inspect.Parameter.empty:
            raise ConfigError(f"{key}.{name}", "missing required parameter")
        else:
            resolved[name] = param.default
    return resolved


def _plain_type(annotation: Any) -> str:
    """'float' for float, 'float', 'Optional[float]' or 'float | None' (None is checked apart)."""
    name = getattr(annotation, "__name__", str(annotation)).replace(" ", "")
    if name.startswith("Optional[") and name.endswith("]"):
        return name[len("Optional["):-1]
    parts = [p for p in name.split("|") if p != "None"]
    return parts[0] if len(parts) == 1 else name

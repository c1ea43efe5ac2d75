"""The one plugin registry: one catalogue per role.

Every plugin, built-in or third-party, is a module named by an entry point in
the group `riveg.plugins`; the module has a `register(registry)` function that
calls `registry.add(...)`. Loading is lazy and idempotent, and registering a
plugin imports no heavy library: factories load models on first use.
"""
from __future__ import annotations

import importlib
import importlib.util
import inspect
from dataclasses import dataclass, field
import threading
from importlib.metadata import entry_points
from typing import Any, Callable, Optional

from riveg_agent.core.errors import RegistryError, RivegError

ENTRY_POINT_GROUP = "riveg.plugins"
_load_lock = threading.RLock()

# Pipeline order of the roles (the RiVEG chain).
ROLES: tuple[str, ...] = (
    "detector",
    "captioner",
    "exemplars",
    "knowledge",
    "recognizer",
    "expander",
    "entailment",
    "grounder",
    "segmenter",
)

ROLE_TITLES = {
    "detector": "Detector (image evidence)",
    "captioner": "Captioner",
    "exemplars": "ExemplarRetriever (MSEA)",
    "knowledge": "KnowledgeGenerator",
    "recognizer": "Recognizer (NER)",
    "expander": "Expander",
    "entailment": "Entailment (VE)",
    "grounder": "Grounder (VG)",
    "segmenter": "Segmenter",
}


def requires(packages: tuple[str, ...], find: Optional[Callable[[], Any]] = None
             ) -> Callable[[], Optional[str]]:
    """A plugin check (`registry.add(..., check=requires(...))`): each import
    package installed, then `find()` (locating the plugin's default model or
    index) raising no RivegError, FileNotFoundError or ImportError. Nothing
    is imported or loaded until the check runs."""
    def check() -> Optional[str]:
        for pkg in packages:
            if importlib.util.find_spec(pkg) is None:
                return f"package {pkg} is not installed"
        if find is not None:
            try:
                find()
            except (RivegError, FileNotFoundError, ImportError) as exc:
                return str(exc)
        return None
    return check


@dataclass(frozen=True)
class PluginSpec:
    role: str
    name: str
    factory: Callable[..., Any]
    description: str = ""
    # Returns None when usable, else the reason it is not (never raises).
    check: Optional[Callable[[], Optional[str]]] = None
    distribution: str = "?"
    module: str = "?"
    extra: dict = field(default_factory=dict)

    def availability(self) -> Optional[str]:
        if self.check is None:
            return None
        try:
            return self.check()
        except Exception as exc:  # a broken check must not crash the listing
            return f"check failed: {exc}"

    def parameters(self) -> dict[str, inspect.Parameter]:
        sig = inspect.signature(self.factory)
        return {n: p for n, p in sig.parameters.items()
                if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}


@dataclass(frozen=True)
class ToolSpec:
    """A chat tool contributed by a plugin (the role-agnostic `tools` catalogue).
    `factory(pipeline, ctx)` returns a LangChain BaseTool working on the post in
    `ctx` (a riveg_agent.agent.tools.PostContext); the chat lists it with the role tools."""
    name: str
    factory: Callable[..., Any]
    description: str = ""
    distribution: str = "?"
    module: str = "?"


class Registry:
    def __init__(self, autoload: bool = True):
        self._plugins: dict[str, dict[str, PluginSpec]] = {r: {} for r in ROLES}
        self._tools: dict[str, ToolSpec] = {}
        self._autoload = autoload
        self._loaded = False
        self._current: tuple[str, str] = ("?", "?")  # (distribution, module) being registered
        self.load_errors: list[tuple[str, str]] = []

    # -- registration -------------------------------------------------
    def add(self, role: str, name: str, factory: Callable[..., Any], *,
            description: str = "", check: Optional[Callable[[], Optional[str]]] = None,
            **extra: Any) -> None:
        if role not in self._plugins:
            raise RegistryError(
                f"plugin '{name}' registers unknown role '{role}'; roles: {', '.join(ROLES)}")
        existing = self._plugins[role].get(name)
        if existing is not None:
            if existing.factory is factory:
                return  # the same object again: idempotent
            raise RegistryError(
                f"two plugins register '{name}' for role '{role}': "
                f"{existing.module} ({existing.distribution}) and {self._current[1]} ({self._current[0]})")
        dist, module = self._current
        self._plugins[role][name] = PluginSpec(role, name, factory, description, check,
                                               dist, module, dict(extra))

    def add_tool(self, name: str, factory: Callable[..., Any], *, description: str = "") -> None:
        """Contribute a chat tool: `factory(pipeline, ctx) -> BaseTool` (built per post)."""
        existing = self._tools.get(name)
        if existing is not None:
            if existing.factory is factory:
                return
            raise RegistryError(
                f"two plugins register tool '{name}': "
                f"{existing.module} ({existing.distribution}) and {self._current[1]} ({self._current[0]})")
        dist, module = self._current
        self._tools[name] = ToolSpec(name, factory, description, dist, module)

    def register_module(self, module_name: str, distribution: str = "?") -> None:
        module = importlib.import_module(module_name)
        register = getattr(module, "register", None)
        if not callable(register):
            raise RegistryError(f"plugin module '{module_name}' has no register(registry) function")
        self._current = (distribution, module_name)
        try:
            register(self)
        finally:
            self._current = ("?", "?")

    def load_entry_points(self) -> None:
        """Import every module in the entry-point group once (thread-safe)."""
        with _load_lock:
            if not self._loaded:
                self._load_entry_points()

    def _load_entry_points(self) -> None:
        self._loaded = True
        for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
            dist = ep.dist.name if ep.dist is not None else "?"
            try:
                self.register_module(ep.value, dist)
            except RegistryError:
                raise
            except Exception as exc:  # one broken third-party plugin must not hide the rest
                self.load_errors.append((f"{dist}:{ep.value}", f"{type(exc).__name__}: {exc}"))

    # -- lookup -------------------------------------------------------
    def _ensure(self) -> None:
        if self._autoload and not self._loaded:
            self.load_entry_points()

    def get(self, role: str, name: str) -> PluginSpec:
        self._ensure()
        if role not in self._plugins:
            raise RegistryError(f"unknown role '{role}'; roles: {', '.join(ROLES)}")
        try:
            return self._plugins[role][name]
        except KeyError:
            names = ", ".join(sorted(self._plugins[role])) or "(none)"
            raise RegistryError(
                f"no plugin '{name}' for role '{role}'. Available: {names}") from None

    def names(self, role: str) -> list[str]:
        self._ensure()
        return sorted(self._plugins[role])

    def tools(self) -> list[ToolSpec]:
        """The contributed chat tools, by name."""
        self._ensure()
        return [spec for _, spec in sorted(self._tools.items())]

    def all(self) -> list[PluginSpec]:
        self._ensure()
        return [spec for role in ROLES for _, spec in sorted(self._plugins[role].items())]

    def describe(self) -> list[dict[str, Any]]:
        """Every plugin as a row: role, name, distribution, usable or why not,
        description (what `riveg plugins list` and the server's /v1/plugins show)."""
        rows = []
        for spec in self.all():
            reason = spec.availability()
            rows.append({"role": spec.role, "name": spec.name, "distribution": spec.distribution,
                         "status": "usable" if reason is None else f"unavailable: {reason}",
                         "description": spec.description})
        return rows


_default: Optional[Registry] = None


def default_registry() -> Registry:
    global _default
    if _default is None:
        _default = Registry()
    return _default

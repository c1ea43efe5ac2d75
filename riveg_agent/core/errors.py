"""Typed errors. Library code raises these with the key, record or file they
concern; only the CLI turns them into one-line messages and exit codes."""
from __future__ import annotations


class RivegError(Exception):
    """Base class; `code` is a stable short identifier used in error records."""

    code = "E000"


class ConfigError(RivegError):
    code = "config"

    def __init__(self, key: str, problem: str):
        self.key = key
        super().__init__(f"config key '{key}': {problem}")


class RegistryError(RivegError):
    code = "registry"


class PluginUnavailable(RivegError):
    """A plugin exists but cannot run here (missing weights, package...)."""

    code = "unavailable"


class PluginError(RivegError):
    """A plugin broke its role's contract (e.g. returned the wrong number of items)."""

    code = "plugin"


class InputError(RivegError):
    """One input record is unusable; names the record and the problem."""

    def __init__(self, record_id: str | None, problem: str, code: str = "bad_input"):
        self.record_id = record_id
        self.problem = problem
        self.code = code
        where = f"record '{record_id}'" if record_id is not None else "input"
        super().__init__(f"{where}: {problem}")


class ModelError(RivegError):
    code = "model"


class PromptTooLong(RivegError):
    """A post's prompt does not fit the LLM's context (an error of the record)."""

    code = "prompt_too_long"

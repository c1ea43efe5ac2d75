"""Prompt templates, loaded from the YAML files in prompts/ (shipped inside
the installed package as the data package riveg_prompts). Posts are data: every value
put into a template is neutralised first, so a post cannot close the chat
turn or start a new Text/Answer block of its own."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

_SPECIAL = re.compile(r"<\|[^|>]{1,40}\|>")  # chat-template control tokens
_SPACE = re.compile(r"\s+")
MAX_FIELD_CHARS = 1200


@dataclass(frozen=True)
class PromptTemplate:
    id: str
    version: int
    data: dict[str, Any]

    @property
    def ref(self) -> str:
        return f"{self.id}.v{self.version}"

    def __getitem__(self, key: str) -> Any:
        return self.data[key]


@lru_cache(maxsize=None)
def load_prompt(name: str) -> PromptTemplate:
    """Load prompts/<name>.yaml."""
    res = resources.files("riveg_prompts") / f"{name}.yaml"
    data = yaml.safe_load(res.read_text(encoding="utf-8"))
    return PromptTemplate(data["id"], int(data["version"]), data)


def strip_control_tokens(value: str) -> str:
    """The text without chat-template control tokens (newlines kept)."""
    return _SPECIAL.sub(" ", value)


def clean(value: str, limit: int = MAX_FIELD_CHARS) -> str:
    """One line of plain text: no control tokens, no newlines, bounded length."""
    value = _SPECIAL.sub(" ", value)
    return _SPACE.sub(" ", value).strip()[:limit]

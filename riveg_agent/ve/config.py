"""The caption cross-encoder's config and input text without torch: shared by
the torch model (riveg_agent.ve.model) and the ONNX Runtime path
(riveg_agent.ve.onnx)."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Optional, Sequence


@dataclass
class VeConfig:
    """What the model is; saved as JSON beside the weights."""

    encoder: str = "minilm"
    max_length: int = 192
    dropout: float = 0.1
    threshold: float = 0.5  # on the entail probability; chosen on dev by training
    use_knowledge: bool = False  # trained with the post's auxiliary knowledge
    # trained on `Name (TYPE) – expansion`; False: on `Name (TYPE)` alone, and
    # fed that at run time too (an unseen expansion costs accuracy)
    use_expansions: bool = True
    encoder_config: Optional[dict[str, Any]] = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "VeConfig":
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


def image_side(text: str, caption: str, knowledge: str = "") -> str:
    return " [SEP] ".join(part for part in (text, knowledge, caption) if part)


def length_order(expressions: Sequence[str], texts: Sequence[str], captions: Sequence[str],
                 knowledge: Sequence[str]) -> list[int]:
    """Pair indices by length (characters as the proxy): batches of similar
    length have little padding, so many posts cost no more than one by one."""
    return sorted(range(len(expressions)), key=lambda i: len(expressions[i]) + len(texts[i])
                  + len(captions[i]) + len(knowledge[i]))

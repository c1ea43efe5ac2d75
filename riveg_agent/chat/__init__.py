"""Chat over a post's grounded entities, offline: `ChatSession(text, image).ask(question)`."""
from .routing import EXPLAIN, Focus, Route, RuleRouter
from .session import Answer, ChatSession

__all__ = ["Answer", "ChatSession", "EXPLAIN", "Focus", "Route", "RuleRouter"]

"""Chat over a post's grounded entities, offline: `ChatSession(text, image).ask(question)`."""
from riveg_agent.agent.chat.routing import EXPLAIN, Focus, Route, RuleRouter
from riveg_agent.agent.chat.session import Answer, ChatSession

__all__ = ["Answer", "ChatSession", "EXPLAIN", "Focus", "Route", "RuleRouter"]

"""Routing accuracy of the chat routers on tests/agent/chat/routing_set.jsonl.

`--router rules` is the router without an LLM (exact phrasings, the learned
classifier, naive Bayes, entity resolution, clarify); `llm` the Qwen router.

    RIVEG_THREADS=1 python benchmarks/chat_routing.py [--router rules|llm|both] [--model ID] [--misses]
        [--set tests/agent/chat/routing_heldout.jsonl]

routing_heldout.jsonl was written after the routers were last changed and
has not been used to change them since: its figure is the unbiased one.

The tool list is the chat's: the eight role tools plus the example
third-party plugin's `image_colour` tool (tests/third_party_plugin).
"""
from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SET = ROOT / "tests" / "agent" / "chat" / "routing_set.jsonl"


def tool_infos():
    sys.path.insert(0, str(ROOT / "tests" / "third_party_plugin"))
    from riveg_hello.plugin import image_colour_tool

    from riveg_agent.agent.chat.routing import tool_info
    from riveg_agent.core.roles import Post
    from riveg_agent.agent.tools import PostContext, make_tools
    from riveg_agent.core.state import ChainState

    ctx = PostContext(None, ChainState(Post("routing", "", None)))
    tools = make_tools(ctx) + [image_colour_tool(None, ctx)]
    return [tool_info(t) for t in tools]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--router", default="both", choices=["rules", "llm", "both"])
    ap.add_argument("--model", default="qwen2.5-coder-0.5b-instruct-q4_k_m")
    ap.add_argument("--referee", default=None, metavar="MODEL",
                    help="the rules router with the LLM referee on this model (referee.py)")
    ap.add_argument("--misses", action="store_true", help="print the wrong turns")
    ap.add_argument("--set", default=str(SET), help="routing set JSONL (default: tests/agent/chat/routing_set.jsonl)")
    args = ap.parse_args()

    from riveg_agent.agent.chat.routing import RuleRouter
    from riveg_agent.agent.chat.routing_eval import evaluate, load_set

    conversations = load_set(args.set)
    infos = tool_infos()
    turns = sum(len(c["turns"]) for c in conversations)
    print(f"routing set: {turns} questions over {len(conversations)} posts; {len(infos)} tools")
    routers = []
    if args.router in ("rules", "both"):
        referee = None
        if args.referee:
            from riveg_agent.agent.chat.chat_model import LocalChatModel
            from riveg_agent.agent.chat.referee import LLMReferee
            referee = LLMReferee(LocalChatModel(model=args.referee, slot="chat-referee"))
        routers.append((f"rules + referee ({args.referee})" if referee else "rules", RuleRouter(infos, referee=referee)))
    if args.router in ("llm", "both"):
        from riveg_agent.agent.chat.chat_model import LocalChatModel
        from riveg_agent.agent.chat.llm_router import LLMRouter
        routers.append((f"llm ({args.model})", LLMRouter(LocalChatModel(model=args.model, slot="chat-router"), infos)))
    for name, router in routers:
        score = evaluate(router, conversations)
        p50 = statistics.median(score.seconds)
        extra = f"; unusable LLM outputs {router.failures}" if hasattr(router, "failures") else ""
        if getattr(router, "referee", None) is not None and router.referee.calls:
            extra += (f"; referee called on {router.referee.calls} turns, "
                      f"{router.referee.seconds / router.referee.calls:.2f} s a call")
        print(f"{name}: accuracy {score.accuracy:.1%} ({score.right}/{score.total}); "
              f"routing time p50 {p50 * 1000:.1f} ms, max {max(score.seconds) * 1000:.1f} ms{extra}")
        print("   decided by:", dict(score.steps.most_common()))
        if args.misses:
            for m in score.misses:
                print("   miss:", m)


if __name__ == "__main__":
    main()

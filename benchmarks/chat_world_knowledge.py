"""Can the offline chat LLMs settle references that take world knowledge?

    RIVEG_THREADS=2 python benchmarks/chat_world_knowledge.py [--model ID ...]

The turns are the 18 of `tests/agent/chat/routing_blind7.jsonl` (a development
set since its first run) whose right entity takes knowledge the post does not
state: "the egyptian king" (Salah), "the pontiff" (Pope Francis), "the aussie
skipper" (Pat Cummins), "where's curry" (Steph) and so on; the rule router asks
back on them or picks another entity. Each model is asked as the chat's
referee (referee.py: the post, its entities, the question; a JSON-schema enum
of the post's entity names and "unclear"), with every entity a candidate.
Printed: the pick, the seconds of each call (the first fills the few-shot
head) and how many picks are right.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SET = ROOT / "tests" / "agent" / "chat" / "routing_blind7.jsonl"
TURNS = [  # (post, question, the entity it means)
    ("lfc-derby", "cut out the egyptian king", "Salah"), ("lfc-derby", "is the keeper in it?", "Alisson"),
    ("scholz-macron", "is the french president there", "Emmanuel Macron"),
    ("scholz-macron", "and the german guy", "Olaf Scholz"), ("zendaya-holland", "where's spiderman", "Tom Holland"),
    ("easter-mass", "is the pontiff visible", "Pope Francis"), ("t1-worlds", "is the goat in it", "Faker"),
    ("teamusa-serbia", "the joker", "Jokic"), ("teamusa-serbia", "and the king", "LeBron"),
    ("teamusa-serbia", "where's curry", "Steph"),
    ("starmer-nissan", "is the chancellor in the picture", "Rachel Reeves"),
    ("starmer-nissan", "and the PM", "Keir Starmer"),
    ("kohli-mcg", "is the aussie skipper in the pic", "Pat Cummins"),
    ("monaco-gp", "where's the local boy", "Charles Leclerc"),
    ("chanel-frontrow", "and the barbie actress", "Margot Robbie"),
    ("chanel-frontrow", "the vogue editor i mean", "Anna Wintour"),
    ("oscars-oppenheimer", "and the director?", "Christopher Nolan"),
    ("wwdc-visionpro", "box the software guy", "Craig Federighi"),
]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", action="append",
                    help="catalogue id (repeatable; default: the 0.5B and the 1.5B Qwen)")
    args = ap.parse_args()
    from riveg_agent.agent.chat.chat_model import LocalChatModel
    from riveg_agent.agent.chat.referee import LLMReferee

    posts = {c["post"]: c for c in map(json.loads, SET.read_text(encoding="utf-8").splitlines())}
    for model in args.model or ["qwen2.5-coder-0.5b-instruct-q4_k_m", "qwen2.5-coder-1.5b-instruct-q4_k_m"]:
        referee = LLMReferee(LocalChatModel(model=model, slot="chat-referee"))
        right, seconds = 0, []
        for pid, question, gold in TURNS:
            post = posts[pid]
            entities = [tuple(e) for e in post["entities"]]
            t0 = time.perf_counter()
            got = referee.choose(question, post["text"], entities, [e for e, _ in entities])
            seconds.append(time.perf_counter() - t0)
            right += got == gold
            print(f"{seconds[-1]:5.1f} s  {question!r:38} -> {got} (means {gold})", flush=True)
        print(f"{model}: {right}/{len(TURNS)} right; first call {seconds[0]:.1f} s, "
              f"later calls median {sorted(seconds[1:])[len(seconds[1:]) // 2]:.1f} s\n", flush=True)


if __name__ == "__main__":
    main()

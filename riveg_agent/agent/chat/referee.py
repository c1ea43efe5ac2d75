"""The referee: the local LLM decides who a description refers to, when the rules cannot.

The rule resolver (resolve.py, describe.py) settles names, pronouns, ordinals,
counts and descriptions in the post's own words. A description in other words
("the drummer" for "Kofi on drums", "the champ" for the one who kept his title)
takes reading the post, which no word list does: four blind sets in a row
showed that (docs/chat.md). The referee asks the chat's LLM one question under a
JSON-schema grammar whose enum holds only the post's entity names and
"unclear", so it can neither invent a name nor pick one the post lacks; on
"unclear" the chat asks the user. It runs only on turns that hold such a
description and no name, so its latency (1.1-1.5 s a call on the 0.5B model, 2
idle threads; docs/chat.md) counts on those turns alone.
"""
from __future__ import annotations

import json
import time
from typing import Optional

from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

UNCLEAR = "unclear"

SYSTEM = ("You read a social-media post and a user's question about it. Decide which of the post's "
          "entities the question refers to. Use what the post says about each entity (roles, who won, "
          "who did what, relations). If no entity fits, answer \"unclear\". Answer with JSON.")

# Few-shot turns on made-up posts that are in no routing set.
SHOT_POSTS = [
    ("Lena Novak beat Carla Ruiz 6-4 6-2 at Roland Garros, coached as always by her father Milan Novak. "
     "Nike threw a party in Paris.",
     [("Lena Novak", "PER"), ("Carla Ruiz", "PER"), ("Roland Garros", "LOC"), ("Milan Novak", "PER"),
      ("Nike", "ORG"), ("Paris", "LOC")],
     [("where's the champion?", None, "Lena Novak"), ("is the loser in the pic", None, "Carla Ruiz"),
      ("mask her coach", "Lena Novak", "Milan Novak"), ("is the stadium visible", None, "Roland Garros"),
      ("tell me about the sponsor", None, "Nike")]),
    ("Chef Amara Diallo opened Soko Kitchen in Nairobi tonight with her business partner Tom Otieno.",
     [("Amara Diallo", "PER"), ("Soko Kitchen", "ORG"), ("Nairobi", "LOC"), ("Tom Otieno", "PER")],
     [("is the restaurant in the photo", None, "Soko Kitchen"), ("show me the cook", None, "Amara Diallo"),
      ("where's the singer", None, UNCLEAR), ("and her partner?", "Amara Diallo", "Tom Otieno")]),
]


def _prompt(text: str, entities: list[tuple[str, str]], question: str, previous: Optional[str]) -> str:
    lines = "\n".join(f"- {e} ({t})" for e, t in entities)
    prev = f"Previous turn was about: {previous}\n" if previous else ""
    return (f"Post: {text}\nEntities:\n{lines}\n{prev}Question: {question}\n"
            "Which entity does the question refer to?")


def _shots() -> list:
    messages = []
    for text, entities, turns in SHOT_POSTS:
        for question, previous, answer in turns:
            messages += [HumanMessage(_prompt(text, entities, question, previous)),
                         AIMessage(json.dumps({"entity": answer}))]
    return messages


class LLMReferee:
    """`choose(...)` -> the entity a description refers to, or None ("unclear")."""

    def __init__(self, chat_model):
        self.chat_model = chat_model
        self.head = [SystemMessage(SYSTEM)] + _shots()  # fixed: llama.cpp reuses its KV state
        self.calls = 0
        self.seconds = 0.0

    def choose(self, question: str, text: str, entities: list[tuple[str, str]],
               candidates: list[str], previous: Optional[str] = None) -> Optional[str]:
        allowed = [e for e, _ in entities if e in candidates]
        if not allowed:
            return None
        schema = {"type": "object", "properties": {"entity": {"type": "string", "enum": allowed + [UNCLEAR]}},
                  "required": ["entity"]}
        t0 = time.perf_counter()
        msg = self.chat_model.invoke(self.head + [HumanMessage(_prompt(text, entities, question, previous))],
                                     json_schema=schema, max_tokens=32)
        self.calls += 1
        self.seconds += time.perf_counter() - t0
        try:
            name = json.loads(msg.content)["entity"]
        except (ValueError, KeyError, TypeError):
            return None
        return name if name in allowed else None

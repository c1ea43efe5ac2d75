"""No prompt carries the answers of a post the product is shown or tested
on: the in-context examples are the paper's three (Premier League / Taylor
Swift / Golden Gate Bridge), and nothing from the demo post."""
import json
from importlib import resources

import yaml

from paths import ROOT

DEMO_WORDS = ("NASA", "Eileen", "Collins", "Johnson Space Center", "Houston", "astronaut",
              "space agency", "Texas")


def test_no_prompt_mentions_the_demo_post():
    demo = json.loads((resources.files("riveg_agent.assets") / "demo.json").read_text())["text"]
    assert "Eileen Collins" in demo  # the words checked are the demo's own
    for path in sorted((ROOT / "prompts").glob("*.yaml")):
        text = path.read_text(encoding="utf-8").lower()
        for word in DEMO_WORDS:
            assert word.lower() not in text, f"{path.name} mentions {word!r} from the demo post"


def test_expansion_examples_are_the_papers_three():
    prompt = yaml.safe_load((ROOT / "prompts" / "expansion.yaml").read_text(encoding="utf-8"))
    assert [e["entity"] for e in prompt["examples"]] == ["Premier League", "Taylor Swift", "Golden Gate Bridge"]

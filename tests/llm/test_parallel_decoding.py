"""ParallelDecoder (issue 19, lever 3; measured, not on the product path):
several prompts decoded as sequences of one llama.cpp context, on SmolLM2."""
import pytest

from riveg_agent.core.errors import PromptTooLong
from riveg_agent.llm.parallel import ParallelDecoder
from riveg_agent.llm.runtime import get_llm

FAST_LLM = "smollm2-135m-instruct-q4_1"
HEAD = "List the named entities of the post, one per line.\n"
POSTS = ["Obama visits Berlin to meet Merkel", "Taylor Swift plays Nashville tonight",
         "NASA launches a probe to Jupiter from Florida"]


@pytest.fixture(scope="module")
def llm():
    return get_llm(FAST_LLM, n_ctx=512, n_threads=1, slot="parallel-test")


def prompts(llm):
    return [llm.chat_prompt("You are a careful annotator.", HEAD + p) for p in POSTS]


def test_one_completion_per_prompt_within_budget_and_stops(llm):
    dec = ParallelDecoder(llm, n_seq=3, n_ctx_per_seq=256)
    got = dec.complete_many(prompts(llm), max_tokens=12)
    assert len(got) == 3 and all(c.completion_tokens <= 12 for c in got)
    assert all(c.text.strip() for c in got)
    assert dec.stats["decode_steps"] >= max(c.completion_tokens for c in got) - 1
    # a stop string that the first free run produced ends that text before it
    word = got[0].text.split()[0]
    cut = dec.complete_many(prompts(llm)[:1], max_tokens=12, stop=[word])
    assert word not in cut[0].text and cut[0].stop_reason == "stop"
    dec.close()


def test_shared_head_is_evaluated_once_and_kept(llm):
    dec = ParallelDecoder(llm, n_seq=3, n_ctx_per_seq=256)
    ps = prompts(llm)
    dec.complete_many(ps, max_tokens=2)
    first = dec.stats["prefill_tokens"]
    dec.complete_many(ps, max_tokens=2)
    tails = sum(len(llm.prompt_tokens(p)) for p in ps) - 3 * len(dec.head)
    assert dec.head and dec.stats["prefill_tokens"] - first == tails  # the second call prefills tails only
    assert first == tails + len(dec.head)
    dec.close()


def test_limits_are_said(llm):
    dec = ParallelDecoder(llm, n_seq=2, n_ctx_per_seq=64)
    with pytest.raises(ValueError, match="between 1 and 2"):
        dec.complete_many(prompts(llm), max_tokens=4)
    with pytest.raises(PromptTooLong, match="64-token sequence"):
        dec.complete_many([prompts(llm)[0] + " word" * 80], max_tokens=4)
    dec.close()

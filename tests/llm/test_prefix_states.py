"""The prefix-state LRU (issue 19): a knowledge prompt whose head + exemplar
was seen before loads that KV state and evaluates only the post, and the
texts are exactly those of the uncached path (greedy decoding)."""
import pytest

from riveg_agent.core.roles import Caption, Exemplar, Post
from riveg_agent.llm.catalogue import resolve_gguf
from riveg_agent.llm.runtime import LocalLLM, PrefixStates, get_llm
from riveg_plugins.llama_llm import knowledge_factory

FAST_LLM = "smollm2-135m-instruct-q4_1"  # the fast config's model

EXEMPLARS = [
    Exemplar("a", "RT @nba : Kawhi Leonard wins the Finals MVP in Toronto", "a basketball player with a trophy",
             "Named entities: 1. Kawhi Leonard (person) 2. Toronto (location) 3. NBA (organization). "
             "Reasoning: Kawhi Leonard is a basketball player; Toronto is a city in Canada.", 1.0),
    Exemplar("b", "Golden State Warriors celebrate in Oakland", "a team on a stage",
             "Named entities: 1. Golden State Warriors (organization) 2. Oakland (location). "
             "Reasoning: a basketball team and a city in California.", 1.0),
    Exemplar("c", "Paris is lovely in the spring says Macron", "the Eiffel tower at night",
             "Named entities: 1. Paris (location) 2. Macron (person). Reasoning: the capital of France "
             "and its president.", 1.0),
]
POSTS = ["Blackburn festival of voice starts today with Ed Sheeran", "Obama visits Berlin to meet Merkel",
         "Manchester United sign a new striker from Lyon", "Taylor Swift plays Nashville tonight",
         "NASA launches a probe to Jupiter from Florida"]
ORDER = ["a", "b", "a", "c", "b"]  # posts 3 and 5 come back to an exemplar seen two posts before


def knower(llm, prefix_cache: bool):
    k = knowledge_factory(model=FAST_LLM, max_tokens=24, cache=False, prefix_cache=prefix_cache,
                          max_exemplar_chars=200)
    k._llm = llm
    return k


def run(k) -> tuple[list[str], list[int]]:
    """Texts, and prompt tokens llama.cpp evaluated for each post."""
    by_id = {e.id: e for e in EXEMPLARS}
    texts, evaluated = [], []
    for i, (text, ex) in enumerate(zip(POSTS, ORDER)):
        before = k.llm.perf()["prefill_tokens"]
        texts.append(k.generate(Post(str(i), text), Caption("a photo of people", "test"), [by_id[ex]]).text)
        evaluated.append(k.llm.perf()["prefill_tokens"] - before)
    return texts, evaluated


@pytest.fixture(scope="module")
def both_paths():
    off = run(knower(get_llm(FAST_LLM, slot="test-prefix-off"), prefix_cache=False))
    on_llm = get_llm(FAST_LLM, slot="test-prefix-on")
    on = run(knower(on_llm, prefix_cache=True))
    return off, on, on_llm.prefix_states


def test_same_texts_with_and_without_the_state_cache(both_paths):
    (off_texts, _), (on_texts, _), _ = both_paths
    assert on_texts == off_texts
    assert all(t.startswith("Named entities") for t in on_texts)


def test_a_seen_exemplar_is_loaded_and_only_the_post_is_evaluated(both_paths):
    (_, off_eval), (_, on_eval), states = both_paths
    assert states.stats["hits"] == 2 and states.stats["saved"] == 3 and len(states) == 3
    # Posts 1, 2, 4: new exemplars, the same work either way.
    assert [on_eval[i] for i in (0, 1, 3)] == [off_eval[i] for i in (0, 1, 3)]
    # Posts 3 and 5: the exemplar's tokens are not evaluated again.
    for i in (2, 4):
        assert on_eval[i] < off_eval[i] - 40, (on_eval, off_eval)
    assert states.stats["reused_tokens"] == sum(off_eval[i] - on_eval[i] for i in (2, 4))


def test_a_prefix_cut_inside_a_word_gives_the_plain_text():
    """The boundary may split a token: only the tokens both share are reused."""
    llm = get_llm(FAST_LLM, slot="test-prefix-on")
    prompt = llm.chat_prompt("You are helpful.", "Name three rivers of Europe, then three of Asia.")
    cut = prompt.index("rivers") + 3
    plain = get_llm(FAST_LLM, slot="test-prefix-off").complete(prompt, 12).text
    first = llm.complete(prompt, 12, reusable_prefix=prompt[:cut]).text
    llm.complete(llm.chat_prompt("You are terse.", "Say hi."), 4)  # the context moves away
    hits = llm.prefix_states.stats["hits"]
    again = llm.complete(prompt, 12, reusable_prefix=prompt[:cut]).text
    assert first == again == plain
    assert llm.prefix_states.stats["hits"] == hits + 1


def test_prefix_must_start_the_prompt():
    llm = get_llm(FAST_LLM, slot="test-prefix-on")
    with pytest.raises(ValueError, match="not a prefix"):
        llm.complete("abc", 2, reusable_prefix="xyz")


def test_budget_zero_keeps_nothing():
    path, name = resolve_gguf(FAST_LLM)
    llm = LocalLLM(path, name, 1024, 1, prefix_cache_mb=0)
    try:
        prompt = llm.chat_prompt("You are helpful.", "Say hi.")
        llm.complete(prompt, 2, reusable_prefix=prompt[:20])
        assert len(llm.prefix_states) == 0 and llm.prefix_states.stats["saved"] == 0
    finally:
        llm.llama.close()


def test_render_parts_split_before_the_post():
    k = knower(get_llm(FAST_LLM, slot="test-prefix-on"), prefix_cache=True)
    cap = Caption("a photo", "test")
    p1 = k.render_parts(Post("1", POSTS[0]), cap, [EXEMPLARS[0]])
    p2 = k.render_parts(Post("2", POSTS[1]), cap, [EXEMPLARS[0]])
    assert "".join(p1) == k.render(Post("1", POSTS[0]), cap, [EXEMPLARS[0]])
    assert p1[0] == p2[0] and EXEMPLARS[0].text in p1[0] and POSTS[0] not in p1[0]
    assert p1[1].startswith("Text: " + POSTS[0]) and p1[1].endswith("<|im_start|>assistant\n")


def test_lru_evicts_the_least_recently_used_within_the_budget():
    states = PrefixStates(budget_bytes=10)
    states.put((1, 2), b"aaaa")
    states.put((1, 2, 3), b"bbbb")
    assert states.longest([1, 2, 3, 4]) == (1, 2, 3)  # the longest that starts the prompt
    assert states.longest([1, 2, 9]) == (1, 2)  # and (1, 2) is now the most recent
    assert states.longest([7]) is None
    states.put((5,), b"cccc")  # 12 bytes > 10: the least recent, (1, 2, 3), goes
    assert (1, 2, 3) not in states and (1, 2) in states and (5,) in states
    assert states.bytes == 8 and states.stats["evicted"] == 1
    states.put((6,), b"x" * 11)  # larger than the whole budget: not kept
    assert (6,) not in states and states.bytes == 8


def test_prompt_tokens_are_the_ones_llama_cpp_decodes_from_the_text():
    llm = get_llm(FAST_LLM, slot="test-prefix-off")
    prompt = llm.chat_prompt("You are helpful.", "Where is Toronto?")
    llm.complete(prompt, 2)  # the plain path: llama-cpp-python tokenizes the text itself
    tokens = llm.prompt_tokens(prompt)
    assert llm.llama._input_ids[:len(tokens)].tolist() == tokens

"""The SQLite completion cache: a rerun is served without calling the model."""
from riveg_agent.llm.cache import CompletionCache, cache_key
from riveg_agent.core.pipeline import make_post
from riveg_agent.core.roles import Caption, EntitySpan
from riveg_plugins.llama_llm import expander_factory, knowledge_factory

FAST_LLM = "smollm2-135m-instruct-q4_1"


def test_key_covers_model_template_prompt_and_settings():
    base = cache_key("m", "t.v1", "prompt", {"max_tokens": 8})
    assert base == cache_key("m", "t.v1", "prompt", {"max_tokens": 8})
    assert len({base, cache_key("m2", "t.v1", "prompt", {"max_tokens": 8}),
                cache_key("m", "t.v2", "prompt", {"max_tokens": 8}),
                cache_key("m", "t.v1", "prompt!", {"max_tokens": 8}),
                cache_key("m", "t.v1", "prompt", {"max_tokens": 9})}) == 5


def test_store_and_reopen(tmp_path):
    cache = CompletionCache(tmp_path / "c.sqlite")
    assert cache.get("k") is None
    cache.put("k", "text", "model", "tmpl.v1")
    assert CompletionCache(tmp_path / "c.sqlite").get("k") == "text"


def test_rerun_is_served_from_the_cache(tmp_path, monkeypatch):
    plugin = knowledge_factory(model=FAST_LLM, max_tokens=24)
    plugin.cache = CompletionCache(tmp_path / "c.sqlite")
    post = make_post("k1", "Messi scores twice for Barcelona", None)
    first = plugin.generate(post, Caption("a football player", "t"), [])
    assert plugin.cache.misses == 1

    def no_model(*args, **kwargs):
        raise AssertionError("the model must not run on a cached prompt")

    monkeypatch.setattr(plugin.llm, "complete", no_model)
    second = plugin.generate(post, Caption("a football player", "t"), [])
    assert second == first and plugin.cache.hits == 1


def test_expander_uses_the_cache(tmp_path):
    plugin = expander_factory(model=FAST_LLM)
    plugin.cache = CompletionCache(tmp_path / "c.sqlite")
    post = make_post("k2", "Messi scores twice for Barcelona", None)
    ents = [EntitySpan("Messi", "PER", 0, 5), EntitySpan("Barcelona", "ORG", 23, 32)]
    a = plugin.expand(post, None, ents)
    b = plugin.expand(post, None, ents)
    assert [e.text for e in a] == [e.text for e in b]
    assert (plugin.cache.misses, plugin.cache.hits) == (2, 2)


def test_parse_numbered_answers():
    from riveg_plugins.llama_llm import parse_numbered
    assert parse_numbered("1. a football league\n2) a city\n7. stray\n2. again", 2) == {
        1: "a football league", 2: "a city"}


def test_batched_expander_falls_back_per_entity_when_echoed(tmp_path):
    plugin = expander_factory(model=FAST_LLM, batched=True)
    plugin.cache = CompletionCache(tmp_path / "c.sqlite")
    post = make_post("k3", "Messi scores twice for Barcelona", None)
    ents = [EntitySpan("Messi", "PER", 0, 5), EntitySpan("Barcelona", "ORG", 23, 32)]
    out = plugin.expand(post, None, ents)
    assert [e.entity.text for e in out] == ["Messi", "Barcelona"]
    assert all(e.expansion and "\n" not in e.expansion for e in out)
    assert plugin.cache.misses >= 2  # the batch call, plus a call per echoed or missing entity
    assert "riveg.entity_expansion_batch.v2" in plugin.prompts()

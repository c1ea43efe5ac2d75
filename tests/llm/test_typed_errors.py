"""Failures that used to print tracebacks are typed errors naming the file
or the model: a prompt longer than the LLM's context, an exemplar index of
another dimension than its encoder."""
import numpy as np
import pytest

from riveg_agent.core.errors import ModelError, PromptTooLong
from riveg_agent.core.roles import Post

FAST_LLM = "smollm2-135m-instruct-q4_1"


def test_a_prompt_over_the_context_is_a_record_error():
    from riveg_plugins.llama_llm import knowledge_factory
    plugin = knowledge_factory(model=FAST_LLM, n_ctx=64, max_tokens=8, cache=False)
    with pytest.raises(PromptTooLong, match=r"does not fit the \d+-token context"):
        plugin.generate(Post("p", "word " * 400), None, [])


def test_an_index_of_another_dimension_is_refused(tmp_path):
    from riveg_agent.retrieval.index import ExemplarRecord, save_index
    from riveg_plugins.minilm_exemplars import factory
    save_index(tmp_path / "idx", np.ones((2, 16), np.float32),
               [ExemplarRecord("a", "t", "c", "x"), ExemplarRecord("b", "t", "c", "x")], {"encoder": "test"})
    with pytest.raises(ModelError, match="holds 16-d vectors.*384-d"):
        factory(index=str(tmp_path / "idx"), k=1).retrieve(Post("p", "hello"), None)

import pytest
import yaml

from riveg_agent.core.config import builtin_configs, load_config, parse_config
from riveg_agent.core.errors import ConfigError
from riveg_agent.core.registry import ROLES


def test_builtin_configs_load_and_name_every_role():
    assert {"default", "fast", "hub", "paper"} <= set(builtin_configs())
    cfg = load_config("default")
    assert set(cfg.roles) == set(ROLES)
    assert cfg.roles["knowledge"].params["model"] == "qwen2.5-coder-0.5b-instruct-q4_k_m"
    # the config's overrides, and the factory's defaults filled in (spaCy-style resolved config)
    assert cfg.roles["knowledge"].params["max_tokens"] == 64
    assert cfg.roles["knowledge"].params["n_ctx"] == 2048
    paper = load_config("paper")
    assert (paper.roles["exemplars"].params["k"], paper.roles["knowledge"].params["max_tokens"]) == (5, 160)


def test_hash_is_stable_and_follows_parameters():
    a, b = load_config("default"), load_config("default")
    assert a.hash() == b.hash()
    data = a.resolved()
    data["pipeline"]["exemplars"]["k"] = 3
    assert parse_config(data, "test").hash() != a.hash()


@pytest.mark.parametrize("mutate, key, words", [
    (lambda d: d["pipeline"].pop("grounder"), "pipeline.grounder", "missing"),
    (lambda d: d["pipeline"]["exemplars"].update(kk=3), "pipeline.exemplars.kk", "valid: index, k"),
    (lambda d: d["pipeline"]["exemplars"].update(k="five"), "pipeline.exemplars.k", "expected int"),
    (lambda d: d["pipeline"]["exemplars"].update(k=True), "pipeline.exemplars.k", "expected int"),
    (lambda d: d["pipeline"]["segmenter"].update(plugin="nope.v1"), "pipeline.segmenter.plugin",
     "riveg.grabcut_segmenter.v1"),
    (lambda d: d["pipeline"].update(painter={"plugin": "x"}), "pipeline.painter", "unknown role"),
    (lambda d: d.update(pipelines={}), "pipelines", "unknown top-level key"),
])
def test_bad_config_names_the_key(mutate, key, words):
    data = load_config("default").resolved()
    mutate(data)
    with pytest.raises(ConfigError) as err:
        parse_config(data, "test.yaml")
    assert err.value.key == key
    assert words in str(err.value)


def test_config_file_and_missing_file(tmp_path):
    path = tmp_path / "mine.yaml"
    data = load_config("fast").resolved()
    data["pipeline"]["exemplars"]["k"] = 1
    path.write_text(yaml.safe_dump(data))
    cfg = load_config(path)
    assert cfg.roles["exemplars"].params["k"] == 1 and cfg.source == str(path)
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "absent.yaml")
    with pytest.raises(ConfigError, match="built-in: default, fast, hub, paper"):
        load_config("no-such-config")
    bad = tmp_path / "bad.yaml"
    bad.write_text("pipeline: [unclosed")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(bad)


def test_optional_typed_parameters_are_type_checked_too():
    data = load_config("fast").resolved()
    data["pipeline"]["entailment"]["threshold"] = "0.5"  # Optional[float] in the plugin's factory
    with pytest.raises(ConfigError, match="pipeline.entailment.threshold"):
        parse_config(data, "test")
    data["pipeline"]["entailment"]["threshold"] = None
    assert parse_config(data, "test").roles["entailment"].params["threshold"] is None


def test_the_readme_example_config_is_valid():
    """The example a user copies from the README must parse (it once named a
    parameter a plugin no longer had)."""
    import re

    from paths import ROOT
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Configuration"):]
    block = re.search(r"```yaml\n(.*?)```", section, re.S).group(1)
    cfg = parse_config(yaml.safe_load(block), "README.md")
    assert cfg.roles["grounder"].plugin == "riveg.ranked_grounder.v1"

"""riveg-agent: grounded multimodal NER on social-media posts, offline (RiVEG).

    import riveg_agent
    nlp = riveg_agent.load("default")            # a built-in config name or a YAML path
    result = nlp("NASA astronaut Eileen Collins ...", image="photo.jpg")
    for r in nlp.pipe(records, batch_size=16):   # texts, (text, image) pairs or dicts
        ...

The image may be a path, bytes, a PIL image or a numpy array. Results are
`riveg_agent.Result` (pydantic, the output schema). `nlp.run_state(post)`
gives the whole chain state (riveg_agent.ChainState).
"""
__version__ = "0.1.0"

__all__ = ["load", "Pipeline", "Result", "ErrorRecord", "ChainState", "Post", "__version__"]

_EXPORTS = {
    "load": "riveg_agent.core.pipeline", "Pipeline": "riveg_agent.core.pipeline",
    "Result": "riveg_agent.core.schema", "ErrorRecord": "riveg_agent.core.schema",
    "ChainState": "riveg_agent.core.state", "Post": "riveg_agent.core.roles",
}


def __getattr__(name: str):
    # Imported on first use, so `import riveg_agent` stays cheap (the CLI's start-up).
    if name in _EXPORTS:
        import importlib
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'riveg_agent' has no attribute {name!r}")

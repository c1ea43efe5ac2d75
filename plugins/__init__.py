"""Built-in plugins of riveg-agent. Each module here is named by an entry
point in the `riveg.plugins` group of pyproject.toml, exactly as a
third-party plugin would be, and has a `register(registry)` function."""

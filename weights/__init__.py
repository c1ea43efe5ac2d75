"""Trained model weights shipped with riveg-agent (package `riveg_weights`).

One folder per model: `model.safetensors` (fp16), `ner_config.json` (the
tagger's config with its encoder's config, the data hashes and dev scores),
the tokenizer files, `scores.json` and `train.log`. Locate a folder with
`importlib.resources.files("riveg_weights") / <name>`."""

"""PLIM multimodal NER: readers, shape features, the encoder + CRF tagger,
its training loop, save/load (safetensors + JSON) and evaluation.

Importing this package imports no torch; the submodules that need it do."""

"""riveg-agent: grounded multimodal NER on social-media posts, offline (RiVEG)."""
__version__ = "0.1.0"

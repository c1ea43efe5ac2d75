"""GMNER without images, end to end on a Twitter-GMNER split, through the
product: a `Pipeline` whose captioner and knowledge generator read the
dataset's image descriptions and LLM knowledge (the tweet images are not
offline), the PLIM recognizer and the caption VE as shipped, and the
expansions the Expander wrote before (or none). Output: the pipeline's own
result records, with its provenance, so `riveg eval flag` scores entity +
type + groundability."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator, Optional

from riveg_agent.core.config import PipelineConfig, parse_config
from riveg_agent.core.errors import RivegError
from riveg_agent.core.pipeline import Pipeline
from riveg_agent.core.roles import Post


def gmner_config(data_dir: Path, split: str = "test", ner_model: str = "plim-minilm-gmner",
                 ve_model: str = "ve-minilm-gmner", knowledge: str = "dataset",
                 expansions: Optional[Path] = None, threads: Optional[int] = None) -> PipelineConfig:
    """The chain that `benchmarks/gmner_e2e.py` runs, as a config (its hash goes in the output)."""
    if knowledge not in ("dataset", "none"):
        raise RivegError(f"knowledge must be 'dataset' or 'none', not {knowledge!r}")
    reads = knowledge == "dataset"
    data = {
        "name": f"gmner-{split}-dataset-inputs",
        "description": "Twitter-GMNER without images: dataset captions and knowledge, shipped NER and VE",
        "pipeline": {
            "detector": "riveg.mediapipe_detector.v1",  # never runs: no images
            "captioner": {"plugin": "riveg.dataset_caption.v1", "data_dir": str(data_dir), "split": split},
            "exemplars": {"plugin": "riveg.minilm_exemplars.v1", "k": 0},  # the dataset knowledge needs none
            "knowledge": {"plugin": "riveg.dataset_knowledge.v1", "data_dir": str(data_dir),
                          "dataset": "twitter-gmner", "split": split},
            "recognizer": {"plugin": "riveg.plim_crf_ner.v1", "model": ner_model, "use_knowledge": reads,
                           "threads": threads},
            "expander": {"plugin": "riveg.expansions_file.v1", "path": str(expansions or "")},
            "entailment": {"plugin": "riveg.caption_ve.v1", "model": ve_model, "knowledge": reads,
                           "threads": threads},
            "grounder": "riveg.detector_grounder.v1",  # never runs: no images
            "segmenter": "riveg.grabcut_segmenter.v1",
        }}
    return parse_config(data, "riveg_agent.ve.end_to_end.gmner_config")


def dataset_posts(data_dir: Path, split: str) -> list[Post]:
    """The split's tweets as posts: id = image id, the dataset's own tokens."""
    from riveg_agent.ner.readers import load_split
    return [Post(e.id, " ".join(e.tokens), None, list(e.tokens))
            for e in load_split(data_dir, "twitter-gmner", split, knowledge=False)]


def gmner_predictions(data_dir: Path, split: str = "test", batch_size: int = 32,
                      **config: Any) -> Iterator[dict[str, Any]]:
    """The pipeline's result records (JSON dicts) for every tweet of the split."""
    from riveg_agent.ner.readers import check_not_leaky
    from riveg_agent.ve.data import SPLITS

    if split not in SPLITS:
        raise RivegError(f"unknown split {split!r}; choose train, dev or test")
    split = SPLITS[split]  # "valid" -> "dev", as the GMNER files name it
    nlp = Pipeline(gmner_config(data_dir, split, **config))
    recognizer = nlp.plugin("recognizer")
    check_not_leaky(recognizer.model_name, recognizer.trained_on(), "twitter-gmner", split)
    for result in nlp.pipe(dataset_posts(data_dir, split), batch_size=batch_size):
        yield result.model_dump(mode="json", exclude_none=True)

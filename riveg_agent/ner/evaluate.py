"""`riveg eval mner` as a library function: a trained tagger on one split of
a dataset, with no knowledge, the dataset's knowledge, or a local knowledge
file written by `riveg knowledge generate` (only the tweets it covers)."""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Optional

from riveg_agent.ner.readers import DataError, check_not_leaky, dataset_files, load_examples, load_split

KNOWLEDGE_SOURCES = ("none", "dataset", "local")


def evaluate_mner(model: str, dataset: str, split: str, data_dir: Path,
                  knowledge: str = "dataset", batch_size: int = 32,
                  threads: int = 2, knowledge_file: Optional[Path] = None,
                  limit: Optional[int] = None) -> dict[str, Any]:
    import torch

    from riveg_agent.ner import io
    from riveg_agent.ner.predict import evaluate
    if knowledge not in KNOWLEDGE_SOURCES:
        raise DataError(f"unknown knowledge source {knowledge!r}; choose one of {', '.join(KNOWLEDGE_SOURCES)}")
    if (knowledge == "local") != (knowledge_file is not None):
        raise DataError("--knowledge local and --knowledge-file FILE go together")
    torch.set_num_threads(threads)
    tagger, tokenizer = io.load(model)
    check_not_leaky(model, getattr(tagger, "trained_on", None), dataset, split)
    if knowledge == "local":
        conll, _ = dataset_files(data_dir, dataset, split)
        examples = [e for e in load_examples(conll, knowledge_file) if e.knowledge is not None]
        if not examples:
            raise DataError(f"{knowledge_file}: covers no tweet of {dataset}/{split}")
    else:
        examples = load_split(data_dir, dataset, split, knowledge == "dataset")
    examples = examples[:limit] if limit else examples
    t0 = time.time()
    result = evaluate(tagger, tokenizer, examples, knowledge != "none", batch_size)
    seconds = time.time() - t0
    return {"task": "mner", "model": model, "dataset": dataset, "split": split,
            "knowledge": knowledge, "knowledge_file": str(knowledge_file) if knowledge_file else None,
            "posts": len(examples), **result, "seconds": round(seconds, 2),
            "posts_per_second": round(len(examples) / seconds, 2) if seconds else None}

"""Plugins that read a dataset's own inputs instead of computing them, so the
benchmarks run the product chain on data whose images are not offline:

- `riveg.dataset_caption.v1` (Captioner): the image description the VE was
  trained on (BLIP-2 one-line caption + the RiVEG long description), by post id.
- `riveg.dataset_knowledge.v1` (KnowledgeGenerator): the dataset's LLM
  auxiliary knowledge (`<EOS>` files), by post id and text.
- `riveg.expansions_file.v1` (Expander): expansions the Expander wrote
  before (`riveg knowledge expansions`: JSONL {image, entity, type,
  expansion}); an entity not in the file gets no expansion (`Name (TYPE)`).

The post id is the dataset's image id. Each reads its files on first use and
names them, with their sha256, in the provenance."""
from __future__ import annotations

import threading
from pathlib import Path
from typing import Optional

from riveg_agent.core.errors import PluginUnavailable
from riveg_agent.core.roles import (Caption, Captioner, EntitySpan, Exemplar, Expander, Expression,
                                    ImageEvidence, Knowledge, KnowledgeGenerator, Post)
from riveg_agent.core.schema import ModelRef

DATA_LICENSE = "research data (Twitter-GMNER / RiVEG), under Twitter's terms"


class _FileBacked:
    def __init__(self):
        self._data = None
        self._lock = threading.Lock()

    def _files(self) -> list[Path]:
        raise NotImplementedError

    def _read(self):
        raise NotImplementedError

    def data(self):
        with self._lock:
            if self._data is None:
                for f in self._files():
                    if not f.is_file():
                        raise PluginUnavailable(f"{type(self).__name__}: file not found: {f}")
                self._data = self._read()
            return self._data

    def models(self) -> list[ModelRef]:
        from riveg_agent.llm.catalogue import file_sha256
        return [ModelRef(name=f"file:{f.name}", path=str(f), sha256=file_sha256(f), license=DATA_LICENSE)
                for f in self._files() if f.is_file()]


class DatasetCaptioner(_FileBacked, Captioner):
    def __init__(self, data_dir: str, split: str):
        super().__init__()
        from riveg_agent.ve.data import SPLITS
        self.data_dir, self.split = Path(data_dir), SPLITS.get(split, split)

    def _files(self) -> list[Path]:
        from riveg_agent.ve.data import LONG_CAPTIONS, SHORT_CAPTIONS
        files = [self.data_dir / r for r in SHORT_CAPTIONS] + [
            self.data_dir / LONG_CAPTIONS.format(split=self.split)]
        return [f for f in files if f.is_file()] or files  # any of them will do

    def _read(self) -> dict[str, str]:
        from riveg_agent.ve.data import image_captions
        return image_captions(self.data_dir, self.split)

    def caption(self, post: Post, evidence: Optional[ImageEvidence] = None) -> Optional[Caption]:
        text = self.data().get(post.id)
        return Caption(text, f"dataset image description ({self.split})") if text else None


class DatasetKnowledge(_FileBacked, KnowledgeGenerator):
    def __init__(self, data_dir: str, dataset: str, split: str):
        super().__init__()
        self.data_dir, self.dataset, self.split = Path(data_dir), dataset, split

    def _files(self) -> list[Path]:
        from riveg_agent.ner.readers import dataset_files
        return list(dataset_files(self.data_dir, self.dataset, self.split))

    def _read(self) -> dict[tuple[str, str], str]:
        from riveg_agent.ner.readers import load_split
        return {(e.id, " ".join(e.tokens)): " ".join(e.knowledge or [])
                for e in load_split(self.data_dir, self.dataset, self.split, knowledge=True)}

    def prompts(self) -> list[str]:
        return [f"dataset-knowledge:{self.dataset}/{self.split}"]

    def generate(self, post: Post, caption: Optional[Caption], exemplars: list[Exemplar]) -> Knowledge:
        text = self.data().get((post.id, post.text), "")
        return Knowledge(text, f"dataset-knowledge:{self.dataset}/{self.split}")


class ExpansionsFile(_FileBacked, Expander):
    def __init__(self, path: str):
        super().__init__()
        self.path = Path(path) if path else None  # no file: no expansions at all

    def _files(self) -> list[Path]:
        return [self.path] if self.path else []

    def _read(self) -> dict[tuple[str, str, str], str]:
        from riveg_agent.ve.data import read_expansions
        return read_expansions(self.path) if self.path else {}

    def expand(self, post: Post, caption: Optional[Caption], entities: list[EntitySpan]) -> list[Expression]:
        found = self.data()
        return [Expression(e, found.get((post.id, e.text, e.type), "")) for e in entities]


def caption_factory(data_dir: str, split: str = "test") -> DatasetCaptioner:
    return DatasetCaptioner(data_dir, split)


def knowledge_factory(data_dir: str, dataset: str = "twitter-gmner", split: str = "test") -> DatasetKnowledge:
    return DatasetKnowledge(data_dir, dataset, split)


def expansions_factory(path: str = "") -> ExpansionsFile:
    return ExpansionsFile(path)


def register(registry) -> None:
    registry.add("captioner", "riveg.dataset_caption.v1", caption_factory,
                 description="the dataset's image description of the post (by post id = image id)")
    registry.add("knowledge", "riveg.dataset_knowledge.v1", knowledge_factory,
                 description="the dataset's LLM auxiliary knowledge of the post (by id and text)")
    registry.add("expander", "riveg.expansions_file.v1", expansions_factory,
                 description="expansions read from a JSONL file written by `riveg knowledge expansions`")

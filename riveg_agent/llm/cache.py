"""A SQLite cache of LLM completions, so a rerun costs nothing.

Key: sha256 over (model file sha256, prompt template id + version, sha256 of
the rendered prompt, generation settings). Greedy decoding makes the cached
text exactly what a fresh call would return.
"""
from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Optional

from riveg_agent.llm.catalogue import home


def default_cache_path() -> Path:
    """$RIVEG_CACHE_DIR/llm-cache.sqlite (default: under $RIVEG_HOME)."""
    import os
    return Path(os.environ.get("RIVEG_CACHE_DIR") or home()) / "llm-cache.sqlite"


def cache_key(model_sha256: str, template_ref: str, prompt: str, settings: dict) -> str:
    prompt_hash = hashlib.sha256(prompt.encode("utf-8")).hexdigest()
    material = json.dumps([model_sha256, template_ref, prompt_hash, settings], sort_keys=True)
    return hashlib.sha256(material.encode()).hexdigest()


class CompletionCache:
    def __init__(self, path: Optional[Path] = None):
        self.path = Path(path) if path else default_cache_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(self.path), check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS completions (key TEXT PRIMARY KEY, text TEXT NOT NULL,"
                         " model TEXT, template TEXT, created REAL)")
        self._db.commit()
        self.hits = self.misses = 0

    def get(self, key: str) -> Optional[str]:
        with self._lock:
            row = self._db.execute("SELECT text FROM completions WHERE key = ?", (key,)).fetchone()
        if row is None:
            self.misses += 1
            return None
        self.hits += 1
        return row[0]

    def put(self, key: str, text: str, model: str, template: str) -> None:
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO completions VALUES (?, ?, ?, ?, ?)",
                             (key, text, model, template, time.time()))
            self._db.commit()


_caches: dict[str, CompletionCache] = {}


def get_cache(path: Optional[str] = None) -> CompletionCache:
    key = str(path or default_cache_path())
    if key not in _caches:
        _caches[key] = CompletionCache(Path(key))
    return _caches[key]

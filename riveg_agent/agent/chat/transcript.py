"""The session transcript: every turn, route, tool call, tool result and
overlay as a timestamped event; saved as JSONL next to the result JSON."""
from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any


class Transcript:
    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def add(self, event: str, **data: Any) -> None:
        self.events.append({"event": event, "time": round(time.time(), 3), **data})

    def tool_calls(self) -> list[dict[str, Any]]:
        return [e for e in self.events if e["event"] == "tool_call"]

    def save(self, folder: str | Path, result=None) -> Path:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        events = []
        for e in self.events:
            if e["event"] == "overlay" and Path(e["path"]).exists():
                target = folder / Path(e["path"]).name
                if Path(e["path"]).resolve() != target.resolve():
                    shutil.copyfile(e["path"], target)
                e = {**e, "path": str(target)}
            events.append(e)
        with open(folder / "transcript.jsonl", "w", encoding="utf-8") as fh:
            for e in events:
                fh.write(json.dumps(e, ensure_ascii=False, default=str) + "\n")
        if result is not None:
            (folder / "result.json").write_text(result.model_dump_json(indent=2), encoding="utf-8")
        return folder

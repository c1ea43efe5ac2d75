"""MediaPipe model loading shared by the built-in vision plugins (a helper
library, not a plugin): the BlazeFace full-range face detector and the
selfie segmenter, each created quietly and called under its own lock
(a MediaPipe graph must not run in two threads at once)."""
from __future__ import annotations

import contextlib
import importlib.util
import os
import threading
from typing import Optional

import numpy as np

from riveg_agent.core.schema import ModelRef

MEDIAPIPE_LICENSE = "Apache-2.0 (mediapipe 0.10.21 bundled models)"
BLAZEFACE = ModelRef(name="mediapipe/blazeface-full-range", license=MEDIAPIPE_LICENSE)
SELFIE = ModelRef(name="mediapipe/selfie-segmentation", license=MEDIAPIPE_LICENSE)


def mediapipe_check() -> Optional[str]:
    if importlib.util.find_spec("mediapipe") is None:
        return "mediapipe is not installed (scripts/setup.sh installs 0.10.21)"
    try:
        from mediapipe.python.solutions import face_detection  # noqa: F401
    except Exception as exc:  # a build without the bundled solutions
        return f"mediapipe face detection unavailable: {exc}"
    return None


@contextlib.contextmanager
def _quiet_fd2():
    """TFLite/absl print start-up chatter straight to file descriptor 2;
    hide it while a model is created (errors still raise as exceptions)."""
    try:
        saved = os.dup(2)
    except OSError:
        yield
        return
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


class LockedModel:
    """A MediaPipe solution built on first use; `process` is serialised."""

    def __init__(self, build):
        self._build, self._model = build, None
        self._lock = threading.Lock()

    def process(self, rgb: np.ndarray):
        with self._lock:
            if self._model is None:
                with _quiet_fd2():
                    self._model = self._build()
                    self._model.process(np.zeros((64, 64, 3), np.uint8))  # first call logs too
            return self._model.process(np.ascontiguousarray(rgb))

    def close(self) -> None:
        with self._lock:
            if self._model is not None:
                self._model.close()
                self._model = None


def face_detector(min_score: float) -> LockedModel:
    def build():
        from mediapipe.python.solutions import face_detection
        # model_selection=1: the full-range model, for faces up to ~5 m away.
        return face_detection.FaceDetection(model_selection=1, min_detection_confidence=min_score)
    return LockedModel(build)


def selfie_segmenter() -> LockedModel:
    def build():
        from mediapipe.python.solutions import selfie_segmentation
        return selfie_segmentation.SelfieSegmentation(model_selection=0)
    return LockedModel(build)

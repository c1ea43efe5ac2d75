"""The default Detector: MediaPipe BlazeFace (full range) faces, and a person
box around each face (MediaPipe ships no person detector). Everything in
original image pixels; faces largest first, each person box in its face's
order, so persons[i] belongs to faces[i]."""
from __future__ import annotations

from riveg_agent.core.roles import Detection, Detector, ImageEvidence
from riveg_agent.core.schema import ModelRef
from riveg_agent.io.images import PostImage
from riveg_agent.io.masks import clip_box

from ._mediapipe import BLAZEFACE, face_detector, mediapipe_check


def person_box_from_face(face, width: int, height: int):
    """A generous upper-body box around a face: 4 face widths wide (shoulders),
    from half a face above to five faces below (clipped to the image)."""
    x1, y1, x2, y2 = face
    fw, fh = x2 - x1, y2 - y1
    cx = (x1 + x2) / 2
    return clip_box((cx - 2.0 * fw, y1 - 0.5 * fh, cx + 2.0 * fw, y2 + 5.0 * fh), width, height)


def detect_faces(model, image: PostImage) -> list[Detection]:
    """BlazeFace faces of the image's working copy, in original pixels, largest first."""
    work = image.work_array()
    h, w = work.shape[:2]
    faces = []
    for d in model.process(work).detections or []:
        bb = d.location_data.relative_bounding_box
        box = (bb.xmin * w * image.scale, bb.ymin * h * image.scale,
               (bb.xmin + bb.width) * w * image.scale, (bb.ymin + bb.height) * h * image.scale)
        faces.append(Detection(clip_box(box, image.width, image.height), float(d.score[0]), "face",
                               BLAZEFACE.name))
    faces.sort(key=lambda d: -(d.box[2] - d.box[0]) * (d.box[3] - d.box[1]))
    return faces


class MediaPipeDetector(Detector):
    def __init__(self, min_score: float):
        self.min_score = min_score
        self._faces = face_detector(min_score)

    def models(self) -> list[ModelRef]:
        return [BLAZEFACE]

    def detect(self, image: PostImage) -> ImageEvidence:
        faces = detect_faces(self._faces, image)
        persons = [Detection(person_box_from_face(f.box, image.width, image.height), f.score, "person",
                             "upper body around a BlazeFace face") for f in faces]
        return ImageEvidence(detections=faces + persons)

    def close(self) -> None:
        self._faces.close()


def factory(min_score: float = 0.5) -> MediaPipeDetector:
    return MediaPipeDetector(min_score)


def register(registry) -> None:
    registry.add("detector", "riveg.mediapipe_detector.v1", factory,
                 description="MediaPipe BlazeFace faces and the person boxes around them",
                 check=mediapipe_check)

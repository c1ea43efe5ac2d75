"""Box-prompted segmentation without learned weights: mediapipe selfie
segmentation inside person boxes, OpenCV GrabCut (box-initialised) for
everything else and wherever the selfie model finds nobody."""
from __future__ import annotations

import importlib.util
from typing import Optional

import numpy as np

from riveg_agent.io.images import PostImage
from riveg_agent.core.roles import Box, Detection, Segmenter
from riveg_agent.core.schema import ModelRef

from ._mediapipe import SELFIE, selfie_segmenter


def selfie_mask(model, image: PostImage, box: Box) -> Optional[np.ndarray]:
    """MediaPipe selfie segmentation of the crop inside a person box."""
    x1, y1, x2, y2 = (int(round(v)) for v in box)
    if x2 - x1 < 4 or y2 - y1 < 4:
        return None
    prob = model.process(image.array()[y1:y2, x1:x2]).segmentation_mask
    if prob is None:
        return None
    mask = np.zeros((image.height, image.width), dtype=bool)
    mask[y1:y2, x1:x2] = prob > 0.5
    return mask


GRABCUT_SIDE = 320  # GrabCut runs on a copy with this long side: ~10x faster, masks as good at box scale


def grabcut(image: PostImage, box: Box, iterations: int) -> np.ndarray:
    """GrabCut on a small copy of the image (long side <= GRABCUT_SIDE), the
    mask scaled back to full size and kept inside the box."""
    import cv2

    work = image.work_array()
    f = max(work.shape[:2]) / GRABCUT_SIDE
    if f > 1:
        work = cv2.resize(work, (max(1, round(work.shape[1] / f)), max(1, round(work.shape[0] / f))),
                          interpolation=cv2.INTER_AREA)
    scale = image.scale * max(f, 1.0)  # original pixels per analysed pixel
    work = np.ascontiguousarray(work[:, :, ::-1])  # RGB -> BGR
    h, w = work.shape[:2]
    x1, y1, x2, y2 = (v / scale for v in box)
    rect = (int(max(0, x1)), int(max(0, y1)), max(1, int(min(w, x2) - max(0, x1))),
            max(1, int(min(h, y2) - max(0, y1))))
    mask = np.zeros((h, w), np.uint8)
    if rect[2] < 3 or rect[3] < 3 or (rect[2] >= w - 1 and rect[3] >= h - 1):
        # A box as large as the image leaves GrabCut no background to learn from.
        mask[rect[1]:rect[1] + rect[3], rect[0]:rect[0] + rect[2]] = 1
    else:
        cv2.setRNGSeed(0)  # deterministic GMM initialisation
        bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
        cv2.grabCut(work, mask, rect, bgd, fgd, iterations, cv2.GC_INIT_WITH_RECT)
        mask = np.isin(mask, (cv2.GC_FGD, cv2.GC_PR_FGD)).astype(np.uint8)
    full = cv2.resize(mask, (image.width, image.height), interpolation=cv2.INTER_NEAREST).astype(bool)
    inside = np.zeros_like(full)
    bx1, by1, bx2, by2 = (int(round(v)) for v in box)
    inside[max(0, by1):max(0, by2), max(0, bx1):max(0, bx2)] = True
    return full & inside


class GrabCutSegmenter(Segmenter):
    def __init__(self, iterations: int, selfie_for_people: bool):
        self.iterations, self.selfie_for_people = iterations, selfie_for_people
        self._selfie = selfie_segmenter() if selfie_for_people else None

    def close(self) -> None:
        if self._selfie is not None:
            self._selfie.close()

    def models(self) -> list[ModelRef]:
        if not self.selfie_for_people:
            return []
        return [SELFIE]

    def segment(self, image, regions: list[Optional[Detection]], evidence=None) -> list[Optional[np.ndarray]]:
        masks = []
        for region in regions:
            if region is None:
                masks.append(None)
                continue
            box, mask = region.box, None
            if self._selfie is not None and region.label == "person":
                mask = selfie_mask(self._selfie, image, box)
                if mask is not None and mask.sum() < 16:
                    mask = None
            masks.append(mask if mask is not None else grabcut(image, box, self.iterations))
        return masks


def _check() -> Optional[str]:
    if importlib.util.find_spec("cv2") is None:
        return "opencv-python-headless is not installed"
    return None


def factory(iterations: int = 3, selfie_for_people: bool = True) -> GrabCutSegmenter:
    return GrabCutSegmenter(iterations, selfie_for_people)


def register(registry) -> None:
    registry.add("segmenter", "riveg.grabcut_segmenter.v1", factory,
                 description="GrabCut in the box; mediapipe selfie segmentation in person boxes",
                 check=_check)

"""Segment Anything (Kirillov et al.), prompted with the VG box, for users
who have a checkpoint (ViT-B/L/H from the official release, Apache-2.0).

config:  segmenter: {plugin: riveg.sam_segmenter.v1, checkpoint: /path/sam_vit_b_01ec64.pth,
                     model_type: vit_b}
The checkpoint is read with torch.load(weights_only=True): tensors only."""
from __future__ import annotations

import importlib.util
import threading
from pathlib import Path
from typing import Callable, Optional

import numpy as np

from riveg_agent.core.errors import PluginUnavailable
from riveg_agent.core.roles import Segmenter
from riveg_agent.core.schema import ModelRef


def builders() -> dict[str, Callable]:
    """model_type -> builder(checkpoint=None) of an untrained Sam."""
    from segment_anything import sam_model_registry
    return {k: v for k, v in sam_model_registry.items() if k != "default"}


def load_sam(model_type: str, checkpoint: str, device: str = "cpu"):
    import torch

    table = builders()
    if model_type not in table:
        raise PluginUnavailable(f"SAM model_type '{model_type}' unknown; choose one of {sorted(table)}")
    path = Path(checkpoint).expanduser()
    if not path.is_file():
        raise PluginUnavailable(f"SAM checkpoint not found: {path}")
    sam = table[model_type](checkpoint=None)
    state = torch.load(path, map_location=device, weights_only=True)
    sam.load_state_dict(state)
    return sam.to(device).eval()


class SamSegmenter(Segmenter):
    def __init__(self, sam=None, *, model_type: str = "vit_b", checkpoint: str = "",
                 device: str = "cpu", multimask: bool = False):
        self._sam, self.model_type, self.checkpoint = sam, model_type, checkpoint
        self.device, self.multimask = device, multimask
        self._predictor = None
        # SamPredictor holds the image embedding between set_image and predict:
        # one post at a time through it.
        self._lock = threading.Lock()

    @property
    def predictor(self):
        if self._predictor is None:
            from segment_anything import SamPredictor
            if self._sam is None:
                self._sam = load_sam(self.model_type, self.checkpoint, self.device)
            self._predictor = SamPredictor(self._sam)
        return self._predictor

    def models(self) -> list[ModelRef]:
        if not self.checkpoint:
            return [ModelRef(name=f"sam/{self.model_type} (in-memory)")]
        from riveg_agent.llm.catalogue import file_sha256
        return [ModelRef(name=f"sam/{self.model_type}", path=self.checkpoint,
                         sha256=file_sha256(self.checkpoint), license="Apache-2.0")]

    def segment(self, image, regions, evidence=None) -> list[Optional[np.ndarray]]:
        import torch

        boxes = [r.box if r is not None else None for r in regions]
        if all(b is None for b in boxes):
            return [None] * len(boxes)
        with self._lock, torch.inference_mode():
            predictor = self.predictor
            predictor.set_image(image.work_array())  # the image embedding: once per post
            masks = []
            for box in boxes:
                if box is None:
                    masks.append(None)
                    continue
                work_box = np.array(box, dtype=np.float32) / image.scale
                out, scores, _ = predictor.predict(box=work_box, multimask_output=self.multimask)
                best = out[int(np.argmax(scores))]
                masks.append(_to_full(best, image))
        return masks


def _to_full(mask: np.ndarray, image) -> np.ndarray:
    if mask.shape == (image.height, image.width):
        return mask.astype(bool)
    import cv2
    return cv2.resize(mask.astype(np.uint8), (image.width, image.height),
                      interpolation=cv2.INTER_NEAREST).astype(bool)


def factory(checkpoint: str = "", model_type: str = "vit_b", device: str = "cpu",
            multimask: bool = False) -> SamSegmenter:
    return SamSegmenter(model_type=model_type, checkpoint=checkpoint, device=device,
                        multimask=multimask)


def _check() -> Optional[str]:
    if importlib.util.find_spec("segment_anything") is None:
        return "segment-anything is not installed"
    return "needs a SAM checkpoint file (set `checkpoint:` in the config); none ships offline"


def register(registry) -> None:
    registry.add("segmenter", "riveg.sam_segmenter.v1", factory,
                 description="Segment Anything prompted with the box (checkpoint path in config)",
                 check=_check)

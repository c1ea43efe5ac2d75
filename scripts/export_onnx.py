#!/usr/bin/env python3
"""Export the shipped NER and VE model folders (or the folders given) to ONNX
for the onnxruntime path of plugins/crf_ner.py and plugins/caption_ve.py.

Each folder gets `model.onnx` (the graph; its weights are external data inside
the folder's own model.safetensors, see riveg_agent/onnx_models.py) and
`onnx.json` (sha256 of the graph and of the safetensors, inputs, outputs,
versions, the sample check). Needs torch, transformers and the `onnx` package
(dev extra); rerun after retraining a model.

    python scripts/export_onnx.py                      # weights/plim-mpnet-t17-mix, plim-mpnet-t15, plim-mpnet-gmner, plim-minilm-t17-mix, plim-minilm-t17, plim-minilm-gmner, ve-minilm-gmner
    python scripts/export_onnx.py path/to/model-folder
    python scripts/export_onnx.py --sentence-minilm      # weights/minilm-sentence (MSEA, chat router)
"""
from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path

SHIPPED = ("plim-mpnet-t17-mix", "plim-mpnet-t15", "plim-mpnet-gmner", "plim-minilm-t17-mix", "plim-minilm-t17", "plim-minilm-gmner", "ve-minilm-gmner")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("folders", nargs="*", help="model folders (default: the shipped NER and VE models)")
    ap.add_argument("--sentence-minilm", action="store_true",
                    help="export the all-MiniLM-L6-v2 sentence encoder of the weight package instead")
    args = ap.parse_args(argv)
    if args.sentence_minilm:
        from riveg_agent.retrieval import minilm_onnx
        from riveg_plugins.minilm_exemplars import minilm_path
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            info = minilm_onnx.export(minilm_path())
        print(f"{minilm_onnx.FOLDER}: {info['linked_tensors']} tensors linked into the package's "
              f"{info['weights']}, sample max |diff| {info['sample_max_abs_diff']:.2e}")
        print(json.dumps({k: info[k] for k in ("graph_sha256", "weights_sha256")}))
        return 0
    from riveg_agent.model_folder import shipped_folder
    from riveg_agent.ner import onnx as ner_onnx
    from riveg_agent.ner.locate import CONFIG as NER_CONFIG
    from riveg_agent.ve import onnx as ve_onnx
    from riveg_agent.ve.io import CONFIG as VE_CONFIG
    folders = [Path(f) for f in args.folders] or [shipped_folder(n) for n in SHIPPED]
    for folder in folders:
        if (folder / NER_CONFIG).is_file():
            export = ner_onnx.export
        elif (folder / VE_CONFIG).is_file():
            export = ve_onnx.export
        else:
            print(f"error: {folder} holds neither {NER_CONFIG} nor {VE_CONFIG}", file=sys.stderr)
            return 2
        with warnings.catch_warnings():  # the tracer's notes on shape arithmetic
            warnings.simplefilter("ignore")
            info = export(folder)
        size = (folder / info["graph"]).stat().st_size
        print(f"{folder}: {info['graph']} {size / 1024:.0f} KiB, {info['linked_tensors']} tensors linked "
              f"into {info['weights']}, sample max |diff| {info['sample_max_abs_diff']:.2e}")
        print(json.dumps({k: info[k] for k in ("graph_sha256", "weights_sha256")}))
    return 0


if __name__ == "__main__":
    sys.exit(main())

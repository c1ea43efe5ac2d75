"""ONNX Runtime forms of the model folders (NER tagger, VE cross-encoder), so
inference needs neither torch nor transformers.

`model.onnx` beside `model.safetensors` holds the network's graph only: its
weight tensors are ONNX external data that point at their bytes inside the
folder's `model.safetensors` (fp16 there, cast to fp32 in the graph, as the
torch path loads them), so an export adds about a megabyte, not a second copy
of the weights. `onnx.json` records the sha256 of the graph and of the
safetensors it was exported and checked against: a folder whose safetensors
changed since (retrained) is refused until re-exported, never read at wrong
offsets (the exporter also merges initializers that were equal then).
Exporting (torch + the `onnx` package, dev extra) happens once, by
`scripts/export_onnx.py`; running needs onnxruntime and tokenizers only."""
from __future__ import annotations

import hashlib
import json
import struct
import threading
from pathlib import Path
from typing import Any, Optional, Sequence

import numpy as np

from riveg_agent.core.errors import ModelError
from riveg_agent.model_folder import WEIGHTS

GRAPH = "model.onnx"
EXPORT = "onnx.json"
OPSET = 17
RUNTIMES = ("onnx", "torch")


def safetensors_header(path: Path) -> tuple[bytes, dict[str, Any]]:
    """(the raw header bytes, 8-byte length included; the parsed header)."""
    with path.open("rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        raw = f.read(n)
    return struct.pack("<Q", n) + raw, json.loads(raw)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def has_export(folder: Path) -> bool:
    return (folder / GRAPH).is_file() and (folder / EXPORT).is_file()


def choose_runtime(runtime: Optional[str], folder: Path) -> str:
    """The plugins' `runtime` parameter: None means onnx when the folder has an export."""
    if runtime is None:
        return "onnx" if has_export(folder) else "torch"
    if runtime not in RUNTIMES:
        raise ModelError(f"runtime must be one of {', '.join(RUNTIMES)}, not '{runtime}'")
    if runtime == "onnx" and not has_export(folder):
        raise ModelError(f"{folder}: no {GRAPH} / {EXPORT}; run `python scripts/export_onnx.py {folder}`")
    return runtime


# --- export (torch, onnx) -------------------------------------------------

_ST_TO_ONNX = {"F16": 10, "F32": 1, "I64": 7, "BF16": 16}  # onnx.TensorProto data types


def export(module, args: tuple, input_names: list[str], output_names: list[str],
           dynamic_axes: dict[str, dict[int, str]], folder: Path, prefix: str,
           extra: Optional[dict[str, Any]] = None) -> dict[str, Any]:
    """Export `module` (a wrapper whose parameters are `prefix` + the folder's
    safetensors keys) to folder/model.onnx with its weights linked into
    folder/model.safetensors; writes and returns folder/onnx.json."""
    import tempfile

    import onnx
    import torch
    from onnx import TensorProto, helper

    header_bytes, header = safetensors_header(folder / WEIGHTS)
    base = len(header_bytes)
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / GRAPH
        # no constant folding: the initializers keep their parameter names
        # (folding would transpose linear weights into new, unnamed tensors);
        # onnxruntime folds those transposes and the casts once, at load.
        torch.onnx.export(module, args, str(raw), input_names=input_names, output_names=output_names,
                          dynamic_axes=dynamic_axes, opset_version=OPSET, dynamo=False,
                          do_constant_folding=False)
        graph_model = onnx.load(str(raw))
    graph = graph_model.graph
    kept, casts, linked = [], [], 0
    for init in graph.initializer:
        key = init.name[len(prefix):] if init.name.startswith(prefix) else None
        info = header.get(key) if key else None
        if info is None or list(info["shape"]) != list(init.dims) or info["dtype"] not in _ST_TO_ONNX:
            kept.append(init)  # a constant of the graph (position ids, ...): stays inline
            continue
        stored = _ST_TO_ONNX[info["dtype"]]
        begin, end = info["data_offsets"]
        name = init.name if stored == init.data_type else f"{init.name}::stored"
        t = TensorProto(name=name, data_type=stored, dims=list(init.dims))
        t.data_location = TensorProto.EXTERNAL
        for k, v in (("location", WEIGHTS), ("offset", str(base + begin)), ("length", str(end - begin))):
            entry = t.external_data.add()
            entry.key, entry.value = k, v
        kept.append(t)
        if name != init.name:
            casts.append(helper.make_node("Cast", [name], [init.name], to=init.data_type,
                                          name=f"cast::{init.name}"))
        linked += 1
    del graph.initializer[:]
    graph.initializer.extend(kept)
    nodes = casts + list(graph.node)
    del graph.node[:]
    graph.node.extend(nodes)
    data = graph_model.SerializeToString()
    (folder / GRAPH).write_bytes(data)
    # the exported graph against the module on the sample inputs
    got = _session(data, (folder / WEIGHTS).resolve().parent).run(
        None, {n: a.numpy() for n, a in zip(input_names, args)})[0]
    diff = float(np.abs(got - module(*args).numpy()).max())
    if not diff <= 1e-3:
        raise ModelError(f"{folder / GRAPH}: outputs differ from torch's by {diff} on the sample")
    info = {"graph": GRAPH, "graph_sha256": _sha256(data), "weights": WEIGHTS,
            "weights_sha256": _sha256((folder / WEIGHTS).resolve().read_bytes()),
            "linked_tensors": linked, "sample_max_abs_diff": diff, "inputs": input_names, "outputs": output_names,
            "opset": OPSET, "torch": torch.__version__, "onnx": onnx.__version__, **(extra or {})}
    (folder / EXPORT).write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    return info


# --- run (onnxruntime, tokenizers) ----------------------------------------

def _session(graph: bytes, weights_dir: Path, threads: Optional[int] = None):
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads or 0  # 0: onnxruntime's default (the cores)
    opts.inter_op_num_threads = 1
    # The graph as bytes: its external weights are found in weights_dir (their
    # real folder; onnxruntime refuses a link that leads out of it).
    opts.add_session_config_entry("session.model_external_initializers_file_folder_path", str(weights_dir))
    return ort.InferenceSession(graph, opts, providers=["CPUExecutionProvider"])


def session(folder: Path, threads: Optional[int] = None, weights: Optional[Path] = None):
    """An onnxruntime session on folder/model.onnx, after checking it is the
    recorded graph and the safetensors it was exported against (`weights`:
    that file where it is not folder/model.safetensors)."""
    from riveg_agent.llm.catalogue import file_sha256  # cached by size and mtime

    weights = weights or folder / WEIGHTS
    info = json.loads((folder / EXPORT).read_text(encoding="utf-8"))
    data = (folder / GRAPH).read_bytes()
    if _sha256(data) != info["graph_sha256"]:
        raise ModelError(f"{folder / GRAPH}: sha256 does not match {EXPORT}; re-export it")
    if weights.name != WEIGHTS:
        raise ModelError(f"{weights}: the graph's external data is named {WEIGHTS}")
    if file_sha256(weights) != info["weights_sha256"]:
        raise ModelError(f"{weights} is not the file {folder / GRAPH} was exported against; "
                         f"re-export it (python scripts/export_onnx.py)")
    return _session(data, weights.resolve().parent, threads)


class Tokenizer:
    """The folder's tokenizer.json through the `tokenizers` library (what
    transformers' fast tokenizer runs underneath), with the attributes and
    call that riveg_agent.ner.encoding uses, and the VE's padded pairs."""

    def __init__(self, folder: Path):
        from tokenizers import Tokenizer as Backend
        self.backend = Backend.from_file(str(folder / "tokenizer.json"))
        self.backend.no_truncation()
        self.backend.no_padding()
        config_file = folder / "tokenizer_config.json"
        config = json.loads(config_file.read_text(encoding="utf-8")) if config_file.is_file() else {}

        def token(key: str) -> Optional[str]:
            value = config.get(key)
            return value.get("content") if isinstance(value, dict) else value

        def token_id(key: str) -> Optional[int]:
            return self.backend.token_to_id(token(key)) if token(key) else None

        self.cls_token_id, self.sep_token_id = token_id("cls_token"), token_id("sep_token")
        self.bos_token_id, self.eos_token_id = token_id("bos_token"), token_id("eos_token")
        self.unk_token_id, self.pad_token_id = token_id("unk_token"), token_id("pad_token")
        self.pad_token = token("pad_token")
        self.pad_type_id = int(config.get("pad_token_type_id", 0))
        self._lock = threading.Lock()  # pairs() sets and resets the backend's truncation

    def __call__(self, texts: Sequence[str], add_special_tokens: bool = True) -> dict[str, list[list[int]]]:
        enc = self.backend.encode_batch(list(texts), add_special_tokens=add_special_tokens)
        return {"input_ids": [e.ids for e in enc]}

    def pairs(self, firsts: Sequence[str], seconds: Sequence[str], max_length: int) -> dict[str, np.ndarray]:
        """[CLS] first [SEP] second [SEP], the second cut first, padded to the
        longest: what transformers does for truncation="only_second", padding=True."""
        return self._padded(list(zip(firsts, seconds)), max_length, "only_second")

    def texts(self, texts: Sequence[str], max_length: int) -> dict[str, np.ndarray]:
        """[CLS] text [SEP], cut at max_length, padded to the longest
        (truncation=True, padding=True)."""
        return self._padded(list(texts), max_length, "longest_first")

    def _padded(self, inputs: list, max_length: int, strategy: str) -> dict[str, np.ndarray]:
        with self._lock:
            self.backend.enable_truncation(max_length, strategy=strategy)
            self.backend.enable_padding(pad_id=self.pad_token_id or 0, pad_type_id=self.pad_type_id,
                                        pad_token=self.pad_token or "[PAD]")
            try:
                enc = self.backend.encode_batch(inputs)
            finally:
                self.backend.no_truncation()
                self.backend.no_padding()
        return {"input_ids": np.array([e.ids for e in enc], dtype=np.int64),
                "attention_mask": np.array([e.attention_mask for e in enc], dtype=np.int64),
                "token_type_ids": np.array([e.type_ids for e in enc], dtype=np.int64)}

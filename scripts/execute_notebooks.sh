#!/usr/bin/env bash
# Re-run the tutorial notebooks in place, so that their committed outputs match the code
# (pytest compares them cell by cell with nbval). Run it after changing what a notebook
# prints, e.g. the training arithmetic (03 and 05 print seeded training results).
#
# Usage: bash scripts/execute_notebooks.sh [notebooks/03_training.ipynb ...]   (default: all)
# Needs MNIST: $BACKPROPLAB_DATA_DIR, else ../shared/mnist beside the checkout, else the cache.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${BACKPROPLAB_DATA_DIR:-}" ] && [ -d ../shared/mnist ]; then
    export BACKPROPLAB_DATA_DIR="$(cd ../shared/mnist && pwd)"
fi
unset MPLBACKEND  # the kernel's inline backend, as for a learner

if [ "$#" -eq 0 ]; then
    set -- notebooks/*.ipynb
fi
# Outputs only: no saved widget state (stale state confuses JupyterLab) and no timings.
.venv/bin/jupyter nbconvert --to notebook --execute --inplace \
    --ExecutePreprocessor.kernel_name=python3 \
    --ExecutePreprocessor.timeout=300 \
    --ExecutePreprocessor.store_widget_state=False \
    --ExecutePreprocessor.record_timing=False \
    "$@"

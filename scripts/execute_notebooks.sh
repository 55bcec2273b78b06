#!/usr/bin/env bash
# Re-run the tutorial notebooks in place, so that their committed outputs match the code
# (pytest compares them cell by cell with nbval). Run it after changing what a notebook
# prints, e.g. the training arithmetic (03 and 05 print seeded training results).
#
# Usage: bash scripts/execute_notebooks.sh [notebooks/03_training.ipynb ...]   (default: all)
# The notebooks read the MNIST bundled with the package, as the tests do.
set -euo pipefail
cd "$(dirname "$0")/.."

unset BACKPROPLAB_DATA_DIR
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

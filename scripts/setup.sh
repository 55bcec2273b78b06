#!/usr/bin/env bash
# Set up everything backproplab's tests need, on a fresh machine:
# a virtual environment in .venv with the package (editable) and its test tools,
# and Debian's Chromium for the browser tests (installed with apt-get when missing).
# Usage: bash scripts/setup.sh        (re-running it is safe and quick)
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    echo "setup: creating the virtual environment .venv"
    "$python" -m venv .venv
fi
echo "setup: installing backproplab and its test tools into .venv"
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[test]"
bash scripts/install_browser.sh ||
    echo "setup: Chromium is not installed: the browser tests (tests/browser) will be skipped"
echo "setup: done. Run the tests with: .venv/bin/python -m pytest"

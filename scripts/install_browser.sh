#!/usr/bin/env bash
# Install the browser that backproplab's real-browser tests drive: Debian's Chromium
# (/usr/bin/chromium) and its driver. Playwright for Python launches it directly
# (`playwright install` cannot download browsers on machines without internet).
#
# Usage: bash scripts/install_browser.sh      (does nothing when /usr/bin/chromium exists)
# Needs apt-get, and root or sudo; otherwise it prints the command to run and exits 1.
set -euo pipefail

chromium=${BACKPROPLAB_CHROMIUM:-/usr/bin/chromium}
if [ -x "$chromium" ]; then
    echo "install_browser: $chromium is already installed"
    exit 0
fi

packages="chromium chromium-driver"
command="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $packages"

if ! command -v apt-get >/dev/null 2>&1; then
    echo "install_browser: no apt-get on this machine; install Chromium with your package manager" >&2
    echo "  and point BACKPROPLAB_CHROMIUM at its executable (the browser tests look there)." >&2
    exit 1
fi

if [ "$(id -u)" -eq 0 ]; then
    run=(bash -c "$command")
elif command -v sudo >/dev/null 2>&1 && { sudo -n true 2>/dev/null || [ -t 0 ]; }; then
    run=(sudo bash -c "$command")       # asks for a password only on a terminal
else
    echo "install_browser: installing Chromium needs root. Run:" >&2
    echo "  sudo bash -c '$command'" >&2
    exit 1
fi

echo "install_browser: installing $packages (about 30 s)"
"${run[@]}"

if [ ! -x "$chromium" ]; then
    echo "install_browser: apt-get finished but $chromium is still missing" >&2
    exit 1
fi
echo "install_browser: $("$chromium" --version 2>/dev/null | head -n 1) at $chromium"

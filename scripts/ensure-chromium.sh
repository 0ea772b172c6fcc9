#!/usr/bin/env bash
# Install Debian's headless Chromium for the browser test when it is missing.
set -u
if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "chromium missing and not root: skipping install"; exit 1; }
  SUDO="sudo -n"
fi
command -v apt-get >/dev/null 2>&1 || { echo "chromium missing and no apt-get"; exit 1; }
echo "installing chromium (Debian package) for the browser test..."
$SUDO apt-get update -qq >/dev/null 2>&1 || true
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null 2>&1
command -v chromium >/dev/null 2>&1

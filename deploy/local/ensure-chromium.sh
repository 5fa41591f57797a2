#!/usr/bin/env bash
# Headless Chromium for the disclosure page's browser test (Debian's package; nothing downloaded
# by a test tool). Installs with apt when missing; needs root, as the PostgreSQL install does.
set -euo pipefail
if command -v chromium >/dev/null 2>&1 || [[ -x /usr/bin/chromium ]]; then
    exit 0
fi
echo "chromium: installing Debian's package (headless browser tests)"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq chromium >/dev/null

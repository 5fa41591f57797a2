#!/usr/bin/env bash
# A C compiler and OpenSSL's headers, for the draw service's one C module (services/draw/setup.py:
# the hashing of a draw's target keys). Debian's packages, installed with apt when missing; needs
# root, as the PostgreSQL install does. Without them the module is skipped and draws hash in
# Python (same results, slower), and the test that checks the module was built fails.
set -euo pipefail
if command -v cc >/dev/null 2>&1 && [[ -f /usr/include/openssl/sha.h ]]; then
    exit 0
fi
echo "build deps: installing Debian's gcc and libssl-dev (the draw service's C module)"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq gcc libc6-dev libssl-dev >/dev/null

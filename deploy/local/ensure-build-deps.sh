#!/usr/bin/env bash
# A C compiler and OpenSSL's headers, for the two C modules: the draw's (services/draw/setup.py:
# the hashing of a draw's target keys) and the registry's (services/registry/setup.py: national
# code check digits). Debian's packages, installed with apt when missing; needs root, as the
# PostgreSQL install does. Without them the modules are skipped and the services run in Python
# (same results, slower), and the tests that check the modules were built fail.
set -euo pipefail
if command -v cc >/dev/null 2>&1 && [[ -f /usr/include/openssl/sha.h ]]; then
    exit 0
fi
echo "build deps: installing Debian's gcc and libssl-dev (the draw's and the registry's C modules)"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq gcc libc6-dev libssl-dev >/dev/null

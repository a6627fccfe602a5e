#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages Postseal needs, only those that are missing.
# Usage: scripts/ensure-system.sh demo|test
#   demo: python3 (3.11+) with venv, gnupg
#   test: the same, plus chromium (the portal page is tested in a real headless browser)
set -euo pipefail
what=${1:-demo}

need=()
have_cmd() { command -v "$1" >/dev/null 2>&1; }

if ! have_cmd python3; then need+=(python3 python3-venv); fi
if have_cmd python3 && ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "postseal needs Python 3.11 or newer; python3 is $(python3 --version 2>&1)" >&2
  exit 1
fi
if have_cmd python3 && ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then need+=(python3-venv); fi
if ! have_cmd gpg || ! have_cmd gpgconf; then need+=(gnupg); fi
if ! have_cmd gpg-agent; then need+=(gpg-agent); fi
if [ "$what" = test ] && ! have_cmd chromium && ! have_cmd chromium-browser; then need+=(chromium); fi

if [ ${#need[@]} -eq 0 ]; then
  echo "system packages: all present (python3 $(python3 -c 'import platform; print(platform.python_version())'), gnupg$([ "$what" = test ] && echo ', chromium'))"
  exit 0
fi

echo "system packages: installing ${need[*]} with apt-get"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if have_cmd sudo; then sudo="sudo"; else
    echo "missing packages ${need[*]}; run as root or install them: apt-get install ${need[*]}" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
echo "system packages: installed ${need[*]}"

#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages Postseal needs, only those that are missing.
# Usage: scripts/ensure-system.sh demo|test
#   demo: python3 (3.11+) with venv, gnupg
#   test: the same, plus chromium (portal page, add-ins), xvfb (tray screenshots), nodejs
#         (Outlook add-in tests), swaks (SMTP submission tests), wixl and msitools (the
#         Windows MSI), dpkg-deb, systemd-analyze, shellcheck and desktop-file-validate (the
#         .deb), postgresql (the portal store's tests), nginx (the portal behind a TLS proxy); both: the system libraries Qt needs for the tray app,
#         tesseract-ocr with English and Spanish (OCR of scanned attachments)
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
# OCR of scanned attachments (agent/policy/ocr.py), both lists: without it a scanned page is
# only an "uninspectable" finding. Spanish too: clinics get Spanish documents (2 MB).
tessdata=$(compgen -G '/usr/share/tesseract-ocr/*/tessdata' | head -n1 || true)
if ! have_cmd tesseract; then need+=(tesseract-ocr); fi
if [ ! -f "$tessdata/eng.traineddata" ]; then need+=(tesseract-ocr-eng); fi
if [ ! -f "$tessdata/spa.traineddata" ]; then need+=(tesseract-ocr-spa); fi
if [ "$what" = test ] && ! have_cmd chromium && ! have_cmd chromium-browser; then need+=(chromium); fi
if [ "$what" = test ] && ! have_cmd Xvfb; then need+=(xvfb); fi
# The add-ins: node runs the Outlook handler's tests; swaks is a second SMTP client for the
# local submission; openssl checks the per-install CA's certificates.
if [ "$what" = test ] && ! have_cmd node; then need+=(nodejs); fi
if [ "$what" = test ] && ! have_cmd swaks; then need+=(swaks libnet-ssleay-perl); fi
if [ "$what" = test ] && ! have_cmd openssl; then need+=(openssl); fi
# certutil puts the per-install CA into a browser profile's NSS store (the task pane test).
if [ "$what" = test ] && ! have_cmd certutil; then need+=(libnss3-tools); fi
# The Windows MSI is built and inspected here with wixl and msiinfo (tests/installers).
if [ "$what" = test ] && ! have_cmd wixl; then need+=(wixl); fi
if [ "$what" = test ] && ! have_cmd msiinfo; then need+=(msitools); fi
# The Linux package's tests: dpkg-deb builds it, systemd-analyze verifies its user unit,
# shellcheck its maintainer scripts, desktop-file-validate its autostart and menu entries.
if [ "$what" = test ] && ! have_cmd dpkg-deb; then need+=(dpkg); fi
if [ "$what" = test ] && ! have_cmd systemd-analyze; then need+=(systemd); fi
if [ "$what" = test ] && ! have_cmd shellcheck; then need+=(shellcheck); fi
if [ "$what" = test ] && ! have_cmd desktop-file-validate; then need+=(desktop-file-utils); fi
# The portal store's PostgreSQL backend is tested against a throwaway cluster (initdb, pg_ctl).
if [ "$what" = test ] && ! compgen -G '/usr/lib/postgresql/*/bin/pg_ctl' >/dev/null; then need+=(postgresql); fi
# The portal's production shape is tested behind Debian's nginx terminating TLS.
if [ "$what" = test ] && ! have_cmd nginx && [ ! -x /usr/sbin/nginx ]; then need+=(nginx); fi
# The tray app (PySide6 wheels bring Qt itself, not these system libraries).
have_lib() { ldconfig -p 2>/dev/null | grep -q "$1"; }
for pair in libEGL.so.1:libegl1 libGL.so.1:libgl1 libxkbcommon.so.0:libxkbcommon0 \
            libfontconfig.so.1:libfontconfig1 libdbus-1.so.3:libdbus-1-3 libglib-2.0.so.0:libglib2.0-0 \
            libxkbcommon-x11.so.0:libxkbcommon-x11-0 libxcb-cursor.so.0:libxcb-cursor0 \
            libxcb-icccm.so.4:libxcb-icccm4 libxcb-keysyms.so.1:libxcb-keysyms1 libxcb-shape.so.0:libxcb-shape0 \
            libxcb-randr.so.0:libxcb-randr0 libxcb-render-util.so.0:libxcb-render-util0 \
            libxcb-image.so.0:libxcb-image0; do
  have_lib "${pair%%:*}" || need+=("${pair##*:}")
done

if [ ${#need[@]} -eq 0 ]; then
  echo "system packages: all present (python3 $(python3 -c 'import platform; print(platform.python_version())'), gnupg, tesseract-ocr, Qt libraries$([ "$what" = test ] && echo ', chromium, xvfb, nodejs, swaks, certutil, wixl, msitools, dpkg-deb, systemd-analyze, shellcheck, desktop-file-validate, postgresql, nginx'))"
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

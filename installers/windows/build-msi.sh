#!/usr/bin/env bash
# Builds the Windows MSI with Debian's wixl (package wixl) from a PyInstaller one-folder
# bundle built on Windows (postseal.exe and _internal\). The release build on Windows uses
# the WiX toolset on the same postseal.wxs instead (.github/workflows/release.yml).
#
# Usage: installers/windows/build-msi.sh BUNDLE_DIR OUTPUT.msi
#   VERSION      overrides the version in pyproject.toml (numeric a.b.c: MSI's ProductVersion)
#   PYTHON       the interpreter that runs `postseal extension manifest` (default: .venv)
#
# The version and the ProductCode derived from it come from msi_version.py, as in the release
# build on Windows.
set -euo pipefail

die() { echo "build-msi: $*" >&2; exit 1; }
[ $# -eq 2 ] || die "usage: $0 BUNDLE_DIR OUTPUT.msi"
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bundle=$1
out=$2
python=${PYTHON:-$root/.venv/bin/python}
[ -x "$python" ] || python=python3

for tool in wixl wixl-heat; do
  command -v "$tool" >/dev/null || die "$tool not found: install the Debian package wixl (scripts/ensure-system.sh test)"
done
[ -f "$bundle/postseal.exe" ] || die "$bundle/postseal.exe is missing: give the one-folder bundle built on Windows (installers/pyinstaller)"
[ -d "$bundle/_internal" ] || die "$bundle/_internal is missing: give the one-folder bundle built on Windows (installers/pyinstaller)"

read -r version product_code < <("$python" "$here/msi_version.py" ${VERSION:+"$VERSION"}) || exit 1

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# wixl looks sources up relative to the working directory, not by absolute path.
ln -s "$(cd "$bundle" && pwd)" "$work/bundle"
mkdir "$work/stage"
# The host manifest is written by the agent's own code, so its shape cannot drift; a relative
# path is allowed on Windows (postseal.wxs).
PYTHONPATH=$root "$python" -m agent.cli extension manifest --host-path postseal.exe \
  > "$work/stage/org.postseal.agent.json" 2> "$work/manifest.err" \
  || die "$python could not write the native-messaging host manifest: $(tail -n 1 "$work/manifest.err") (set PYTHON to the project's virtualenv python)"

cd "$work"
# wixl-heat marks nothing 64-bit; every component of this x64 package is (ICE80 on Windows).
# (On Windows the WiX toolset harvests with bundle-files.wxs instead.)
find bundle/_internal -type f | LC_ALL=C sort \
  | wixl-heat -p bundle/_internal/ --var var.InternalDir --directory-ref INTERNALFOLDER --component-group BundleFiles \
  | sed 's/Guid="\*"/Guid="*" Win64="yes"/' > stage/harvest.wxs
case $out in /*) ;; *) out=$OLDPWD/$out ;; esac
mkdir -p "$(dirname "$out")"
wixl -a x64 -D "Version=$version" -D "ProductCode=$product_code" -D BundleDir=bundle \
  -D InternalDir=bundle/_internal -D StageDir=stage -o "$out" "$here/postseal.wxs" stage/harvest.wxs \
  || die "wixl could not build $out (see above)"
echo "built $out: Postseal $version, ProductCode {$product_code}"

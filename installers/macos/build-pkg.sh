#!/bin/sh
# Builds the macOS installer package from Postseal.app (PyInstaller's app bundle, built on
# macOS) with pkgbuild and productbuild, and signs it when an installer identity is given.
# Runs on macOS only (.github/workflows/release.yml); signing, notarization and stapling are
# in docs/deploy.md, "macOS (Jamf, Intune)".
#
# Usage: installers/macos/build-pkg.sh Postseal.app VERSION OUTPUT.pkg
#   INSTALLER_IDENTITY  e.g. "Developer ID Installer: Clinic Group (TEAMID)": productsign with it
#
# Payload (installed at /, owned by root:wheel):
#   /Applications/Postseal.app
#   /Library/LaunchAgents/org.postseal.agent.plist, org.postseal.tray.plist
#   /Library/{Google/Chrome,Microsoft/Edge,Application Support/Chromium}/NativeMessagingHosts/org.postseal.agent.json
#   /Library/Application Support/Postseal/uninstall.sh
set -eu
die() { echo "build-pkg: $*" >&2; exit 1; }
[ $# -eq 3 ] || die "usage: $0 Postseal.app VERSION OUTPUT.pkg"
app=$1 version=$2 out=$3
here=$(cd "$(dirname "$0")" && pwd)
executable=/Applications/Postseal.app/Contents/MacOS/postseal  # what the LaunchAgents start
for tool in pkgbuild productbuild lipo; do
  command -v "$tool" >/dev/null || die "$tool not found: build the package on macOS (Xcode command line tools)"
done
[ -x "$app/Contents/MacOS/postseal" ] || die "$app/Contents/MacOS/postseal is missing: give Postseal.app as PyInstaller built it"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/root
mkdir -p "$root/Applications" "$root/Library/LaunchAgents" "$root/Library/Application Support/Postseal"
ditto "$app" "$root/Applications/Postseal.app"  # keeps symlinks, extended attributes and the signature
install -m 644 "$here/org.postseal.agent.plist" "$here/org.postseal.tray.plist" "$root/Library/LaunchAgents/"
install -m 755 "$here/uninstall.sh" "$root/Library/Application Support/Postseal/uninstall.sh"
# The host manifest from the app itself, naming where the app will be (macOS needs an absolute path).
for dir in "Library/Google/Chrome" "Library/Microsoft/Edge" "Library/Application Support/Chromium"; do
  mkdir -p "$root/$dir/NativeMessagingHosts"
  "$app/Contents/MacOS/postseal" extension manifest --host-path "$executable" \
    > "$root/$dir/NativeMessagingHosts/org.postseal.agent.json"
  chmod 644 "$root/$dir/NativeMessagingHosts/org.postseal.agent.json"
done

# pkgbuild would let Installer "upgrade" a copy the user moved elsewhere; it must go where the
# LaunchAgents look.
pkgbuild --analyze --root "$root" "$work/components.plist"
i=0
while /usr/libexec/PlistBuddy -c "Set :$i:BundleIsRelocatable false" "$work/components.plist" 2>/dev/null; do
  i=$((i + 1))
done
[ "$i" -gt 0 ] || die "pkgbuild found no app bundle in the payload"
pkgbuild --root "$root" --component-plist "$work/components.plist" --identifier org.postseal.pkg \
  --version "$version" --install-location / --scripts "$here/scripts" --ownership recommended \
  "$work/postseal.pkg"
archs=$(lipo -archs "$app/Contents/MacOS/postseal" | tr ' ' ',')
sed -e "s/@VERSION@/$version/" -e "s/@ARCHS@/$archs/" "$here/distribution.xml" > "$work/distribution.xml"
productbuild --distribution "$work/distribution.xml" --package-path "$work" "$work/unsigned.pkg"
if [ -n "${INSTALLER_IDENTITY:-}" ]; then
  productsign --sign "$INSTALLER_IDENTITY" --timestamp "$work/unsigned.pkg" "$out"
else
  cp "$work/unsigned.pkg" "$out"
  echo "build-pkg: not signed (no INSTALLER_IDENTITY): for testing only, MDMs and Gatekeeper refuse it" >&2
fi
echo "built $out: Postseal $version ($archs)"

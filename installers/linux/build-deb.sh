#!/usr/bin/env bash
# Builds the postseal .deb with dpkg-deb from a one-folder bundle (make bundle).
#
#   installers/linux/build-deb.sh BUNDLE_DIR OUT_DIR [--extension-id ID]... [--compression xz|gzip|zstd|none]
#
# The package holds:
#   /opt/postseal/                         the bundle (postseal + _internal/)
#   /usr/bin/postseal                      -> ../../opt/postseal/postseal
#   /usr/lib/systemd/user/postseal-agent.service, enabled for every user by
#   /usr/lib/systemd/user/default.target.wants/postseal-agent.service (a link in the package:
#                                          no state kept by scripts; IT opts out with
#                                          `systemctl --global mask postseal-agent.service`)
#   /usr/lib/postseal/trust-local-ca       trusts each user's add-in CA in their browsers (unit's ExecStartPost)
#   /etc/xdg/autostart/postseal-tray.desktop            the tray at every login
#   /usr/share/applications/postseal.desktop, /usr/share/icons/hicolor/scalable/apps/postseal.svg
#   /etc/opt/chrome/, /etc/chromium/, /etc/opt/edge/native-messaging-hosts/org.postseal.agent.json
#                                          rendered by the bundle itself (agent/ingress/native_manifest.py)
#   /etc/postseal/policy.json.example      the generated example only: the agent reads /etc/postseal/policy.json
#   /usr/share/doc/postseal/deploy.md
# Everything under /etc is a conffile. Depends: gnupg (the agent does not start without it).
# Recommends: libnss3-tools (the CA trust), tesseract-ocr with English and Spanish (OCR of
# scanned attachments; without it a scanned page stays an "uninspectable" finding).
set -euo pipefail
umask 022

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
die() { echo "build-deb: $*" >&2; exit 1; }

[ $# -ge 2 ] || die "usage: $0 BUNDLE_DIR OUT_DIR [--extension-id ID]... [--compression xz|gzip|zstd|none]"
bundle=$1
out=$2
shift 2
extension_ids=()
compression=xz
while [ $# -gt 0 ]; do
    case "$1" in
    --extension-id) [ $# -ge 2 ] || die "--extension-id needs an ID"; extension_ids+=(--extension-id "$2"); shift 2 ;;
    --compression) [ $# -ge 2 ] || die "--compression needs a value"; compression=$2; shift 2 ;;
    *) die "unknown option $1" ;;
    esac
done
command -v dpkg-deb >/dev/null || die "dpkg-deb not found: install dpkg (Debian/Ubuntu)"

program="$bundle/postseal"
[ -x "$program" ] || die "$program: no executable there; build the bundle first (make bundle)"
# The bundle names its own version, and must run here: a damaged bundle stops the build.
version_line=$("$program" --version 2>&1) || die "$program --version failed ($version_line): the bundle is damaged"
version=${version_line#postseal }
case "$version" in
[0-9]*) ;;
*) die "$program --version said '$version_line', not 'postseal VERSION'" ;;
esac
arch=$(dpkg --print-architecture)
# The bundle carries its libraries but uses the C library of the machine it was built on.
glibc=$(dpkg-query -W -f='${Version}' libc6 2>/dev/null | sed 's/-.*//') || glibc=""

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
root="$stage/postseal"
install -d -m 0755 "$root" "$root/opt" "$root/usr/bin" "$root/usr/lib/systemd/user/default.target.wants" \
    "$root/usr/lib/postseal" "$root/etc/xdg/autostart" "$root/etc/postseal" "$root/usr/share/applications" \
    "$root/usr/share/icons/hicolor/scalable/apps" "$root/usr/share/doc/postseal" "$root/DEBIAN"

cp -a "$bundle" "$root/opt/postseal"
chmod -R u+rwX,go+rX,go-w "$root/opt/postseal"
ln -s ../../opt/postseal/postseal "$root/usr/bin/postseal"

install -m 0644 "$here/postseal-agent.service" "$root/usr/lib/systemd/user/"
ln -s ../postseal-agent.service "$root/usr/lib/systemd/user/default.target.wants/postseal-agent.service"
install -m 0755 "$here/trust-local-ca" "$root/usr/lib/postseal/"
install -m 0644 "$here/postseal-tray.desktop" "$root/etc/xdg/autostart/"
install -m 0644 "$here/postseal.desktop" "$root/usr/share/applications/"
install -m 0644 "$repo/assets/icons/tray-protected.svg" "$root/usr/share/icons/hicolor/scalable/apps/postseal.svg"
install -m 0644 "$here/policy.json.example" "$root/etc/postseal/"
install -m 0644 "$repo/docs/deploy.md" "$root/usr/share/doc/postseal/"

"$program" extension register --system --root "$root" --host-path /opt/postseal/postseal \
    "${extension_ids[@]}" --json >/dev/null || die "the bundle could not render the native-host manifests"

for script in postinst prerm postrm; do
    # sessions.sh is spliced in where a script says #SESSIONS#: one copy of it in the source.
    awk -v lib="$here/sessions.sh" '/^#SESSIONS#$/ { while ((getline line < lib) > 0) print line; next } { print }' \
        "$here/$script" > "$root/DEBIAN/$script"
    chmod 0755 "$root/DEBIAN/$script"
done
(cd "$root" && find etc -type f | sort | sed 's|^|/|') > "$root/DEBIAN/conffiles"
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -print0 | sort -z | xargs -0 md5sum | sed 's|  \./|  |') \
    > "$root/DEBIAN/md5sums"

installed_kb=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
cat > "$root/DEBIAN/control" <<EOF
Package: postseal
Version: $version
Architecture: $arch
Maintainer: Postseal <postseal@example.org>
Installed-Size: $installed_kb
Depends: gnupg (>= 2.2)${glibc:+, libc6 (>= $glibc)}, libgl1, libegl1, libxcb1, libwayland-client0, libwayland-cursor0, libwayland-egl1
Recommends: libnss3-tools, tesseract-ocr, tesseract-ocr-eng, tesseract-ocr-spa
Section: mail
Priority: optional
Description: secure-email companion: every outgoing message protected by default
 Postseal inspects each outgoing message for protected health information,
 picks per recipient how it travels (verified TLS, S/MIME, OpenPGP or a secure
 portal), delivers it and keeps a tamper-evident audit log. This package runs
 the agent for every user (systemd user unit), starts the tray app at login,
 and registers the Gmail extension's native messaging host for Chrome,
 Chromium and Edge.
EOF

mkdir -p "$out"
deb="$out/postseal_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Z"$compression" --build "$root" "$deb" >/dev/null
echo "deb: $(cd "$(dirname "$deb")" && pwd)/$(basename "$deb") ($(du -h "$deb" | cut -f1))"

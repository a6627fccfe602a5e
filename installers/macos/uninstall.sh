#!/bin/sh
# Removes Postseal from this Mac: stops its agent and tray for every logged-in user, removes
# the app, the LaunchAgents, the browsers' native-host manifests and the package receipt.
# Kept on purpose: each user's ~/Library/Application Support/postseal (messages still waiting
# in the outbox, the audit trail the organization must keep); the managed policy, which goes
# with its configuration profile (docs/deploy.md, "macOS (Jamf, Intune)").
# Installed as /Library/Application Support/Postseal/uninstall.sh; run it as root:
#   sudo "/Library/Application Support/Postseal/uninstall.sh"
# An argument names another root folder than / (a disk image being prepared; the tests).
set -u
root=${1:-}
[ "$(id -u)" = 0 ] || { echo "uninstall: run it as root (sudo \"$0\")" >&2; exit 1; }
if [ -z "$root" ]; then
  for uid in $(ps -axo uid=,comm= | awk '$2 ~ /loginwindow$/ && $1 != 0 { print $1 }' | sort -u); do
    for label in org.postseal.tray org.postseal.agent; do
      launchctl bootout "gui/$uid/$label" 2>/dev/null || true
    done
  done
fi
rm -f "$root/Library/LaunchAgents/org.postseal.agent.plist" "$root/Library/LaunchAgents/org.postseal.tray.plist" \
  "$root/Library/Google/Chrome/NativeMessagingHosts/org.postseal.agent.json" \
  "$root/Library/Microsoft/Edge/NativeMessagingHosts/org.postseal.agent.json" \
  "$root/Library/Application Support/Chromium/NativeMessagingHosts/org.postseal.agent.json"
rm -rf "$root/Applications/Postseal.app" "$root/Library/Application Support/Postseal"
pkgutil --volume "${root:-/}" --forget org.postseal.pkg >/dev/null 2>&1 || true  # installed by hand: no receipt
echo "Postseal is removed. Each user's ~/Library/Application Support/postseal is kept (outbox, audit log, keys)."

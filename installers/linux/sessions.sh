# Shared by the maintainer scripts (copied into each at build time, see build-deb.sh):
# the systemd user managers of the users logged in now, one user name a line. The agent's unit
# is enabled for every user by the package itself (a default.target.wants link under
# /usr/lib/systemd/user), so new sessions start it; these running ones are told directly.
running_user_managers() {
    command -v loginctl >/dev/null 2>&1 || return 0
    command -v systemctl >/dev/null 2>&1 || return 0
    loginctl list-users --no-legend 2>/dev/null | while read -r uid user _rest; do
        if systemctl is-active --quiet "user@$uid.service" 2>/dev/null; then
            echo "$user"
        fi
    done
}

# systemctl --user for one of them; never fails the package operation (a session may end meanwhile).
user_systemctl() {
    _who=$1
    shift
    systemctl --user --machine="$_who@" "$@" >/dev/null 2>&1 || true
}

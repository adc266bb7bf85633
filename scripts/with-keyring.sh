#!/usr/bin/env bash
# Runs a command inside a private D-Bus session with an unlocked
# gnome-keyring Secret Service, the secret store the terminal uses on Linux.
# By default the keyring lives in target/test-keyring and is emptied first
# (tests); NEXUS_KEYRING_HOME names a directory that keeps it between runs.
set -euo pipefail
if [ -z "${NEXUS_IN_KEYRING_SESSION:-}" ]; then
    exec dbus-run-session -- env NEXUS_IN_KEYRING_SESSION=1 bash "$0" "$@"
fi
root="$(cd "$(dirname "$0")/.." && pwd)"
if [ -n "${NEXUS_KEYRING_HOME:-}" ]; then
    keyring_home="$NEXUS_KEYRING_HOME"
else
    keyring_home="$root/target/test-keyring"
    rm -rf "$keyring_home"
fi
mkdir -p "$keyring_home"
chmod 700 "$keyring_home"
printf 'nexus' | XDG_DATA_HOME="$keyring_home" gnome-keyring-daemon --unlock --components=secrets >/dev/null
exec "$@"

#!/usr/bin/env bash
# Runs Nexus POS: the desktop app, on the demo store of seed/demo.json unless
# this machine's terminal is already set up, with the central service and its
# demo tenant serving beside it (http://127.0.0.1:8080) for headquarters.
set -euo pipefail
. "$(dirname "$0")/setup.sh"
cd "$NEXUS_ROOT"

ensure_base
ensure_desktop_packages
ensure_node
ensure_rust
ensure_postgres

say "building the user interface and the programs"
build_ui
cargo build --release --locked -p nexus-desktop -p nexus-central -p nexus-terminal

data_home="${XDG_DATA_HOME:-$HOME/.local/share}"
mkdir -p "$data_home/nexus-pos"
chmod 700 "$data_home/nexus-pos"

# Central: secrets made once per machine and kept outside the repository.
if [ ! -f "$data_home/nexus-pos/central.env" ]; then
    say "generating central's secrets in $data_home/nexus-pos/central.env"
    (
        umask 077
        {
            echo "NEXUS_JWT_SECRET=$(openssl rand -hex 32)"
            echo "NEXUS_PIN_KEY_SECRET=$(openssl rand -hex 32)"
            echo "NEXUS_PLATFORM_ADMIN_TOKEN=$(openssl rand -hex 32)"
        } >"$data_home/nexus-pos/central.env"
    )
fi
set -a
# shellcheck disable=SC1091
. "$data_home/nexus-pos/central.env"
set +a
export NEXUS_MASTER_DATABASE_URL="${NEXUS_MASTER_DATABASE_URL:-$NEXUS_PG_URL/nexus_master}"
export NEXUS_LISTEN="${NEXUS_LISTEN:-127.0.0.1:8080}"
if ! psql "$NEXUS_PG_URL/postgres" -Atqc "SELECT 1 FROM pg_database WHERE datname = 'nexus_master'" | grep -q 1; then
    psql "$NEXUS_PG_URL/postgres" -qc 'CREATE DATABASE nexus_master'
fi
central="$NEXUS_ROOT/target/release/pos-central"
tenant="$("$central" demo)"
"$central" serve >"$data_home/nexus-pos/central.log" 2>&1 &
central_pid=$!
trap 'kill "$central_pid" 2>/dev/null || true' EXIT

cat <<INFO

  Nexus POS
  Central: http://$NEXUS_LISTEN (demo tenant $tenant, log in $data_home/nexus-pos/central.log)
  Desktop PINs: owner 1234 · admin 2222 · cashiers 1111 (one register), 3333 (two), 4444 (none)
                accountant 5555 · warehouse 6666
  Keys: F1 help · F2 search · F4 cash in/out · F8 close · F10 pay · F12 lock · Esc cancel

INFO

# The desktop terminal: its data in the OS app-data directory, its secrets in
# the OS secret store. A machine with no desktop session gets a private
# secret store kept in ~/.local/share/nexus-pos/keyring and a virtual display.
app_dir="$data_home/mx.nexuspos.terminal"
desktop=(bash -c '
    set -euo pipefail
    if ! "$0/target/release/pos-terminal" --data-dir "$1" --json status | grep -q "\"set_up\": true"; then
        "$0/target/release/pos-terminal" --data-dir "$1" setup --demo >/dev/null
    fi
    exec "$0/target/release/nexus-pos" --data-dir "$1"
' "$NEXUS_ROOT" "$app_dir")
if [ -z "${DBUS_SESSION_BUS_ADDRESS:-}" ]; then
    desktop=(env NEXUS_KEYRING_HOME="$data_home/nexus-pos/keyring" "$NEXUS_ROOT/scripts/with-keyring.sh" "${desktop[@]}")
fi
if [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
    say "no display: the desktop app runs on a virtual one (xvfb-run); stop it with Ctrl-C"
    desktop=(xvfb-run -a -s "-screen 0 1280x800x24" "${desktop[@]}")
fi
"${desktop[@]}"

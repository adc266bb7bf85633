#!/usr/bin/env bash
# Runs Nexus POS whole: the central service with its demo tenant of
# seed/demo.json (http://127.0.0.1:8080), and the desktop app enrolled with
# it on the first run, so every sale reaches headquarters. Safe to run again:
# the enrolled terminal and central's secrets are reused.
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
central_env="$data_home/nexus-pos/central.env"
(
    umask 077
    touch "$central_env"
    add_secret() {
        grep -q "^$1=" "$central_env" || echo "$1=$2" >>"$central_env"
    }
    [ -s "$central_env" ] || say "generating central's secrets in $central_env"
    add_secret NEXUS_JWT_SECRET "$(openssl rand -hex 32)"
    add_secret NEXUS_PIN_KEY_SECRET "$(openssl rand -hex 32)"
    add_secret NEXUS_PLATFORM_ADMIN_TOKEN "$(openssl rand -hex 32)"
    # The demo headquarters owner's password (dueno@demo.nexuspos.mx).
    add_secret NEXUS_DEMO_HQ_PASSWORD "$(openssl rand -hex 9)"
)
set -a
# shellcheck disable=SC1090
. "$central_env"
set +a
export NEXUS_MASTER_DATABASE_URL="${NEXUS_MASTER_DATABASE_URL:-$NEXUS_PG_URL/nexus_master}"
export NEXUS_LISTEN="${NEXUS_LISTEN:-127.0.0.1:8080}"
central_url="http://$NEXUS_LISTEN"
if ! psql "$NEXUS_PG_URL/postgres" -Atqc "SELECT 1 FROM pg_database WHERE datname = 'nexus_master'" | grep -q 1; then
    psql "$NEXUS_PG_URL/postgres" -qc 'CREATE DATABASE nexus_master'
fi
central="$NEXUS_ROOT/target/release/pos-central"
tenant="$("$central" demo)"
"$central" serve >"$data_home/nexus-pos/central.log" 2>&1 &
central_pid=$!
trap 'kill "$central_pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 60); do
    curl -fsS "$central_url/health" >/dev/null 2>&1 && break
    kill -0 "$central_pid" 2>/dev/null || { echo "central did not start; see $data_home/nexus-pos/central.log" >&2; exit 1; }
    sleep 0.5
done

# The demo tenant's main branch, where the desktop terminal is enrolled.
tenant_db="$(psql "$NEXUS_MASTER_DATABASE_URL" -Atqc "SELECT cluster_url || '/' || db_name FROM tenants WHERE id = '$tenant'")"
branch="$(psql "$tenant_db" -Atqc "SELECT id FROM branches WHERE name = 'Principal'")"

# The people of seed/demo.json and their PINs, as the desktop takes them.
pins="$(node -e '
    const d = require(process.argv[1]);
    const roles = { owner: "dueño", admin: "admin", cashier: "cajero", accountant: "contador", warehouse: "almacén" };
    const people = [{ name: d.tenant.owner_name, role: "owner", pin: d.tenant.owner_pin }, ...d.employees];
    for (const p of people) console.log(`    ${p.pin.padEnd(8)} ${p.name} (${roles[p.role] ?? p.role})`);
' "$NEXUS_ROOT/seed/demo.json")"

cat <<INFO

  Nexus POS
  Central:       $central_url (demo tenant $tenant; log in $data_home/nexus-pos/central.log)
  Headquarters:  dueno@demo.nexuspos.mx / $NEXUS_DEMO_HQ_PASSWORD  (POST $central_url/v1/hq/login)
  Desktop PINs:
$pins
  Keys: F1 help · F2 search · F4 cash in/out · F8 close · F10 pay · F12 lock · Esc cancel

INFO

# The desktop terminal: its data in the OS app-data directory, its secrets in
# the OS secret store. A machine with no desktop session gets a private
# secret store kept in ~/.local/share/nexus-pos/keyring and a virtual display.
# The first run enrolls it with the central above (a fresh one-time code for
# the demo tenant's main branch); later runs reuse it as it is.
app_dir="$data_home/mx.nexuspos.terminal"
desktop=(bash -c '
    set -euo pipefail
    root="$0" dir="$1" central="$2" url="$3" tenant="$4" branch="$5"
    terminal() { "$root/target/release/pos-terminal" --data-dir "$dir" "$@"; }
    status="$(terminal --json status)"
    if ! grep -q "\"set_up\": true" <<<"$status"; then
        code="$("$central" device enroll-code --tenant "$tenant" --branch "$branch" | sed -n "s/.*\"code\": \"\(.*\)\".*/\1/p")"
        terminal enroll --central "$url" --code "$code" --name "Mostrador demo" >/dev/null
        echo "==> this terminal is enrolled with $url (Refaccionaria Demo, Principal)" >&2
    elif ! grep -q "\"mode\": \"enrolled\"" <<<"$status"; then
        echo "==> $dir holds a store without central; move it aside to enroll a fresh terminal with $url" >&2
    fi
    exec "$root/target/release/nexus-pos" --data-dir "$dir"
' "$NEXUS_ROOT" "$app_dir" "$central" "$central_url" "$tenant" "$branch")
if [ -z "${DBUS_SESSION_BUS_ADDRESS:-}" ]; then
    desktop=(env NEXUS_KEYRING_HOME="$data_home/nexus-pos/keyring" "$NEXUS_ROOT/scripts/with-keyring.sh" "${desktop[@]}")
fi
if [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
    say "no display: the desktop app runs on a virtual one (xvfb-run); stop it with Ctrl-C"
    desktop=(xvfb-run -a -s "-screen 0 1280x800x24" "${desktop[@]}")
fi
"${desktop[@]}"

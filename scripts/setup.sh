# Shared set-up for scripts/run.sh and scripts/test.sh. Sourced, not run.
#
# Installs what is missing on a Debian machine and is safe to repeat: every
# step checks before it acts. Run the scripts as yourself (root or a user
# with sudo): only package installs and starting PostgreSQL escalate, with
# sudo when you are not root; a fresh Debian run as root needs no sudo.

set -euo pipefail

NEXUS_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export NEXUS_ROOT

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# Runs one command as root: directly when we are root, else through sudo.
as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        echo "this step needs root and sudo is not installed; run the script as root: $*" >&2
        return 1
    fi
}

# Installs the Debian packages given that are not installed yet.
ensure_packages() {
    local missing=()
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    if [ "${#missing[@]}" -gt 0 ]; then
        say "installing ${missing[*]}"
        as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    fi
}

ensure_base() {
    ensure_packages ca-certificates curl git build-essential pkg-config libssl-dev postgresql-client openssl
}

# A Rust toolchain with rustfmt and clippy, from rustup when cargo is absent.
ensure_rust() {
    if [ -f "$HOME/.cargo/env" ]; then
        # shellcheck disable=SC1091
        . "$HOME/.cargo/env"
    fi
    if ! command -v cargo >/dev/null 2>&1; then
        say "installing Rust"
        curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal -c rustfmt,clippy
        # shellcheck disable=SC1091
        . "$HOME/.cargo/env"
    fi
    if command -v rustup >/dev/null 2>&1; then
        rustup component list --installed 2>/dev/null | grep -q '^rustfmt' || rustup component add rustfmt
        rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy
    fi
}

pg_answers() {
    psql "$1/postgres" -Atqc 'SELECT 1' >/dev/null 2>&1
}

# PostgreSQL on 127.0.0.1:5432: started if installed, installed if absent.
# Exports NEXUS_PG_URL, the cluster URL every script and test uses.
ensure_postgres() {
    local url="${NEXUS_PG_URL:-postgres://postgres@127.0.0.1:5432}"
    if ! pg_answers "$url"; then
        if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
            ensure_packages postgresql
        fi
        local version
        version="$(ls /etc/postgresql | sort -V | tail -n 1)"
        if ! pg_isready -q -h 127.0.0.1 -p 5432; then
            say "starting PostgreSQL $version"
            as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || as_root pg_ctlcluster "$version" main start
            for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
        fi
        if ! pg_answers "$url"; then
            # A fresh Debian install asks for a password on TCP: give the
            # postgres role a local one, over the administrator's socket.
            say "setting a local password for the postgres role"
            as_root runuser -u postgres -- psql -qc "ALTER ROLE postgres PASSWORD 'postgres'" >/dev/null
            url="postgres://postgres:postgres@127.0.0.1:5432"
        fi
    fi
    pg_answers "$url" || { echo "PostgreSQL does not answer at ${url%%@*}@…; set NEXUS_PG_URL" >&2; return 1; }
    export NEXUS_PG_URL="$url"
}

# What the desktop app needs to build, and to run and be driven headless.
ensure_desktop_packages() {
    ensure_packages libwebkit2gtk-4.1-dev xvfb xauth webkit2gtk-driver dbus-daemon gnome-keyring
}

# Debian's Chromium and its WebDriver server, for the console's browser
# tests: /usr/bin/chromium and /usr/bin/chromedriver.
ensure_chromium() {
    ensure_packages chromium chromium-driver
}

# Node.js 18.20 or newer with npm, for building and testing the UI.
ensure_node() {
    if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1 \
        || ! node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>18||(a===18&&b>=20)?0:1)'; then
        ensure_packages nodejs npm
    fi
}

# tauri-driver, the WebDriver server for Tauri apps, pinned to its 2.x line.
ensure_tauri_driver() {
    local wanted="2.1.0"
    if ! cargo install --list 2>/dev/null | grep -q "^tauri-driver v$wanted:"; then
        say "installing tauri-driver $wanted"
        cargo install tauri-driver --version "$wanted" --locked
    fi
}

# Installs the UI's npm packages (exactly as locked) and builds it into ui/dist.
build_ui() {
    # `npm install` rather than `npm ci`: the lock file only records the
    # platform packages (rollup, esbuild) that the registry serves for this
    # machine, and `npm ci` refuses a lock file without every optional one.
    # With a lock file present `npm install` still installs exactly its
    # versions.
    (cd "$NEXUS_ROOT/ui" && npm install --no-audit --no-fund --loglevel=error && npm run build)
}

# shellcheck shell=bash
# Shared helpers for scripts/run and scripts/test. Source it; don't execute it.
#
# Everything here is safe under `set -euo pipefail`. Functions print short
# "==> ..." lines only when they actually do something.

# Pinned tool versions. wasm-bindgen-cli is not pinned here: it must match the
# `wasm-bindgen` crate in Cargo.lock and is read from there.
PARLEY_CARGO_LEPTOS_VERSION=0.3.10
PARLEY_BINARYEN_VERSION=123.0.0

say() { printf '==> %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# cd to the repository root (the parent of scripts/), whatever the caller's cwd.
cd_repo_root() {
    local here
    here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P) || exit 1
    cd "$here/.." || exit 1
}

# --------------------------------------------------------------------------
# Exit hooks: one EXIT trap that runs every registered hook (last registered
# runs first), and INT/TERM/HUP traps that turn a signal into a normal exit so
# the hooks run on Ctrl-C too. Hooks can read PARLEY_EXIT_STATUS.
# --------------------------------------------------------------------------
PARLEY_EXIT_HOOKS=()
PARLEY_EXIT_STATUS=0

_parley_run_exit_hooks() {
    PARLEY_EXIT_STATUS=$?
    trap - EXIT
    local i
    for ((i = ${#PARLEY_EXIT_HOOKS[@]} - 1; i >= 0; i--)); do
        "${PARLEY_EXIT_HOOKS[i]}" || true
    done
    exit "$PARLEY_EXIT_STATUS"
}

# Default signal handling: exit with the conventional 128+N status, which
# fires the EXIT trap. scripts/run temporarily replaces INT/TERM/HUP to
# forward them to the server.
parley_default_signal_traps() {
    trap 'exit 129' HUP
    trap 'exit 130' INT
    trap 'exit 143' TERM
}

on_exit() {
    PARLEY_EXIT_HOOKS+=("$1")
    trap _parley_run_exit_hooks EXIT
    parley_default_signal_traps
}

# --------------------------------------------------------------------------
# Toolchain
# --------------------------------------------------------------------------

# First x.y.z found in the given text (empty if none).
_semver_in() { grep -Eo '[0-9]+\.[0-9]+\.[0-9]+' <<<"$1" | head -n1 || true; }

# Version of the `wasm-bindgen` package recorded in a Cargo.lock (default ./Cargo.lock).
wasm_bindgen_lock_version() {
    local lock=${1:-Cargo.lock}
    [[ -f $lock ]] || return 1
    awk '
        /^\[\[package\]\]/ { in_wb = 0; next }
        $0 == "name = \"wasm-bindgen\"" { in_wb = 1; next }
        in_wb && /^version = "/ { v = $0; sub(/^version = "/, "", v); sub(/".*$/, "", v); print v; exit }
    ' "$lock"
}

# Version printed by `cargo leptos --version` (empty if not installed).
cargo_leptos_installed_version() {
    local out
    out=$(cargo leptos --version 2>/dev/null) || return 0
    _semver_in "$out"
}

# Version printed by `wasm-bindgen --version` (empty if not installed).
wasm_bindgen_installed_version() {
    local out
    command -v wasm-bindgen >/dev/null 2>&1 || return 0
    out=$(wasm-bindgen --version 2>/dev/null) || return 0
    _semver_in "$out"
}

# Version of the binaryen npm package installed in .tools/ (empty if none).
binaryen_installed_version() {
    local pkg=.tools/node_modules/binaryen/package.json
    [[ -x .tools/node_modules/.bin/wasm-opt && -f $pkg ]] || return 0
    # The first "version" key in the file is the package's own.
    grep -Eo '"version"[[:space:]]*:[[:space:]]*"[^"]+"' "$pkg" | head -n1 | sed -E 's/.*"([^"]+)"$/\1/' || true
}

# Cargo's target directory, absolute (honours CARGO_TARGET_DIR).
target_dir() {
    local t=${CARGO_TARGET_DIR:-target}
    [[ $t == /* ]] || t="$PWD/$t"
    printf '%s\n' "$t"
}

# Puts ~/.cargo/bin and the project-local .tools/ binaries on PATH.
# Must be called from the repo root.
tool_path() {
    local cargo_bin="${CARGO_HOME:-$HOME/.cargo}/bin"
    case ":$PATH:" in *":$cargo_bin:"*) ;; *) PATH="$cargo_bin:$PATH" ;; esac
    case ":$PATH:" in *":$PWD/.tools/node_modules/.bin:"*) ;; *) PATH="$PWD/.tools/node_modules/.bin:$PATH" ;; esac
    export PATH
}

# Idempotent: installs only what is missing or at the wrong version.
# Must be called from the repo root.
ensure_toolchain() {
    tool_path

    command -v cargo >/dev/null 2>&1 || die "cargo not found: install Rust with rustup (https://rustup.rs)"
    command -v rustup >/dev/null 2>&1 || die "rustup not found: it is needed to add the wasm32-unknown-unknown target"
    command -v npm >/dev/null 2>&1 || die "npm not found: install Node.js 20+ (it provides wasm-opt and the browser tests)"

    # 1. wasm target
    if ! rustup target list --installed 2>/dev/null | grep -qx 'wasm32-unknown-unknown'; then
        say "installing Rust target wasm32-unknown-unknown"
        rustup target add wasm32-unknown-unknown
    fi

    # 2. cargo-leptos, exact version, using tools from PATH instead of downloading them
    if [[ $(cargo_leptos_installed_version) != "$PARLEY_CARGO_LEPTOS_VERSION" ]]; then
        say "installing cargo-leptos $PARLEY_CARGO_LEPTOS_VERSION"
        cargo install cargo-leptos --version "$PARLEY_CARGO_LEPTOS_VERSION" --locked --features no_downloads
    fi

    # 3. wasm-bindgen-cli, same version as the wasm-bindgen crate in Cargo.lock
    local wb
    wb=$(wasm_bindgen_lock_version Cargo.lock) || true
    [[ -n $wb ]] || die "could not read the wasm-bindgen version from Cargo.lock"
    if [[ $(wasm_bindgen_installed_version) != "$wb" ]]; then
        say "installing wasm-bindgen-cli $wb"
        # Not --locked: one of its locked dependency versions is missing from
        # the registry mirror; fall back to versions compatible with our rustc.
        CARGO_RESOLVER_INCOMPATIBLE_RUST_VERSIONS=fallback \
            cargo install wasm-bindgen-cli --version "$wb"
    fi

    # 4. wasm-opt (binaryen, from npm) into .tools/
    if [[ $(binaryen_installed_version) != "$PARLEY_BINARYEN_VERSION" ]]; then
        say "installing wasm-opt (binaryen $PARLEY_BINARYEN_VERSION) into .tools/"
        mkdir -p .tools
        npm install --prefix .tools --no-audit --no-fund --loglevel=error \
            "binaryen@$PARLEY_BINARYEN_VERSION"
    fi
    [[ -x .tools/node_modules/.bin/wasm-opt ]] || die "wasm-opt missing from .tools/node_modules/.bin after install"
}

# --------------------------------------------------------------------------
# Browser tests
# --------------------------------------------------------------------------

ensure_chromium() {
    [[ -x /usr/bin/chromium ]] && return 0
    say "installing chromium (apt)"
    local sudo=()
    if [[ $(id -u) -ne 0 ]]; then
        command -v sudo >/dev/null 2>&1 || die "chromium is missing and installing it needs root (no sudo found): apt-get install chromium"
        sudo=(sudo)
    fi
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium
    [[ -x /usr/bin/chromium ]] || die "chromium installed but /usr/bin/chromium is missing"
}

# npm dependencies of end2end/, reinstalled when the lock file is newer.
# Must be called from the repo root.
ensure_e2e_deps() {
    [[ -f end2end/package.json ]] || return 0
    local lock=end2end/package-lock.json
    [[ -f $lock ]] || lock=end2end/package.json
    if [[ ! -d end2end/node_modules || $lock -nt end2end/node_modules ]]; then
        say "installing browser test dependencies (end2end/)"
        if [[ -f end2end/package-lock.json ]]; then
            (cd end2end && npm ci --no-audit --no-fund --loglevel=error)
        else
            (cd end2end && npm install --no-audit --no-fund --loglevel=error)
        fi
        # Mark the install time (npm may leave the dir untouched, or not create it).
        mkdir -p end2end/node_modules
        touch end2end/node_modules
    fi
}

# --------------------------------------------------------------------------
# Private PostgreSQL cluster
# --------------------------------------------------------------------------

# Directory holding initdb/pg_ctl/psql/createdb. PG_BINDIR overrides.
_pg_bindir() {
    if [[ -n ${PG_BINDIR:-} ]]; then
        printf '%s\n' "$PG_BINDIR"
        return
    fi
    local d
    d=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n1 || true)
    if [[ -n $d && -x $d/initdb ]]; then
        printf '%s\n' "$d"
        return
    fi
    if command -v initdb >/dev/null 2>&1; then
        dirname "$(readlink -f "$(command -v initdb)")"
        return
    fi
    die "PostgreSQL server binaries (initdb, pg_ctl) not found: apt-get install postgresql, set PG_BINDIR, or set DATABASE_URL"
}

# Run a PostgreSQL server command as the cluster owner: the `postgres` OS user
# when we are root (initdb and postgres refuse to run as root), else ourselves.
_pg_as() {
    if [[ $(id -u) -eq 0 ]]; then
        (cd / && runuser -u postgres -- "$@")
    else
        "$@"
    fi
}

# Absolute data directory to use for DIR. When running as root and the
# postgres OS user can't reach DIR's parent (e.g. a checkout under /root), use
# a short per-checkout directory in /tmp instead.
_pg_resolve_dir() {
    local dir=$1
    mkdir -p "$(dirname "$dir")"
    dir="$(cd "$(dirname "$dir")" && pwd -P)/$(basename "$dir")"
    if [[ $(id -u) -eq 0 ]]; then
        id -u postgres >/dev/null 2>&1 || die "running as root needs a 'postgres' OS user to own the private cluster (or set DATABASE_URL)"
        if ! runuser -u postgres -- test -x "$(dirname "$dir")"; then
            local alt
            alt="/tmp/parley-pg-$(printf '%s' "$dir" | cksum | cut -d' ' -f1)"
            say "note: user postgres cannot reach $(dirname "$dir"); using $alt" >&2
            dir=$alt
        fi
    fi
    printf '%s\n' "$dir"
}

PARLEY_PG_DIR=
PARLEY_PG_BINDIR=

# start_private_postgres DIR PORT
# Does nothing when DATABASE_URL is already set. Otherwise initialises DIR (if
# it has no cluster yet), starts the server (or reuses one already running
# there), exports DATABASE_URL=postgres://postgres@127.0.0.1:PORT/parley,
# creates the database and registers stop_private_postgres to run on exit.
start_private_postgres() {
    local dir=$1 port=$2
    if [[ -n ${DATABASE_URL:-} ]]; then
        return 0
    fi

    local bindir
    bindir=$(_pg_bindir) || exit 1
    PARLEY_PG_BINDIR=$bindir

    dir=$(_pg_resolve_dir "$dir") || exit 1

    # Unix socket next to the data; postgres caps socket paths at ~107 bytes,
    # so fall back to TCP only when the path is too long.
    local sockdir=$dir
    if ((${#dir} + 20 > 100)); then sockdir=; fi

    if [[ ! -f $dir/PG_VERSION ]]; then
        if [[ -d $dir && -n $(ls -A "$dir" 2>/dev/null) ]]; then
            die "$dir exists but holds no PostgreSQL cluster; move it away and retry"
        fi
        say "creating private PostgreSQL cluster in $dir"
        mkdir -p "$dir"
        chmod 700 "$dir"
        if [[ $(id -u) -eq 0 ]]; then chown postgres:postgres "$dir"; fi
        local locale_opt=(--no-locale)
        if locale -a 2>/dev/null | grep -qiE '^c\.utf-?8$'; then locale_opt=(--locale=C.UTF-8); fi
        _pg_as "$bindir/initdb" -D "$dir" -U postgres --auth=trust -E UTF8 "${locale_opt[@]}" >"$dir.initdb.log" 2>&1 || {
            cat "$dir.initdb.log" >&2
            die "initdb failed"
        }
        rm -f "$dir.initdb.log"
        cat >>"$dir/postgresql.conf" <<EOF

# --- added by scripts/lib.sh (private development cluster) ---
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$sockdir'
EOF
    fi

    if _pg_as "$bindir/pg_ctl" -D "$dir" status >/dev/null 2>&1; then
        # A server from an earlier run is still up: reuse it (on its own port).
        local running_port
        running_port=$(sed -n 4p "$dir/postmaster.pid" 2>/dev/null || true)
        if [[ -n $running_port && $running_port != "$port" ]]; then
            say "note: reusing PostgreSQL already running in $dir on port $running_port"
            port=$running_port
        else
            say "reusing PostgreSQL already running in $dir (port $port)"
        fi
    else
        say "starting PostgreSQL on 127.0.0.1:$port (data in $dir)"
        if ! _pg_as "$bindir/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 60 -o "-p $port" start >/dev/null; then
            tail -n 20 "$dir/server.log" >&2 || true
            die "PostgreSQL failed to start (is port $port taken?); log: $dir/server.log"
        fi
    fi

    # From here on, stop the server whenever the calling script exits.
    PARLEY_PG_DIR=$dir
    on_exit stop_private_postgres

    export DATABASE_URL="postgres://postgres@127.0.0.1:$port/parley"

    local exists
    exists=$("$bindir/psql" -X -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -tAc \
        "SELECT 1 FROM pg_database WHERE datname = 'parley'")
    if [[ $exists != 1 ]]; then
        "$bindir/createdb" -h 127.0.0.1 -p "$port" -U postgres parley
    fi
}

# Stops the cluster started by start_private_postgres (idempotent).
stop_private_postgres() {
    local dir=$PARLEY_PG_DIR
    [[ -n $dir ]] || return 0
    PARLEY_PG_DIR=
    if _pg_as "$PARLEY_PG_BINDIR/pg_ctl" -D "$dir" status >/dev/null 2>&1; then
        say "stopping PostgreSQL ($dir)"
        _pg_as "$PARLEY_PG_BINDIR/pg_ctl" -D "$dir" -m fast -w -t 60 stop >/dev/null
    fi
}

# reset_private_postgres DIR: stop any server still running in DIR (left by an
# interrupted run) and delete the cluster, so the next start is a fresh one.
reset_private_postgres() {
    local dir bindir
    dir=$(_pg_resolve_dir "$1") || exit 1
    [[ -e $dir ]] || return 0
    if [[ -f $dir/postmaster.pid ]]; then
        bindir=$(_pg_bindir) || exit 1
        _pg_as "$bindir/pg_ctl" -D "$dir" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
}

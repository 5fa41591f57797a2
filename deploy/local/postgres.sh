#!/usr/bin/env bash
# Local throwaway PostgreSQL cluster for tests (Debian binaries, no Docker). Must run as root:
# initdb/postgres refuse root, so they run as the `postgres` system user via runuser.
#
#   deploy/local/postgres.sh start    fresh cluster on 127.0.0.1:$SSJ_PG_PORT + service databases
#   deploy/local/postgres.sh stop     stop it and delete its data, only if this script started it
#   deploy/local/postgres.sh status   exit 0 if the port is open
#
# Environment:
#   SSJ_PG_PORT  port (default 55432)
#   SSJ_RUN_DIR  run directory root (default <repo>/var); cluster in $SSJ_RUN_DIR/pg, or in
#                /tmp/ssj-pg-<port> when the postgres user cannot reach $SSJ_RUN_DIR
set -euo pipefail

REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PORT="${SSJ_PG_PORT:-55432}"
RUN_ROOT="${SSJ_RUN_DIR:-$REPO_DIR/var}"
# Written by start (root-owned, always under RUN_ROOT); holds the cluster's base dir.
MARKER="$RUN_ROOT/pg.started"
PG_USER=postgres
DATABASES=(registry draw inspection disclosure notify)

log() { echo "postgres: $*"; }
die() { echo "postgres: $*" >&2; exit 1; }

now() { date +%s.%N; }
elapsed_since() { awk -v s="$1" -v e="$(now)" 'BEGIN { printf "%.1f", e - s }'; }

port_open() { timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }

# Run a command as the postgres user from a directory it can read.
as_pg() { (cd / && runuser -u "$PG_USER" -- "$@"); }

pg_bindir() {
    local d
    d="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
    [[ -n "$d" && -x "$d/initdb" ]] && echo "$d"
}

ensure_installed() {
    if pg_bindir >/dev/null; then
        return 0
    fi
    [[ $EUID -eq 0 ]] || die "PostgreSQL is not installed and we are not root"
    log "initdb not found; installing Debian's postgresql package"
    # We never use the Debian 'main' cluster: ask postgresql-common not to create it.
    mkdir -p /etc/postgresql-common
    if [[ -f /etc/postgresql-common/createcluster.conf ]]; then
        sed -i -E 's/^#?[[:space:]]*create_main_cluster[[:space:]]*=.*/create_main_cluster = false/' \
            /etc/postgresql-common/createcluster.conf
        grep -q '^create_main_cluster' /etc/postgresql-common/createcluster.conf \
            || echo 'create_main_cluster = false' >>/etc/postgresql-common/createcluster.conf
    else
        echo 'create_main_cluster = false' >/etc/postgresql-common/createcluster.conf
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
        postgresql >/dev/null
    pg_bindir >/dev/null || die "initdb still missing after installing postgresql"
}

# Base dir for the cluster (data/ + postgres.log), reachable and writable by the postgres user.
prepare_base() {
    local base="$RUN_ROOT/pg"
    mkdir -p "$base"
    chown "$PG_USER:" "$base"
    if as_pg test -w "$base" -a -x "$base"; then
        echo "$base"
        return 0
    fi
    # A parent of RUN_ROOT is not traversable by postgres (e.g. under a root-only 700 dir).
    rmdir "$base" 2>/dev/null || true
    base="/tmp/ssj-pg-$PORT"
    rm -rf "$base"
    mkdir -m 700 "$base"
    chown "$PG_USER:" "$base"
    echo "$base"
}

cmd_start() {
    local t0
    t0="$(now)"
    if port_open "$PORT"; then
        log "something already listens on 127.0.0.1:$PORT; using it as is"
        exit 0
    fi
    [[ $EUID -eq 0 ]] || die "must run as root (initdb/pg_ctl are run via runuser -u $PG_USER)"
    ensure_installed
    local bin
    bin="$(pg_bindir)"
    mkdir -p "$RUN_ROOT"

    # Leftover cluster of ours that is not listening (e.g. an interrupted start): clean it up.
    if [[ -f "$MARKER" ]]; then
        cmd_stop
    fi

    local base data logfile
    base="$(prepare_base)"
    data="$base/data"
    logfile="$base/postgres.log"
    rm -rf "$data" "$logfile"
    as_pg mkdir -m 700 "$data"
    echo "$base" >"$MARKER"
    [[ "$base" == "$RUN_ROOT/pg" ]] || log "postgres user cannot reach $RUN_ROOT; using $base"

    as_pg "$bin/initdb" -D "$data" -A trust -U postgres --encoding=UTF8 --locale=C \
        >"$base/initdb.log" 2>&1 || { cat "$base/initdb.log" >&2; die "initdb failed"; }

    if ! as_pg "$bin/pg_ctl" -D "$data" -l "$logfile" -w -t 60 \
            -o "-p $PORT -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300 -k /tmp" \
            start >/dev/null; then
        log "pg_ctl start failed; log tail:" >&2
        tail -n 40 "$logfile" >&2 || true
        cmd_stop
        exit 1
    fi

    local db
    for db in "${DATABASES[@]}"; do
        as_pg "$bin/psql" -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -X -q \
            -v ON_ERROR_STOP=1 -c "CREATE DATABASE \"$db\""
    done
    echo "postgres started in $(elapsed_since "$t0")s (127.0.0.1:$PORT, data $data, dbs: ${DATABASES[*]})"
}

cmd_stop() {
    if [[ ! -f "$MARKER" ]]; then
        log "no marker ($MARKER); not stopping anything we did not start"
        return 0
    fi
    local base data bin
    base="$(cat "$MARKER")"
    data="$base/data"
    bin="$(pg_bindir)" || die "pg_ctl not found"
    if [[ -f "$data/postmaster.pid" ]]; then
        as_pg "$bin/pg_ctl" -D "$data" -m fast -w -t 30 stop >/dev/null \
            || as_pg "$bin/pg_ctl" -D "$data" -m immediate -w -t 30 stop >/dev/null \
            || log "pg_ctl stop failed (see $base/postgres.log)"
    fi
    rm -rf "$data"
    [[ "$base" == "$RUN_ROOT/pg" ]] || rm -rf "$base"
    rm -f "$MARKER"
    log "stopped"
}

cmd_status() {
    if port_open "$PORT"; then
        if [[ -f "$MARKER" ]]; then
            log "running on 127.0.0.1:$PORT (started by this script, $(cat "$MARKER"))"
        else
            log "running on 127.0.0.1:$PORT (not started by this script)"
        fi
        return 0
    fi
    log "not listening on 127.0.0.1:$PORT"
    return 1
}

case "${1:-}" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    *) echo "usage: $0 {start|stop|status}" >&2; exit 2 ;;
esac

#!/usr/bin/env bash
# Back up or restore one service database (custom-format pg_dump: compressed, restorable
# table by table). The draw database holds the Merkle audit log, so its backup is the log's.
#
#   deploy/backup.sh dump    SERVICE FILE     e.g. deploy/backup.sh dump draw /backups/draw-2026-11-26.dump
#   deploy/backup.sh restore SERVICE FILE     into an EMPTY database named by SSJ_RESTORE_DB (default SERVICE)
#
# Connection: PGHOST/PGPORT/PGUSER/PGPASSWORD as for any PostgreSQL client (defaults: the local
# test cluster, 127.0.0.1:55432, user postgres).
set -euo pipefail
bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
export PGHOST="${PGHOST:-127.0.0.1}" PGPORT="${PGPORT:-55432}" PGUSER="${PGUSER:-postgres}"
action="${1:?usage: $0 dump|restore SERVICE FILE}" service="${2:?service}" file="${3:?file}"
case "$service" in registry|draw|inspection|disclosure|notify) ;; *) echo "unknown service $service" >&2; exit 2 ;; esac
case "$action" in
  dump)
    "$bin/pg_dump" --format=custom --no-owner --dbname="${SSJ_DUMP_DB:-$service}" --file="$file"
    echo "backed up $service to $file ($(stat -c %s "$file") bytes, sha256 $(sha256sum "$file" | cut -c1-16)…)"
    ;;
  restore)
    target="${SSJ_RESTORE_DB:-$service}"
    "$bin/pg_restore" --no-owner --exit-on-error --single-transaction --dbname="$target" "$file"
    echo "restored $file into database $target; now run its service's readiness check and 'ssj audit verify' (draw)"
    ;;
  *) echo "usage: $0 dump|restore SERVICE FILE" >&2; exit 2 ;;
esac

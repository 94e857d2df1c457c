#!/usr/bin/env bash
# Back up and restore the PostgreSQL database (README.md, "Backups").
#   scripts/db-backup.sh dump    DATABASE_URL FILE   # pg_dump, custom format (compressed, selective restore)
#   scripts/db-backup.sh restore FILE DATABASE_URL   # pg_restore into an existing (empty or same-schema) database
# DATABASE_URL is a postgres:// URL as in the settings. Restore drops and recreates the objects it
# restores (--clean --if-exists), takes no ownership or grants from the source (--no-owner
# --no-privileges) and stops at the first error. PG_BIN picks the PostgreSQL client binaries.
set -euo pipefail

PG_BIN="${PG_BIN:-$(ls -d /usr/lib/postgresql/15/bin 2>/dev/null || dirname "$(command -v pg_dump)")}"

usage() { sed -n '2,4p' "$0" >&2; exit 2; }
[ $# -eq 3 ] || usage
# libpq reads postgresql://; Django's settings also accept postgres:// (same meaning).
to_libpq() { printf '%s' "$1" | sed -E 's#^postgres(ql)?://#postgresql://#'; }

case "$1" in
    dump)
        "$PG_BIN/pg_dump" --format=custom --no-owner --no-privileges --file="$3" --dbname="$(to_libpq "$2")"
        ;;
    restore)
        "$PG_BIN/pg_restore" --clean --if-exists --no-owner --no-privileges --exit-on-error \
            --single-transaction --dbname="$(to_libpq "$3")" "$2"
        ;;
    *) usage ;;
esac

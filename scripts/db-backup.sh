#!/usr/bin/env bash
# Back up and restore the PostgreSQL database (README.md, "Backups").
#   scripts/db-backup.sh dump    DATABASE_URL FILE   # pg_dump, custom format (compressed, selective restore)
#   scripts/db-backup.sh restore FILE DATABASE_URL   # pg_restore into an existing (empty or same-schema) database
# DATABASE_URL is a postgres:// URL as in the settings. Restore drops and recreates the objects it
# restores (--clean --if-exists), takes no ownership or grants from the source (--no-owner
# --no-privileges) and stops at the first error. PG_BIN picks the PostgreSQL client binaries.
set -euo pipefail
# A dump holds every patient's records: readable by its owner only.
umask 077

PG_BIN="${PG_BIN:-$(ls -d /usr/lib/postgresql/15/bin 2>/dev/null || dirname "$(command -v pg_dump)")}"

usage() { sed -n '2,4p' "$0" >&2; exit 2; }
[ $# -eq 3 ] || usage
# libpq reads postgresql://; Django's settings also accept postgres:// (same meaning). The password leaves the
# URL for PGPASSWORD: a command line is readable by every local user (ps), a process's environment is not.
# Prints the URL without its password, then the password (percent-decoded), one per line.
split_url() {
    python3 - "$1" <<'PY'
import sys
from urllib.parse import unquote, urlsplit, urlunsplit

parts = urlsplit(sys.argv[1])
host = parts.hostname or ""
host = f"[{host}]" if ":" in host else host
user = f"{parts.username}@" if parts.username else ""
netloc = f"{user}{host}" + (f":{parts.port}" if parts.port else "")
print(urlunsplit(("postgresql", netloc, parts.path, parts.query, parts.fragment)))
print(unquote(parts.password or ""))
PY
}

database() {  # sets DB_URL and exports PGPASSWORD (when the URL had one) for DATABASE_URL $1
    local lines
    mapfile -t lines < <(split_url "$1")
    DB_URL="${lines[0]:-}"
    [ -n "$DB_URL" ] || { echo "db-backup.sh: cannot read the database URL" >&2; exit 2; }
    if [ -n "${lines[1]:-}" ]; then export PGPASSWORD="${lines[1]}"; fi
}

case "$1" in
    dump)
        database "$2"
        "$PG_BIN/pg_dump" --format=custom --no-owner --no-privileges --file="$3" --dbname="$DB_URL"
        ;;
    restore)
        database "$3"
        "$PG_BIN/pg_restore" --clean --if-exists --no-owner --no-privileges --exit-on-error \
            --single-transaction --dbname="$DB_URL" "$2"
        ;;
    *) usage ;;
esac

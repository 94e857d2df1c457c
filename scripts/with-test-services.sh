#!/usr/bin/env bash
# Runs "$@" against a throwaway PostgreSQL 15 cluster and a Redis server, both on loopback
# ports chosen at random, then stops and deletes them whatever the command's outcome.
# Several runs can share one machine: nothing here uses a fixed port or path.
set -euo pipefail

PG_BIN="${PG_BIN:-$(ls -d /usr/lib/postgresql/15/bin 2>/dev/null || dirname "$(command -v initdb)")}"
WORK="$(mktemp -d /tmp/pump-test-services.XXXXXX)"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }
PG_PORT="$(free_port)"
REDIS_PORT="$(free_port)"

# initdb refuses to run as root; the Debian package's "postgres" account owns the cluster then.
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

cleanup() {
    status=$?
    set +e  # tidying up must not replace the command's own exit status
    as_pg "$PG_BIN/pg_ctl" -D "$WORK/pg" -m immediate -w stop >/dev/null 2>&1
    if [ -f "$WORK/redis.pid" ]; then
        redis_pid="$(cat "$WORK/redis.pid")"
        kill "$redis_pid" 2>/dev/null
        # Redis writes its log while it shuts down: wait, or rm races it ("Directory not empty").
        for _ in $(seq 100); do kill -0 "$redis_pid" 2>/dev/null || break; sleep 0.05; done
    fi
    rm -rf "$WORK"
    exit "$status"
}
trap cleanup EXIT INT TERM

mkdir -p "$WORK/pg" "$WORK/redis"
[ "$(id -u)" = 0 ] && chown -R postgres "$WORK"
as_pg "$PG_BIN/initdb" -D "$WORK/pg" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$WORK/initdb.log" 2>&1 \
    || { cat "$WORK/initdb.log"; exit 1; }
# Durability is not under test: fsync off keeps the suite fast. PG_EXTRA_OPTIONS adds server options for
# one measurement, e.g. PG_EXTRA_OPTIONS="-c shared_preload_libraries=pg_stat_statements" (bench/fanout.py
# then prints the statements that cost most).
as_pg "$PG_BIN/pg_ctl" -D "$WORK/pg" -l "$WORK/pg/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $WORK/pg -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 ${PG_EXTRA_OPTIONS:-}" \
    start >/dev/null || { cat "$WORK/pg/server.log"; exit 1; }

redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no --daemonize yes \
    --dir "$WORK/redis" --pidfile "$WORK/redis.pid" --logfile "$WORK/redis/redis.log"
for _ in $(seq 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done

export DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/postgres"
export REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
export CELERY_BROKER_URL="$REDIS_URL"
export CACHE_URL="rediscache://127.0.0.1:$REDIS_PORT/1"
echo "test services: PostgreSQL on 127.0.0.1:$PG_PORT, Redis on 127.0.0.1:$REDIS_PORT"
"$@"

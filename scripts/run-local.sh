#!/usr/bin/env bash
# `make run`: migrate the embedded SQLite database, load the demo data, then run the web server, a
# Celery worker, Celery beat and the local FCM stand-in (plus Redis on 6379 if none answers there).
# Ctrl-C stops everything this script started, and only that: a Redis that was already running stays.
#
# Ports can be moved with WEB_PORT (8000), REDIS_PORT (6379) and FCM_PORT (8765).
set -euo pipefail
cd "$(dirname "$0")/.."

PY="${PY:-.venv/bin/python}"
WEB_PORT="${WEB_PORT:-8000}"
REDIS_PORT="${REDIS_PORT:-6379}"
FCM_PORT="${FCM_PORT:-8765}"
RUN_DIR="$PWD/.run"
mkdir -p "$RUN_DIR"

export DJANGO_DEBUG=true
export DJANGO_SETTINGS_MODULE=backend.settings
export DATABASE_URL="${DATABASE_URL:-sqlite:///$PWD/db.sqlite3}"
export REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
export CELERY_BROKER_URL="$REDIS_URL"
export CACHE_URL="rediscache://127.0.0.1:$REDIS_PORT/1"
export PYTHONUNBUFFERED=1

pgids=()
started_redis=""
stopping=""

stop_all() {
    status=$?
    [ -n "${asked_to_stop:-}" ] && status=0  # Ctrl-C or SIGTERM: a clean stop, not a failure of make
    [ -n "$stopping" ] && return
    stopping=1
    # Ignored, not reset: make passes a SIGTERM it gets on to this script, so a second one arrives while the
    # processes are being stopped, and would end this script half-way, leaving them running.
    trap '' INT TERM
    trap - EXIT
    echo
    echo "stopping..."
    # Every process was started in its own session (setsid), so its group id is its pid and the
    # group holds its children too (runserver's reloader, Celery's pool processes).
    for pgid in "${pgids[@]}"; do kill -TERM -- "-$pgid" 2>/dev/null || true; done
    for _ in $(seq 100); do
        alive=""
        for pgid in "${pgids[@]}"; do kill -0 -- "-$pgid" 2>/dev/null && alive=1; done
        [ -z "$alive" ] && break
        sleep 0.1
    done
    for pgid in "${pgids[@]}"; do kill -KILL -- "-$pgid" 2>/dev/null || true; done
    if [ -n "$started_redis" ] && [ -f "$RUN_DIR/redis.pid" ]; then
        kill "$(cat "$RUN_DIR/redis.pid")" 2>/dev/null || true
        rm -f "$RUN_DIR/redis.pid"
    fi
    echo "stopped."
    exit "$status"
}
trap 'asked_to_stop=1; stop_all' INT TERM
trap stop_all EXIT

# start NAME LOGFILE COMMAND...: run COMMAND in its own process group, output to LOGFILE ("-" = terminal).
start() {
    local name="$1" log="$2"; shift 2
    if [ "$log" = "-" ]; then setsid "$@" & else setsid "$@" >"$log" 2>&1 & fi
    pgids+=("$!")
    if [ "$log" = "-" ]; then echo "started $name (pid $!)"; else echo "started $name (pid $!), log $log"; fi
}

if redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; then
    echo "using the Redis already answering on 127.0.0.1:$REDIS_PORT"
else
    redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --daemonize yes --save "" --appendonly no \
        --dir "$RUN_DIR" --pidfile "$RUN_DIR/redis.pid" --logfile "$RUN_DIR/redis.log"
    started_redis=1
    for _ in $(seq 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
    echo "started Redis on 127.0.0.1:$REDIS_PORT (pid $(cat "$RUN_DIR/redis.pid"))"
fi

"$PY" manage.py migrate --no-input -v 0
"$PY" manage.py seed_demo | tee "$RUN_DIR/logins.txt"

if [ -f notifications/fcm_standin.py ]; then
    export FCM_ENDPOINT="http://127.0.0.1:$FCM_PORT"
    start "FCM stand-in" "$RUN_DIR/fcm-standin.log" "$PY" -m notifications.fcm_standin --port "$FCM_PORT" --log
fi
# Two workers (notifications/queues.py): the urgent one never takes fan-out work; the bulk one runs
# at a lower CPU priority so that, on a busy machine, an emergency push still gets the CPU first.
start "Celery worker (urgent queue)" "$RUN_DIR/worker-urgent.log" "$PY" -m celery -A backend worker \
    -Q urgent -n "urgent@%h" -l info --concurrency 1
start "Celery worker (bulk queue)" "$RUN_DIR/worker.log" nice -n 10 "$PY" -m celery -A backend worker \
    -Q bulk -n "bulk@%h" -l info
start "Celery beat" "$RUN_DIR/beat.log" "$PY" -m celery -A backend beat -l info \
    --pidfile "$RUN_DIR/beat.pid"
start "web server" - "$PY" manage.py runserver "127.0.0.1:$WEB_PORT"

for _ in $(seq 100); do
    curl -fsS -o /dev/null "http://127.0.0.1:$WEB_PORT/admin/login/" 2>/dev/null && break
    sleep 0.2
done
cat <<EOF

  Surgeon dashboard  http://127.0.0.1:$WEB_PORT/dashboard/
  Django admin       http://127.0.0.1:$WEB_PORT/admin/
  API docs           http://127.0.0.1:$WEB_PORT/api/docs/
  Demo logins        $RUN_DIR/logins.txt (printed above)
  Worker/beat logs   $RUN_DIR/worker-urgent.log, $RUN_DIR/worker.log, $RUN_DIR/beat.log

  Ctrl-C stops everything.
EOF

# Run until Ctrl-C, or until one of the processes dies (then stop the rest rather than limp on).
wait -n || true
echo "a process exited; stopping the others"
exit 1

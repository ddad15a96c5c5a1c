#!/usr/bin/env bash
# A local cluster to try several instances: a throwaway PostgreSQL (its own folder, a free loopback port, a random
# password) and three instances of the jar on ports 8081, 8082 and 8083 sharing it, the rest of their settings from
# ./.env. Ctrl-C stops the three, then the database, and deletes its folder.
#
#   scripts/run-cluster.sh [path/to/chat-webhook.jar]      (make run-cluster builds the jar and .env first)
#
# Needs Debian's postgresql package (make test-deps installs it). PostgreSQL refuses to run as root: as root, the
# database runs as the `postgres` account (runuser), as the tests' throwaway clusters do.
set -euo pipefail

JAR=${1:-target/chat-webhook.jar}
JAVA=${JAVA:-java}
PORTS=(8081 8082 8083)

fail() { echo "run-cluster: $*" >&2; exit 2; }

[ -f "$JAR" ] || fail "no $JAR: run make build (or make run-cluster)"
[ -f .env ] || fail "no .env in $(pwd): cp .env.example .env (make run-cluster does)"
BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -n "$BIN" ] && [ -x "$BIN/initdb" ] || fail "PostgreSQL is not installed: apt-get install postgresql (or make test-deps)"
for port in "${PORTS[@]}"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then fail "port $port is in use"; fi
done

as_db_owner() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

free_port() {
  local port
  while :; do
    port=$((20000 + RANDOM % 40000))
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return; }
  done
}

FOLDER=$(mktemp -d "${TMPDIR:-/tmp}/relay-cluster.XXXXXX")
PIDS=()
stop_all() {
  trap - INT TERM EXIT
  echo
  echo "Stopping the instances…"
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ -f "$FOLDER/data/postmaster.pid" ]; then
    echo "Stopping PostgreSQL and deleting $FOLDER"
    as_db_owner "$BIN/pg_ctl" -D "$FOLDER/data" -m fast -w stop >/dev/null || true
  fi
  rm -rf "$FOLDER"
  exit
}
trap stop_all INT TERM EXIT

PASSWORD=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
DB_PORT=$(free_port)
printf '%s' "$PASSWORD" >"$FOLDER/password"
if [ "$(id -u)" = 0 ]; then chown -R postgres "$FOLDER"; fi
echo "Starting PostgreSQL in $FOLDER on 127.0.0.1:$DB_PORT"
as_db_owner "$BIN/initdb" -D "$FOLDER/data" -U relay --auth=scram-sha-256 --pwfile="$FOLDER/password" -E UTF8 \
  --locale=C.UTF-8 >"$FOLDER/initdb.log"
as_db_owner "$BIN/pg_ctl" -D "$FOLDER/data" -w -l "$FOLDER/server.log" \
  -o "-c listen_addresses=127.0.0.1 -c port=$DB_PORT -c unix_socket_directories=$FOLDER" start >/dev/null
PGPASSWORD=$PASSWORD "$BIN/createdb" -h 127.0.0.1 -p "$DB_PORT" -U relay relay

# .env's demo URL names port 8080, where no instance of the cluster listens: the first instance's receiver instead.
WEBHOOK_URL_OVERRIDE=()
if grep -Eq '^WEBHOOK_URL=http://127\.0\.0\.1:8080/demo/webhook\s*$' .env; then
  WEBHOOK_URL_OVERRIDE=(WEBHOOK_URL="http://127.0.0.1:${PORTS[0]}/demo/webhook")
  echo "WEBHOOK_URL is the demo receiver of instance 1 (.env's names port 8080)"
fi

for i in "${!PORTS[@]}"; do
  n=$((i + 1))
  env PORT="${PORTS[$i]}" INSTANCE_ID="relay-$n" DATA_DIR="$FOLDER/instance-$n" \
    DATABASE_URL="postgres://relay:$PASSWORD@127.0.0.1:$DB_PORT/relay" "${WEBHOOK_URL_OVERRIDE[@]}" \
    "$JAVA" -XX:+ExitOnOutOfMemoryError -jar "$JAR" > >(sed -u "s/^/[relay-$n] /") 2>&1 &
  PIDS+=("$!") # java's own pid (its output goes through sed in a process substitution), so TERM reaches it
done
echo "Three instances on http://127.0.0.1:8081/, :8082/ and :8083/, one database. Ctrl-C stops all."
wait -n "${PIDS[@]}" || true
echo "An instance stopped; stopping the rest."

#!/usr/bin/env bash
# Sets up this machine (scripts/install.sh), builds Berth and starts it in the
# background on the local PostgreSQL and Redis. Run it again to rebuild and restart.
# PORT (default 3000) and the other variables of the README pass through.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CALLER_DIR="$PWD"
export PATH="/usr/local/bin:$PATH"
export DATABASE_URL=postgres://postgres@127.0.0.1:5432/berth
export REDIS_URL=redis://127.0.0.1:6379
export PORT="${PORT:-3000}"
STATE="$ROOT/.berth"
PID_FILE="$STATE/berth.pid"
LOG_FILE="$STATE/berth.log"

say() { printf 'up: %s\n' "$*"; }
die() { printf 'up: error: %s\n' "$*" >&2; exit 1; }

bash "$ROOT/scripts/install.sh"
# The Docker engine and the runtime images apps run on (cached: seconds when unchanged).
bash "$ROOT/scripts/build-runtimes.sh"
cd "$ROOT"

psql_postgres() { psql -h 127.0.0.1 -U postgres -d postgres -w -v ON_ERROR_STOP=1 -Atq "$@"; }
if [[ "$(psql_postgres -c "SELECT 1 FROM pg_database WHERE datname = 'berth'")" != 1 ]]; then
  say "creating database berth"
  psql_postgres -c 'CREATE DATABASE berth'
fi

say "building (npm run build)"
npm run build --silent

# Only a pid that still runs Berth is ours to stop: pids get reused.
is_berth() { [[ "$1" =~ ^[0-9]+$ && -r "/proc/$1/cmdline" ]] && tr '\0' ' ' 2>/dev/null <"/proc/$1/cmdline" | grep 'dist/src/main.js' >/dev/null; }
mkdir -p "$STATE"
if [[ -f "$PID_FILE" ]]; then
  old="$(cat "$PID_FILE")"
  if is_berth "$old"; then
    say "stopping the running Berth (pid $old)"
    kill "$old"
    for ((i = 0; i < 100; i++)); do is_berth "$old" || break; sleep 0.1; done
    if is_berth "$old"; then kill -9 "$old"; fi
  fi
  rm -f "$PID_FILE"
fi

# Something else on the port would answer the health check in Berth's place.
if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
  die "port $PORT is already in use; stop what listens there or run with PORT=<another port>"
fi

# App secrets are sealed with SECRETS_KEY: made once for this machine, kept beside the pid file
# (never in the database, so a dump alone reveals no secret). An exported SECRETS_KEY wins.
if [[ -z "${SECRETS_KEY:-}" ]]; then
  if [[ ! -s "$STATE/secrets.key" ]]; then
    say "making the key that seals app secrets ($STATE/secrets.key); back it up with the database"
    (umask 077 && openssl rand -base64 32 >"$STATE/secrets.key")
  fi
  SECRETS_KEY="$(cat "$STATE/secrets.key")"
  export SECRETS_KEY
fi

say "starting Berth on port $PORT (log: .berth/berth.log)"
printf '\n--- up.sh %s\n' "$(date -u +%FT%TZ)" >>"$LOG_FILE"
nohup node dist/src/main.js >>"$LOG_FILE" 2>&1 </dev/null &
pid=$!
echo "$pid" >"$PID_FILE"

url="http://127.0.0.1:$PORT"
for ((i = 0; i < 60; i++)); do
  if curl -sf -o /dev/null "$url/api/v1/health"; then break; fi
  if ! kill -0 "$pid" 2>/dev/null; then i=60; break; fi
  sleep 0.5
done
if ((i >= 60)); then
  printf 'up: Berth did not become healthy; last lines of %s:\n' "$LOG_FILE" >&2
  tail -n 30 "$LOG_FILE" >&2
  if kill -0 "$pid" 2>/dev/null; then kill "$pid"; fi
  rm -f "$PID_FILE"
  exit 1
fi

pid_path=.berth/berth.pid
[[ "$CALLER_DIR" == "$ROOT" ]] || pid_path="$PID_FILE"
cat <<EOF

Berth is running (pid $pid).
  API:        $url/api/v1/
  Swagger UI: $url/api/docs
  Log:        $LOG_FILE

Create the first account (the answer holds its API token):
  curl -X POST $url/api/v1/auth/register/ -H 'Content-Type: application/json' \\
    -d '{"email":"you@example.com","password":"at least 10 characters"}'

Stop it:
  kill \$(cat $pid_path)
EOF

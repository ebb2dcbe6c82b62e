#!/usr/bin/env bash
# Lets apps reach this machine's database servers. Apps run on Berth's Docker network
# (a fixed subnet, APPS_SUBNET, default 10.210.0.0/16); inside a container 127.0.0.1 is
# the container itself, so PostgreSQL and MariaDB also listen on that network's gateway
# (the host's end, 10.210.0.1), which app containers know as pgsql.berth.internal and
# mariadb.berth.internal. This script, run by scripts/install.sh as root:
#   1. makes sure the Docker engine runs and the apps network exists with that subnet
#      (exactly as Berth's worker would create it), so the gateway address exists;
#   2. makes PostgreSQL listen on it too, with connections kept in reserve for Berth
#      (a superuser), and MariaDB likewise, without host name lookups;
#   3. restarts a server only when it does not listen there yet.
# Idempotent: on a ready machine it only checks. Storage users still need their
# password and reach only their own database (scripts/pg-storage-auth.sh, and grants).
# DOCKER_NAME_PREFIX and APPS_SUBNET must match Berth's configuration.
#
#   bash scripts/storage-network.sh network   # step 1 only: before the servers start
#   bash scripts/storage-network.sh           # all three
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PREFIX="${DOCKER_NAME_PREFIX:-berth}"
SUBNET="${APPS_SUBNET:-10.210.0.0/16}"
NETWORK="$PREFIX-apps"
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"

say() { printf 'storage-network: %s\n' "$*"; }
die() { printf 'storage-network: error: %s\n' "$*" >&2; exit 1; }

# The gateway is the subnet's first address, as Berth computes it (src/config/reader.ts).
[[ "$SUBNET" =~ ^([0-9]+)\.([0-9]+)\.([0-9]+)\.([0-9]+)/([0-9]+)$ ]] || die "APPS_SUBNET must look like 10.210.0.0/16 (got $SUBNET)"
bits="${BASH_REMATCH[5]}"
((bits >= 8 && bits <= 28)) || die "APPS_SUBNET must be /8 to /28 (got $SUBNET)"
ip=$(((BASH_REMATCH[1] << 24) | (BASH_REMATCH[2] << 16) | (BASH_REMATCH[3] << 8) | BASH_REMATCH[4]))
network_ip=$((ip & ((0xffffffff << (32 - bits)) & 0xffffffff)))
dotted() { printf '%d.%d.%d.%d' $(($1 >> 24 & 255)) $(($1 >> 16 & 255)) $(($1 >> 8 & 255)) $(($1 & 255)); }
CIDR="$(dotted "$network_ip")/$bits"
GATEWAY="$(dotted $((network_ip + 1)))"

# --- 1. The Docker engine and the apps network.
bash "$ROOT/scripts/docker-engine.sh" >/dev/null
current="$(docker network inspect -f '{{range .IPAM.Config}}{{.Subnet}}{{end}}' "$NETWORK" 2>/dev/null || true)"
if [[ -n "$current" && "$current" != "$CIDR" ]]; then
  # An installation from before the subnet was fixed: its apps are moved to the new
  # network by Berth's worker, which replaces their containers anyway on upgrade.
  say "$NETWORK has subnet $current, not $CIDR: recreating it (apps reconnect as Berth replaces their containers)"
  for c in $(docker network inspect -f '{{range $id, $e := .Containers}}{{$id}} {{end}}' "$NETWORK"); do
    docker network disconnect -f "$NETWORK" "$c" >/dev/null
  done
  docker network rm "$NETWORK" >/dev/null
  current=""
fi
if [[ -z "$current" ]]; then
  say "creating Docker network $NETWORK ($CIDR, gateway $GATEWAY)"
  # Berth's DockerDriver creates the same network when it is missing; keep the two alike.
  docker network create --driver bridge --subnet "$CIDR" --gateway "$GATEWAY" \
    --label "berth.installation=$PREFIX" -o com.docker.network.bridge.enable_icc=false "$NETWORK" >/dev/null
fi
# (grep without -q: under pipefail, grep -q leaving at the first match kills ip with SIGPIPE, and the check fails.)
ip -4 addr show | grep "inet $GATEWAY/" >/dev/null || die "no interface holds $GATEWAY after creating $NETWORK"
[[ "${1:-}" != network ]] || exit 0

listens() { ss -Hltn "sport = :$2" | awk '{print $4}' | grep -x "$1:$2" >/dev/null; }

# --- 2. PostgreSQL.
pg_version="$(ls -1 /etc/postgresql 2>/dev/null | sort -V | tail -n 1)"
[[ -n "$pg_version" ]] || die "no PostgreSQL cluster in /etc/postgresql"
pg_conf="/etc/postgresql/$pg_version/main/conf.d/95-berth.conf"
pg_wanted="# Written by Berth's scripts/storage-network.sh.
# Apps reach their storages on the apps network's gateway.
listen_addresses = 'localhost,$GATEWAY'
# Storage users are limited per user (STORAGE_CONNECTIONS_PER_USER); Berth connects as
# a superuser, so these stay free for it however many storage users crowd in.
max_connections = 300
superuser_reserved_connections = 40"
if [[ "$(cat "$pg_conf" 2>/dev/null)" != "$pg_wanted" ]] || ! listens "$GATEWAY" 5432; then
  mkdir -p "$(dirname "$pg_conf")"
  printf '%s\n' "$pg_wanted" >"$pg_conf"
  say "restarting PostgreSQL $pg_version to listen on $GATEWAY:5432 as well"
  pg_ctlcluster --skip-systemctl-redirect "$pg_version" main restart
  wait_for 60 listens "$GATEWAY" 5432 || die "PostgreSQL does not listen on $GATEWAY:5432 (see /var/log/postgresql/)"
fi

# --- 3. MariaDB. Debian's my.cnf reads mariadb.conf.d/; a my.cnf without it gets an include.
if [[ -d /etc/mysql/mariadb.conf.d ]] && grep -q '^!includedir /etc/mysql/mariadb.conf.d' /etc/mysql/my.cnf 2>/dev/null; then
  my_conf=/etc/mysql/mariadb.conf.d/95-berth.cnf
else
  my_conf=/etc/mysql/berth.cnf
  grep -qx '!include /etc/mysql/berth.cnf' /etc/mysql/my.cnf || printf '\n!include /etc/mysql/berth.cnf\n' >>/etc/mysql/my.cnf
fi
my_wanted="# Written by Berth's scripts/storage-network.sh.
[mysqld]
# Apps reach their storages on the apps network's gateway.
bind-address = 127.0.0.1,$GATEWAY
# Accounts match by address only: a name lookup must not turn a container into localhost.
skip-name-resolve
max_connections = 300"
mariadb_up() { mariadb -u root -e 'SELECT 1' >/dev/null 2>&1; }
if [[ "$(cat "$my_conf" 2>/dev/null)" != "$my_wanted" ]] || ! listens "$GATEWAY" 3306; then
  printf '%s\n' "$my_wanted" >"$my_conf"
  say "restarting MariaDB to listen on $GATEWAY:3306 as well"
  if mariadb_up; then mariadb-admin -u root shutdown; fi
  wait_for 60 bash -c '! pgrep -x mariadbd >/dev/null' || die "MariaDB does not stop"
  install -d -o mysql -g mysql /run/mysqld
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd -- --user=mysql
  wait_for 60 listens "$GATEWAY" 3306 || die "MariaDB does not listen on $GATEWAY:3306 (see its error log)"
fi

say "PostgreSQL and MariaDB listen on $GATEWAY for apps on $NETWORK ($CIDR)"

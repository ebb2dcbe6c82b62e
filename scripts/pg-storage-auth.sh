#!/usr/bin/env bash
# Makes the users of Berth's PostgreSQL storages (members of the role berth_storage)
# authenticate with their password, even where pg_hba.conf trusts 127.0.0.1 for
# everybody else (without it any storage user could log in as any other), and
# keeps each to its own database: a storage's database and user share one name, so
# `sameuser` admits exactly that one, and every other database is rejected to them
# (they could otherwise connect to postgres, template1 or Berth's own, and more).
# Run it on the database host as root or postgres (it edits the server's pg_hba.conf).
# Idempotent; it also repairs the rules if something rewrote or moved them.
# PGHOST, PGPORT and PGUSER choose the administrator connection (default postgres@127.0.0.1:5432).
set -euo pipefail

MARKER='# berth: storage users authenticate by password, to their own database only'
OLD_MARKER='# berth: storage users authenticate by password'
RULES=(
  'local sameuser +berth_storage scram-sha-256'
  'host sameuser +berth_storage all scram-sha-256'
  'local all +berth_storage reject'
  'host all +berth_storage all reject'
)

say() { printf 'pg-storage-auth: %s\n' "$*"; }
die() { printf 'pg-storage-auth: error: %s\n' "$*" >&2; exit 1; }
admin() { psql -X -w -q -v ON_ERROR_STOP=1 -h "${PGHOST:-127.0.0.1}" -p "${PGPORT:-5432}" -U "${PGUSER:-postgres}" -d postgres -Atc "$1"; }
hba_errors() { admin 'SELECT count(*) FROM pg_hba_file_rules WHERE error IS NOT NULL'; }

hba="$(admin 'SHOW hba_file')" || die "cannot ask PostgreSQL for its pg_hba.conf"
[[ -f "$hba" ]] || die "$hba is not on this machine: run this script on the database host"
[[ -r "$hba" && -w "$hba" ]] || die "cannot edit $hba: run as root or postgres"

wanted="$(mktemp)"
trap 'rm -f "$wanted"' EXIT
# Drop our block wherever it is (whatever method a later edit gave its rules), then put it
# back above the first rule: pg_hba.conf applies the first rule that matches.
awk -v marker="$MARKER" -v old_marker="$OLD_MARKER" -v rules="$(IFS='|'; echo "${RULES[*]}")" '
  function block(   n, i, lines) {
    print marker
    n = split(rules, lines, "|")
    for (i = 1; i <= n; i++) print lines[i]
    placed = 1
  }
  $0 == marker || $0 == old_marker { next }
  /^[ \t]*(local|host)[ \t]+[^ \t]+[ \t]+\+berth_storage[ \t]/ { next }
  !placed && $0 !~ /^[ \t]*(#|$)/ { block() }
  { print }
  END { if (!placed) block() }
' "$hba" >"$wanted"

if cmp -s "$wanted" "$hba"; then
  say "$hba already keeps storage users to their own database, by password"
else
  errors_before="$(hba_errors)"
  [[ -e "$hba.berth-storage-orig" ]] || cp -p "$hba" "$hba.berth-storage-orig"
  previous="$(mktemp)"
  trap 'rm -f "$wanted" "$previous"' EXIT
  cp "$hba" "$previous"
  # Rewriting in place keeps the file's owner and mode.
  cat "$wanted" >"$hba"
  if [[ "$(hba_errors)" != "$errors_before" ]]; then
    cat "$previous" >"$hba"
    die "PostgreSQL rejects the new $hba; it is left as it was"
  fi
  say "storage users (role berth_storage) now reach only their own database, with scram-sha-256, in $hba"
fi

[[ "$(admin 'SELECT pg_reload_conf()')" == t ]] || die "PostgreSQL did not reload its configuration"

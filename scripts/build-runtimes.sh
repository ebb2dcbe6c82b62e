#!/usr/bin/env bash
# Build Berth's runtime images (docker/runtimes/) on a machine with no image
# registry. Idempotent and cached:
#   1. scripts/docker-engine.sh makes sure Docker (and debootstrap) run;
#   2. the Debian base image (berth/debian:bookworm) is pulled when a registry
#      answers, otherwise built with debootstrap from this machine's apt mirror
#      and `docker import`ed; only when the image is missing;
#   3. every image listed in docker/runtimes/images.txt is built, unless its tag
#      exists with a berth.runtime.hash label equal to the hash of its build
#      context (files, modes) and of its parent image's id.
#
#   bash scripts/build-runtimes.sh [--force | --no-cache] [name ...]
#
#   --force     rebuild the runtime images even when their hash matches
#               (docker's layer cache still applies)
#   --no-cache  rebuild them without docker's layer cache: fresh apt-get
#               update/upgrade, i.e. current Debian security updates
#   name        only these images (directories of docker/runtimes/) and the
#               images they are built on
#
# Environment:
#   BERTH_BASE_IMAGE    tag of the Debian base         (default berth/debian:bookworm)
#   BERTH_BASE_PULL     image tried first for the base, "" to skip (default debian:bookworm)
#   BERTH_DEBIAN_MIRROR debootstrap mirror  (default: the host's apt source for bookworm)
#   BERTH_RUNTIMES_CACHE where npm tarballs are kept (default /var/cache/berth/runtimes)
#   BERTH_NPM_REGISTRY  registry for downloads when npm is not installed
#                       (default https://registry.npmjs.org; npm uses its own config)
#   BERTH_BUILD_NETWORK network for `docker build` RUN steps (default: docker's default)
#   BERTH_BUILD_VERBOSE 1 to stream docker build output
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUNTIMES_DIR="$ROOT/docker/runtimes"
MANIFEST="$RUNTIMES_DIR/images.txt"
BASE_IMAGE="${BERTH_BASE_IMAGE:-berth/debian:bookworm}"
BASE_PULL="${BERTH_BASE_PULL-debian:bookworm}"
SUITE=bookworm
HASH_LABEL=berth.runtime.hash

log() { printf '[build-runtimes] %s\n' "$*"; }
die() { printf '[build-runtimes] ERROR: %s\n' "$*" >&2; exit 1; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1fs", b - a }'; }

FORCE=0
NO_CACHE=0
WANTED=()
for arg in "$@"; do
  case "$arg" in
    --force) FORCE=1 ;;
    --no-cache) FORCE=1; NO_CACHE=1 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) die "unknown option $arg" ;;
    *) WANTED+=("$arg") ;;
  esac
done

T0="$(now)"
exec 3>&1  # progress lines from inside $(...) still reach stdout
bash "$ROOT/scripts/docker-engine.sh"

# The legacy builder is what a bare docker.io gives; use BuildKit only when the
# buildx plugin exists, so the CLI does not refuse to build.
if [ -z "${DOCKER_BUILDKIT:-}" ]; then
  if docker buildx version >/dev/null 2>&1; then export DOCKER_BUILDKIT=1; else export DOCKER_BUILDKIT=0; fi
fi

# One build at a time on this machine (CI and a developer may both call this).
LOCK="${TMPDIR:-/tmp}/berth-build-runtimes.lock"
exec 9>"$LOCK"
if ! flock -n 9; then
  log "another build is running, waiting for it"
  flock 9
fi

image_exists() { docker image inspect "$1" >/dev/null 2>&1; }

# --- apt mirror of this machine ---------------------------------------------
# First enabled "deb" URI that serves the given suite, from one-line
# (sources.list, *.list) and deb822 (*.sources) files.
apt_uri_for_suite() {
  local suite="$1" f
  {
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
      [ -f "$f" ] || continue
      awk -v s="$suite" '
        $1 == "deb" {
          i = 2
          if ($2 ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
          if ($(i + 1) == s) { print $i; exit }
        }' "$f"
    done
    for f in /etc/apt/sources.list.d/*.sources; do
      [ -f "$f" ] || continue
      awk -v s="$suite" '
        BEGIN { RS = ""; FS = "\n" }
        {
          types = ""; uris = ""; suites = ""; enabled = 1
          for (j = 1; j <= NF; j++) {
            line = $j
            if (line ~ /^[ \t]*#/) continue
            if (line ~ /^Types:/) types = " " substr(line, 7) " "
            else if (line ~ /^URIs:/) uris = substr(line, 6)
            else if (line ~ /^Suites:/) suites = " " substr(line, 8) " "
            else if (line ~ /^Enabled:[ \t]*[Nn]o/) enabled = 0
          }
          gsub(/[ \t]+/, " ", types); gsub(/[ \t]+/, " ", suites)
          if (enabled && types ~ / deb / && suites ~ (" " s " ")) {
            split(uris, u, /[ \t]+/)
            for (k = 1; k in u; k++) if (u[k] != "") { print u[k]; exit }
          }
        }' "$f"
    done
  } | awk 'NR == 1'
}

# --- 1. Debian base image ----------------------------------------------------
build_base_image() {
  if [ -n "$BASE_PULL" ]; then
    log "base: trying docker pull $BASE_PULL"
    if timeout 60 docker pull -q "$BASE_PULL" >/dev/null 2>&1; then
      docker tag "$BASE_PULL" "$BASE_IMAGE"
      log "base: $BASE_IMAGE <- $BASE_PULL (pulled)"
      return
    fi
    log "base: no registry answered, building with debootstrap"
  fi
  command -v debootstrap >/dev/null 2>&1 || die "debootstrap missing"

  local mirror security updates work rootfs t
  mirror="${BERTH_DEBIAN_MIRROR:-$(apt_uri_for_suite "$SUITE")}"
  mirror="${mirror:-http://deb.debian.org/debian}"
  mirror="${mirror%/}"
  updates="$(apt_uri_for_suite "$SUITE-updates")"; updates="${updates:-$mirror}"
  security="$(apt_uri_for_suite "$SUITE-security")"
  security="${security:-http://deb.debian.org/debian-security}"

  work="$(mktemp -d /var/tmp/berth-debootstrap.XXXXXX)"
  rootfs="$work/rootfs"
  # shellcheck disable=SC2064
  trap "cleanup_rootfs '$work'" EXIT
  t="$(now)"
  log "base: debootstrap --variant=minbase $SUITE from $mirror"
  if ! debootstrap --variant=minbase "$SUITE" "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1; then
    tail -n 30 "$work/debootstrap.log" >&2
    [ -f "$rootfs/debootstrap/debootstrap.log" ] && tail -n 30 "$rootfs/debootstrap/debootstrap.log" >&2
    die "debootstrap failed"
  fi
  unmount_under "$rootfs"
  log "base: debootstrap done in $(since "$t")"

  # Container-friendly apt/dpkg settings (as Debian's official images have).
  cat >"$rootfs/etc/apt/sources.list" <<EOF
deb $mirror $SUITE main
deb ${updates%/} $SUITE-updates main
deb ${security%/} $SUITE-security main
EOF
  cat >"$rootfs/usr/sbin/policy-rc.d" <<'EOF'
#!/bin/sh
# Containers start no services while packages are installed.
exit 101
EOF
  chmod 0755 "$rootfs/usr/sbin/policy-rc.d"
  cat >"$rootfs/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
  cat >"$rootfs/etc/apt/apt.conf.d/docker-no-recommends" <<'EOF'
APT::Install-Recommends "false";
APT::AutoRemove::SuggestsImportant "false";
EOF
  cat >"$rootfs/etc/dpkg/dpkg.cfg.d/docker-nodoc" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EOF
  find "$rootfs/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete 2>/dev/null || true
  find "$rootfs/usr/share/doc" -mindepth 1 -type d -empty -delete 2>/dev/null || true
  rm -rf "$rootfs"/usr/share/{man,info}/* "$rootfs"/usr/share/locale/*/ \
         "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/* \
         "$rootfs"/var/cache/debconf/*-old "$rootfs"/var/log/*.log "$rootfs"/var/log/apt/* \
         "$rootfs"/dev/* "$rootfs"/run/* "$rootfs"/tmp/* "$rootfs"/var/tmp/*
  # The host's identity does not belong in the image (docker mounts its own).
  : >"$rootfs/etc/resolv.conf"
  : >"$rootfs/etc/hostname"
  [ -f "$rootfs/etc/machine-id" ] && : >"$rootfs/etc/machine-id"

  t="$(now)"
  tar --numeric-owner -C "$rootfs" -c . | docker import \
    -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    -c 'ENV LANG=C.UTF-8' \
    -c 'CMD ["bash"]' \
    -c "LABEL berth.base.source=\"debootstrap --variant=minbase $SUITE $mirror\"" \
    -m "debootstrap --variant=minbase $SUITE $mirror" \
    - "$BASE_IMAGE" >/dev/null
  log "base: imported $BASE_IMAGE in $(since "$t")"
  cleanup_rootfs "$work"
  trap - EXIT
}

unmount_under() {
  local m
  # deepest first
  awk -v r="$1" '$2 == r || index($2, r "/") == 1 { print $2 }' /proc/mounts | sort -r |
    while read -r m; do umount -l "$m" 2>/dev/null || true; done
}

cleanup_rootfs() {
  [ -d "$1" ] || return 0
  unmount_under "$1"
  rm -rf --one-file-system "$1"
}

if image_exists "$BASE_IMAGE"; then
  log "base: $BASE_IMAGE present"
else
  build_base_image
fi

# --- 2. runtime images ------------------------------------------------------
declare -A TAG_OF PARENT_OF
ORDER=()
while read -r name tag parent _; do
  case "$name" in ''|'#'*) continue ;; esac
  [ -f "$RUNTIMES_DIR/$name/Dockerfile" ] || die "$MANIFEST: $name has no Dockerfile"
  TAG_OF[$name]="$tag"
  PARENT_OF[$name]="$parent"
  ORDER+=("$name")
done <"$MANIFEST"

# Selected images and the images they are built on.
declare -A SELECTED
select_image() {
  local n="$1"
  [ -n "${TAG_OF[$n]:-}" ] || die "unknown runtime image '$n' (see $MANIFEST)"
  SELECTED[$n]=1
  [ "${PARENT_OF[$n]}" = base ] || select_image "${PARENT_OF[$n]}"
}
if [ "${#WANTED[@]}" -gt 0 ]; then
  for n in "${WANTED[@]}"; do select_image "$n"; done
else
  for n in "${ORDER[@]}"; do SELECTED[$n]=1; done
fi

# Hash of a build context: every file's path, mode and content, plus the id of
# the parent image (a rebuilt parent rebuilds its children).
context_hash() {
  local dir="$1" parent_id="$2"
  {
    printf 'parent %s\n' "$parent_id"
    (cd "$dir" && find . -type f -printf '%m %p\n' | LC_ALL=C sort)
    (cd "$dir" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum)
  } | sha256sum | cut -d' ' -f1
}

# --- downloads from the npm registry ------------------------------------------
# A runtime directory may list npm packages in downloads.txt
# ("<package>@<version> <sha512 hex>"). They are fetched on the host with npm
# (its registry, proxy and CA settings; the build containers may not trust the
# same CAs), cached in $CACHE_DIR, checked, and staged into the build context
# as downloads/ together with a SHA512SUMS file the Dockerfile checks again.
CACHE_DIR="${BERTH_RUNTIMES_CACHE:-/var/cache/berth/runtimes}"

fetch_npm_tarball() {  # <package>@<version> <sha512> <destination file>
  local spec="$1" sum="$2" dest="$3" tmp got
  if [ -f "$dest" ] && [ "$(sha512sum "$dest" | cut -d' ' -f1)" = "$sum" ]; then return 0; fi
  mkdir -p "$(dirname "$dest")"
  tmp="$(mktemp -d "$CACHE_DIR/.fetch.XXXXXX")"
  log "  fetching $spec"
  if command -v npm >/dev/null 2>&1; then
    (cd "$tmp" && npm pack --silent --pack-destination "$tmp" "$spec" >/dev/null 2>"$tmp/npm.err") ||
      { cat "$tmp/npm.err" >&2; rm -rf "$tmp"; die "npm pack $spec failed"; }
    got="$(find "$tmp" -maxdepth 1 -name '*.tgz' | awk 'NR == 1')"
  else
    local name="${spec%@*}" version="${spec##*@}" registry="${BERTH_NPM_REGISTRY:-https://registry.npmjs.org}"
    got="$tmp/pkg.tgz"
    curl -fsSL --retry 3 -o "$got" "${registry%/}/$name/-/${name##*/}-$version.tgz" ||
      { rm -rf "$tmp"; die "download of $spec failed"; }
  fi
  [ -n "$got" ] && [ "$(sha512sum "$got" | cut -d' ' -f1)" = "$sum" ] ||
    { rm -rf "$tmp"; die "$spec: sha512 does not match downloads.txt"; }
  mv -f "$got" "$dest"
  rm -rf "$tmp"
}

# Prints the directory to build from: the runtime directory itself, or a
# staged copy with downloads/ added.
stage_context() {
  local name="$1" ctx="$RUNTIMES_DIR/$1" stage spec sum file
  if [ ! -f "$ctx/downloads.txt" ]; then printf '%s\n' "$ctx"; return; fi
  mkdir -p "$CACHE_DIR"
  stage="$(mktemp -d "$CACHE_DIR/.context-$name.XXXXXX")"
  cp -a "$ctx/." "$stage/"
  mkdir -p "$stage/downloads"
  while read -r spec sum _; do
    case "$spec" in ''|'#'*) continue ;; esac
    file="$(printf '%s' "${spec%@*}" | tr -d '@' | tr '/' '-')-${spec##*@}.tgz"
    fetch_npm_tarball "$spec" "$sum" "$CACHE_DIR/$file" >&3
    ln "$CACHE_DIR/$file" "$stage/downloads/$file" 2>/dev/null || cp "$CACHE_DIR/$file" "$stage/downloads/$file"
    printf '%s  %s\n' "$sum" "$file" >>"$stage/downloads/SHA512SUMS"
  done <"$ctx/downloads.txt"
  printf '%s\n' "$stage"
}

BUILT=0
REPLACED=()
for name in "${ORDER[@]}"; do
  [ -n "${SELECTED[$name]:-}" ] || continue
  tag="${TAG_OF[$name]}"
  parent="${PARENT_OF[$name]}"
  if [ "$parent" = base ]; then parent_tag="$BASE_IMAGE"; else parent_tag="${TAG_OF[$parent]}"; fi
  parent_id="$(docker image inspect -f '{{.Id}}' "$parent_tag" 2>/dev/null)" || die "parent image $parent_tag missing"
  ctx="$RUNTIMES_DIR/$name"
  hash="$(context_hash "$ctx" "$parent_id")"
  current="$(docker image inspect -f "{{index .Config.Labels \"$HASH_LABEL\"}}" "$tag" 2>/dev/null || true)"
  if [ "$FORCE" = 0 ] && [ "$current" = "$hash" ]; then
    log "$tag up to date"
    continue
  fi

  if [ "$NO_CACHE" = 1 ]; then why=" (--no-cache)"; elif [ "$FORCE" = 1 ]; then why=" (--force)"; elif [ -n "$current" ]; then why=" (context changed)"; else why=""; fi
  log "$tag: building$why"
  old_id="$(docker image inspect -f '{{.Id}}' "$tag" 2>/dev/null || true)"
  t="$(now)"
  build_ctx="$(stage_context "$name")" || exit 1
  build_log="$(mktemp "${TMPDIR:-/tmp}/berth-build-$name.XXXXXX.log")"
  args=(build --pull=false --rm --force-rm -t "$tag"
        --label "$HASH_LABEL=$hash" --label "berth.runtime.name=$name"
        --build-arg "BASE_IMAGE=$parent_tag")
  [ -n "${BERTH_BUILD_NETWORK:-}" ] && args+=(--network "$BERTH_BUILD_NETWORK")
  [ "$NO_CACHE" = 1 ] && args+=(--no-cache)
  if [ "${BERTH_BUILD_VERBOSE:-0}" = 1 ]; then
    set +e
    docker "${args[@]}" "$build_ctx" 2>&1 | tee "$build_log"
    status="${PIPESTATUS[0]}"
    set -e
  else
    status=0
    docker "${args[@]}" "$build_ctx" >"$build_log" 2>&1 || status=$?
  fi
  [ "$build_ctx" = "$ctx" ] || rm -rf "$build_ctx"
  if [ "$status" != 0 ]; then
    tail -n 40 "$build_log" >&2
    die "$tag: docker build failed (full log: $build_log)"
  fi
  rm -f "$build_log"
  new_id="$(docker image inspect -f '{{.Id}}' "$tag")"
  if [ "$new_id" = "$old_id" ]; then
    log "$tag: unchanged, every step came from docker's layer cache ($(since "$t"))"
    continue
  fi
  BUILT=$((BUILT + 1))
  log "$tag: built in $(since "$t") ($(docker image inspect -f '{{.Size}}' "$tag" | awk '{ printf "%d MB", $1 / 1e6 }'))"
  [ -n "$old_id" ] && REPLACED=("$old_id" "${REPLACED[@]}")
done

# Images the tags pointed at before, children first; docker keeps any that a
# container still uses.
for id in "${REPLACED[@]}"; do
  docker image rm "$id" >/dev/null 2>&1 || true
done
# Intermediate stages (e.g. the one unpacking Node.js) are not kept.
if [ "$BUILT" -gt 0 ]; then
  docker image prune -f --filter label=berth.build-stage >/dev/null 2>&1 || true
fi

log "done in $(since "$T0") ($BUILT image(s) built)"

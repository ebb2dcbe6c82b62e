#!/usr/bin/env bash
# Several Docker engines on this one machine, as the nodes of a Swarm: each node is a network
# namespace with its own dockerd, all of a set on one host bridge. Tests (test/support/swarm-nodes.ts)
# and people use it the same way. Run as root.
#
#   bash scripts/swarm-nodes.sh up <set> <count> [images...]  # (re)makes the set, prints its nodes
#   bash scripts/swarm-nodes.sh down <set> [--purge]           # removes it (--purge: its images too)
#   bash scripts/swarm-nodes.sh status <set>                   # its nodes, engines and Swarm states
#   bash scripts/swarm-nodes.sh stop <set> <i>                 # node i's engine stops (SIGTERM) ...
#   bash scripts/swarm-nodes.sh crash <set> <i>                # ... or dies at once (SIGKILL) ...
#   bash scripts/swarm-nodes.sh start <set> <i>                # ... and comes back, same flags
#
# `up` first removes whatever an earlier run of the set left (also after a crash), and removes what it
# made itself if it fails; `down` kills the set's engines outright (no graceful stop: the set is thrown
# away) but keeps their data, so that images loaded once stay (an image is loaded into a node only
# when the node lacks that image id).
# <set> is [a-z0-9]{1,6}; <count> 1..8. `up` prints one line per node on stdout, and nothing else:
#   node <i> <address> unix://<socket> <swarm node id>
# Node 1 is the Swarm's manager, the others are workers; every node is labelled berth.apps=true and
# berth.node=<set>-n<i>. The machine's own engine never joins a Swarm: every Swarm command here
# goes to a node's socket.
#
# Layout for set S with network number k (1..250; from the set's name, or BERTH_NODES_NET):
#   bridge bns-S 10.213.k.1/24 on the host; node i: netns berth-S-n<i>, veth bnv-S-<i> (host end)
#   / eth0 (inside) with 10.213.k.(10+i)/24, default route via the bridge. The host forwards
#   nothing from or to the bridge except between its own ports (iptables DOCKER-USER: ACCEPT
#   bridge to bridge, REJECT from it, DROP to it), so nothing of a node's leaves the machine; and
#   inside each node DNS queries off the bridge are dropped at once (so registry lookups fail fast).
#   node i's engine: socket /run/berth-nodes/S-n<i>.sock, data /var/lib/berth-nodes/S-n<i>/data
#   (kept between runs: images loaded once stay), exec root and pid file in /run/berth-nodes/S-n<i>/,
#   log /var/log/berth-nodes/S-n<i>.log, docker0 10.214.k.(32(i-1)+1)/27, local networks from
#   10.215.k.0/24 (/28 each), containers under the cgroup /berth-nodes/S-n<i>.
#   The Swarm's overlay networks come from 10.(216 + k%16).0.0/16 (/24 each).
# The engines' own iptables rules stay in their namespaces: each netns has its own tables.
#
# Engines run with inter-container traffic off on their default bridge ("icc": false in the node's
# daemon.json, written by `up`), as Berth requires of a node that takes apps; BERTH_NODES_ICC lists
# the nodes ("3", "2 3") whose engines allow it instead, to see Berth refuse them.
#
# Environment: BERTH_NODES_NET (k, 1..250), BERTH_NODES_ICC, BERTH_NODES_HEARTBEAT (the Swarm's dispatcher
# heartbeat, default 2s: a stopped node is reported down some seconds after it),
# BERTH_NODES_TIMEOUT (seconds to wait for an engine, default 60).
set -euo pipefail

RUN=/run/berth-nodes
LIB=/var/lib/berth-nodes
LOGS=/var/log/berth-nodes
MAX_NODES=8
HEARTBEAT="${BERTH_NODES_HEARTBEAT:-2s}"
TIMEOUT="${BERTH_NODES_TIMEOUT:-60}"

T0=$(date +%s%N)
say() { printf 'swarm-nodes: [%5.1fs] %s\n' "$((($(date +%s%N) - T0) / 1000000))e-3" "$*" >&2; }
die() { printf 'swarm-nodes: error: %s\n' "$*" >&2; exit 1; }
usage() { sed -n '6,11p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }

# --- Names and addresses -------------------------------------------------------------------

set_names() {
  S="$1"
  [[ "$S" =~ ^[a-z0-9]{1,6}$ ]] || die "set name must be 1-6 of [a-z0-9] (got '$S')"
  BR="bns-$S"
  NETFILE="$RUN/$S.net"
}
node_name() { printf '%s-n%d' "$S" "$1"; }
netns() { printf 'berth-%s-n%d' "$S" "$1"; }
veth() { printf 'bnv-%s-%d' "$S" "$1"; }
sock() { printf '%s/%s-n%d.sock' "$RUN" "$S" "$1"; }
addr() { printf '10.213.%d.%d' "$K" $((10 + $1)); }
# node i's engine, as the docker CLI reaches it
dn() { local i="$1"; shift; docker -H "unix://$(sock "$i")" "$@"; }

# The set's network number: its recorded one, else BERTH_NODES_NET, else a hash of its name.
hashed_net() { local h; h="$(printf '%s' "$S" | cksum)"; echo $((${h%% *} % 250 + 1)); }
recorded_net() { [[ -s "$NETFILE" ]] && K="$(cat "$NETFILE")" && [[ "$K" =~ ^[0-9]+$ ]]; }
# Another interface (another set's bridge, a Docker network...) already in 10.213.k.0/24?
net_taken() {
  local line
  while read -r line; do
    [[ "$line" == *" inet 10.213.$1."* && "$line" != *" $BR "* ]] && return 0
  done < <(ip -4 -o addr show)
  return 1
}
choose_net() {
  local k tries
  if [[ -n "${BERTH_NODES_NET:-}" ]]; then
    [[ "$BERTH_NODES_NET" =~ ^[0-9]+$ ]] && ((BERTH_NODES_NET >= 1 && BERTH_NODES_NET <= 250)) || die "BERTH_NODES_NET must be 1..250"
    net_taken "$BERTH_NODES_NET" && die "10.213.$BERTH_NODES_NET.0/24 is in use on this machine; choose another BERTH_NODES_NET"
    K="$BERTH_NODES_NET"
    return
  fi
  k="$(hashed_net)"
  for ((tries = 0; tries < 250; tries++)); do
    net_taken "$k" || { K="$k"; return; }
    k=$((k % 250 + 1))
  done
  die "no free 10.213.k.0/24 left"
}

# The engine's flags: `up` and `start` use exactly these.
engine_args() {
  local i="$1" n
  n="$(node_name "$i")"
  ENGINE_ARGS=(
    --config-file "$LIB/$n/daemon.json"
    --data-root "$LIB/$n/data"
    --exec-root "$RUN/$n/exec"
    --pidfile "$RUN/$n/dockerd.pid"
    -H "unix://$(sock "$i")"
    --bip "10.214.$K.$((32 * (i - 1) + 1))/27"
    --default-address-pool "base=10.215.$K.0/24,size=28"
    # Its own netns, so its own iptables tables: rules for its containers, apart from the host's.
    --iptables=true --ip-masq=true
    # Containers under a cgroup of the node's own (a path: the cgroupfs driver, whatever the host's engine uses).
    --exec-opt native.cgroupdriver=cgroupfs --cgroup-parent "/berth-nodes/$n"
    # Only matters where a system containerd runs (then all engines share it).
    --containerd-namespace "berth-$n" --containerd-plugins-namespace "berth-$n-plugins"
    --storage-driver overlay2
    --swarm-default-advertise-addr "$(addr "$i")"
    --shutdown-timeout 5
  )
}

# --- Processes -------------------------------------------------------------------------------

cmdline_of() { local -a a; mapfile -d '' a 2>/dev/null <"/proc/$1/cmdline" || return 1; CMDLINE="${a[*]}"; }
# node i's dockerd pid, if it runs (its pid file names a dockerd on its socket).
engine_pid() {
  local pid
  pid="$(cat "$RUN/$(node_name "$1")/dockerd.pid" 2>/dev/null)" || return 1
  [[ "$pid" =~ ^[0-9]+$ ]] && cmdline_of "$pid" && [[ "$CMDLINE" == *dockerd*" unix://$(sock "$1")"* ]] && echo "$pid"
}
# Running, not a zombie: the engines' parent is init, which may reap them a while after they exit.
alive() {
  local stat
  read -r stat 2>/dev/null <"/proc/$1/stat" || return 1
  stat="${stat##*) }"
  [[ "${stat:0:1}" != Z ]]
}
engine_answers() { dn "$1" version --format '{{.Server.Version}}' >/dev/null 2>&1; }

start_engine() {
  local i="$1" n ns
  n="$(node_name "$i")"
  ns="$(netns "$i")"
  engine_args "$i"
  mkdir -p "$RUN/$n/exec" "$LIB/$n/data" "$LOGS"
  [[ -s "$LIB/$n/daemon.json" ]] || echo '{"icc": false}' >"$LIB/$n/daemon.json"
  printf '\n--- %s swarm-nodes: dockerd %s\n' "$(date -u +%FT%TZ)" "${ENGINE_ARGS[*]}" >>"$LOGS/$n.log"
  # nsenter, not `ip netns exec` (which remounts /sys: "Devices cgroup isn't mounted"); its own
  # UTS namespace so that `docker node ls` tells the nodes apart by host name. The lock fds stay
  # here: a daemon holding them would hold the lock.
  setsid nsenter --net="/var/run/netns/$ns" -- unshare --uts -- /bin/sh -c 'hostname "$0" && exec dockerd "$@"' \
    "berth-$n" "${ENGINE_ARGS[@]}" </dev/null >>"$LOGS/$n.log" 2>&1 8>&- 9>&- &
  disown
}

wait_engine() {
  local i="$1" t
  for ((t = 0; t < TIMEOUT * 5; t++)); do
    engine_answers "$i" && return 0
    # Started but gone: no point waiting.
    if ((t > 25)) && ! engine_pid "$i" >/dev/null; then break; fi
    sleep 0.2
  done
  tail -n 15 "$LOGS/$(node_name "$i").log" >&2 || true
  die "node $i's engine does not answer on $(sock "$i") (log: $LOGS/$(node_name "$i").log)"
}

# SIGTERM, as a failing machine's init would; SIGKILL when it lingers.
stop_engine() {
  local i="$1" pid t
  pid="$(engine_pid "$i")" || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((t = 0; t < 150; t++)); do
    alive "$pid" || return 0
    sleep 0.2
  done
  say "node $i's engine (pid $pid) ignores SIGTERM for 30 s: SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
}

# --- Tear-down (also of a run that crashed) ---------------------------------------------------

set_teardown() {
  local i pid p ns path c found=0 mounts=() rule
  # 1. Engines: killed outright. The set is thrown away, and a graceful stop (containers stopped one by
  #    one, the Swarm left, containerd waited for) takes 5-10 s per engine for nothing. What an engine keeps
  #    on disk is safe: images are written completely before a load returns, and nothing loads now (the
  #    set's lock); containers, their mounts and the Swarm state go below and at the next `up`.
  local -a engines=()
  for path in "$RUN/$S"-n[0-9]/dockerd.pid; do
    [[ -e "$path" ]] || continue
    i="${path%/dockerd.pid}"
    i="${i##*-n}"
    if pid="$(engine_pid "$i")"; then found=1; engines+=("$pid"); kill -KILL "$pid" 2>/dev/null || true; fi
  done
  for pid in "${engines[@]}"; do
    for ((i = 0; i < 50; i++)); do alive "$pid" || break; sleep 0.1; done
  done
  # 2. What a killed engine leaves running: containers (in the set's cgroups), its containerd and
  #    shims (named by exec root or containerd namespace), anything else in a node's netns.
  for c in /sys/fs/cgroup/berth-nodes/"$S"-n[0-9] /sys/fs/cgroup/*/berth-nodes/"$S"-n[0-9]; do
    [[ -d "$c" ]] || continue
    found=1
    while read -r p; do kill -KILL "$p" 2>/dev/null || true; done < <(find "$c" -name cgroup.procs -exec cat {} + 2>/dev/null)
  done
  local -a namespaces=()
  for ns in /var/run/netns/berth-"$S"-n[0-9]; do [[ -e "$ns" ]] && namespaces+=("$ns"); done
  for p in /proc/[0-9]*; do
    p="${p#/proc/}"
    ((p == $$ || p == BASHPID)) && continue
    if cmdline_of "$p" && [[ "$CMDLINE" == *"$RUN/$S-n"[0-9]/* || "$CMDLINE" == *"$RUN/$S-n"[0-9].sock* || "$CMDLINE" == *"-namespace berth-$S-n"[0-9]" "* ]]; then
      kill -KILL "$p" 2>/dev/null || true
      continue
    fi
    for ns in "${namespaces[@]}"; do
      if [[ "/proc/$p/ns/net" -ef "$ns" ]]; then kill -KILL "$p" 2>/dev/null || true; fi
    done
  done
  # Killed processes leave their cgroups only once reaped.
  for c in /sys/fs/cgroup/berth-nodes/"$S"-n[0-9] /sys/fs/cgroup/*/berth-nodes/"$S"-n[0-9]; do
    [[ -d "$c" ]] || continue
    for ((i = 0; i < 50; i++)); do
      [[ -z "$(find "$c" -name cgroup.procs -exec cat {} + 2>/dev/null)" ]] && break
      sleep 0.1
    done
    find "$c" -depth -type d -exec rmdir {} + 2>/dev/null || true
    rmdir "${c%/*}" 2>/dev/null || true # berth-nodes/, once no set uses it
  done
  # 3. Mounts an engine leaves behind: container netns files, overlay filesystems, shm, its own bind mounts.
  while read -r _ _ _ _ path _; do
    [[ "$path" == "$RUN/$S-n"[0-9]/* || "$path" == "$LIB/$S-n"[0-9]/* ]] && mounts+=("$path")
  done </proc/self/mountinfo
  if ((${#mounts[@]})); then
    found=1
    while read -r path; do
      umount "$path" 2>/dev/null || umount -l "$path" 2>/dev/null || true
    done < <(printf '%s\n' "${mounts[@]}" | awk '{ print length($0) " " $0 }' | sort -rn | cut -d' ' -f2-)
  fi
  # 4. Namespaces, links, the bridge, the forwarding rules.
  for ns in /var/run/netns/berth-"$S"-n[0-9]; do
    if [[ -e "$ns" ]]; then found=1; ip netns del "${ns##*/}" 2>/dev/null || true; fi
  done
  for path in /sys/class/net/bnv-"$S"-[0-9] "/sys/class/net/$BR"; do
    if [[ -e "$path" ]]; then found=1; ip link del "${path##*/}" 2>/dev/null || true; fi
  done
  local -a words
  while read -r -a words; do
    [[ "${words[0]}" == -A && ("${words[1]}" == DOCKER-USER || "${words[1]}" == FORWARD) ]] || continue
    [[ " ${words[*]} " == *" -i $BR "* || " ${words[*]} " == *" -o $BR "* ]] || continue
    found=1
    iptables -w -D "${words[@]:1}" 2>/dev/null || true
  done < <(iptables -w -S 2>/dev/null || true)
  # Each `up` makes a new Swarm; the images stay. The engines' network store goes with the Swarm: it
  # would bring back the bridges of the old Swarm's networks, whose subnets a new one's may overlap.
  rm -rf "$RUN/$S"-n[0-9] "$RUN/$S"-n[0-9].sock "$LIB/$S"-n[0-9]/data/swarm "$LIB/$S"-n[0-9]/data/network
  rm -f "$NETFILE"
  return $((1 - found))
}

# --- Verbs -----------------------------------------------------------------------------------

cmd_up() {
  local count="$1" i pid pids=() images=() ids=() token mgr node_id icc
  shift
  [[ "$count" =~ ^[0-9]+$ ]] && ((count >= 1 && count <= MAX_NODES)) || die "count must be 1..$MAX_NODES (got '$count')"
  images=("$@")
  for i in "${!images[@]}"; do
    ids[i]="$(docker image inspect --format '{{.Id}}' "${images[i]}" 2>/dev/null)" || die "image ${images[i]} is not on this machine's engine"
  done

  if set_teardown; then say "removed the leftovers of an earlier set $S"; fi
  # A failed `up` leaves nothing running (the engines' logs stay in $LOGS).
  trap 'status=$?; if ((status)); then say "up failed: removing set $S (logs: $LOGS/$S-n*.log)"; set_teardown || true; fi' EXIT

  # The network: a free 10.213.k.0/24 (chosen under a machine-wide lock: sets come up in parallel).
  exec 8>"$RUN/.net.lock"
  flock 8
  choose_net
  echo "$K" >"$NETFILE"
  ip link add "$BR" type bridge
  ip addr add "10.213.$K.1/24" dev "$BR"
  ip link set "$BR" up
  exec 8>&-
  # Node to node over the bridge passes the host's FORWARD chain (br_netfilter), whose policy is
  # Docker's DROP: let it through, and nothing else in or out of the bridge (no way out of the machine).
  local chain=FORWARD
  iptables -w -n -L DOCKER-USER >/dev/null 2>&1 && chain=DOCKER-USER
  iptables -w -I "$chain" -o "$BR" -j DROP
  iptables -w -I "$chain" -i "$BR" -j REJECT
  iptables -w -I "$chain" -i "$BR" -o "$BR" -j ACCEPT

  for ((i = 1; i <= count; i++)); do
    local ns v
    ns="$(netns "$i")"
    v="$(veth "$i")"
    ip netns add "$ns"
    ip link add "$v" type veth peer name eth0 netns "$ns"
    ip link set "$v" master "$BR" up
    ip -n "$ns" link set lo up
    ip -n "$ns" addr add "$(addr "$i")/24" dev eth0
    ip -n "$ns" link set eth0 up
    ip -n "$ns" route add default via "10.213.$K.1"
    # Nothing the node asks a DNS server off the bridge gets an answer (the host forwards nothing
    # out): refuse it right here, so that the engine's registry lookups (Swarm tries a pull before
    # each task with a tag) fail at once rather than after a timeout each.
    nsenter --net="/var/run/netns/$ns" iptables -w -A OUTPUT -o eth0 ! -d "10.213.$K.0/24" -p udp --dport 53 -j DROP
    nsenter --net="/var/run/netns/$ns" iptables -w -A OUTPUT -o eth0 ! -d "10.213.$K.0/24" -p tcp --dport 53 -j DROP
    mkdir -p "$LIB/$(node_name "$i")"
    if [[ " ${BERTH_NODES_ICC:-} " == *" $i "* ]]; then icc=true; else icc=false; fi
    echo "{\"icc\": $icc}" >"$LIB/$(node_name "$i")/daemon.json"
    start_engine "$i"
  done
  say "network 10.213.$K.0/24 on $BR, $count engines starting"
  for ((i = 1; i <= count; i++)); do wait_engine "$i"; done
  say "engines answer"

  # Per node, in parallel: what an earlier run left in it goes, the images it lacks come in.
  pids=()
  for ((i = 1; i <= count; i++)); do
    (
      set -euo pipefail
      stale="$(dn "$i" ps -aq)"
      # shellcheck disable=SC2086
      [[ -z "$stale" ]] || dn "$i" rm -f $stale >/dev/null
      dn "$i" network prune -f >/dev/null
      dn "$i" volume prune -f >/dev/null
      missing=()
      for j in "${!images[@]}"; do
        [[ "$(dn "$i" image inspect --format '{{.Id}}' "${images[j]}" 2>/dev/null || true)" == "${ids[j]}" ]] || missing+=("${images[j]}")
      done
      if ((${#missing[@]})); then
        say "node $i: loading ${missing[*]}"
        docker save "${missing[@]}" | dn "$i" load -q >/dev/null
        dn "$i" image prune -f >/dev/null
      fi
    ) &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid" || die "preparing a node's engine failed"; done
  say "images in place"

  # The Swarm: node 1 manages, the others join as workers.
  mgr="$(addr 1)"
  dn 1 swarm init --advertise-addr "$mgr" --listen-addr "$mgr:2377" \
    --default-addr-pool "10.$((216 + K % 16)).0.0/16" --default-addr-pool-mask-length 24 \
    --dispatcher-heartbeat "$HEARTBEAT" >/dev/null
  token="$(dn 1 swarm join-token -q worker)"
  pids=()
  for ((i = 2; i <= count; i++)); do
    dn "$i" swarm join --token "$token" --advertise-addr "$(addr "$i")" --listen-addr "$(addr "$i"):2377" "$mgr:2377" >/dev/null &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid" || die "a node could not join the Swarm"; done
  local -a node_ids=()
  for ((i = 1; i <= count; i++)); do
    node_ids[i]="$(dn "$i" info --format '{{.Swarm.NodeID}}')"
    [[ -n "${node_ids[i]}" ]] || die "node $i has no Swarm node id"
    dn 1 node update --label-add berth.apps=true --label-add "berth.node=$(node_name "$i")" "${node_ids[i]}" >/dev/null
  done
  local t ready
  for ((t = 0; t < TIMEOUT * 5; t++)); do
    ready=0
    while read -r node_id state; do
      for ((i = 1; i <= count; i++)); do [[ "$node_id" == "${node_ids[i]}" && "$state" == Ready ]] && ready=$((ready + 1)); done
    done < <(dn 1 node ls --format '{{.ID}} {{.Status}}' 2>/dev/null || true)
    ((ready == count)) && break
    sleep 0.2
  done
  ((ready == count)) || die "only $ready of $count nodes are ready in the Swarm"
  say "Swarm of $count: ready"
  trap - EXIT
  for ((i = 1; i <= count; i++)); do
    printf 'node %d %s unix://%s %s\n' "$i" "$(addr "$i")" "$(sock "$i")" "${node_ids[i]}"
  done
}

cmd_down() {
  if set_teardown; then say "set $S removed"; else say "set $S: nothing to remove"; fi
  if [[ "${1:-}" == --purge ]]; then
    rm -rf "$LIB/$S"-n[0-9]
    say "set $S: engines' data (images) removed"
  fi
}

# Node i, as `up` printed it, then its engine's state and the manager's view of it.
cmd_status() {
  local i n engine id state any=0 mgr_up=0
  recorded_net || { echo "set $S: not up"; return 3; }
  engine_answers 1 && mgr_up=1
  for ((i = 1; i <= MAX_NODES; i++)); do
    [[ -e "/var/run/netns/$(netns "$i")" ]] || continue
    any=1
    n="$(node_name "$i")"
    if engine_pid "$i" >/dev/null; then engine=running; else engine=stopped; fi
    id=-
    state=unknown
    if ((mgr_up)); then
      id="$(dn 1 node ls --filter "node.label=berth.node=$n" --format '{{.ID}}' 2>/dev/null | head -n 1 || true)"
      [[ -n "$id" ]] && state="$(dn 1 node inspect --format '{{.Status.State}}' "$id" 2>/dev/null || echo unknown)" || id=-
    fi
    printf 'node %d %s unix://%s %s engine=%s swarm=%s\n' "$i" "$(addr "$i")" "$(sock "$i")" "$id" "$engine" "$state"
  done
  ((any)) || { echo "set $S: not up"; return 3; }
}

cmd_node() {
  local verb="$1" i="$2" t state pid
  [[ "$i" =~ ^[0-9]+$ ]] && ((i >= 1 && i <= MAX_NODES)) || die "node must be 1..$MAX_NODES"
  recorded_net && [[ -e "/var/run/netns/$(netns "$i")" ]] || die "set $S has no node $i (run up first)"
  if [[ "$verb" == stop ]]; then
    engine_pid "$i" >/dev/null || { say "node $i's engine is not running"; return 0; }
    stop_engine "$i"
    say "node $i's engine stopped"
  elif [[ "$verb" == crash ]]; then
    # As a machine that loses power: nothing is cleaned up, what the engine keeps on disk is as it was.
    pid="$(engine_pid "$i")" || { say "node $i's engine is not running"; return 0; }
    kill -KILL "$pid" 2>/dev/null || true
    for ((t = 0; t < 150; t++)); do alive "$pid" || break; sleep 0.2; done
    say "node $i's engine crashed"
  else
    if engine_pid "$i" >/dev/null; then say "node $i's engine is running"; return 0; fi
    start_engine "$i"
    wait_engine "$i"
    # Back in its Swarm (it may still be connecting to the manager, or be the manager itself).
    for ((t = 0; t < TIMEOUT * 5; t++)); do
      state="$(dn "$i" info --format '{{.Swarm.LocalNodeState}}' 2>/dev/null || true)"
      [[ "$state" == active ]] && break
      sleep 0.2
    done
    say "node $i's engine started (swarm: ${state:-?})"
  fi
}

# --- Main ------------------------------------------------------------------------------------

(($# >= 2)) || usage
verb="$1"
set_names "$2"
shift 2
[[ $EUID -eq 0 ]] || die "run as root (network namespaces, dockerd, iptables)"
for tool in ip nsenter unshare flock iptables dockerd docker; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool not found (Debian packages: iproute2, util-linux, iptables, docker.io)"
done
# Never the machine's engine by accident: every node command names its socket, and nothing here
# reads a context that could point elsewhere.
unset DOCKER_CONTEXT
mkdir -p "$RUN" "$LIB" "$LOGS"
# One verb at a time per set (status only reads).
if [[ "$verb" != status ]]; then
  exec 9>"$RUN/$S.lock"
  flock 9
fi

case "$verb" in
  up) (($# >= 1)) || usage; cmd_up "$@" ;;
  down) cmd_down "$@" ;;
  status) cmd_status ;;
  stop | crash | start) (($# == 1)) || usage; cmd_node "$verb" "$1" ;;
  *) usage ;;
esac

# Shell helpers shared by the setup scripts (sourced, not run).

# wait_for TRIES COMMAND...: runs COMMAND every half second until it succeeds, TRIES times at most.
wait_for() {
  local tries="$1" i
  shift
  for ((i = 0; i < tries; i++)); do
    "$@" && return 0
    sleep 0.5
  done
  return 1
}

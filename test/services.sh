#!/usr/bin/env bash
# Services the integration tests in test/ need: a private buildkitd and a local OCI registry.
#
#   test/services.sh run -- CMD...   start them, export their addresses, run CMD, stop them
#                                    (also on failure and Ctrl-C); exit with CMD's status
#   test/services.sh up              start them and leave them running
#   eval "$(test/services.sh env)"   export their addresses into this shell
#   test/services.sh down            stop them (caches stay; "clean" also removes them)
#
# "run" uses services already brought "up" (and leaves them running) when there are any.
#
# Exports:   BUILDKIT_HOST=unix://<state>/buildkitd/buildkitd.sock
#            DISTILL_TEST_REGISTRY=127.0.0.1:<port>
# Settings:  DISTILL_TEST_STATE          state directory (default <repo>/.test-state)
#            DISTILL_TOOLS               where "make tools" put buildkitd and buildctl
#            DISTILL_TEST_REGISTRY_PORT  registry port (default 5000)
#
# Each service NAME is a set of functions: NAME_check (can it start? runs for all services
# before any starts), NAME_start (spawn it, write its exports to $(envfile NAME)),
# NAME_ready (does it answer?), NAME_cleanup (after it stopped). To add a service, write
# them and list it in SERVICES. Stopping is the same for all: SIGTERM, then SIGKILL.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
: "${DISTILL_TOOLS:=${XDG_CACHE_HOME:-$HOME/.cache}/distill/tools}"
state=${DISTILL_TEST_STATE:-$repo/.test-state}
case $state in /*) ;; *) state=$PWD/$state ;; esac
SERVICES=(buildkitd registry) # started in this order, stopped in reverse
READY_TIMEOUT=30              # seconds
STOP_TIMEOUT=10               # seconds between SIGTERM and SIGKILL

log() { echo "services: $*" >&2; }
die() { log "$*"; exit 1; }

dir() { echo "$state/$1"; }
pidfile() { echo "$state/$1/$1.pid"; }
logfile() { echo "$state/$1/$1.log"; }
envfile() { echo "$state/$1/env"; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# ---- buildkitd: private state and socket under $state, nothing shared with a user's engine

buildkitd_sock() { echo "$(dir buildkitd)/buildkitd.sock"; }

buildkitd_check() {
  [ -x "$DISTILL_TOOLS/bin/buildkitd" ] && [ -x "$DISTILL_TOOLS/bin/buildctl" ] ||
    die "buildkitd/buildctl not found in $DISTILL_TOOLS/bin: run \"make tools\" (or \"make setup\")"
  command -v runc >/dev/null || die "runc not found on PATH: install it (apt-get install runc) or run \"make setup\""
  [ "$(id -u)" = 0 ] || die "the test buildkitd runs rootful: run the integration tests as root"
  local sock; sock=$(buildkitd_sock)
  [ ${#sock} -le 107 ] || die "socket path $sock is too long for a unix socket: set DISTILL_TEST_STATE to a shorter directory"
}

buildkitd_start() {
  local d sock; d=$(dir buildkitd) sock=$(buildkitd_sock)
  chmod 0700 "$d"
  rm -f "$sock"
  spawn buildkitd "$DISTILL_TOOLS/bin/buildkitd" --root "$d/root" --addr "unix://$sock" \
    --oci-worker=true --containerd-worker=false
  printf 'export BUILDKIT_HOST=%q\n' "unix://$sock" >"$(envfile buildkitd)"
}

buildkitd_ready() { "$DISTILL_TOOLS/bin/buildctl" --addr "unix://$(buildkitd_sock)" debug workers >/dev/null 2>&1; }
buildkitd_cleanup() { rm -f "$(buildkitd_sock)"; }

# ---- registry: test/cmd/registry (go-containerregistry, in memory) on 127.0.0.1

registry_port() { echo "${DISTILL_TEST_REGISTRY_PORT:-5000}"; }

registry_check() {
  local port; port=$(registry_port)
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    die "127.0.0.1:$port is already in use (a registry left running? test/services.sh down stops ours): free it or set DISTILL_TEST_REGISTRY_PORT"
  fi
  command -v go >/dev/null || die "go not found on PATH: it builds test/cmd/registry"
}

registry_start() {
  local port bin; port=$(registry_port) bin=$state/bin/registry
  (cd "$repo" && go build -o "$bin" ./test/cmd/registry) || die "building test/cmd/registry failed"
  spawn registry "$bin" -addr "127.0.0.1:$port"
  printf 'export DISTILL_TEST_REGISTRY=%q\n' "127.0.0.1:$port" >"$(envfile registry)"
}

registry_ready() { curl -fsS -o /dev/null "http://$(. "$(envfile registry)" && echo "$DISTILL_TEST_REGISTRY")/v2/" 2>/dev/null; }
registry_cleanup() { :; }

# ---- the same for every service

# spawn NAME CMD...: start CMD in its own session (a Ctrl-C meant for the tests does not
# reach it; the trap stops it in order), output to its log, pid to its pid file.
spawn() {
  local name=$1; shift
  setsid "$@" </dev/null >"$(logfile "$name")" 2>&1 &
  echo $! >"$(pidfile "$name")"
}

# alive PID: the process exists and is not a zombie.
alive() {
  local st
  st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 1
  [ -n "$st" ] && [ "$st" != Z ]
}

# running NAME: its pid file names a live process started from this state directory (a
# stale pid file never makes us signal an unrelated process).
running() {
  local f pid; f=$(pidfile "$1")
  [ -f "$f" ] && pid=$(cat "$f") && [ -n "$pid" ] && alive "$pid" &&
    tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$state/"
}

tail_log() {
  log "last lines of $(logfile "$1"):"
  tail -n 20 "$(logfile "$1")" 2>/dev/null | sed 's/^/    /' >&2 || true
}

wait_ready() {
  local name=$1 start; start=$(now_ms)
  while :; do
    if "${name}_ready"; then
      log "$name ready in $(($(now_ms) - start)) ms (pid $(cat "$(pidfile "$name")"))"
      return 0
    fi
    if ! running "$name"; then
      log "$name exited before it was ready"
      tail_log "$name"
      return 1
    fi
    if [ $(($(now_ms) - start)) -gt $((READY_TIMEOUT * 1000)) ]; then
      log "$name not ready after ${READY_TIMEOUT}s"
      tail_log "$name"
      return 1
    fi
    sleep 0.1
  done
}

stop() {
  local name=$1 pid i
  if running "$name"; then
    pid=$(cat "$(pidfile "$name")")
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < STOP_TIMEOUT * 10; i++)); do alive "$pid" || break; sleep 0.1; done
    if alive "$pid"; then
      log "$name (pid $pid) ignored SIGTERM for ${STOP_TIMEOUT}s: killing it"
      kill -KILL "$pid" 2>/dev/null || true
      for ((i = 0; i < 50; i++)); do alive "$pid" || break; sleep 0.1; done
    fi
    log "$name stopped"
  fi
  rm -f "$(pidfile "$name")" "$(envfile "$name")"
  "${name}_cleanup"
}

# ---- subcommands

cmd_up() {
  local s
  for s in "${SERVICES[@]}"; do running "$s" || "${s}_check"; done
  for s in "${SERVICES[@]}"; do
    if running "$s"; then
      log "$s already running"
      continue
    fi
    mkdir -p "$(dir "$s")"
    "${s}_start"
    wait_ready "$s" || { cmd_down; exit 1; }
  done
}

cmd_down() {
  local i
  for ((i = ${#SERVICES[@]} - 1; i >= 0; i--)); do stop "${SERVICES[i]}"; done
}

cmd_env() {
  local s
  for s in "${SERVICES[@]}"; do
    running "$s" || die "$s is not running: start the services with test/services.sh up"
    cat "$(envfile "$s")"
  done
}

cmd_run() {
  [ "${1:-}" != -- ] || shift
  [ $# -gt 0 ] || usage
  local s up=() rc
  for s in "${SERVICES[@]}"; do running "$s" && up+=("$s"); done
  if [ ${#up[@]} -eq ${#SERVICES[@]} ]; then
    log "using the services already up (test/services.sh down stops them)"
  elif [ ${#up[@]} -gt 0 ]; then
    die "only some services are up (${up[*]}): run test/services.sh down, then try again"
  else
    trap 'rc=$?; cmd_down; exit $rc' EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    cmd_up
  fi
  eval "$(cmd_env)"
  set +e
  "$@"
  rc=$?
  set -e
  exit $rc
}

usage() {
  sed -n '2,/^set -euo/p' "$0" | sed -e '/^set -euo/d' -e 's/^# \{0,1\}//' >&2
  exit 2
}

mkdir -p "$state"
case ${1:-} in
run) shift; cmd_run "$@" ;;
up) cmd_up ;;
down) cmd_down ;;
env) cmd_env ;;
clean) cmd_down; rm -rf "$state" ;;
*) usage ;;
esac

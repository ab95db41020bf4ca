#!/usr/bin/env bash
# Services the integration tests in test/ need: a private buildkitd, a local OCI registry
# and a Dagger engine.
#
#   test/services.sh run -- CMD...   start them, export their addresses, run CMD, stop them
#                                    (also on failure and Ctrl-C); exit with CMD's status
#   test/services.sh up [NAME...]    start them (or only the named ones) and leave them running
#   eval "$(test/services.sh env [NAME...])"   export their addresses into this shell
#   test/services.sh down [NAME...]  stop them (caches stay; "clean" also removes them)
#
# "run" uses services already brought "up" (and leaves them running) when there are any.
#
# Exports:   BUILDKIT_HOST=unix://<state>/buildkitd/buildkitd.sock
#            DISTILL_TEST_REGISTRY=127.0.0.1:<port>
#            _EXPERIMENTAL_DAGGER_RUNNER_HOST=unix://<state>/dagger/engine.sock
#            _EXPERIMENTAL_DAGGER_CLI_BIN, DISTILL_DAGGER_CLI=<the dagger CLI>
#            DO_NOT_TRACK=1 DAGGER_NO_NAG=1
# Settings:  DISTILL_TEST_STATE          state directory (default <cache>/distill/test-state/<checkout id>:
#                                        outside the repository, which is the Dagger module's
#                                        context — an engine must not snapshot its own state)
#            DISTILL_TOOLS               where "make tools" / "make test-tools" put buildkitd, buildctl and dagger
#            DISTILL_TEST_REGISTRY_PORT  registry port (default 5000)
#            DISTILL_DAGGER_NET          the Dagger engine's container network; its bridge
#                                        is <name>0 (default distill)
#            DISTILL_DAGGER_CIDR         that network's range (default 10.89.0.0/16)
#
# Each service NAME is a set of functions: NAME_check (can it start? runs for all services
# before any starts), NAME_start (spawn it, write its exports to $(envfile NAME)),
# NAME_ready (does it answer?), NAME_cleanup (after it stopped). To add a service, write
# them and list it in SERVICES. Stopping is the same for all: SIGTERM, then SIGKILL.
# NAME_ready_timeout and NAME_stop_timeout override READY_TIMEOUT and STOP_TIMEOUT.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
: "${DISTILL_TOOLS:=${XDG_CACHE_HOME:-$HOME/.cache}/distill/tools}"
state=${DISTILL_TEST_STATE:-${XDG_CACHE_HOME:-$HOME/.cache}/distill/test-state/$(printf %s "$repo" | sha256sum | cut -c1-12)}
case $state in /*) ;; *) state=$PWD/$state ;; esac
SERVICES=(buildkitd registry dagger) # started in this order, stopped in reverse
READY_TIMEOUT=30              # seconds
STOP_TIMEOUT=10               # seconds between SIGTERM and SIGKILL

log() { echo "services: $*" >&2; }
die() { log "$*"; exit 1; }

dir() { echo "$state/$1"; }
pidfile() { echo "$state/$1/$1.pid"; }
logfile() { echo "$state/$1/$1.log"; }
envfile() { echo "$state/$1/env"; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
# timeout NAME ready|stop: seconds, NAME_ready_timeout / NAME_stop_timeout when set
timeout_of() { local v=${1}_$2_timeout d=${2^^}_TIMEOUT; echo "${!v:-${!d}}"; }

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

# ---- dagger: a Dagger engine built by tools/dagger.sh, run on the host in its own mount
# namespace (it hard-codes /run, /etc and /usr/local paths; nothing is mounted on the host).
# It changes the host's network namespace: a bridge <net>0, iptables rules, ip_forward and a
# dnsmasq on port 53 (so one engine per host). dagger_cleanup undoes that.

dagger_ready_timeout=60 # the engine answers 2-4 s after it starts; more on a busy host
dagger_stop_timeout=30  # on SIGTERM it removes its network namespaces and per-container rules

dagger_tools() { echo "$DISTILL_TOOLS/dagger"; }
dagger_sock() { echo "$(dir dagger)/engine.sock"; }
dagger_net() { echo "${DISTILL_DAGGER_NET:-distill}"; }
dagger_cidr() { echo "${DISTILL_DAGGER_CIDR:-10.89.0.0/16}"; }

dagger_check() {
  local t c; t=$(dagger_tools)
  if [ -f "$(dir dagger)/host-state" ]; then # its dnsmasq may still hold port 53
    log "dagger: the last engine was not stopped by test/services.sh: cleaning up after it"
    dagger_cleanup
  fi
  [ -x "$t/bin/dagger-engine" ] && [ -s "$t/go-sdk-image.digest" ] ||
    die "the Dagger engine is not in $t: run \"make test-tools\""
  for c in runc dnsmasq iptables unshare ip ss; do
    command -v "$c" >/dev/null || die "$c not found on PATH (the Dagger engine needs it): run \"make setup\""
  done
  for c in bridge loopback firewall host-local; do
    [ -x "/usr/lib/cni/$c" ] || die "/usr/lib/cni/$c not found (the Dagger engine's CNI plugins): run \"make setup\""
  done
  [ "$(id -u)" = 0 ] || die "the Dagger engine runs rootful: run the integration tests as root"
  [ "$(stat -f -c %T "$state")" != overlayfs ] ||
    die "$state is on overlayfs, which cannot hold the Dagger engine's overlay mounts: set DISTILL_TEST_STATE to another file system"
  [ "$(dagger_sock | wc -c)" -le 108 ] || die "socket path $(dagger_sock) is too long for a unix socket: set DISTILL_TEST_STATE to a shorter directory"
  if [ -n "$(ss -Hltun 'sport = :53')" ]; then
    ss -Hltunp 'sport = :53' | sed 's/^/    /' >&2
    die "port 53 is in use: the Dagger engine's dnsmasq listens on it on every address, so there is one engine per host (\"make dagger-engine-stop\" stops the one make dagger-engine started)"
  fi
  if ip link show "$(dagger_net)0" >/dev/null 2>&1; then
    die "a network interface $(dagger_net)0 exists and is not ours: set DISTILL_DAGGER_NET (and DISTILL_DAGGER_CIDR) to another network"
  fi
}

dagger_start() {
  local d t sock p; d=$(dir dagger) t=$(dagger_tools) sock=$(dagger_sock)
  chmod 0700 "$d"
  rm -f "$sock"
  # what the engine changes on the host as it was before, for dagger_cleanup
  {
    echo "host_mntns=$(readlink /proc/self/ns/mnt)"
    echo "ip_forward=$(cat /proc/sys/net/ipv4/ip_forward)"
    iptables -S CNI-FORWARD >/dev/null 2>&1 && echo cni_chains=theirs || echo cni_chains=ours
    [ -d /var/lib/cni ] && echo var_lib_cni=theirs || echo var_lib_cni=ours
    compgen -G "/sys/fs/cgroup/*/buildkit" >/dev/null || [ -d /sys/fs/cgroup/buildkit ] &&
      echo cgroup=theirs || echo cgroup=ours
  } >"$d/host-state"
  mkdir -p /var/lib/cni # mount point of the engine's own IPAM state
  # the engine's /usr/local: what its build hard-codes, and the host's CA bundle, which it
  # installs in every container (TLS-inspecting egress)
  rm -rf "$d/usr-local" "$d/cni"
  mkdir -p "$d/usr-local/bin" "$d/usr-local/share/dagger" "$d/usr-local/share/ca-certificates" "$d/cni"
  ln -s "$(command -v runc)" "$d/usr-local/bin/runc"
  ln -s "$t/bin/dagger-init" "$d/usr-local/bin/dagger-init"
  ln -s "$t/content" "$d/usr-local/share/dagger/content" # the Go SDK image
  p=${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}
  [ ! -f "$p" ] || cp "$p" "$d/usr-local/share/ca-certificates/distill-host-ca-bundle.crt"
  ln -s "$t/cni/dnsname" "$d/cni/"
  for p in bridge loopback firewall host-local; do ln -s "/usr/lib/cni/$p" "$d/cni/"; done
  [ -f "$d/engine.json" ] || echo '{"logLevel":"info"}' >"$d/engine.json" # edit, then down/up
  spawn dagger unshare --mount --propagation private -- "$repo/test/services.sh" _dagger-engine "$d"
  {
    printf 'export _EXPERIMENTAL_DAGGER_RUNNER_HOST=%q\n' "unix://$sock"
    printf 'export _EXPERIMENTAL_DAGGER_CLI_BIN=%q\n' "$t/bin/dagger"
    printf 'export DISTILL_DAGGER_CLI=%q\n' "$t/bin/dagger"
    printf 'export DO_NOT_TRACK=1\nexport DAGGER_NO_NAG=1\n'
  } >"$(envfile dagger)"
}

# the engine's process, spawned by dagger_start in a new mount namespace (unshare and exec
# keep the pid, so stop signals the engine itself): private /run, /etc, /usr/local and
# /var/lib/cni, then the engine.
dagger_engine() {
  local d=$1 t; t=$(dagger_tools)
  [ "$(readlink /proc/self/ns/mnt)" != "$(sed -n 's/^host_mntns=//p' "$d/host-state")" ] || die "_dagger-engine: not in a mount namespace of its own"
  printf 'mntns=%s\nsid=%s\n' "$(readlink /proc/self/ns/mnt)" $$ >>"$d/host-state" # dagger_cleanup finds its processes by them
  cp -L /etc/resolv.conf "$d/resolv.conf" 2>/dev/null || : >"$d/resolv.conf" # may point into /run
  mount -t tmpfs -o mode=755 tmpfs /run
  rm -rf "${d:?}/etc" && mkdir -p "$d/etc/upper" "$d/etc/work"
  mount -t overlay overlay -o "lowerdir=/etc,upperdir=$d/etc/upper,workdir=$d/etc/work" /etc
  rm -f /etc/resolv.conf && cp "$d/resolv.conf" /etc/resolv.conf # the engine mounts over it
  mkdir -p /etc/dagger && cp "$d/engine.json" /etc/dagger/engine.json
  mount -t overlay overlay -o "lowerdir=$d/usr-local:/usr/local" /usr/local
  mount -t tmpfs -o mode=755 tmpfs /var/lib/cni
  DAGGER_GO_SDK_MANIFEST_DIGEST=$(cat "$t/go-sdk-image.digest")
  _DAGGER_ENGINE_SYSTEMENV_GOPROXY=$(go env GOPROXY) # for the Go SDK's containers
  export DAGGER_GO_SDK_MANIFEST_DIGEST _DAGGER_ENGINE_SYSTEMENV_GOPROXY
  exec "$t/bin/dagger-engine" --root "$d/root" --addr "unix://$d/engine.sock" \
    --network-name "$(dagger_net)" --network-cidr "$(dagger_cidr)" --oci-cni-binary-dir "$d/cni"
}

dagger_ready() {
  [ -S "$(dagger_sock)" ] || return 1
  (. "$(envfile dagger)" && timeout 20 "$DISTILL_DAGGER_CLI" query --no-mod <<<'{ version }' >/dev/null 2>&1)
}

# ip_in_cidr IP CIDR
ip_in_cidr() {
  local a b c e ip net bits=${2#*/}
  IFS=. read -r a b c e <<<"$1" && ip=$(((a << 24) | (b << 16) | (c << 8) | e))
  IFS=. read -r a b c e <<<"${2%/*}" && net=$(((a << 24) | (b << 16) | (c << 8) | e))
  [ $(((ip ^ net) >> (32 - bits))) = 0 ]
}

# Leave the host as it was: processes a killed engine leaves (dnsmasq, runc, containers), the
# cgroups of its containers, its bridge and iptables rules, ip_forward and /var/lib/cni.
dagger_cleanup() {
  local d net cidr rule chain ip p sid pids=() exec k v
  d=$(dir dagger) net=$(dagger_net) cidr=$(dagger_cidr) exec=$(dir dagger)/root/worker/executor
  rm -f "$(dagger_sock)"
  [ -f "$d/host-state" ] || return 0 # not started since the last cleanup
  local -A was=()
  while IFS='=' read -r k v; do was[$k]=$v; done <"$d/host-state"
  [ "${was[mntns]:-}" != "$(readlink /proc/self/ns/mnt)" ] || was[mntns]= # never the host's
  # what a killed engine leaves running: processes in its mount namespace or its session
  # (dnsmasq, runc) and containers in cgroup buildkit/<id> of its executor. Its session id
  # is its pid: if that pid is alive again it is someone else's and the session is not ours.
  sid=${was[sid]:-}
  if [ -n "$sid" ] && alive "$sid"; then sid=; fi
  while read -r p; do pids+=("$p"); done < <({ # (processes come and go: errors are expected)
    [ -z "${was[mntns]:-}" ] || find /proc/[0-9]*/ns -maxdepth 1 -name mnt -lname "mnt:?${was[mntns]//[^0-9]/}?" 2>/dev/null | cut -d/ -f3 || :
    [ -z "$sid" ] || ps -eo pid=,sid=,stat= | awk -v s="$sid" '$2 == s && $3 !~ /^Z/ { print $1 }' || :
    grep -H '^[0-9]*:[^:]*:/buildkit/[0-9a-z]*$' /proc/[0-9]*/cgroup 2>/dev/null | while IFS=/ read -r _ _ p _ _ id; do
      [ ! -d "$exec/$id" ] || echo "$p"
    done || :
  } | sort -un)
  if [ ${#pids[@]} -gt 0 ]; then
    log "dagger: killing what the engine left running: ${pids[*]}"
    kill -KILL "${pids[@]}" 2>/dev/null || true
    for p in "${pids[@]}"; do
      for ((k = 0; k < 50; k++)); do alive "$p" || break; sleep 0.1; done
    done
  fi
  for p in "$exec"/*/; do # their cgroups
    p=${p%/} && p=${p##*/} && rmdir /sys/fs/cgroup/*/buildkit/"$p" /sys/fs/cgroup/buildkit/"$p" 2>/dev/null || :
  done
  if [ "${was[cgroup]:-}" = ours ]; then
    for p in /sys/fs/cgroup/*/buildkit /sys/fs/cgroup/buildkit; do [ ! -d "$p" ] || rmdir "$p" 2>/dev/null || true; done
  fi
  # network: the bridge, the bridge plugin's masquerade rules (comment name: "<net>") and
  # chains, the firewall plugin's rules for our range and, if the engine made them, its chains
  if ip link show "${net}0" >/dev/null 2>&1; then ip link del "${net}0" || true; fi
  while read -r rule; do
    [ -n "$rule" ] || continue
    chain=$(sed -n 's/.* -j \(CNI-[0-9a-f]*\).*/\1/p' <<<"$rule")
    eval "iptables -t nat ${rule/#-A/-D}" || true
    if [ -n "$chain" ]; then iptables -t nat -F "$chain" 2>/dev/null && iptables -t nat -X "$chain" 2>/dev/null || true; fi
  done < <(iptables -t nat -S POSTROUTING | grep -F "name: \\\"$net\\\" id:" || true)
  if iptables -S CNI-FORWARD >/dev/null 2>&1; then
    while read -r rule; do
      ip=$(sed -n 's/.* -[sd] \([0-9.]*\)\/32 .*/\1/p' <<<"$rule")
      [ -n "$ip" ] && ip_in_cidr "$ip" "$cidr" || continue
      eval "iptables ${rule/#-A/-D}" || true
    done < <(iptables -S CNI-FORWARD)
    if [ "${was[cni_chains]:-}" = ours ] && [ -z "$(iptables -S CNI-FORWARD | grep -v -e '^-N ' -e ' -j CNI-ADMIN$')" ] &&
      [ -z "$(iptables -S CNI-ADMIN 2>/dev/null | grep -v '^-N ')" ]; then
      while iptables -D FORWARD -m comment --comment "CNI firewall plugin rules" -j CNI-FORWARD 2>/dev/null; do :; done
      iptables -F CNI-FORWARD && iptables -X CNI-FORWARD && { iptables -X CNI-ADMIN 2>/dev/null || true; }
    fi
  fi
  # ip_forward: the bridge plugin turns it on; off again unless another CNI network masquerades
  if [ "${was[ip_forward]:-}" = 0 ] && ! iptables -t nat -S POSTROUTING | grep -q -- '-j CNI-'; then
    echo 0 >/proc/sys/net/ipv4/ip_forward
  fi
  if [ "${was[var_lib_cni]:-}" = ours ]; then rmdir /var/lib/cni 2>/dev/null || true; fi
  rm -f "$d/host-state"
  log "dagger: host network state restored (bridge ${net}0, iptables, ip_forward)"
}

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
  local name=$1 start timeout; start=$(now_ms) timeout=$(timeout_of "$1" ready)
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
    if [ $(($(now_ms) - start)) -gt $((timeout * 1000)) ]; then
      log "$name not ready after ${timeout}s"
      tail_log "$name"
      return 1
    fi
    sleep 0.1
  done
}

stop() {
  local name=$1 pid i timeout; timeout=$(timeout_of "$1" stop)
  if running "$name"; then
    pid=$(cat "$(pidfile "$name")")
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < timeout * 10; i++)); do alive "$pid" || break; sleep 0.1; done
    if alive "$pid"; then
      log "$name (pid $pid) ignored SIGTERM for ${timeout}s: killing it"
      kill -KILL "$pid" 2>/dev/null || true
      for ((i = 0; i < 50; i++)); do alive "$pid" || break; sleep 0.1; done
    fi
    log "$name stopped"
  fi
  rm -f "$(pidfile "$name")" "$(envfile "$name")"
  "${name}_cleanup"
}

# ---- subcommands

# only NAME...: restrict SERVICES to the named ones (in their order); none named: all
only() {
  [ $# -gt 0 ] || return 0
  local s n keep=()
  for n in "$@"; do [[ " ${SERVICES[*]} " == *" $n "* ]] || die "unknown service $n (known: ${SERVICES[*]})"; done
  for s in "${SERVICES[@]}"; do [[ " $* " == *" $s "* ]] && keep+=("$s"); done
  SERVICES=("${keep[@]}")
}

# prune_stale removes the default state directories of checkouts that no longer exist
# (CI's clean clones), unless a process still runs from one: their caches are gigabytes.
prune_stale() {
  [ -z "${DISTILL_TEST_STATE:-}" ] || return 0
  local d owner pidf pid busy
  for d in "$(dirname "$state")"/*/; do
    d=${d%/}
    [ "$d" != "$state" ] && [ -f "$d/checkout" ] || continue
    owner=$(cat "$d/checkout")
    [ ! -d "$owner" ] || continue
    busy=0
    for pidf in "$d"/*/*.pid; do
      [ -f "$pidf" ] && pid=$(cat "$pidf") && [ -n "$pid" ] && alive "$pid" && busy=1
    done
    [ $busy = 0 ] || continue
    log "removing the test state of $owner (gone): $d"
    rm -rf "$d"
  done
}

cmd_up() {
  local s
  mkdir -p "$state"
  printf '%s\n' "$repo" >"$state/checkout"
  prune_stale
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
up) shift; only "$@"; cmd_up ;;
down) shift; only "$@"; cmd_down ;;
env) shift; only "$@"; cmd_env ;;
clean) cmd_down; rm -rf "$state" ;;
_dagger-engine) dagger_engine "$2" ;; # spawned by dagger_start
*) usage ;;
esac

#!/usr/bin/env bash
# The engines users run, for the test bed: besides the machine's own engine (the distribution's
# dockerd) and the second machine of scripts/second-engine.sh, newer engines unpacked from
# Debian's packages, each in a network namespace of its own where it is the only engine:
#
#   docker28  Debian sid's docker.io (Docker 28.x) with sid's containerd and tini
#   docker26  Debian 13 (trixie)'s docker.io (Docker 26.1) with trixie's containerd and tini
#   podman5   Podman 5 (trixie's), its Docker-compatible API from `podman system service`
#
# Packages are fetched with a private apt configuration (its own sources.list, lists and cache
# under the cache folder) by `apt-get download` and unpacked with `dpkg-deb -x`: nothing is
# installed, /etc/apt and the system's packages are left alone. Where a binary needs a newer C
# library than this machine's, the loader and libraries of its own release are unpacked beside
# it and the binary is pointed at them (patchelf), so that it still runs as itself
# (/proc/self/exe, re-exec) and needs no chroot.
#
# Each engine lives in the network namespace sc-<id> (its veth pair and a /30 to this host, so
# its tcp:// socket can be reached from here), with its unix socket at /run/stackcheck-<id>/,
# its data under /var/lib/stackcheck-<id>. Ports an engine publishes are bound in its
# namespace: a client that probes them runs there too (`ip netns exec sc-<id> ...`).
#
#   engines.sh start [ENGINE...]  fetch, unpack and start those engines (default: all), load the
#                                 fixture images into each, then print `env`; idempotent
#   engines.sh env                lines per engine that answers: STACKCHECK_ENGINE_<NAME>=<url>,
#                                 STACKCHECK_ENGINE_<NAME>_NETNS=<namespace> and _ADDRESS=<its
#                                 address>; the machine's own engine is DOCKER20 (no namespace),
#                                 the second machine's Podman PODMAN4
#   engines.sh compose            fetch compose v2 (sid's docker-compose) and print its path
#   engines.sh fetch [ENGINE...]  fetch and unpack only
#   engines.sh stop [--purge] [ENGINE...]
#                                 stop those engines (default: all), remove their namespaces,
#                                 routes, mounts and run folders (--purge: their data folders
#                                 too; the download cache is kept)
#
# Needs root. STACKCHECK_ENGINE_CACHE overrides the cache folder
# (default ~/.cache/stackcheck/engines).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${STACKCHECK_ENGINE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/stackcheck/engines}
MIRROR=${STACKCHECK_DEBIAN_MIRROR:-http://deb.debian.org/debian}
ALL_ENGINES=(docker28 docker26 podman5)

log() { printf 'engines: %s\n' "$*" >&2; }
die() {
  log "$*"
  exit 1
}

# ---------------------------------------------------------------------------------------------
# What each engine is: its release, its packages, its namespace and addresses.
# Each engine has a /30 of its own to this host (10.240-247.0.x) and pools for its networks
# that no other engine here uses (the machine's: 172.17-31.x; second-engine.sh: 10.231-235.x).

engine_suite() {
  case $1 in
    docker28) echo sid ;;
    docker26 | podman5) echo trixie ;;
    *) return 1 ;;
  esac
}
engine_packages() {
  case $1 in
    # docker-init is tini-static (package tini); runc from the same release as containerd.
    # docker-init is tini-static; runc needs the release's C library and libseccomp (see
    # relink_root).
    docker28) echo docker.io docker-cli containerd runc tini-static libc6 libseccomp2 ;;
    # trixie's docker.io has no docker-cli of its own yet, and its tini holds tini-static.
    docker26) echo docker.io containerd runc tini libc6 libseccomp2 ;;
    # Podman's runtime (runc, see podman_conf), its monitor (conmon), networking (netavark, aardvark-dns), its
    # init for `init: true` (catatonit), its default configuration (containers-common), and
    # the libraries of the release that this machine's are too old for.
    podman5)
      echo podman conmon runc netavark aardvark-dns catatonit golang-github-containers-common \
        golang-github-containers-image libc6 libgpgme11t64 libassuan9 libgpg-error0 libseccomp2 \
        libsqlite3-0 libsubid5 libglib2.0-0t64
      ;;
  esac
}
engine_id() {
  case $1 in
    docker28) echo d28 ;;
    docker26) echo d26 ;;
    podman5) echo p5 ;;
  esac
}
# The second octet of the engine's addresses: 10.N.0.0/30 to the host, 10.N+1.0.0/16 pool.
engine_octet() {
  case $1 in
    docker28) echo 240 ;;
    docker26) echo 242 ;;
    podman5) echo 244 ;;
  esac
}
env_name() {
  case $1 in
    docker28) echo DOCKER28 ;;
    docker26) echo DOCKER26 ;;
    podman5) echo PODMAN5 ;;
  esac
}

ns_of() { echo "sc-$(engine_id "$1")"; }
run_of() { echo "/run/stackcheck-$(engine_id "$1")"; }
lib_of() { echo "/var/lib/stackcheck-$(engine_id "$1")"; }
sock_of() {
  case $1 in
    podman5) echo "$(run_of "$1")/podman.sock" ;;
    *) echo "$(run_of "$1")/docker.sock" ;;
  esac
}
addr_of() { echo "10.$(engine_octet "$1").0.2"; }

# ---------------------------------------------------------------------------------------------
# Fetching: a private apt per release.

apt_dir() { echo "$CACHE/$1/apt"; }
# apt-get with only this release's sources, its own lists and cache, and no view of the
# system's installed packages (so a candidate is the release's version, whatever is installed).
apt_private() {
  local tool=$1 suite=$2 dir
  shift 2
  dir=$(apt_dir "$suite")
  "$tool" -q -o "Dir::Etc::SourceList=$dir/sources.list" -o Dir::Etc::SourceParts=/dev/null \
    -o "Dir::State::Lists=$dir/lists" -o "Dir::Cache=$dir/cache" -o "Dir::State::status=$dir/status" \
    -o Debug::NoLocking=1 -o APT::Sandbox::User=root "$@"
}

apt_update() {
  local suite=$1 dir
  dir=$(apt_dir "$suite")
  mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial"
  echo "deb $MIRROR $suite main" >"$dir/sources.list"
  : >>"$dir/status"
  # Lists younger than a day are good enough: the test bed wants a current engine, not the newest hour's.
  if [ -n "$(find "$dir/lists" -maxdepth 1 -name '*_Packages*' -mmin -1440 2>/dev/null | head -n1)" ]; then
    return 0
  fi
  log "apt-get update for Debian $suite (private lists in $dir)"
  apt_private apt-get "$suite" update >"$dir/update.log" 2>&1 || {
    tail -n 5 "$dir/update.log" >&2
    die "apt-get update for Debian $suite failed (log: $dir/update.log)"
  }
}

# Downloads the packages named (and no dependency: each engine names what it needs) into the
# release's debs folder and unpacks each into its root, once per package version.
fetch_packages() {
  local suite=$1 debs root
  shift
  debs=$CACHE/$suite/debs
  root=$CACHE/$suite/root
  mkdir -p "$debs" "$root"
  apt_update "$suite"
  # The release's current version of each, in one apt-cache call (each call reads the lists).
  local missing=() known=" " p v
  while read -r p v; do
    known+="$p "
    # Debian file names encode the epoch's colon as %3a.
    ls "$debs/${p}_${v/:/%3a}_"*.deb >/dev/null 2>&1 || missing+=("$p")
  done < <(apt_private apt-cache "$suite" show --no-all-versions "$@" 2>/dev/null |
    awk '/^Package: /{p=$2} /^Version: /{print p, $2}')
  for p in "$@"; do
    [[ $known == *" $p "* ]] || die "Debian $suite has no package $p"
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    log "downloading ${missing[*]} from Debian $suite"
    (cd "$debs" && apt_private apt-get "$suite" download "${missing[@]}" >"$debs/download.log" 2>&1) || {
      tail -n 5 "$debs/download.log" >&2
      die "apt-get download from Debian $suite failed (log: $debs/download.log)"
    }
  fi
  for deb in "$debs"/*.deb; do
    [ -f "$root/.unpacked/$(basename "$deb")" ] && continue
    dpkg-deb -x "$deb" "$root"
    mkdir -p "$root/.unpacked"
    : >"$root/.unpacked/$(basename "$deb")"
  done
}

# patchelf: this machine's (installed, or its own release's package unpacked with the system's
# apt configuration, nothing installed); failing that, the engine's release's, run through that
# release's loader (patchelf does not re-execute itself, so the loader may start it).
run_patchelf() {
  local suite=$1 root ld dir
  shift
  if command -v patchelf >/dev/null 2>&1; then
    patchelf "$@"
    return
  fi
  dir=$CACHE/host
  if [ ! -x "$dir/root/usr/bin/patchelf" ]; then
    mkdir -p "$dir/debs" "$dir/root"
    if (cd "$dir/debs" && apt-get -q download patchelf >"$dir/debs/download.log" 2>&1); then
      dpkg-deb -x "$dir"/debs/patchelf_*.deb "$dir/root"
    fi
  fi
  if [ -x "$dir/root/usr/bin/patchelf" ]; then
    "$dir/root/usr/bin/patchelf" "$@"
    return
  fi
  root=$CACHE/$suite/root
  ld=$root/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2
  [ -x "$root/usr/bin/patchelf" ] || fetch_packages "$suite" patchelf libstdc++6 libgcc-s1
  "$ld" --library-path "$root/usr/lib/x86_64-linux-gnu" "$root/usr/bin/patchelf" "$@"
}

# A binary of a newer release may need a newer C library than this machine's. Such a binary is
# pointed at its own release's loader, with an RPATH (which, unlike RUNPATH, also serves the
# libraries it loads) to the release's libraries; libraries the release's root lacks still come
# from this machine's. The binary stays itself: runc and Podman re-execute /proc/self/exe.
relink_root() {
  local suite=$1 root ld libs f out
  root=$CACHE/$suite/root
  ld=$root/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2
  [ -e "$ld" ] || return 0
  libs=$root/usr/lib/x86_64-linux-gnu:$root/lib/x86_64-linux-gnu
  while IFS= read -r f; do
    # Only ELF files (ldd says which are dynamically linked executables), and not patchelf,
    # which runs through the loader. Output is read whole: a `grep -q` on a pipe under
    # pipefail would turn ldd's SIGPIPE into "nothing to do".
    [ "$(head -c 4 "$f" 2>/dev/null | tail -c 3)" = ELF ] || continue
    [ "$(readlink -f "$f")" = "$(readlink -f "$ld")" ] && continue
    [ "$(basename "$f")" != patchelf ] || continue
    out=$(ldd "$f" 2>&1 || true)
    if grep -e 'not found' -e 'version .GLIBC' >/dev/null <<<"$out"; then
      # Two calls, the RPATH first: patchelf 0.18 (trixie's) doing both at once, or the
      # interpreter first, leaves Podman's Go binary crashing at start.
      run_patchelf "$suite" --force-rpath --set-rpath "$libs" "$f"
      run_patchelf "$suite" --set-interpreter "$ld" "$f"
    fi
  done < <(find "$root/usr/bin" "$root/usr/sbin" "$root/usr/libexec" "$root/usr/lib/podman" -type f 2>/dev/null)
}

fetch_engine() {
  local engine=$1 suite stamp
  suite=$(engine_suite "$engine")
  stamp=$CACHE/$suite/fetched-$engine
  # Fetched since the lists were last read: nothing can have changed.
  if [ -f "$stamp" ] && [ -z "$(find "$(apt_dir "$suite")/lists" -maxdepth 1 -newer "$stamp" -name '*_Packages*')" ] &&
    [ -n "$(find "$(apt_dir "$suite")/lists" -maxdepth 1 -name '*_Packages*' -mmin -1440)" ]; then
    return 0
  fi
  fetch_packages "$suite" $(engine_packages "$engine")
  relink_root "$suite"
  : >"$stamp"
}

compose_path() {
  fetch_packages sid docker-compose
  echo "$CACHE/sid/root/usr/libexec/docker/cli-plugins/docker-compose"
}

# ---------------------------------------------------------------------------------------------
# Namespaces and engines.

need_root() {
  [ "$(id -u)" -eq 0 ] || die "needs root (network namespaces, engines); run it with sudo"
}
alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
# Short poll for a condition, up to $1 tenths of a second.
wait_for() {
  local tenths=$1
  shift
  for _ in $(seq 1 "$tenths"); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  return 1
}
# nsenter joins only the network namespace and execs (no fork), so $! is the daemon itself;
# `ip netns exec` would also remount /sys and hide the cgroup mounts from the daemon.
in_ns() {
  local ns=$1
  shift
  nsenter "--net=/var/run/netns/$ns" "$@"
}
answers() { curl -sf --max-time 5 --unix-socket "$(sock_of "$1")" http://d/_ping >/dev/null; }

start_netns() {
  local engine=$1 ns id octet
  ns=$(ns_of "$engine")
  id=$(engine_id "$engine")
  octet=$(engine_octet "$engine")
  if [ -e "/var/run/netns/$ns" ] && ip link show "sc-$id-host" >/dev/null 2>&1; then return 0; fi
  stop_netns "$engine"
  ip netns add "$ns"
  ip link add "sc-$id-host" type veth peer name "sc-$id-ns"
  ip link set "sc-$id-ns" netns "$ns"
  ip addr add "10.$octet.0.1/30" dev "sc-$id-host"
  ip link set "sc-$id-host" up
  ip -n "$ns" addr add "10.$octet.0.2/30" dev "sc-$id-ns"
  ip -n "$ns" link set "sc-$id-ns" up
  ip -n "$ns" link set lo up
}

stop_netns() {
  local engine=$1
  ip link del "sc-$(engine_id "$engine")-host" 2>/dev/null || true
  [ ! -e "/var/run/netns/$(ns_of "$engine")" ] || ip netns del "$(ns_of "$engine")"
}

# The second machine of scripts/second-engine.sh (10.231.0.2), reachable from the engine's
# namespace and back, through this host: tests of two machines and of the transports (tcp,
# ssh, TLS, Podman 4) then run with this engine as the runner's. Only that machine's /30 is
# routed; the host forwards between the two veths alone (the machine's engine drops forwarded
# packets by default: DOCKER-USER is the chain Docker leaves to its users).
N2_NS=stackcheck-n2
N2_HOST_IF=sc-n2-host
N2_NET=10.231.0.0/30
forward_rule() {
  local op=$1 from=$2 to=$3 chain=DOCKER-USER
  iptables -nL "$chain" >/dev/null 2>&1 || chain=FORWARD
  case $op in
    add) iptables -C "$chain" -i "$from" -o "$to" -j ACCEPT 2>/dev/null ||
      iptables -I "$chain" -i "$from" -o "$to" -j ACCEPT ;;
    del) while iptables -D "$chain" -i "$from" -o "$to" -j ACCEPT 2>/dev/null; do :; done ;;
  esac
}
link_node2() {
  local engine=$1 ns id octet
  ns=$(ns_of "$engine")
  id=$(engine_id "$engine")
  octet=$(engine_octet "$engine")
  [ -e "/var/run/netns/$N2_NS" ] && ip link show "$N2_HOST_IF" >/dev/null 2>&1 || return 0
  ip -n "$ns" route replace "$N2_NET" via "10.$octet.0.1"
  ip -n "$N2_NS" route replace "10.$octet.0.0/30" via "${N2_NET%.0/30}.1"
  forward_rule add "sc-$id-host" "$N2_HOST_IF"
  forward_rule add "$N2_HOST_IF" "sc-$id-host"
}
unlink_node2() {
  local engine=$1 id octet
  id=$(engine_id "$engine")
  octet=$(engine_octet "$engine")
  forward_rule del "sc-$id-host" "$N2_HOST_IF"
  forward_rule del "$N2_HOST_IF" "sc-$id-host"
  [ ! -e "/var/run/netns/$N2_NS" ] || ip -n "$N2_NS" route del "10.$octet.0.0/30" 2>/dev/null || true
}

# A dockerd of the engine's release with its own containerd (started by dockerd, found on
# PATH), runc, docker-proxy and docker-init, all from the release's root.
start_docker() {
  local engine=$1 root run lib sock addr octet
  root=$CACHE/$(engine_suite "$engine")/root
  run=$(run_of "$engine")
  lib=$(lib_of "$engine")
  sock=$(sock_of "$engine")
  addr=$(addr_of "$engine")
  octet=$(engine_octet "$engine")
  if alive "$run/docker.pid" && answers "$engine"; then return 0; fi
  stop_pid "$run/docker.pid"
  mkdir -p "$run/exec" "$lib/docker"
  # Its own configuration: /etc/docker/daemon.json belongs to the machine's engine.
  cat >"$run/daemon.json" <<JSON
{
  "userland-proxy-path": "$root/usr/sbin/docker-proxy",
  "init-path": "$root/usr/bin/docker-init"
}
JSON
  # --tls=false says plain tcp is meant (dockerd would otherwise wait to warn, or refuse).
  PATH="$root/usr/sbin:$root/usr/bin:$PATH" in_ns "$(ns_of "$engine")" setsid \
    "$root/usr/sbin/dockerd" --config-file "$run/daemon.json" \
    --data-root "$lib/docker" --exec-root "$run/exec" --pidfile "$run/docker.pid" \
    --tls=false -H "unix://$sock" -H "tcp://$addr:2375" \
    --bip "10.$octet.1.1/24" --default-address-pool "base=10.$((octet + 1)).0.0/16,size=24" \
    >"$run/dockerd.log" 2>&1 </dev/null &
  if ! wait_for 600 answers "$engine"; then
    tail -n 20 "$run/dockerd.log" >&2 || true
    die "$engine's dockerd did not answer within 60 s (log: $run/dockerd.log)"
  fi
}

# Podman's configuration, all private: containers.conf (binaries from the release's root,
# cgroupfs and an events file as there is no systemd, file locks and a tmp_dir of its own so
# that it shares nothing with the machine's Podman), storage.conf and registries.conf.
podman_conf() {
  local engine=$1 root run lib octet nofile nproc
  root=$CACHE/$(engine_suite "$engine")/root
  run=$(run_of "$engine")
  lib=$(lib_of "$engine")
  octet=$(engine_octet "$engine")
  # Podman gives containers open-files and process limits above this machine's hard limits,
  # which a root without CAP_SYS_RESOURCE (a CI container) may not raise to.
  nofile=$(ulimit -Hn)
  nproc=$(ulimit -Hu)
  [ "$nproc" != unlimited ] && [ "$nproc" -le 32768 ] || nproc=32768
  cat >"$run/containers.conf" <<EOF2
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]
init_path = "$root/usr/bin/catatonit"
seccomp_profile = "$root/usr/share/containers/seccomp.json"

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$run/events.log"
conmon_path = ["$root/usr/bin/conmon"]
helper_binaries_dir = ["$root/usr/lib/podman", "$root/usr/libexec/podman"]
lock_type = "file"
runtime = "runc"
static_dir = "$lib/storage/libpod"
tmp_dir = "$run/libpod"
volume_path = "$lib/storage/volumes"

# runc, not crun: crun refuses this machine's hybrid cgroup layout (v1 controllers and a v2
# hierarchy), which runc accepts.
[engine.runtimes]
runc = ["$root/usr/sbin/runc"]

[network]
network_backend = "netavark"
firewall_driver = "iptables"
network_config_dir = "$lib/networks"
default_subnet = "10.$octet.1.0/24"
default_subnet_pools = [{ base = "10.$((octet + 1)).0.0/16", size = 24 }]
EOF2
  cat >"$run/storage.conf" <<EOF2
[storage]
driver = "overlay"
graphroot = "$lib/storage"
runroot = "$run/storage"
EOF2
  # No registry is reached from the test bed: short names resolve to what is loaded.
  cat >"$run/registries.conf" <<EOF2
unqualified-search-registries = []
short-name-mode = "permissive"
EOF2
  # The release's signature policy (accept what is loaded), found in the config home as a
  # user's own policy.json is, rather than in /etc/containers.
  mkdir -p "$run/config/containers"
  cp "$root/etc/containers/policy.json" "$run/config/containers/policy.json"
}

# The command line of the release's podman with the private configuration, in the engine's
# namespace, into PODMAN: env and nsenter each exec the next, so that a process started from it
# in the background is podman itself ($! is the pid that stop_pid must signal).
podman_argv() {
  local engine=$1 root run
  root=$CACHE/$(engine_suite "$engine")/root
  run=$(run_of "$engine")
  PODMAN=(env CONTAINERS_CONF="$run/containers.conf" CONTAINERS_STORAGE_CONF="$run/storage.conf"
    CONTAINERS_REGISTRIES_CONF="$run/registries.conf" PATH="$root/usr/bin:$root/usr/sbin:$PATH"
    XDG_CONFIG_HOME="$run/config" nsenter "--net=/var/run/netns/$(ns_of "$engine")" "$root/usr/bin/podman")
}

podman_in() {
  podman_argv "$1"
  shift
  "${PODMAN[@]}" "$@"
}

start_podman() {
  local engine=$1 run lib sock
  run=$(run_of "$engine")
  lib=$(lib_of "$engine")
  sock=$(sock_of "$engine")
  if alive "$run/podman.pid" && answers "$engine"; then return 0; fi
  stop_pid "$run/podman.pid"
  mkdir -p "$lib/storage" "$lib/networks" "$run/storage" "$run/libpod"
  podman_conf "$engine"
  rm -f "$sock"
  # conmon leaves an empty `oom` marker in its working directory when a container is OOM-killed:
  # the service's own folder, not the caller's checkout.
  pushd "$run" >/dev/null
  podman_argv "$engine"
  "${PODMAN[@]}" system service --time=0 "unix://$sock" >"$run/podman.log" 2>&1 </dev/null &
  echo $! >"$run/podman.pid"
  popd >/dev/null
  if ! wait_for 300 answers "$engine"; then
    tail -n 20 "$run/podman.log" >&2 || true
    die "$engine's podman system service did not answer within 30 s (log: $run/podman.log)"
  fi
}

stop_podman() {
  local engine=$1 run lib
  run=$(run_of "$engine")
  lib=$(lib_of "$engine")
  # Podman's containers outlive its API service (each has its own conmon): removed first.
  [ ! -f "$run/containers.conf" ] || podman_in "$engine" rm -af -t 0 >/dev/null 2>&1 || true
  stop_pid "$run/podman.pid"
  # Each exec through the API leaves a pair of conmons waiting out engine.exit_command_delay
  # (5 min) after the exec ends (podman#20415): a run's probes and exec checks left 136 here.
  # Those of this engine's storage go with it.
  local conmons="^[^ ]*/conmon .* -b $lib/"
  pkill -f "$conmons" 2>/dev/null || true
  wait_for 50 sh -c "! pgrep -f '$conmons'" || pkill -KILL -f "$conmons" 2>/dev/null || true
}

# The fixture images (scripts/build-fixture-images.sh builds them on the machine's engine):
# those the engine lacks, or holds under another id, are copied with save | load.
load_images() {
  local engine=$1 url want=() ref id
  url=unix://$(sock_of "$engine")
  while read -r ref id; do
    [ "$(docker -H "$url" image inspect -f '{{.Id}}' "$ref" 2>/dev/null || true)" = "$id" ] || want+=("$ref")
  done < <(docker images --format '{{.Repository}}:{{.Tag}} {{.ID}}' --no-trunc 'stackcheck-fixture/*')
  [ "${#want[@]}" -gt 0 ] || return 0
  log "loading ${want[*]} into $engine"
  docker save "${want[@]}" | docker -H "$url" load -q >/dev/null
}

# Sends TERM to the process in a pid file and waits for it to go (then KILL).
stop_pid() {
  local file=$1 pid
  [ -f "$file" ] || return 0
  pid=$(cat "$file")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    wait_for 300 sh -c "! kill -0 $pid" || kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$file"
}

unmount_under() {
  awk -v a="$1/" -v b="$2/" 'index($2, a) == 1 || index($2, b) == 1 { print $2 }' /proc/mounts |
    sort -r | xargs -r -n1 umount -l
}

stop_engine() {
  local engine=$1 purge=${2:-} run lib sock
  engine_suite "$engine" >/dev/null || die "no engine $engine (engines: ${ALL_ENGINES[*]})"
  run=$(run_of "$engine")
  lib=$(lib_of "$engine")
  sock=$(sock_of "$engine")
  case $engine in
    podman5) stop_podman "$engine" ;;
    *)
      # What a crashed test left running: killed now, not given its stop timeout at shutdown.
      if [ -S "$sock" ]; then
        docker -H "unix://$sock" ps -q 2>/dev/null | xargs -r docker -H "unix://$sock" kill >/dev/null 2>&1 || true
      fi
      stop_pid "$run/docker.pid"
      ;;
  esac
  unlink_node2 "$engine"
  stop_netns "$engine"
  unmount_under "$run" "$lib"
  rm -rf "$run"
  [ "$purge" != --purge ] || rm -rf "$lib"
}

start_engine() {
  local engine=$1
  engine_suite "$engine" >/dev/null || die "no engine $engine (engines: ${ALL_ENGINES[*]})"
  fetch_engine "$engine"
  mkdir -p "$(run_of "$engine")"
  start_netns "$engine"
  case $engine in
    podman5) start_podman "$engine" ;;
    *) start_docker "$engine" ;;
  esac
  link_node2 "$engine"
  load_images "$engine"
}

print_env() {
  if curl -sf --max-time 5 --unix-socket /var/run/docker.sock http://d/_ping >/dev/null 2>&1; then
    echo "STACKCHECK_ENGINE_DOCKER20=unix:///var/run/docker.sock"
  fi
  local podman4
  podman4=$(bash "$ROOT/scripts/second-engine.sh" env 2>/dev/null | sed -n 's/^STACKCHECK_NODE2_PODMAN=//p')
  if [ -n "$podman4" ]; then
    echo "STACKCHECK_ENGINE_PODMAN4=$podman4"
    echo "STACKCHECK_ENGINE_PODMAN4_NETNS=stackcheck-n2"
  fi
  local e
  for e in "${ALL_ENGINES[@]}"; do
    answers "$e" 2>/dev/null || continue
    echo "STACKCHECK_ENGINE_$(env_name "$e")=unix://$(sock_of "$e")"
    echo "STACKCHECK_ENGINE_$(env_name "$e")_NETNS=$(ns_of "$e")"
    # The namespace's address: where its published ports are reached from the second machine.
    echo "STACKCHECK_ENGINE_$(env_name "$e")_ADDRESS=$(addr_of "$e")"
  done
}

main() {
  local cmd=${1:-}
  [ $# -eq 0 ] || shift
  case $cmd in
    start)
      need_root
      for e in "${@:-${ALL_ENGINES[@]}}"; do start_engine "$e"; done
      print_env
      ;;
    fetch)
      for e in "${@:-${ALL_ENGINES[@]}}"; do fetch_engine "$e"; done
      ;;
    compose) compose_path ;;
    env) print_env ;;
    stop)
      need_root
      local purge=
      [ "${1:-}" != --purge ] || {
        purge=--purge
        shift
      }
      for e in "${@:-${ALL_ENGINES[@]}}"; do stop_engine "$e" "$purge"; done
      ;;
    *)
      echo "usage: $0 start [ENGINE...]|env|compose|fetch [ENGINE...]|stop [--purge] [ENGINE...]" >&2
      echo "engines: ${ALL_ENGINES[*]}" >&2
      exit 2
      ;;
  esac
}

main "$@"

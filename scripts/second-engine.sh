#!/usr/bin/env bash
# The test bed's second machine: a network namespace joined to this host by a veth pair, with
#   - a second dockerd reached over tcp:// at the namespace's own address,
#   - a third dockerd at the same address that speaks only TLS and requires a client certificate
#     (--tlsverify), with a CA, server and client certificates made here by openssl,
#   - an sshd (own config, key, port and pid file) whose sessions reach that dockerd, for ssh://,
#   - Podman's Docker-compatible API service, where the distribution packages Podman.
# Everything lives under /run/stackcheck-n2 (sockets, pids, keys, certificates, configs) and
# /var/lib/stackcheck-n2 (image stores, kept between runs so loaded images stay loaded).
# Only the namespace's address is ever listened on or targeted; the namespace has no route out.
#
#   second-engine.sh start   start what is not running (idempotent), then print `env`
#   second-engine.sh env     print shell lines describing the test bed (what is absent, and why)
#   second-engine.sh stop    stop everything it started and remove the namespace and veth
#                            (--purge also removes /var/lib/stackcheck-n2 and the ssh account)
# Needs root. On Debian/Ubuntu, start installs openssh-server, podman, catatonit, curl and openssl when
# they are missing; a transport whose package is not to be had is reported absent, with why.
set -euo pipefail

NS=stackcheck-n2
RUN=/run/stackcheck-n2
LIB=/var/lib/stackcheck-n2
HOST_IF=sc-n2-host
NS_IF=sc-n2-ns
# A /30 of its own, and engine networks in 10.231-233.x: outside the default engine's pools
# (172.17-31.x, 192.168.x), so no route in either namespace is ambiguous.
PEER_ADDR=10.231.0.1
ADDR=10.231.0.2
DOCKER_BIP=10.231.1.1/24
DOCKER_POOL=10.232.0.0/16
PODMAN_POOL=10.233.0.0/16
PODMAN_SUBNET=10.233.0.0/24
DOCKER_SOCK=$RUN/docker.sock
# The TLS engine: no iptables rules of its own (those of the engine above own this namespace's
# tables), networks from a pool of its own; containers reach each other on their networks, and
# published ports through docker-proxy. Its default bridge is one of its own, made here: a
# dockerd told `--bridge none` deletes docker0 at start, the other engine's bridge in this
# namespace, and every container on that engine's default network then fails to start.
TLS_PORT=2376
TLS_BRIDGE=sc-tls0
TLS_BRIDGE_ADDR=10.235.0.1/24
TLS_SOCK=$RUN/docker-tls.sock
TLS_DIR=$RUN/tls
TLS_POOL=10.234.0.0/16
PODMAN_SOCK=$RUN/podman.sock
SSH_PORT=22
SSH_KEY=$RUN/ssh/id_ed25519
# A second client key, with a passphrase (a test bed's, no secret): keys like it are opened
# with a passphrase from the environment or through an agent.
SSH_KEY_LOCKED=$RUN/ssh/id_ed25519_locked
SSH_KEY_PASSPHRASE=stackcheck-n2-unlock
# The ssh:// user: a system account of its own with /bin/sh, so that no one's login files run
# on each connection (bash sources ~/.bashrc for every ssh command; root's can take seconds).
# Its group owns the second dockerd's socket.
SSH_USER=stackcheck-n2
STATE=$RUN/state

log() { printf 'second-engine: %s\n' "$*" >&2; }
# nsenter joins only the network namespace and execs (no fork): $! is the daemon itself.
IN_NS=(nsenter "--net=/var/run/netns/$NS")
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
docker_answers() { docker -H "unix://$DOCKER_SOCK" version --format '{{.Server.Version}}'; }
tls_answers() { docker -H "unix://$TLS_SOCK" version --format '{{.Server.Version}}'; }
podman_answers() { curl -sf --unix-socket "$PODMAN_SOCK" http://d/_ping; }
ssh_answers() {
  ssh -i "$SSH_KEY" -p "$SSH_PORT" -o BatchMode=yes -o StrictHostKeyChecking=no \
    -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o ConnectTimeout=2 \
    "$SSH_USER@$ADDR" docker version --format '{{.Server.Version}}'
}
# Records why a transport is absent (read by `env`); an empty file means it runs.
# Without single quotes, so that `env` can print it quoted for eval.
note() { printf '%s' "${2:-}" | tr -d "'" >"$STATE/$1"; }

need_root() {
  if [ "$(id -u)" -ne 0 ]; then
    log "needs root (network namespaces, a second dockerd); run it with sudo"
    exit 2
  fi
}

install_missing() {
  local pkgs=()
  command -v sshd >/dev/null 2>&1 || [ -x /usr/sbin/sshd ] || pkgs+=(openssh-server)
  command -v podman >/dev/null 2>&1 || pkgs+=(podman)
  # Podman's init process for `init: true` (a recommendation, not a dependency, of podman).
  [ -x /usr/libexec/podman/catatonit ] || pkgs+=(catatonit)
  command -v curl >/dev/null 2>&1 || pkgs+=(curl)
  command -v openssl >/dev/null 2>&1 || pkgs+=(openssl)
  [ "${#pkgs[@]}" -gt 0 ] || return 0
  if ! command -v apt-get >/dev/null 2>&1; then
    log "not Debian/Ubuntu: cannot install ${pkgs[*]}; the transports that need them are reported absent"
    return 0
  fi
  # Each package is optional: one the distribution lacks leaves its transport absent, not the bed.
  local available=()
  for p in "${pkgs[@]}"; do
    # Not `grep -q`: its early exit would give apt-cache SIGPIPE, which pipefail turns into 'absent'.
    if apt-cache policy "$p" 2>/dev/null | grep 'Candidate: [^(]' >/dev/null; then available+=("$p"); fi
  done
  [ "${#available[@]}" -gt 0 ] || return 0
  log "installing ${available[*]} from the distribution's packages"
  # The package scripts must not start the system's own sshd.
  local guard=
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
    guard=1
  fi
  export DEBIAN_FRONTEND=noninteractive
  local aptlog=/var/log/stackcheck-n2-apt.log
  apt-get install -y -qq --no-install-recommends "${available[@]}" >"$aptlog" 2>&1 ||
    { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${available[@]}"; } >>"$aptlog" 2>&1 ||
    log "installing ${available[*]} failed (log: $aptlog); the transports that need them are reported absent"
  [ -z "$guard" ] || rm -f /usr/sbin/policy-rc.d
}

start_netns() {
  if [ -e "/var/run/netns/$NS" ] && ip link show "$HOST_IF" >/dev/null 2>&1; then return 0; fi
  stop_netns
  ip netns add "$NS"
  ip link add "$HOST_IF" type veth peer name "$NS_IF"
  ip link set "$NS_IF" netns "$NS"
  ip addr add "$PEER_ADDR/30" dev "$HOST_IF"
  ip link set "$HOST_IF" up
  ip -n "$NS" addr add "$ADDR/30" dev "$NS_IF"
  ip -n "$NS" link set "$NS_IF" up
  ip -n "$NS" link set lo up
}

ensure_group() { getent group "$SSH_USER" >/dev/null || groupadd --system "$SSH_USER"; }

start_dockerd() {
  if alive "$RUN/docker.pid" && docker_answers >/dev/null 2>&1; then return 0; fi
  # One that runs but does not answer would hold the address and the data root.
  stop_pid "$RUN/docker.pid"
  mkdir -p "$LIB/docker" "$RUN/exec"
  ensure_group
  # Its own (empty) config file: /etc/docker/daemon.json belongs to the default engine.
  echo '{}' >"$RUN/daemon.json"
  # `ip netns exec` would remount /sys and hide the cgroup mounts ("Devices cgroup isn't
  # mounted"); nsenter joins only the network namespace. --tls=false says plain tcp is meant:
  # without it dockerd waits 16 s before listening, to warn about an unauthenticated socket.
  "${IN_NS[@]}" setsid dockerd --config-file "$RUN/daemon.json" \
    --data-root "$LIB/docker" --exec-root "$RUN/exec" --pidfile "$RUN/docker.pid" \
    --tls=false -H "tcp://$ADDR:2375" -H "unix://$DOCKER_SOCK" --group "$SSH_USER" \
    --bip "$DOCKER_BIP" --default-address-pool "base=$DOCKER_POOL,size=24" \
    >"$RUN/dockerd.log" 2>&1 </dev/null &
  if ! wait_for 600 docker_answers; then
    log "the second dockerd did not answer within 60 s; the end of its log:"
    tail -n 20 "$RUN/dockerd.log" >&2 || true
    exit 1
  fi
}

# A CA, a server certificate for the namespace's address (an IP SAN: clients verify it) and a
# client certificate, as `dockerd --tlsverify` documents; made once, kept while the bed runs.
make_certs() {
  [ -f "$TLS_DIR/key.pem" ] && return 0
  mkdir -p "$TLS_DIR"
  chmod 700 "$TLS_DIR"
  local d=$TLS_DIR ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
  openssl req -x509 "${ec[@]}" -keyout "$d/ca-key.pem" -out "$d/ca.pem" -days 3650 \
    -subj '/CN=stackcheck test bed CA' 2>/dev/null
  openssl req "${ec[@]}" -keyout "$d/server-key.pem" -out "$d/server.csr" -subj "/CN=$ADDR" 2>/dev/null
  printf 'subjectAltName=IP:%s\nextendedKeyUsage=serverAuth\n' "$ADDR" >"$d/server.ext"
  openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca-key.pem" -CAcreateserial \
    -out "$d/server-cert.pem" -days 3650 -extfile "$d/server.ext" 2>/dev/null
  openssl req "${ec[@]}" -keyout "$d/key.pem" -out "$d/client.csr" -subj '/CN=stackcheck client' 2>/dev/null
  printf 'extendedKeyUsage=clientAuth\n' >"$d/client.ext"
  openssl x509 -req -in "$d/client.csr" -CA "$d/ca.pem" -CAkey "$d/ca-key.pem" -CAcreateserial \
    -out "$d/cert.pem" -days 3650 -extfile "$d/client.ext" 2>/dev/null
  rm -f "$d"/*.csr "$d"/*.ext
}

start_dockerd_tls() {
  if alive "$RUN/docker-tls.pid" && tls_answers >/dev/null 2>&1; then
    note tls
    return 0
  fi
  stop_pid "$RUN/docker-tls.pid"
  if ! command -v openssl >/dev/null 2>&1; then
    note tls "openssl is not installed: no certificates for the TLS engine"
    return 0
  fi
  make_certs
  mkdir -p "$LIB/docker-tls" "$RUN/exec-tls"
  echo '{}' >"$RUN/daemon-tls.json"
  # Its network store goes: a default bridge recorded there on another interface (docker0, from
  # an older bed or a killed start) is "stale" to dockerd, which deletes that interface at start,
  # and docker0 belongs to the engine above. Its images stay.
  rm -rf "$LIB/docker-tls/network"
  if ! "${IN_NS[@]}" ip link show "$TLS_BRIDGE" >/dev/null 2>&1; then
    "${IN_NS[@]}" ip link add "$TLS_BRIDGE" type bridge
    "${IN_NS[@]}" ip addr add "$TLS_BRIDGE_ADDR" dev "$TLS_BRIDGE"
    "${IN_NS[@]}" ip link set "$TLS_BRIDGE" up
  fi
  "${IN_NS[@]}" setsid dockerd --config-file "$RUN/daemon-tls.json" \
    --data-root "$LIB/docker-tls" --exec-root "$RUN/exec-tls" --pidfile "$RUN/docker-tls.pid" \
    --tlsverify --tlscacert "$TLS_DIR/ca.pem" --tlscert "$TLS_DIR/server-cert.pem" \
    --tlskey "$TLS_DIR/server-key.pem" -H "tcp://$ADDR:$TLS_PORT" -H "unix://$TLS_SOCK" \
    --bridge "$TLS_BRIDGE" --iptables=false --default-address-pool "base=$TLS_POOL,size=24" \
    >"$RUN/dockerd-tls.log" 2>&1 </dev/null &
  if ! wait_for 600 tls_answers; then
    note tls "the TLS dockerd did not answer within 60 s: $(tail -n 3 "$RUN/dockerd-tls.log" | tr '\n' ' ')"
    return 0
  fi
  note tls
}

ssh_keys() {
  mkdir -p "$RUN/ssh" "$RUN/ssh-auth"
  chmod 700 "$RUN/ssh"
  [ -f "$RUN/ssh/host_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -f "$RUN/ssh/host_ed25519"
  [ -f "$SSH_KEY" ] || ssh-keygen -q -t ed25519 -N '' -C stackcheck-n2 -f "$SSH_KEY"
  [ -f "$SSH_KEY_LOCKED" ] ||
    ssh-keygen -q -t ed25519 -N "$SSH_KEY_PASSPHRASE" -C stackcheck-n2-locked -f "$SSH_KEY_LOCKED"
  # sshd reads the keys as the user: outside the private keys' folder.
  cat "$SSH_KEY.pub" "$SSH_KEY_LOCKED.pub" >"$RUN/ssh-auth/authorized_keys"
  chmod 644 "$RUN/ssh-auth/authorized_keys"
}

start_sshd() {
  command -v ssh-keygen >/dev/null 2>&1 && ssh_keys
  if alive "$RUN/sshd.pid" && ssh_answers >/dev/null 2>&1; then
    note ssh
    return 0
  fi
  stop_pid "$RUN/sshd.pid"
  local sshd
  sshd=$(command -v sshd || echo /usr/sbin/sshd)
  if [ ! -x "$sshd" ]; then
    note ssh "no sshd on this machine (the openssh-server package is not installed)"
    return 0
  fi
  if ! getent passwd "$SSH_USER" >/dev/null; then
    ensure_group
    useradd --system --gid "$SSH_USER" --home-dir "$RUN/home" --shell /bin/sh "$SSH_USER"
  fi
  # Not locked ('!'): without PAM, sshd refuses locked accounts even with a key.
  usermod -p '*' "$SSH_USER"
  mkdir -p "$RUN/home" /run/sshd
  chown "$SSH_USER:" "$RUN/home"
  # dockerode's ssh transport runs `docker system dial-stdio` on the far side; SetEnv points
  # that at this test bed's engine, not the machine's default one. MaxSessions stays at its
  # default (10 channels per connection), as on a real server.
  cat >"$RUN/sshd_config" <<EOF
ListenAddress $ADDR:$SSH_PORT
HostKey $RUN/ssh/host_ed25519
PidFile $RUN/sshd.pid
AuthorizedKeysFile $RUN/ssh-auth/authorized_keys
AllowUsers $SSH_USER
PermitRootLogin no
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
SetEnv DOCKER_HOST=unix://$DOCKER_SOCK
EOF
  "${IN_NS[@]}" "$sshd" -f "$RUN/sshd_config" -E "$RUN/sshd.log"
  if ! wait_for 100 ssh_answers; then
    note ssh "sshd started but a session could not reach the engine: $(tail -n 3 "$RUN/sshd.log" 2>/dev/null | tr '\n' ' ')"
    return 0
  fi
  note ssh
}

start_podman() {
  if alive "$RUN/podman.pid" && podman_answers >/dev/null 2>&1; then
    note podman
    return 0
  fi
  stop_pid "$RUN/podman.pid"
  if ! command -v podman >/dev/null 2>&1; then
    note podman "Podman is not installed (apt-cache policy podman: $(apt-cache policy podman 2>/dev/null | sed -n 's/ *Candidate: //p' || echo 'no apt'))"
    return 0
  fi
  mkdir -p "$LIB/podman" "$RUN/podman" "$RUN/podman-net"
  # Its own store, networks and subnet pool; cgroupfs and a file for events: no systemd here.
  # Podman gives containers open-files and process limits above this machine's hard limits, which
  # a root without CAP_SYS_RESOURCE (a CI container) may not raise to: "error setting rlimit".
  local nofile nproc
  nofile=$(ulimit -Hn)
  # Podman's own process limit ends at 32768 here, and a container's may not exceed it.
  nproc=$(ulimit -Hu)
  [ "$nproc" != unlimited ] && [ "$nproc" -le 32768 ] || nproc=32768
  cat >"$RUN/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$RUN/podman/events.log"

[network]
network_config_dir = "$RUN/podman-net"
default_subnet = "$PODMAN_SUBNET"
default_subnet_pools = [{ base = "$PODMAN_POOL", size = 24 }]
EOF
  rm -f "$PODMAN_SOCK"
  # conmon leaves an empty `oom` marker in its working directory when a container is OOM-killed:
  # the service's own folder, not the caller's checkout.
  pushd "$RUN" >/dev/null
  CONTAINERS_CONF="$RUN/containers.conf" "${IN_NS[@]}" setsid podman \
    --root "$LIB/podman" --runroot "$RUN/podman" \
    system service --time=0 "unix://$PODMAN_SOCK" >"$RUN/podman.log" 2>&1 </dev/null &
  echo $! >"$RUN/podman.pid"
  popd >/dev/null
  if ! wait_for 200 podman_answers; then
    note podman "podman system service did not answer within 20 s: $(tail -n 3 "$RUN/podman.log" | tr '\n' ' ')"
    return 0
  fi
  note podman
}

print_env() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "STACKCHECK_NODE2_ABSENT='the second engine needs root (scripts/second-engine.sh start as root)'"
    return 0
  fi
  if [ ! -S "$DOCKER_SOCK" ] || ! docker_answers >/dev/null 2>&1; then
    echo "STACKCHECK_NODE2_ABSENT='the second engine is not running (scripts/second-engine.sh start)'"
    return 0
  fi
  echo "STACKCHECK_NODE2_ADDRESS=$ADDR"
  echo "STACKCHECK_NODE2_PEER=$PEER_ADDR"
  echo "STACKCHECK_NODE2_TCP=tcp://$ADDR:2375"
  echo "STACKCHECK_NODE2_UNIX=unix://$DOCKER_SOCK"
  local why
  why=$(cat "$STATE/ssh" 2>/dev/null || echo 'sshd was not started')
  if [ -z "$why" ] && alive "$RUN/sshd.pid"; then
    echo "STACKCHECK_NODE2_SSH=ssh://$SSH_USER@$ADDR:$SSH_PORT"
    echo "STACKCHECK_NODE2_SSH_KEY=$SSH_KEY"
    # The server's public host key, for a known_hosts line or a manifest's hostKey.
    echo "STACKCHECK_NODE2_SSH_HOST_KEY=$RUN/ssh/host_ed25519.pub"
    echo "STACKCHECK_NODE2_SSH_KEY_LOCKED=$SSH_KEY_LOCKED"
    echo "STACKCHECK_NODE2_SSH_KEY_PASSPHRASE=$SSH_KEY_PASSPHRASE"
  else
    echo "STACKCHECK_NODE2_SSH_ABSENT='${why:-sshd is not running}'"
  fi
  why=$(cat "$STATE/tls" 2>/dev/null || echo 'the TLS dockerd was not started')
  if [ -z "$why" ] && alive "$RUN/docker-tls.pid" && tls_answers >/dev/null 2>&1; then
    echo "STACKCHECK_NODE2_TLS=tcp://$ADDR:$TLS_PORT"
    # ca.pem, cert.pem, key.pem: the client's files, as DOCKER_CERT_PATH holds them.
    echo "STACKCHECK_NODE2_TLS_DIR=$TLS_DIR"
    echo "STACKCHECK_NODE2_TLS_UNIX=unix://$TLS_SOCK"
  else
    echo "STACKCHECK_NODE2_TLS_ABSENT='${why:-the TLS dockerd is not running}'"
  fi
  why=$(cat "$STATE/podman" 2>/dev/null || echo 'podman was not started')
  if [ -z "$why" ] && alive "$RUN/podman.pid" && podman_answers >/dev/null 2>&1; then
    echo "STACKCHECK_NODE2_PODMAN=unix://$PODMAN_SOCK"
  else
    echo "STACKCHECK_NODE2_PODMAN_ABSENT='${why:-podman system service is not running}'"
  fi
}

# Sends TERM to the process in a pid file and waits for it to go (then KILL), so that the
# namespace can be removed and a later start finds nothing half-alive.
stop_pid() {
  local file=$1 pid
  [ -f "$file" ] || return 0
  pid=$(cat "$file")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    wait_for 200 sh -c "! kill -0 $pid" || kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$file"
}

stop_netns() {
  ip link del "$HOST_IF" 2>/dev/null || true
  [ ! -e "/var/run/netns/$NS" ] || ip netns del "$NS"
}

stop_all() {
  # Podman's containers outlive its API service (each has its own conmon): remove what a
  # crashed test left in this test bed's own store first.
  if [ -f "$RUN/containers.conf" ] && command -v podman >/dev/null 2>&1; then
    CONTAINERS_CONF="$RUN/containers.conf" "${IN_NS[@]}" podman --root "$LIB/podman" \
      --runroot "$RUN/podman" rm -af -t 2 >/dev/null 2>&1 || true
  fi
  # What a crashed test left running on this test bed's dockerd: killed now, rather than given
  # each its stop timeout (10 s) while dockerd shuts down.
  for sock in "$DOCKER_SOCK" "$TLS_SOCK"; do
    [ -S "$sock" ] || continue
    docker -H "unix://$sock" ps -q 2>/dev/null | xargs -r docker -H "unix://$sock" kill >/dev/null 2>&1 || true
  done
  stop_pid "$RUN/docker.pid" &
  stop_pid "$RUN/docker-tls.pid" &
  stop_pid "$RUN/podman.pid" &
  stop_pid "$RUN/sshd.pid" &
  wait
  stop_netns
  rm -rf "$RUN"
  if [ "${1:-}" = --purge ]; then
    # Mounts a killed daemon left behind would make the removal fail.
    awk -v lib="$LIB/" 'index($2, lib) == 1 { print $2 }' /proc/mounts | sort -r | xargs -r -n1 umount -l
    rm -rf "$LIB"
    ! getent passwd "$SSH_USER" >/dev/null || userdel "$SSH_USER"
    ! getent group "$SSH_USER" >/dev/null || groupdel "$SSH_USER"
  fi
}

case "${1:-}" in
  start)
    need_root
    install_missing
    mkdir -p "$RUN" "$STATE"
    start_netns
    start_dockerd
    start_dockerd_tls
    start_sshd
    start_podman
    # Each engine started after the first must have left its default bridge alone.
    if ! "${IN_NS[@]}" ip link show docker0 >/dev/null 2>&1; then
      log "the second dockerd's bridge docker0 is gone from the namespace; what the daemons said of bridges:"
      grep -hi 'bridge' "$RUN"/dockerd*.log "$RUN/podman.log" 2>/dev/null | tail -n 20 >&2 || true
      exit 1
    fi
    print_env
    ;;
  env) print_env ;;
  stop)
    need_root
    stop_all "${2:-}"
    ;;
  *)
    echo "usage: $0 start|env|stop [--purge]" >&2
    exit 2
    ;;
esac

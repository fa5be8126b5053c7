#!/usr/bin/env bash
# Builds the local images the integration tests and examples run, without any registry:
#
#   stackcheck-fixture/busybox:1  FROM scratch: Debian's static busybox, applet links in /bin,
#                                 /tmp, /etc/passwd and /etc/group (root, nobody, app=1000)
#   stackcheck-fixture/node:1     busybox:1 + the host's node binary, its shared libraries and
#                                 the dynamic loader (found with ldd)
#   stackcheck-fixture/app:1      node:1 + test/fixtures/images/app (the fixture HTTP server)
#   stackcheck-fixture/rbee:1     node:1 + test/fixtures/images/rbee (queen, hive, lb and app
#                                 services of the seed examples) + OpenSSH (sshd, ssh, scp,
#                                 sftp-server) unpacked from Debian's packages, with a host key
#                                 and a client key made at build time (seed 002's SSH paths)
#   stackcheck-fixture/rpa:1      node:1 + PostgreSQL (postgres, initdb, psql; the host
#                                 distribution's major, 15 on Debian 12) unpacked from its
#                                 packages + test/fixtures/images/rpa (seed 003's scheduler
#                                 and workers)
#   stackcheck-fixture/machine:1  node:1 + Redis (redis-server, redis-cli) unpacked from the
#                                 distribution's packages + test/fixtures/images/machine
#                                 (seed 004's GPU machine, monitor and release host)
#   stackcheck-fixture/nettools:1 node:1 + the host's iptables (xtables-nft-multi and
#                                 xtables-legacy-multi, their extensions), tc and ss
#                                 (iproute2), with their libraries: the image network faults run
#                                 (test/fixtures/images/nettools/README.md)
#
# Each image carries the labels io.stackcheck.fixture=1 and io.stackcheck.fixture-hash=<hash of
# its inputs: this script, the binaries, the fixture files, the parent image's id>. An image
# whose label matches is left alone, so a run with nothing changed costs about a second.
#
# Usage: scripts/build-fixture-images.sh [--force]
#   --force          rebuild every image even when up to date
#   BUSYBOX=PATH     use that statically linked busybox instead of /bin/busybox
#   FIXTURE_NODE=P   put that node binary in the image instead of `command -v node`
#   FIXTURE_DEBS=DIR where the Debian packages the rbee, rpa and machine images unpack are
#                    kept, in a folder per distribution release and architecture (default
#                    ~/.cache/stackcheck/debs; fetched with `apt-get download`, with the
#                    libraries they need that this host lacks)
#   FIXTURE_PG_MAJOR=N  the PostgreSQL major to unpack (default: what apt's postgresql names)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SELF="$ROOT/scripts/build-fixture-images.sh"
APP_DIR="$ROOT/test/fixtures/images/app"
PREFIX=stackcheck-fixture
FORCE=0
case "${1:-}" in
  --force) FORCE=1 ;;
  '') ;;
  *) echo "usage: $0 [--force]" >&2; exit 2 ;;
esac

die() { printf 'build-fixture-images: error: %s\n' "$*" >&2; exit 1; }
sum() { sha256sum "$@" | cut -d' ' -f1; }
sum_text() { printf '%s' "$1" | sha256sum | cut -d' ' -f1; }

command -v docker >/dev/null 2>&1 || die "the docker CLI is not installed (scripts/ensure-docker.sh installs an engine)"
docker version --format '{{.Server.Version}}' >/dev/null 2>&1 \
  || die "no Docker engine answers (DOCKER_HOST=${DOCKER_HOST:-unset}); run scripts/ensure-docker.sh first"

# One build at a time on this machine: parallel test runs would otherwise race on the tags.
if command -v flock >/dev/null 2>&1; then
  exec 9>"${TMPDIR:-/tmp}/stackcheck-fixture-images.lock"
  flock -w 600 9 || die "another build-fixture-images run held the lock for 10 minutes"
fi

# The legacy builder is always present on engines of this age and needs no buildx plugin;
# a caller who wants BuildKit can export DOCKER_BUILDKIT=1.
export DOCKER_BUILDKIT="${DOCKER_BUILDKIT:-0}"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/stackcheck-fixture-images.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# ---- inputs ---------------------------------------------------------------------------------

is_static() { ! ldd "$1" >/dev/null 2>&1; } # ldd fails on "not a dynamic executable"

BUSYBOX="${BUSYBOX:-/bin/busybox}"
if [ ! -x "$BUSYBOX" ] || ! is_static "$BUSYBOX"; then
  if [ "$BUSYBOX" = /bin/busybox ] && [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "build-fixture-images: installing busybox-static (a static /bin/busybox is needed)" >&2
    export DEBIAN_FRONTEND=noninteractive
    { apt-get update -qq && apt-get install -y -qq busybox-static; } >"$WORK/apt.log" 2>&1 \
      || { tail -n 20 "$WORK/apt.log" >&2; die "apt-get install busybox-static failed"; }
  fi
  [ -x "$BUSYBOX" ] || die "$BUSYBOX not found: install Debian's busybox-static (as root) or set BUSYBOX=PATH"
  is_static "$BUSYBOX" || die "$BUSYBOX is dynamically linked: install busybox-static or set BUSYBOX=PATH to a static one"
fi

NODE_BIN="${FIXTURE_NODE:-$(command -v node || true)}"
[ -n "$NODE_BIN" ] || die "node is not on PATH (set FIXTURE_NODE=PATH)"
NODE_BIN=$(readlink -f "$NODE_BIN")
[ -x "$NODE_BIN" ] || die "$NODE_BIN is not an executable"

# The node binary's shared libraries and loader, as ldd names them (linux-vdso has no file).
NODE_LIBS=()
while IFS= read -r line; do
  line="${line#"${line%%[![:space:]]*}"}"
  case "$line" in
    *'=> not found'*) die "ldd $NODE_BIN: ${line%% =>*} not found" ;;
    *'=> /'*) path="${line#*=> }"; NODE_LIBS+=("${path%% (*}") ;;
    /*) NODE_LIBS+=("${line%% (*}") ;;
    *) ;; # linux-vdso.so.1, "statically linked", "not a dynamic executable"
  esac
done < <(ldd "$NODE_BIN" 2>&1 || true)
for lib in "${NODE_LIBS[@]}"; do [ -e "$lib" ] || die "ldd named $lib for $NODE_BIN but it does not exist"; done

RBEE_DIR="$ROOT/test/fixtures/images/rbee"
RPA_DIR="$ROOT/test/fixtures/images/rpa"
MACHINE_DIR="$ROOT/test/fixtures/images/machine"
for main in "$APP_DIR/server.js" "$RBEE_DIR/queen.js" "$RPA_DIR/scheduler.js" "$MACHINE_DIR/machine.js"; do
  [ -f "$main" ] || die "$main is missing"
done

# ---- helpers --------------------------------------------------------------------------------

# inputs_of DIR: " FILE=HASH" for every file under DIR, in a stable order (an image's sources).
inputs_of() {
  local f out=""
  while IFS= read -r f; do out+=" $f=$(sum "$1/$f")"; done < <(cd "$1" && find . -type f | LC_ALL=C sort)
  printf '%s' "$out"
}
label_of() {
  docker image inspect --format '{{index .Config.Labels "io.stackcheck.fixture-hash"}}' "$1" 2>/dev/null || true
}
id_of() { docker image inspect --format '{{.Id}}' "$1"; }

# Debian packages some images carry are unpacked from their .deb files, never installed on the
# host. Names come from this host's apt metadata (Debian and Ubuntu name libraries differently),
# so the packages match the host whose loader and C library the images already carry; they are
# kept per distribution release and architecture, so an upgraded or shared cache never mixes
# them. Each is fetched with `apt-get download`, at the newest version a package source offers
# (an installed version from a source since removed, as on GitHub's runners, has none).
ARCH=$(dpkg --print-architecture 2>/dev/null || uname -m)
# shellcheck disable=SC1091 # the host's own release file
RELEASE=$( (. /etc/os-release && echo "${ID:-linux}-${VERSION_ID:-unknown}") 2>/dev/null || echo unknown)
FIXTURE_DEBS="${FIXTURE_DEBS:-${XDG_CACHE_HOME:-$HOME/.cache}/stackcheck/debs}/$RELEASE-$ARCH"
deb_of() { compgen -G "$FIXTURE_DEBS/${1}_*.deb" | sort -V | tail -n 1 || true; }
installed() {
  dpkg-query -W -f='${Status} ${Architecture}\n' "$1" 2>/dev/null | grep -qE "ok installed (all|$ARCH)\$"
}
# apt_depends PKG...: the packages PKG... depend on (virtual ones left out), one per line. One
# call for many packages: each call reads the package lists (most of a second without a cache).
apt_depends() {
  local out
  out=$(apt-cache depends --no-recommends --no-suggests --no-conflicts --no-breaks --no-replaces \
    --no-enhances "$@" 2>>"$WORK/apt.log") || return 1
  sed -n 's/^ *|\{0,1\}\(Pre\)\{0,1\}Depends: \([^<][^ ]*\)$/\2/p' <<<"$out"
}
# apt_knows PKG: makes sure apt has metadata for PKG, reading the package lists once if not.
apt_knows() {
  command -v apt-cache >/dev/null 2>&1 \
    || die "apt-cache is not installed: the rbee, rpa and machine images unpack Debian or Ubuntu packages"
  apt-cache show "$1" >/dev/null 2>&1 && return 0
  [ "$(id -u)" -eq 0 ] || die "apt knows no package $1: run apt-get update (as root) first"
  apt-get update -qq >>"$WORK/apt.log" 2>&1 || { tail -n 20 "$WORK/apt.log" >&2; die "apt-get update failed"; }
  apt-cache show "$1" >/dev/null 2>&1 || die "apt knows no package $1, even after apt-get update"
}
# downloadable PKG...: "PKG=VERSION" for each, at the newest version a package source offers.
downloadable() {
  local out
  out=$(apt-cache madison "$@" 2>>"$WORK/apt.log") || return 1
  awk -F'|' '{ gsub(/ /, "", $1); gsub(/ /, "", $2) } !seen[$1]++ { print $1 "=" $2 }' <<<"$out"
}
# missing_libs PKG...: the shared-library packages PKG... need, directly or through each other,
# that this host does not have installed. The C and C++ runtimes are the host's (the images
# already carry them with the loader); LLVM is only postgres's optional JIT.
missing_libs() {
  local -A seen=()
  local level=("$@") next p deps
  while [ "${#level[@]}" -gt 0 ]; do
    deps=$(apt_depends "${level[@]}") || return 1
    next=()
    while IFS= read -r p; do
      [ -n "$p" ] && [ -z "${seen[$p]:-}" ] || continue
      seen[$p]=1
      next+=("$p")
    done < <(grep -E '^(lib|zlib)' <<<"$deps" | grep -vE '^(libc6|libgcc-s|libstdc\+\+|libllvm)' || true)
    level=("${next[@]}")
  done
  for p in "${!seen[@]}"; do installed "$p" || echo "$p"; done | LC_ALL=C sort
}
# debs PKG...: makes sure each package's .deb is in FIXTURE_DEBS; sets DEB_FILES to them.
debs() {
  local pkg f missing=() wanted=()
  mkdir -p "$FIXTURE_DEBS"
  for pkg in "$@"; do [ -n "$(deb_of "$pkg")" ] || missing+=("$pkg"); done
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "build-fixture-images: fetching ${missing[*]} into $FIXTURE_DEBS" >&2
    mapfile -t wanted < <(downloadable "${missing[@]}" || true)
    [ "${#wanted[@]}" -eq "${#missing[@]}" ] \
      || die "no package source offers all of ${missing[*]} (found: ${wanted[*]:-none}); run apt-get update"
    # As root, apt warns that its sandbox user cannot write there and downloads anyway.
    (cd "$FIXTURE_DEBS" && apt-get download "${wanted[@]}") >>"$WORK/apt.log" 2>&1 \
      || { tail -n 20 "$WORK/apt.log" >&2; die "apt-get download ${wanted[*]} failed"; }
  fi
  DEB_FILES=()
  for pkg in "$@"; do
    f=$(deb_of "$pkg")
    [ -n "$f" ] || die "no ${pkg}_*.deb in $FIXTURE_DEBS after apt-get download"
    DEB_FILES+=("$f")
  done
}
# image_debs PKG...: PKG... and the libraries they need that this host lacks, as debs does. The
# libraries are resolved once (several seconds of apt-cache) and remembered next to the debs,
# for this set of installed libraries.
image_debs() {
  local pkg wanted=("$@") libs
  libs="$FIXTURE_DEBS/libs-$(sum_text "$* $(dpkg-query -W 'lib*' 2>/dev/null || true)").txt"
  if [ ! -f "$libs" ]; then
    for pkg in "$@"; do apt_knows "$pkg"; done
    mkdir -p "$FIXTURE_DEBS"
    missing_libs "$@" >"$libs.tmp" || die "apt-cache could not list what $* depend on (see above)"
    mv "$libs.tmp" "$libs"
  fi
  mapfile -t -O "${#wanted[@]}" wanted <"$libs"
  debs "${wanted[@]}"
}
# libpath_of UNPACKED: the folders of UNPACKED that hold shared libraries, for LD_LIBRARY_PATH.
libpath_of() { find "$1" -name '*.so*' -printf '%h\n' 2>/dev/null | LC_ALL=C sort -u | paste -sd:; }
# with_libs ROOTFS UNPACKED BIN...: copies each binary (a path inside UNPACKED) to the same path
# in ROOTFS, with every shared library it needs: the unpacked packages' own, else the host's.
with_libs() {
  local fs="$1" pkgs="$2" b line lib dest libpath
  shift 2
  libpath=$(libpath_of "$pkgs")
  for b in "$@"; do
    mkdir -p "$fs$(dirname "$b")"
    cp "$pkgs$b" "$fs$b"
  done
  while IFS= read -r line; do
    case "$line" in
      *'=> not found'*) die "$* need ${line%% =>*}, which neither the packages nor this host have" ;;
      *'=> /'*)
        lib="${line#*=> }"
        lib="${lib%% (*}"
        dest="${lib#"$pkgs"}"
        mkdir -p "$fs$(dirname "$dest")"
        cp -L "$lib" "$fs$dest"
        ;;
    esac
  done < <(for b in "$@"; do LD_LIBRARY_PATH="$libpath" ldd "$pkgs$b"; done | LC_ALL=C sort -u)
}

# deb_image_stale NAME DIR: sets IMAGE_HASH to the hash of $PREFIX/NAME:1's inputs (node:1,
# DIR's files, DEB_FILES). When that image must be (re)built, prepares its context: DIR copied
# to ctx=$WORK/NAME (its rootfs in fs) and DEB_FILES unpacked in pkgs; else returns 1.
deb_image_stale() {
  local f inputs
  inputs="recipe=$SELF_SUM base=$(id_of "$PREFIX/node:1")$(inputs_of "$2")"
  for f in "${DEB_FILES[@]}"; do inputs+=" $(basename "$f")=$(sum "$f")"; done
  IMAGE_HASH=$(sum_text "$inputs")
  [ "$FORCE" = 1 ] || [ "$(label_of "$PREFIX/$1:1")" != "$IMAGE_HASH" ] || return 1
  ctx="$WORK/$1"
  fs="$ctx/rootfs"
  pkgs="$WORK/$1-debs"
  cp -r "$2" "$ctx"
  for f in "${DEB_FILES[@]}"; do dpkg-deb -x "$f" "$pkgs"; done
}

BUILT=0
# ensure NAME HASH CONTEXT [DOCKERFILE]: build $PREFIX/NAME:1 from CONTEXT unless its label says HASH.
ensure() {
  local tag="$PREFIX/$1:1" hash="$2" ctx="$3" dockerfile="${4:-$3/Dockerfile}" started
  if [ "$FORCE" = 0 ] && [ "$(label_of "$tag")" = "$hash" ]; then
    printf '%-30s up to date  (%s)\n' "$tag" "${hash:0:12}"
    return 0
  fi
  started=$(date +%s%N)
  if ! docker build --force-rm $([ "$FORCE" = 1 ] && echo --no-cache) -f "$dockerfile" -t "$tag" \
    --label io.stackcheck.fixture=1 --label "io.stackcheck.fixture-hash=$hash" \
    "$ctx" >"$WORK/build-$1.log" 2>&1; then
    tail -n 30 "$WORK/build-$1.log" >&2
    die "docker build of $tag failed (output above)"
  fi
  BUILT=1
  printf '%-30s built in %ss  (%s)\n' "$tag" \
    "$(awk -v ns=$(($(date +%s%N) - started)) 'BEGIN { printf "%.1f", ns / 1e9 }')" "${hash:0:12}"
}

SELF_SUM=$(sum "$SELF")

# ---- stackcheck-fixture/busybox:1 -----------------------------------------------------------

bb_hash=$(sum_text "recipe=$SELF_SUM busybox=$(sum "$BUSYBOX")")
if [ "$FORCE" = 1 ] || [ "$(label_of "$PREFIX/busybox:1")" != "$bb_hash" ]; then
  ctx="$WORK/busybox"
  fs="$ctx/rootfs"
  mkdir -p "$fs"/{bin,etc,tmp,root,usr/bin,usr/local/bin,var/www} "$ctx/home-app"
  chmod 1777 "$fs/tmp"
  chmod 700 "$fs/root"
  cp "$BUSYBOX" "$fs/bin/busybox"
  chmod 755 "$fs/bin/busybox"
  applets=$("$BUSYBOX" --list)
  while IFS= read -r applet; do
    [ "$applet" = busybox ] && continue # a link named busybox would replace the binary
    ln -s busybox "$fs/bin/$applet"
  done <<<"$applets"
  ln -s /bin/busybox "$fs/usr/bin/env" # for #!/usr/bin/env scripts
  if ! grep -qx printenv <<<"$applets"; then # Debian's busybox has no printenv applet
    cat >"$fs/bin/printenv" <<'EOF'
#!/bin/sh
# printenv [NAME...]: busybox has no printenv applet.
[ $# -eq 0 ] && exec env
exec awk 'BEGIN { rc = 0; for (i = 1; i < ARGC; i++) if (ARGV[i] in ENVIRON) print ENVIRON[ARGV[i]]; else rc = 1; exit rc }' "$@"
EOF
    chmod 755 "$fs/bin/printenv"
  fi
  cat >"$fs/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
app:x:1000:1000:app:/home/app:/bin/sh
EOF
  cat >"$fs/etc/group" <<'EOF'
root:x:0:
nogroup:x:65534:
app:x:1000:
EOF
  printf 'hosts: files dns\n' >"$fs/etc/nsswitch.conf"
  cat >"$ctx/Dockerfile" <<'EOF'
FROM scratch
COPY rootfs/ /
COPY --chown=1000:1000 home-app/ /home/app/
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
CMD ["sh"]
EOF
fi
ensure busybox "$bb_hash" "$WORK/busybox"

# ---- stackcheck-fixture/node:1 --------------------------------------------------------------

node_inputs="recipe=$SELF_SUM base=$(id_of "$PREFIX/busybox:1") node=$(sum "$NODE_BIN")"
for lib in "${NODE_LIBS[@]}"; do node_inputs+=" $lib=$(sum "$lib")"; done
node_hash=$(sum_text "$node_inputs")
if [ "$FORCE" = 1 ] || [ "$(label_of "$PREFIX/node:1")" != "$node_hash" ]; then
  ctx="$WORK/node"
  fs="$ctx/rootfs"
  mkdir -p "$fs/usr/local/bin" "$fs/usr/bin"
  cp "$NODE_BIN" "$fs/usr/local/bin/node"
  ln -s /usr/local/bin/node "$fs/usr/bin/node"
  for lib in "${NODE_LIBS[@]}"; do
    mkdir -p "$fs$(dirname "$lib")"
    cp -L "$lib" "$fs$lib" # the path ldd printed, with links on the host resolved
  done
  cat >"$ctx/Dockerfile" <<EOF
FROM $PREFIX/busybox:1
COPY rootfs/ /
CMD ["node"]
EOF
fi
ensure node "$node_hash" "$WORK/node"

# ---- stackcheck-fixture/app:1 ---------------------------------------------------------------

ensure app "$(sum_text "recipe=$SELF_SUM base=$(id_of "$PREFIX/node:1")$(inputs_of "$APP_DIR")")" "$APP_DIR"

# ---- stackcheck-fixture/rbee:1 --------------------------------------------------------------
# The rbee services and OpenSSH, as seed 002's base image (Rust + SSH). Keys are made fresh with
# each build and live only in the image (root's key is authorized on every container of it;
# wrong_key is not).

image_debs openssh-client openssh-server openssh-sftp-server
if deb_image_stale rbee "$RBEE_DIR"; then
  # OpenSSH 9.8 and later split sshd: the listener runs sshd-session (and sshd-auth) per login.
  ssh_bins=(/usr/sbin/sshd /usr/bin/ssh /usr/bin/scp /usr/lib/openssh/sftp-server)
  for b in /usr/lib/openssh/sshd-session /usr/lib/openssh/sshd-auth; do
    [ ! -e "$pkgs$b" ] || ssh_bins+=("$b")
  done
  with_libs "$fs" "$pkgs" "${ssh_bins[@]}"
  mkdir -p "$fs/etc/ssh" "$fs/root/.ssh" "$fs/run/sshd"
  keygen() {
    LD_LIBRARY_PATH="$(libpath_of "$pkgs")" "$pkgs/usr/bin/ssh-keygen" -q -t ed25519 -N '' -C "$1" -f "$2"
  }
  keygen rbee-host "$fs/etc/ssh/ssh_host_ed25519_key"
  keygen root@rbee "$fs/root/.ssh/id_ed25519"
  keygen not-authorized "$fs/root/.ssh/wrong_key"
  cp "$fs/root/.ssh/id_ed25519.pub" "$fs/root/.ssh/authorized_keys"
  # Every container of the image has the same host key, so one known_hosts line covers all.
  printf '* %s\n' "$(cut -d' ' -f1,2 "$fs/etc/ssh/ssh_host_ed25519_key.pub")" >"$fs/root/.ssh/known_hosts"
  printf '%s\n' 'Host *' '  User root' '  BatchMode yes' '  StrictHostKeyChecking yes' \
    '  ConnectTimeout 5' >"$fs/root/.ssh/config"
  printf '%s\n' 'HostKey /etc/ssh/ssh_host_ed25519_key' 'UsePAM no' \
    'PermitRootLogin prohibit-password' 'PasswordAuthentication no' \
    'KbdInteractiveAuthentication no' 'Subsystem sftp /usr/lib/openssh/sftp-server' \
    'PidFile /run/sshd.pid' >"$fs/etc/ssh/sshd_config"
  # sshd's privilege separation needs its own user; the rest of /etc/passwd is busybox:1's.
  docker run --rm --entrypoint cat "$PREFIX/node:1" /etc/passwd >"$fs/etc/passwd"
  echo 'sshd:x:100:65534:sshd:/run/sshd:/bin/false' >>"$fs/etc/passwd"
  chmod 700 "$fs/root" "$fs/root/.ssh"
  chmod 600 "$fs/root/.ssh/"* "$fs/etc/ssh/ssh_host_ed25519_key"
  chmod 755 "$fs/run/sshd"
fi
ensure rbee "$IMAGE_HASH" "$WORK/rbee"

# ---- stackcheck-fixture/rpa:1 ---------------------------------------------------------------
# Seed 003's stack in one image: PostgreSQL (the major version the host's distribution ships:
# 15 on Debian 12) and the RPA scheduler and workers of test/fixtures/images/rpa, which talk to
# the database through psql.

# The major that apt's postgresql package names, if a package source offers it; else the
# newest one offered. Resolved once, like the libraries, and remembered next to the debs.
PG_MAJOR=${FIXTURE_PG_MAJOR:-$(cat "$FIXTURE_DEBS/postgresql-major.txt" 2>/dev/null || true)}
if [ -z "$PG_MAJOR" ]; then
  apt_knows postgresql
  named=$(apt_depends postgresql | sed -n 's/^postgresql-\([0-9][0-9]*\)$/\1/p' | head -n 1 || true)
  mapfile -t offered < <(apt-cache pkgnames postgresql- | grep -E '^postgresql-[0-9]+$' || true)
  [ "${#offered[@]}" -eq 0 ] \
    || mapfile -t offered < <(downloadable "${offered[@]}" | sed 's/^postgresql-\([0-9]*\)=.*/\1/' | sort -n || true)
  if [ -n "$named" ] && printf '%s\n' "${offered[@]}" | grep -qx "$named"; then
    PG_MAJOR=$named
  else
    PG_MAJOR=$( ((${#offered[@]})) && echo "${offered[-1]}" || true)
  fi
  [ -n "$PG_MAJOR" ] || die "no package source offers a postgresql-N package (set FIXTURE_PG_MAJOR=N)"
  mkdir -p "$FIXTURE_DEBS" && echo "$PG_MAJOR" >"$FIXTURE_DEBS/postgresql-major.txt"
fi
image_debs "postgresql-$PG_MAJOR" "postgresql-client-$PG_MAJOR"
if deb_image_stale rpa "$RPA_DIR"; then
  pg=/usr/lib/postgresql/$PG_MAJOR
  with_libs "$fs" "$pkgs" "$pg/bin/postgres" "$pg/bin/initdb" "$pg/bin/pg_ctl" \
    "$pg/bin/pg_isready" "$pg/bin/psql"
  # The loadable modules initdb and a plain database need, and the catalog's SQL and data.
  mkdir -p "$fs$pg/lib" "$fs/usr/share/postgresql" "$fs/usr/share/zoneinfo"
  cp "$pkgs$pg/lib/plpgsql.so" "$pkgs$pg/lib/dict_snowball.so" "$fs$pg/lib/"
  cp "$pkgs$pg"/lib/*_and_*.so "$fs$pg/lib/" # encoding conversions
  cp -r "$pkgs/usr/share/postgresql/$PG_MAJOR" "$fs/usr/share/postgresql/"
  rm -rf "$fs/usr/share/postgresql/$PG_MAJOR/man"
  find "$fs/usr/share/postgresql/$PG_MAJOR/extension" -type f ! -name 'plpgsql*' -delete # contrib's
  [ ! -e /usr/share/zoneinfo/UTC ] || cp -L /usr/share/zoneinfo/UTC "$fs/usr/share/zoneinfo/UTC"
  mkdir -p "$fs/usr/local/bin"
  for b in postgres initdb pg_ctl pg_isready psql; do ln -s "$pg/bin/$b" "$fs/usr/local/bin/$b"; done
  mkdir -p "$fs/var/lib/postgresql/data" "$fs/run/postgresql" "$fs/etc"
  ln -s /run "$fs/var/run" # where psql looks for the server's socket
  docker run --rm --entrypoint cat "$PREFIX/node:1" /etc/passwd >"$fs/etc/passwd"
  docker run --rm --entrypoint cat "$PREFIX/node:1" /etc/group >"$fs/etc/group"
  echo 'postgres:x:999:999:PostgreSQL:/var/lib/postgresql:/bin/sh' >>"$fs/etc/passwd"
  echo 'postgres:x:999:' >>"$fs/etc/group"
fi
ensure rpa "$IMAGE_HASH" "$WORK/rpa"

# ---- stackcheck-fixture/machine:1 -----------------------------------------------------------
# Seed 004's stack in one image: Redis (redis-server is redis-check-rdb under another name, as
# the packages ship it) and the machine, monitor and release host of
# test/fixtures/images/machine.

image_debs redis-tools
if deb_image_stale machine "$MACHINE_DIR"; then
  with_libs "$fs" "$pkgs" /usr/bin/redis-check-rdb /usr/bin/redis-cli
  ln -s redis-check-rdb "$fs/usr/bin/redis-server"
fi
ensure machine "$IMAGE_HASH" "$WORK/machine"

# ---- stackcheck-fixture/nettools:1 ----------------------------------------------------------
# The fault helper image: sh (busybox), node (the delay proxy), iptables, tc and ss from this host.

nettools_bins=()
for b in xtables-nft-multi xtables-legacy-multi tc ss; do
  p=$(command -v "$b" || true)
  [ -n "$p" ] || die "$b is not installed (apt-get install iptables iproute2)"
  nettools_bins+=("$(readlink -f "$p")")
done
XT_DIR=""
for d in /usr/lib/x86_64-linux-gnu/xtables /usr/lib/aarch64-linux-gnu/xtables /usr/lib/xtables /usr/lib64/xtables; do
  [ -d "$d" ] && { XT_DIR=$d; break; }
done
[ -n "$XT_DIR" ] || die "no xtables extension folder found (libxt_*.so)"
TC_DIR=""
for d in /usr/lib/x86_64-linux-gnu/tc /usr/lib/aarch64-linux-gnu/tc /usr/lib/tc /usr/lib64/tc; do
  [ -d "$d" ] && { TC_DIR=$d; break; }
done
# Every shared library the binaries and the extensions (dlopened: ldd each) need.
nettools_libs=()
for f in "${nettools_bins[@]}" "$XT_DIR"/*.so; do
  while IFS= read -r line; do
    case "$line" in *'=> /'*) path="${line#*=> }"; nettools_libs+=("${path%% (*}") ;; esac
  done < <(ldd "$f" 2>/dev/null || true)
done
mapfile -t nettools_libs < <(printf '%s\n' "${nettools_libs[@]}" | LC_ALL=C sort -u)
nettools_inputs="recipe=$SELF_SUM base=$(id_of "$PREFIX/node:1") xt=$XT_DIR tc=$TC_DIR"
for f in "${nettools_bins[@]}" "${nettools_libs[@]}" "$ROOT/test/fixtures/images/nettools/Dockerfile"; do
  nettools_inputs+=" $f=$(sum "$f")"
done
nettools_hash=$(sum_text "$nettools_inputs")
if [ "$FORCE" = 1 ] || [ "$(label_of "$PREFIX/nettools:1")" != "$nettools_hash" ]; then
  ctx="$WORK/nettools"
  fs="$ctx/rootfs"
  mkdir -p "$fs/usr/sbin" "$fs$XT_DIR" "$fs/run" # /run: iptables-legacy keeps its lock there
  cp "${nettools_bins[0]}" "${nettools_bins[1]}" "$fs/usr/sbin/"
  cp "${nettools_bins[2]}" "$fs/usr/sbin/tc"
  cp "${nettools_bins[3]}" "$fs/usr/sbin/ss"
  cp "$XT_DIR"/*.so "$fs$XT_DIR/"
  [ -z "$TC_DIR" ] || { mkdir -p "$fs$TC_DIR" && cp -r "$TC_DIR"/. "$fs$TC_DIR/"; }
  for lib in "${nettools_libs[@]}"; do
    mkdir -p "$fs$(dirname "$lib")"
    cp -L "$lib" "$fs$lib"
  done
  # The multi binaries choose their backend by the name they are called by. Plain `iptables`
  # is nf_tables, as on this host (Debian 12's default); iptables-legacy is there too.
  for t in iptables ip6tables; do
    for v in "" -save -restore; do
      ln -s xtables-nft-multi "$fs/usr/sbin/$t$v"
      ln -s xtables-nft-multi "$fs/usr/sbin/$t-nft$v"
      ln -s xtables-legacy-multi "$fs/usr/sbin/$t-legacy$v"
    done
  done
  cp "$ROOT/test/fixtures/images/nettools/Dockerfile" "$ctx/Dockerfile"
fi
ensure nettools "$nettools_hash" "$WORK/nettools"

# Replaced fixture images (untagged now) go, unless a container still uses them.
if [ "$BUILT" = 1 ]; then
  docker image prune -f --filter label=io.stackcheck.fixture=1 >/dev/null 2>&1 || true
fi

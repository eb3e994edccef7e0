#!/usr/bin/env bash
# ci/sid.sh -- a Debian sid chroot with today's interpreters (CPython 3.14
# and 3.15 with -dev and -venv, PyPy 8, gcc), made from the host's own
# Debian archive and cached in ci/cache/sid/ (git-ignored).  Run as root.
#
#   ci/sid.sh setup          make the chroot, or reuse the cached one
#   ci/sid.sh run CMD...     setup, then CMD inside (cwd /src = this
#                            checkout), then unmount everything
#   ci/sid.sh enter          a shell inside (the same mounts, undone on exit)
#   ci/sid.sh umount         unmount whatever is left under ci/cache/sid
#   ci/sid.sh rebuild        throw the chroot away and make it anew
#   ci/sid.sh status         interpreters, size, mounts
#
# A command runs in its own mount namespace (unshare -m) where the chroot's
# /proc, /dev and /src are mounted: when it ends, or is killed, those mounts
# vanish with the namespace, and a trap unmounts them too (the only way
# where unshare is missing).  The host never sees them.
#
# The chroot is made in root.new/ and renamed to root/ only once every
# package is in: a leftover root.new/ (interrupted debootstrap or install)
# is thrown away and made again.  root/.tasklets-pkgs lists what is
# installed; a longer list in PKGS installs the rest on the next setup.
# .debs (debootstrap's and apt's) are kept in ci/cache/sid/debs/, outside
# the chroot, so a rebuild downloads nothing twice.
# Variables: CI_CACHE (default ci/cache), MIRROR (default: the host's apt
# source), SID_ENV (more variable names to pass into the chroot).
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SELF=$ROOT/ci/sid.sh
CACHE=${CI_CACHE:-$ROOT/ci/cache}
SID=$CACHE/sid
CH=$SID/root
NEW=$SID/root.new
DEBS=$SID/debs
LOG=$SID/setup.log
PKGS="ca-certificates gcc libc6-dev make python3.14 python3.14-dev python3.14-venv
      python3.15 python3.15-dev python3.15-venv pypy3 pypy3-dev pypy3-venv"
PKGS=$(echo $PKGS)
# variables passed into the chroot (everything else is cleared)
PASS="PYTHON_JIT PY_TIMEOUT PYTEST_ADDOPTS TASKLETS_BACKEND TASKLETS_HYPOTHESIS
      TASKLETS_SANITIZE TASKLETS_WERROR TASKLETS_DEBUG ${SID_ENV:-}"

t0=$(date +%s)
say() { echo "[sid $(( $(date +%s) - t0 ))s] $*" >&2; }
die() { say "$*"; exit 1; }

mirror() {
    local m=${MIRROR:-}
    [ -n "$m" ] || m=$(apt-get indextargets --format '$(REPO_URI)' \
        "Release: $(. /etc/os-release; echo "$VERSION_CODENAME")" \
        'Target-Of: deb' 2>/dev/null | head -n1)
    echo "${m:-http://deb.debian.org/debian/}"
}

# mounts_under DIR: mount points at or below DIR in this namespace, deepest
# first
mounts_under() {
    awk -v d="$1" '$5 == d || index($5, d "/") == 1 { print $5 }' \
        /proc/self/mountinfo | sort -r
}

umount_under() {
    local m
    for m in $(mounts_under "$1"); do
        umount "$m" 2>/dev/null || umount -l "$m"
    done
    [ -z "$(mounts_under "$1")" ]
}

# wipe DIR: remove a chroot tree, never while anything is mounted in it (a
# bind mount of the checkout is on the same file system: rm would follow it)
wipe() {
    [ -e "$1" ] || return 0
    umount_under "$1" || die "still mounted under $1; not removing it"
    rm -rf --one-file-system "$1"
}

# in_chroot DIR CMD...: CMD in DIR with a clean environment
in_chroot() {
    local dir=$1 v envs=()
    shift
    for v in $PASS; do
        [ -n "${!v+x}" ] && envs+=("$v=${!v}")
    done
    chroot "$dir" /usr/bin/env -i HOME=/root TERM=dumb LC_ALL=C.UTF-8 \
        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        DEBIAN_FRONTEND=noninteractive "${envs[@]}" \
        /bin/sh -c 'cd /src 2>/dev/null || cd /; exec "$@"' sh "$@"
}

# mount_in DIR [apt]: /proc, /dev (with pts, shm), the checkout at /src,
# and with "apt" the .deb cache at /var/cache/apt/archives
mount_in() {
    local dir=$1
    mount -t proc proc "$dir/proc" &&
    mount --rbind /dev "$dir/dev" &&
    mkdir -p "$dir/src" && mount --bind "$ROOT" "$dir/src" || return
    if [ "${2:-}" = apt ]; then
        mkdir -p "$DEBS/apt/partial" &&
        mount --bind "$DEBS/apt" "$dir/var/cache/apt/archives" || return
    fi
    # the host's DNS and CAs (pip reaches PyPI through the host's egress,
    # whose TLS may be signed by a local CA)
    cp -L /etc/resolv.conf "$dir/etc/resolv.conf" 2>/dev/null
    cp /etc/hosts "$dir/etc/hosts" 2>/dev/null
    return 0
}

# in_ns DIR [apt] -- CMD...: CMD inside DIR, in a private mount namespace
# where mount_in has run; the mounts go away when it ends, whatever happens
in_ns() {
    if [ -z "${SID_IN_NS:-}" ] && unshare -m --propagation private true 2>/dev/null; then
        SID_IN_NS=1 exec unshare -m --propagation private bash "$SELF" _ns "$@"
    fi
    local dir=$1 apt=$2 rc
    shift 3
    trap 'umount_under "$dir"' EXIT
    trap 'exit 130' INT TERM HUP
    mount_in "$dir" "$apt" || die "mounting in $dir failed"
    in_chroot "$dir" "$@"
    rc=$?
    umount_under "$dir" || say "WARNING: mounts left under $dir"
    trap - EXIT
    return $rc
}

need_host() {
    command -v debootstrap >/dev/null && [ -e /usr/share/keyrings/debian-archive-keyring.gpg ] &&
        return 0
    say "installing debootstrap on the host"
    DEBIAN_FRONTEND=noninteractive apt-get -y -q --no-install-recommends \
        -o DPkg::Lock::Timeout=600 install debootstrap debian-archive-keyring \
        >>"$LOG" 2>&1 && return 0
    apt-get update >>"$LOG" 2>&1     # may exit 100 over foreign indices
    DEBIAN_FRONTEND=noninteractive apt-get -y -q --no-install-recommends \
        -o DPkg::Lock::Timeout=600 install debootstrap debian-archive-keyring >>"$LOG" 2>&1
}

configure() {
    local dir=$1 m
    m=$(mirror)
    rm -f "$dir/etc/apt/sources.list"
    mkdir -p "$dir/etc/apt/sources.list.d" "$dir/etc/apt/apt.conf.d" "$dir/etc/dpkg/dpkg.cfg.d"
    # sid's binaries only (python3.14's and 3.15's source packages are not
    # served by the archive here: 404, in sid and experimental alike)
    cat >"$dir/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $m
Suites: sid
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
    # the archive may be a snapshot whose Release is past Valid-Until; the
    # .debs stay in the bind-mounted cache (never cleaned by apt inside)
    cat >"$dir/etc/apt/apt.conf.d/90tasklets" <<'EOF'
Acquire::Check-Valid-Until "false";
APT::Keep-Downloaded-Packages "true";
APT::Install-Recommends "false";
EOF
    cat >"$dir/etc/dpkg/dpkg.cfg.d/01-nodoc" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
EOF
    printf '[global]\ncert = /etc/ssl/certs/ca-certificates.crt\ndisable-pip-version-check = true\n' \
        >"$dir/etc/pip.conf"
    if ls /usr/local/share/ca-certificates/*.crt >/dev/null 2>&1; then
        mkdir -p "$dir/usr/local/share/ca-certificates"
        cp /usr/local/share/ca-certificates/*.crt "$dir/usr/local/share/ca-certificates/"
    fi
}

# install DIR: apt-get update + install PKGS inside DIR, then the marker
install_pkgs() {
    local dir=$1
    configure "$dir"
    say "apt-get install (in $dir): $PKGS"
    bash "$SELF" _ns "$dir" apt -- sh -c '
        apt-get update -q && apt-get install -y -q "$@" &&
        { ! command -v update-ca-certificates >/dev/null || update-ca-certificates; }
    ' sh $PKGS >>"$LOG" 2>&1 || return
    echo "$PKGS" >"$dir/.tasklets-pkgs"
}

ready() {
    [ -f "$CH/.tasklets-pkgs" ] && [ "$(cat "$CH/.tasklets-pkgs")" = "$PKGS" ] &&
        [ -x "$CH/usr/bin/python3.14" ] && [ -x "$CH/usr/bin/python3.15" ] &&
        [ -x "$CH/usr/bin/pypy3" ]
}

setup() {
    [ "$(id -u)" = 0 ] || die "run as root (debootstrap, chroot, mount)"
    mkdir -p "$SID"
    exec 9>"$SID/lock"
    flock 9 || die "cannot lock $SID/lock"
    wipe "$NEW"     # an interrupted run's half-made chroot
    if ready; then
        return 0
    fi
    : >"$LOG"
    if [ -e "$CH" ] && [ ! -f "$CH/.tasklets-pkgs" ]; then
        say "$CH has no package marker: half-made, rebuilding"
        wipe "$CH"
    fi
    if [ -e "$CH" ]; then
        say "the package list grew: installing into the cached chroot"
        install_pkgs "$CH" || die "apt-get install failed (see $LOG)"
        ready || die "chroot not usable after install (see $LOG)"
        say "chroot ready: $CH"
        return 0
    fi
    need_host || die "cannot install debootstrap (see $LOG)"
    mkdir -p "$DEBS/debootstrap" "$NEW"
    say "debootstrap --variant=minbase sid from $(mirror)"
    debootstrap --variant=minbase --include=ca-certificates \
        --cache-dir="$DEBS/debootstrap" sid "$NEW" "$(mirror)" >>"$LOG" 2>&1 ||
        die "debootstrap failed (see $LOG; rerun to start over)"
    install_pkgs "$NEW" || die "apt-get install failed (see $LOG; rerun to start over)"
    umount_under "$NEW" || die "mounts left under $NEW"
    mv "$NEW" "$CH" || die "mv $NEW $CH failed"
    ready || die "chroot not usable (see $LOG)"
    say "chroot ready: $CH ($(du -sh --one-file-system "$CH" | cut -f1))"
}

status() {
    local x
    if [ ! -f "$CH/.tasklets-pkgs" ]; then
        echo "no chroot at $CH"
    else
        for x in python3.14 python3.15 pypy3; do
            printf '%s: ' "$x"
            chroot "$CH" /usr/bin/$x -c 'import sys, sysconfig; print(sys.version.split()[0],
                sys.implementation.name, "Py_GIL_DISABLED=%s" % sysconfig.get_config_var("Py_GIL_DISABLED"))' 2>&1 | tail -1
        done
        echo "size: $(du -sh --one-file-system "$CH" | cut -f1), .debs: $(du -sh "$DEBS" 2>/dev/null | cut -f1)"
        [ "$(cat "$CH/.tasklets-pkgs")" = "$PKGS" ] || echo "package list outdated: setup installs the rest"
    fi
    echo "mounts under $SID (this namespace): $(mounts_under "$SID" | wc -l)"
    [ ! -e "$NEW" ] || echo "half-made: $NEW (setup removes it)"
}

case ${1:-} in
setup)   setup ;;
run)     shift
         [ $# -gt 0 ] || die "usage: $0 run CMD..."
         ( setup ) || exit
         exec 9>"$SID/lock"; flock -s 9   # no rebuild while this runs
         in_ns "$CH" "" -- "$@" ;;
enter)   ( setup ) || exit
         exec 9>"$SID/lock"; flock -s 9
         in_ns "$CH" "" -- /bin/bash -i ;;
_ns)     shift; in_ns "$@" ;;
umount)  umount_under "$SID" && echo "nothing mounted under $SID" ;;
rebuild) mkdir -p "$SID"; ( exec 9>"$SID/lock"; flock 9 && wipe "$CH" && wipe "$NEW" ) && setup ;;
status)  status ;;
*)       sed -n '2,/^set -u/{/^set -u/d;s/^# \{0,1\}//;p}' "$SELF"; [ -z "${1:-}" ] ;;
esac

#!/usr/bin/env bash
# ci/matrix.sh -- the portability matrix, one entry point.
#
#   ci/matrix.sh --list          the targets, one a line, with what each runs
#   ci/matrix.sh TARGET...       run them (or "all"); a summary table at the
#                                end; exit status 1 if any target failed
#   ci/matrix.sh --need PKG...   apt-get install those not installed yet
#                                (ci/cpython.sh and ci/sdist.sh use it)
#   ci/matrix.sh --sysroot ARCH  only build the foreign-CPython sysroot for a
#                                Debian arch (arm64 armhf i386 riscv64) in
#                                ci/cache/ (the py-<arch> targets do it too)
#
# Each target is a function t_<name> (dashes become underscores) plus one
# line in TARGETS below (cpython-3.x and pypy targets are to come the same
# way: py_build + py_test with another interpreter).  A target runs steps; "step NAME CMD..." runs CMD
# with its output in ci/cache/logs/<target>.log, prints one progress line,
# and marks the target failed if CMD fails (the remaining steps still run).
#
# Needs Debian 12 (or close).  Missing packages are installed with apt-get
# (as root), only when missing, so reruns are fast; downloaded .debs are
# kept in ci/cache/apt/ (git-ignored).  Cross tests are static binaries run
# by qemu-user; see docs/qemu.md for the recipe behind this.
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${CI_CACHE:-$ROOT/ci/cache}
LOGS=$CACHE/logs
mkdir -p "$LOGS"

# name | what it runs (shown by --list).  Keep in the order to run them.
TARGETS="
c-x86_64   | tests/c and io/tests (the I/O loop) natively: gcc and clang, each plain and SANITIZE=1
c-i686     | tests/c for i686 (x87 only, then -msse2) under qemu-i386; clang
c-armhf    | tests/c for armhf (Thumb-2, then ARM state) under qemu-arm; clang; Cortex-M builds
c-armel    | tests/c for armel soft-float (ARMv5TE ARM and Thumb, ARMv7 Thumb-2) under qemu-arm; clang ARMv4T
c-aarch64  | tests/c for arm64 (plain, then PAC+BTI) under qemu-aarch64; clang
c-riscv64  | tests/c for riscv64 lp64d under qemu-riscv64; clang; no-FPU/F-only builds
c-cortex-m3  | tests/c as bare-metal firmware on qemu-system-arm mps2-an385 (Cortex-M3), -O2 and -Os; blinky; bench
c-cortex-m4f | the same on mps2-an386 (Cortex-M4, FPU, hard float: s16-s31 checked)
c-cortex-m0  | tests/c on microbit (Cortex-M0, 16 KB RAM, small sizes), then ARMv6-M code on mps2-an385 at full size; blinky; bench
py-x86_64  | CPython extension built natively; pytest tests/ with Debian's python3 (baseline)
py-i686    | CPython extension cross-built for i386; pytest tests/ under qemu-i386 (python3.11)
py-armhf   | the same for armhf under qemu-arm (python3.11)
py-aarch64 | the same for arm64 under qemu-aarch64 (python3.11)
py-riscv64 | the same for riscv64 under qemu-riscv64 (Debian 13's python3.13)
py-aarch64-3.13 | the same for arm64 with Debian 13's python3.13
cpython-3.8  | pip install into a venv of pyenv's CPython 3.8; pytest tests/ (ci/cpython.sh)
cpython-3.9  | the same for CPython 3.9
cpython-3.10 | the same for CPython 3.10
cpython-3.11 | the same for CPython 3.11, also under -X dev
cpython-3.12 | the same for CPython 3.12
cpython-3.13 | the same for CPython 3.13
cffi-3.8     | the cffi backend (PyPy's layer, greenlets moving the frames) built and tested on CPython 3.8: TASKLETS_BACKEND=cffi ci/cpython.sh
cffi-3.9     | the same on CPython 3.9
cffi-3.10    | the same on CPython 3.10
cffi-3.11    | the same on CPython 3.11
cffi-3.12    | the same on CPython 3.12
cffi-3.13    | the same on CPython 3.13
cpython-3.14 | in the Debian sid chroot (ci/sid.sh): pip install into a venv of sid's python3.14; pytest tests/ (ci/cpython.sh)
cpython-3.14-jit | the same with the experimental JIT on (PYTHON_JIT=1, checked to be enabled)
cpython-3.15 | the same for sid's python3.15
cpython-3.15-jit | the same with PYTHON_JIT=1
pypy       | Debian's pypy3 (3.9): the cffi backend pip-installed into a venv; pytest tests/
pypy8      | the same in the sid chroot with sid's pypy3 (PyPy 8, Python 3.11)
asan       | pytest tests/ on CPython 3.11, extension built with TASKLETS_SANITIZE=1 (ASan+UBSan), ASan runtime preloaded
leaks      | tests/stress/leaks.py: 10^6 tasklet lifetimes, 10^6 messages, 10^4 threads; RSS and allocated blocks flat
threads-stress | tests/stress/threads_stress.py: 8 threads x 100 tasklets, 10^5 cross-thread messages, each once, in bounded time (10 rounds)
hypothesis-long | tests/test_state_machine.py with TASKLETS_HYPOTHESIS=long (10^4 random examples)
fuzz-core  | libFuzzer+ASan+UBSan harness tests/fuzz/fuzz_core.c on the core, 60 s from tests/fuzz/corpus
"

# ---------------------------------------------------------------- plumbing

t0_all=$(date +%s)
cur_target=""
cur_log=/dev/null
cur_fail=0

say() { printf '%s\n' "$*" >&3; }

# step NAME CMD...: run CMD, log it, print "ok"/"FAIL" and its seconds.
step() {
    local name=$1 t0 rc
    shift
    t0=$(date +%s)
    printf '\n==== %s: %s\n$ %s\n' "$cur_target" "$name" "$*" >>"$cur_log"
    "$@" >>"$cur_log" 2>&1
    rc=$?
    if [ $rc -eq 0 ]; then
        say "    ok    $(printf '%4ss' $(( $(date +%s) - t0 )))  $name"
    else
        say "    FAIL  $(printf '%4ss' $(( $(date +%s) - t0 )))  $name (exit $rc; see $cur_log)"
        cur_fail=1
    fi
    return $rc
}

# need PKG...: apt-get install whichever are not installed yet.
APT_UPDATED=0
need() {
    local missing="" p
    for p in "$@"; do
        dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
            grep -q '^install ok installed$' || missing="$missing $p"
    done
    [ -z "$missing" ] && return 0
    if [ "$(id -u)" != 0 ]; then
        echo "missing packages:$missing (run as root, or apt-get install them)"
        return 1
    fi
    mkdir -p "$CACHE/apt/archives/partial"
    apt_install $missing && return 0
    # a fresh machine may have no package lists yet: update once, retry.
    # 'update' may exit 100 over foreign-arch security indices (qemu.md,
    # pitfall 1) while the lists we need are fine, so ignore its status.
    if [ $APT_UPDATED = 0 ]; then
        APT_UPDATED=1
        apt-get update || true
        apt_install $missing
    else
        return 1
    fi
}
apt_install() {
    DEBIAN_FRONTEND=noninteractive apt-get -y -q --no-install-recommends \
        -o DPkg::Lock::Timeout=300 \
        -o Dir::Cache::Archives="$CACHE/apt/archives" install "$@"
}

# need_clang_rt: the runtime and headers (sanitizer/asan_interface.h) of
# clang's sanitizers and libFuzzer, libclang-rt-<major>-dev: only a
# Recommends of clang, which need (--no-install-recommends) leaves out.
need_clang_rt() {
    local major
    major=$(clang -dumpversion | cut -d. -f1) || return
    need "libclang-rt-$major-dev"
}

# make_step DIR VAR NAME MAKE-ARGS...: one make in DIR, as step NAME, with
# its build folder (make variable VAR) per target and variant.
make_step() {
    local dir=$1 var=$2 name=$3
    shift 3
    step "$name" make -C "$ROOT/$dir" --no-print-directory \
        "$var=build/$cur_target/$name" "$@"
}

# tests_c NAME MAKE-ARGS...: one build + run of tests/c (BUILD per variant).
tests_c() { make_step tests/c BUILD "$@"; }
# tests_io NAME MAKE-ARGS...: the same for io/tests (Linux/POSIX only).
tests_io() { make_step io/tests BUILD "$@"; }

# cross_pkgs TRIPLE DEBARCH: the packages a cross C target needs (clang
# cross-builds with the gcc cross toolchain's headers and libraries).
cross_pkgs() {
    step "packages" need "gcc-$1" "libc6-dev-$2-cross" qemu-user clang make
}

# asm_only NAME CC FLAGS...: assemble the transfer and the register helper.
asm_only() {
    local name=$1 cc=$2 out="$ROOT/tests/c/build/$cur_target/asm-only"
    shift 2
    mkdir -p "$out"
    step "$name (assemble only)" sh -c '
        cc=$1; out=$2; root=$3; shift 3
        $cc "$@" -c "$root/arch/switch.S" -o "$out/switch.o" &&
        $cc "$@" -I"$root/tests/c" -c "$root/tests/c/regs.S" -o "$out/regs.o"
    ' sh "$cc" "$out" "$ROOT" "$@"
}

# ---------------------------------------------------------------- targets

t_c_x86_64() {
    step "packages" need gcc clang make || return
    step "packages (clang's sanitizer runtime)" need_clang_rt || return
    tests_c gcc CC=gcc
    tests_c gcc-san CC=gcc SANITIZE=1
    tests_c clang CC=clang
    tests_c clang-san CC=clang SANITIZE=1
    tests_io gcc CC=gcc
    tests_io gcc-san CC=gcc SANITIZE=1
    tests_io clang CC=clang
    tests_io clang-san CC=clang SANITIZE=1
}

t_c_i686() {
    local cc=i686-linux-gnu-gcc run="RUNNER=qemu-i386" st="LDFLAGS=-static"
    cross_pkgs i686-linux-gnu i386 || return
    tests_c gcc CC=$cc $run $st
    tests_c gcc-sse2 CC=$cc "CFLAGS=-msse2 -mfpmath=sse" $run $st
    tests_c clang "CC=clang --target=i686-linux-gnu" $run $st
}

t_c_armhf() {
    local cc=arm-linux-gnueabihf-gcc run="RUNNER=qemu-arm" st="LDFLAGS=-static"
    cross_pkgs arm-linux-gnueabihf armhf || return
    tests_c gcc-thumb2 CC=$cc "CFLAGS=-mthumb" $run $st
    tests_c gcc-arm CC=$cc "CFLAGS=-marm" $run $st
    tests_c clang-thumb2 "CC=clang --target=arm-linux-gnueabihf" \
        "CFLAGS=-mthumb" $run $st
    asm_only cortex-m4-fpv4 $cc -mcpu=cortex-m4 -mthumb -mfloat-abi=hard \
        -mfpu=fpv4-sp-d16
    asm_only cortex-m3-soft $cc -mcpu=cortex-m3 -mthumb -mfloat-abi=soft
    asm_only cortex-m0-soft $cc -mcpu=cortex-m0 -mthumb -mfloat-abi=soft
}

t_c_armel() {
    local cc=arm-linux-gnueabi-gcc run="RUNNER=qemu-arm" st="LDFLAGS=-static"
    cross_pkgs arm-linux-gnueabi armel || return
    tests_c gcc-armv5te CC=$cc $run $st
    # Thumb-1 code on a core with ARM state: the transfer is ARM code
    tests_c gcc-armv5te-thumb CC=$cc "CFLAGS=-mthumb" $run $st
    tests_c gcc-armv7-thumb2 CC=$cc \
        "CFLAGS=-march=armv7-a -mthumb -mfloat-abi=soft" $run $st
    tests_c gcc-armv7-softfp CC=$cc \
        "CFLAGS=-march=armv7-a -mfpu=vfpv3-d16 -mfloat-abi=softfp" $run $st
    tests_c clang-armv4t "CC=clang --target=arm-linux-gnueabi" \
        "CFLAGS=-march=armv4t" $run $st
}

t_c_aarch64() {
    local cc=aarch64-linux-gnu-gcc run="RUNNER=qemu-aarch64" st="LDFLAGS=-static"
    cross_pkgs aarch64-linux-gnu arm64 || return
    tests_c gcc CC=$cc $run $st
    # qemu's default cpu has PAuth: signed return addresses are checked
    tests_c gcc-pac-bti CC=$cc "CFLAGS=-mbranch-protection=standard" $run $st
    tests_c clang "CC=clang --target=aarch64-linux-gnu" $run $st
}

t_c_riscv64() {
    local cc=riscv64-linux-gnu-gcc run="RUNNER=qemu-riscv64" st="LDFLAGS=-static"
    cross_pkgs riscv64-linux-gnu riscv64 || return
    tests_c gcc CC=$cc $run $st
    tests_c clang "CC=clang --target=riscv64-linux-gnu" $run $st
    asm_only rv64imac-lp64 $cc -march=rv64imac -mabi=lp64
    asm_only rv64imafc-lp64f $cc -march=rv64imafc -mabi=lp64f
}

# Cortex-M: bare-metal firmware under qemu-system-arm, built and run by
# ci/cortex-m/Makefile (startup, linker scripts, semihosting; see its
# README.md).  cortex_m NAME MAKE-ARGS...: one make of it.
cortex_m_pkgs() {
    step "packages" need gcc-arm-none-eabi libnewlib-arm-none-eabi \
        binutils-arm-none-eabi qemu-system-arm make
}
cortex_m() { make_step ci/cortex-m TESTS_BUILD "$@"; }

t_c_cortex_m3() {
    cortex_m_pkgs || return
    cortex_m tests-O2 BOARD=mps2-an385 check
    cortex_m tests-Os BOARD=mps2-an385 OPT=-Os check
    cortex_m blinky BOARD=mps2-an385 blinky
    cortex_m bench BOARD=mps2-an385 bench
}

t_c_cortex_m4f() {
    cortex_m_pkgs || return
    cortex_m tests-O2 BOARD=mps2-an386 check
    cortex_m blinky BOARD=mps2-an386 blinky
    cortex_m bench BOARD=mps2-an386 bench
}

t_c_cortex_m0() {
    cortex_m_pkgs || return
    cortex_m tests-microbit-Os BOARD=microbit OPT=-Os check
    cortex_m tests-mps2-O2 BOARD=mps2-an385 CPU=cortex-m0 check
    cortex_m blinky BOARD=microbit blinky
    cortex_m bench BOARD=microbit bench
}

# ------------------------------------------------- foreign CPython sysroot
# For the py-<arch> targets: Debian's own CPython for the target arch,
# unpacked with dpkg-deb into ci/cache/sysroot-<arch>, fetched by a private
# apt (own lists, cache and status), so the host's apt and dpkg state stay
# untouched.  Recipe and pitfalls: docs/qemu.md.

# archinfo KEY: DEB (the Debian arch) TRIPLE QEMU MA SUITE PYV for a
# sysroot KEY (a Debian arch, or arch-VERSION for another suite's python)
archinfo() {
    local key=$1 deb=${1%%-*}
    case $1 in
    arm64)   set -- aarch64-linux-gnu   aarch64 aarch64-linux-gnu   bookworm 3.11 ;;
    arm64-3.13) set -- aarch64-linux-gnu aarch64 aarch64-linux-gnu  trixie   3.13 ;;
    armhf)   set -- arm-linux-gnueabihf arm     arm-linux-gnueabihf bookworm 3.11 ;;
    i386)    set -- i686-linux-gnu      i386    i386-linux-gnu      bookworm 3.11 ;;
    riscv64) set -- riscv64-linux-gnu   riscv64 riscv64-linux-gnu   trixie   3.13 ;;
    *) echo "unknown Debian arch: $1" >&2; return 2 ;;
    esac
    KEY=$key DEB=$deb TRIPLE=$1 QEMU=qemu-$2 MA=$3 SUITE=$4 PYV=$5
    # trixie's arm64 binaries are built with -mbranch-protection=standard
    # (dpkg >= 1.22; python3.13 has 6,074 paciasp): every call signs and
    # checks its return address, and qemu 7.2 emulates each PAC slowly (a
    # Python loop: 18x with the default QARMA5, 2.4x with pauth-impdef),
    # which made py-aarch64-3.13 time out in the state machine test.  The
    # PAC instructions are hints, so pauth=off runs them as no-ops (the cpu
    # keeps BTI); c-aarch64 checks the switch's own PAC with PAuth on.
    QEMU_CPU_FLAGS=""
    [ "$2" = aarch64 ] && QEMU_CPU_FLAGS="-cpu max,pauth=off"
    return 0
}

# aptx DEBARCH SUITE APT-GET-ARGS...: apt-get on a private state folder
aptx() {
    local d=$CACHE/apt-$1-$2 a=$1 mirror
    mirror=${MIRROR:-$(apt-get indextargets --format '$(REPO_URI)' \
        "Release: $(. /etc/os-release; echo "$VERSION_CODENAME")" \
        'Target-Of: deb' | head -n1)}
    mirror=${mirror:-http://deb.debian.org/debian/}
    mkdir -p "$d/lists/partial" "$d/cache/archives/partial" "$d/parts"
    [ -e "$d/status" ] || : >"$d/status"
    echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror $2 main" \
        >"$d/sources.list"
    shift 2
    apt-get -q -o APT::Sandbox::User=root -o Dir::State::Lists="$d/lists" \
        -o Dir::Cache="$d/cache" -o Dir::State::status="$d/status" \
        -o Dir::Etc::SourceList="$d/sources.list" \
        -o Dir::Etc::SourceParts="$d/parts" \
        -o Dir::Etc::PreferencesParts="$d/parts" \
        -o Dir::Etc::Preferences="$d/parts/none" \
        -o APT::Architecture="$a" -o APT::Architectures::="$a" "$@"
}

# unpack DEST DEB...: extract, then make DEST usable as a qemu -L prefix
unpack() {
    local dest=$1 f x l
    shift
    mkdir -p "$dest"
    for f in "$@"; do dpkg-deb -x "$f" "$dest" || return; done
    for x in lib lib64 bin sbin; do   # merged-/usr suites ship no /lib
        [ -e "$dest/$x" ] || [ ! -d "$dest/usr/$x" ] || ln -s "usr/$x" "$dest/$x"
    done
    # absolute links would resolve on the host under qemu -L: make relative
    find "$dest" -type l -lname '/*' | while read -r l; do
        ln -sfn "$(realpath -m --relative-to="$(dirname "$l")" \
            "$dest$(readlink "$l")")" "$l"
    done
}

# sysroot KEY: ci/cache/sysroot-<key> with python$PYV, its headers and
# pytest (in ci/cache/pytest-<suite>).  Does nothing when already there.
sysroot() {
    archinfo "$1" || return
    local sr=$CACHE/sysroot-$1 pyall=$CACHE/pytest-$SUITE ssl=libssl3 extra hostpy
    local gl=$CACHE/sysroot-$1/usr/lib/python3/dist-packages/greenlet
    [ -x "$sr/usr/bin/python$PYV" ] && [ -d "$pyall" ] && [ -d "$gl" ] && return 0
    need debian-archive-keyring || return
    [ "$SUITE" = trixie ] && ssl=libssl3t64
    aptx "$DEB" "$SUITE" update >/dev/null || return
    if [ ! -x "$sr/usr/bin/python$PYV" ]; then
        rm -rf "$CACHE/debs-$1" && mkdir -p "$CACHE/debs-$1" || return
        (cd "$CACHE/debs-$1" && aptx "$DEB" "$SUITE" download python$PYV-minimal \
            libpython$PYV-minimal libpython$PYV-stdlib libpython$PYV-dev libc6 \
            libgcc-s1 libexpat1 zlib1g libffi8 $ssl libbz2-1.0 liblzma5 \
            libsqlite3-0 libuuid1 >/dev/null) || return
        unpack "$sr.tmp" "$CACHE/debs-$1"/*.deb || return
        find "$sr.tmp" -name "*.a" -delete    # libpython*.a: never needed
    fi
    if [ ! -d "$pyall" ]; then
        extra="python3-py"
        [ "$SUITE" = trixie ] && extra=""
        rm -rf "$CACHE/debs-all-$SUITE" && mkdir -p "$CACHE/debs-all-$SUITE"
        (cd "$CACHE/debs-all-$SUITE" && aptx "$DEB" "$SUITE" download \
            python3-pytest python3-pluggy python3-iniconfig \
            python3-packaging python3-attr python3-hypothesis \
            python3-sortedcontainers $extra >/dev/null) || return
        unpack "$pyall.tmp" "$CACHE/debs-all-$SUITE"/*.deb && \
            mv "$pyall.tmp" "$pyall" || return
    fi
    # bytecode is arch-independent: a same-minor host python (Debian's or
    # pyenv's) precompiles; else the first run under qemu compiles the
    # stdlib (3.13 on arm64: about 3 minutes on a loaded machine)
    if [ -d "$sr.tmp" ]; then
        hostpy=$(ls -d "/usr/bin/python$PYV" \
            "${PYENV_ROOT:-/root/.pyenv}"/versions/"$PYV".*/bin/python 2>/dev/null | head -1)
        if [ -n "$hostpy" ]; then
            "$hostpy" -m compileall -q -j0 \
                "$sr.tmp/usr/lib/python$PYV" "$pyall" >/dev/null 2>&1 || true
        fi
        mv "$sr.tmp" "$sr"
    fi
    # greenlet for tests/test_greenlet.py: Debian's build for this arch and
    # python (bookworm: 2.0.2, trixie: 3.1); the sysroot's python finds its
    # /usr/lib/python3/dist-packages by itself
    if [ ! -d "$gl" ]; then
        rm -rf "$CACHE/debs-gl-$1" && mkdir -p "$CACHE/debs-gl-$1" || return
        (cd "$CACHE/debs-gl-$1" && aptx "$DEB" "$SUITE" download \
            python3-greenlet libstdc++6 >/dev/null) || return
        unpack "$sr" "$CACHE/debs-gl-$1"/*.deb || return
    fi
}

# py_build OUT CC PYINC EXT: the extension, built with the flags of setup.py
# plus -Werror, into OUT/pkg/tasklets next to a copy of the Python files.
py_build() {
    step "build _tasklets$4" sh -c '
        set -e
        root=$1 out=$2 cc=$3 inc=$4 ext=$5
        rm -rf "$out/pkg" && mkdir -p "$out/pkg/tasklets"
        cp "$root"/tasklets/*.py "$out/pkg/tasklets/"
        for f in "$root"/tasklets/*.pyi "$root"/tasklets/py.typed "$root"/stackless.py; do
            [ ! -e "$f" ] || cp "$f" "$out/pkg/${f#$root/}"
        done
        cd "$root"
        $cc -O2 -g -std=gnu11 -fvisibility=hidden -fPIC -shared -Wall -Wextra \
            -Wno-missing-field-initializers -Wno-unused-parameter -Werror \
            -Icore -Iarch -Icpython_ext $inc cpython_ext/*.c core/*.c arch/switch.S \
            -o "$out/pkg/tasklets/_tasklets$ext"
    ' sh "$ROOT" "$1" "$2" "$3" "$4"
}

# py_test OUT PYTHONPATH-EXTRA QEMU-FLAG PYTHON...: pytest tests/ with OUT/pkg
# first on the path.  cwd is the package copy, so the repo's own tasklets/
# is not imported; a stuck test (or a thread left blocked at exit) ends after
# PY_TIMEOUT seconds.  TASKLETS_UNDER_QEMU=1 (QEMU-FLAG) tells tests that
# running sys.executable in a subprocess cannot work (no binfmt_misc).
py_test() {
    local out=$1 extra=$2 qemu=$3
    shift 3
    step "pytest tests/" sh -c 'cd "$1" && shift && "$@"' sh "$out/pkg" \
        timeout -k 10 "${PY_TIMEOUT:-900}" env -u PYTHONDONTWRITEBYTECODE \
        TASKLETS_UNDER_QEMU=$qemu PYTHONPATH="$out/pkg${extra:+:$extra}" \
        "$@" -m pytest -q -p no:cacheprovider "$ROOT/tests"
}

# py_cross KEY: the extension cross-built against the sysroot's CPython,
# in ci/cache/py-<key>/, and pytest run under qemu.
py_cross() {
    archinfo "$1" || return
    local sr=$CACHE/sysroot-$1 out=$CACHE/py-$1 ext
    cross_pkgs "$TRIPLE" "$DEB" || return
    step "sysroot ($SUITE, python$PYV)" sysroot "$1" || return
    ext=$(qemu_py "$1" -c 'import sysconfig; print(sysconfig.get_config_var("EXT_SUFFIX"))') ||
        { step "EXT_SUFFIX" false; return; }
    py_build "$out" "$TRIPLE-gcc" \
        "-I$sr/usr/include -I$sr/usr/include/python$PYV" "$ext" || return
    py_test "$out" "$CACHE/pytest-$SUITE/usr/lib/python3/dist-packages" 1 \
        "$QEMU" $QEMU_CPU_FLAGS -L "$sr" "$sr/usr/bin/python$PYV"
}

# the same natively, with Debian's python3 and pytest: the baseline the
# cross runs compare against
t_py_x86_64() {
    local out=$CACHE/py-amd64 py=/usr/bin/python3 ext
    step "packages" need gcc python3-dev python3-pytest python3-greenlet || return
    ext=$($py -c 'import sysconfig; print(sysconfig.get_config_var("EXT_SUFFIX"))')
    py_build "$out" gcc "-I$($py -c 'import sysconfig; print(sysconfig.get_paths()["include"])')" \
        "$ext" || return
    py_test "$out" "" 0 "$py"
}

# qemu_py KEY ARGS...: the sysroot's python under qemu
qemu_py() {
    archinfo "$1" || return
    shift
    "$QEMU" $QEMU_CPU_FLAGS -L "$CACHE/sysroot-$KEY" "$CACHE/sysroot-$KEY/usr/bin/python$PYV" "$@"
}

t_py_i686() { py_cross i386; }
t_py_armhf() { py_cross armhf; }
t_py_aarch64() { py_cross arm64; }
t_py_riscv64() { py_cross riscv64; }
t_py_aarch64_3_13() { py_cross arm64-3.13; }

# host CPythons: ci/cpython.sh makes the venv, installs and runs pytest
t_cpython_3_8() { step "pytest 3.8" bash "$ROOT/ci/cpython.sh" 3.8; }
t_cpython_3_9() { step "pytest 3.9" bash "$ROOT/ci/cpython.sh" 3.9; }
t_cpython_3_10() { step "pytest 3.10" bash "$ROOT/ci/cpython.sh" 3.10; }
t_cpython_3_11() {
    step "pytest 3.11" bash "$ROOT/ci/cpython.sh" 3.11
    step "pytest 3.11 -X dev" bash "$ROOT/ci/cpython.sh" 3.11 -X dev
}
t_cpython_3_12() { step "pytest 3.12" bash "$ROOT/ci/cpython.sh" 3.12; }
t_cpython_3_13() { step "pytest 3.13" bash "$ROOT/ci/cpython.sh" 3.13; }

# the cffi backend on host CPythons (python-zstandard style): the PyPy layer
# tested on every version, with greenlets instead of continulets
cffi_suite() {
    step "pytest $1, cffi backend" env TASKLETS_BACKEND=cffi \
        timeout -k 10 "${PY_TIMEOUT:-900}" bash "$ROOT/ci/cpython.sh" "$1"
}
t_cffi_3_8() { cffi_suite 3.8; }
t_cffi_3_9() { cffi_suite 3.9; }
t_cffi_3_10() { cffi_suite 3.10; }
t_cffi_3_11() { cffi_suite 3.11; }
t_cffi_3_12() { cffi_suite 3.12; }
t_cffi_3_13() { cffi_suite 3.13; }

# Debian sid's interpreters, in the chroot ci/sid.sh makes (cached in
# ci/cache/sid/; the checkout is /src there, and every mount is undone when
# the command ends).  ci/cpython.sh runs inside, with its venv in the
# chroot's /opt (its interpreter paths are the chroot's), and pytest from
# /tmp against the installed package.  sid_suite V [ENV...]
sid_suite() {
    local v=$1
    shift
    step "sid chroot (ci/sid.sh setup)" bash "$ROOT/ci/sid.sh" setup || return
    if [ "${1:-}" = PYTHON_JIT=1 ]; then
        step "JIT enabled" bash "$ROOT/ci/sid.sh" run env PYTHON_JIT=1 "python$v" \
            -c 'import sys; assert sys._jit.is_enabled(), "JIT off"' || return
    fi
    step "pytest $v${1:+ $*}" bash "$ROOT/ci/sid.sh" run env VENV="/opt/venv-$v" "$@" \
        timeout -k 10 "${PY_TIMEOUT:-900}" bash /src/ci/cpython.sh "$v"
}
t_cpython_3_14() { sid_suite 3.14; }
t_cpython_3_14_jit() { sid_suite 3.14 PYTHON_JIT=1; }
t_cpython_3_15() { sid_suite 3.15; }
t_cpython_3_15_jit() { sid_suite 3.15 PYTHON_JIT=1; }
t_pypy8() { sid_suite pypy3; }

# PyPy: Debian's pypy3 with the cffi backend (cffi_build/, pypy/; see
# pypy/README.md) pip-installed into a venv in build/; pytest runs from /tmp
# so that the source tree's tasklets/ is not imported.  --assert=plain:
# PyPy 7.3.11 sometimes crashes compiling pytest's rewritten asserts
# (pytest-dev/pytest#11168, #11771; fixed in later PyPys).
t_pypy() {
    local venv=$ROOT/build/venv-pypy3
    step "packages" need pypy3 pypy3-dev pypy3-venv gcc || return
    if ! "$venv/bin/python" -c "import pytest, hypothesis" >/dev/null 2>&1; then
        rm -rf "$venv"
        step "venv" sh -c 'pypy3 -m venv "$1" &&
            "$1/bin/python" -m pip install -q --disable-pip-version-check \
                pytest hypothesis' sh "$venv" || return
    fi
    step "pip install (builds tasklets._tasklets_cffi)" "$venv/bin/python" \
        -m pip install -q --disable-pip-version-check --force-reinstall \
        --no-deps "$ROOT" || return
    # the cffi module holds the core's plan files only (no stack transfer,
    # no arch/ stubs): none of the transfer symbols may appear in it
    step "no transfer code in the cffi module" sh -c 'cd /tmp &&
        so=$("$1/bin/python" -c "import tasklets._tasklets_cffi as m; print(m.__file__)") &&
        ! nm "$so" | grep -E " (tsk_switch|tsk__switch|tsk__arch_[a-z_]*|tsk_schedule|tsk_stack_init)\$"' \
        sh "$venv" || return
    step "pytest tests/" sh -c 'cd /tmp && exec timeout -k 10 "$1" \
        "$2/bin/python" -m pytest -q -p no:cacheprovider --assert=plain \
        "$3/tests"' \
        sh "${PY_TIMEOUT:-900}" "$venv" "$ROOT"
}

# ---------------------------------------------------------- reliability
# Sanitizers, leaks, threads, long property runs and fuzzing.  The Python
# ones but asan run Debian's python3 (hypothesis-long: in a venv with
# hypothesis from PyPI) on the extension py_build puts in
# ci/cache/rel-amd64/.

# asan: setup.py's TASKLETS_SANITIZE=1 build through ci/cpython.sh (venv
# build/venv-cp3.11-san).  The interpreter is not instrumented, so the ASan
# runtime is preloaded (into pip and the compiler too, harmlessly);
# detect_leaks=0 because CPython does not free everything at exit (leaks
# are the leaks target's job); a UBSan report stops the run.
t_asan() {
    local rt
    step "packages" need gcc || return
    rt=$(gcc -print-file-name=libasan.so)
    step "pytest 3.11, ASan+UBSan" env TASKLETS_SANITIZE=1 LD_PRELOAD="$rt" \
        ASAN_OPTIONS=detect_leaks=0 \
        UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        timeout -k 10 "${PY_TIMEOUT:-900}" bash "$ROOT/ci/cpython.sh" 3.11
}

rel_build() {
    local py=/usr/bin/python3 ext
    step "packages" need gcc python3-dev python3-pytest || return
    ext=$($py -c 'import sysconfig; print(sysconfig.get_config_var("EXT_SUFFIX"))')
    py_build "$CACHE/rel-amd64" gcc \
        "-I$($py -c 'import sysconfig; print(sysconfig.get_paths()["include"])')" \
        "$ext"
}

# rel_venv: build/venv-rel, Debian's python3 with pytest and hypothesis
# from PyPI (Debian's hypothesis 6.67 needs hours for 10^4 examples)
rel_venv() {
    local venv=$ROOT/build/venv-rel
    step "packages" need python3-venv || return
    "$venv/bin/python" -c "import pytest, hypothesis" >/dev/null 2>&1 && return 0
    rm -rf "$venv"
    step "venv (pytest, hypothesis)" sh -c '/usr/bin/python3 -m venv "$1" &&
        "$1/bin/python" -m pip install -q --disable-pip-version-check \
            pytest hypothesis' sh "$venv"
}

# rel_run SECONDS NAME ARGS...: python3 ARGS (REL_PY: another python3.11)
# from the package copy, killed after SECONDS
rel_run() {
    local secs=$1 name=$2
    shift 2
    step "$name" sh -c 'cd "$1" && shift && exec "$@"' sh "$CACHE/rel-amd64/pkg" \
        timeout -k 10 "$secs" env PYTHONPATH="$CACHE/rel-amd64/pkg" \
        "${REL_PY:-/usr/bin/python3}" "$@"
}

t_leaks() {
    rel_build || return
    rel_run 1800 "leaks.py" "$ROOT/tests/stress/leaks.py"
}

t_threads_stress() {
    rel_build || return
    rel_run 1500 "threads_stress.py (bound 120 s a round)" \
        "$ROOT/tests/stress/threads_stress.py" --bound 120 \
        --rounds "${THREADS_ROUNDS:-10}"
}

t_hypothesis_long() {
    rel_build || return
    rel_venv || return
    TASKLETS_HYPOTHESIS=long REL_PY=$ROOT/build/venv-rel/bin/python \
        rel_run 3600 "state machine, long profile" \
        -m pytest -q -s -p no:cacheprovider "$ROOT/tests/test_state_machine.py"
}

# fuzz-core: the seeds (tests/fuzz/corpus) once, then FUZZ_SECONDS (60)
# of libFuzzer, every check (ASan with leak detection, UBSan) on.  The
# corpus grows in ci/cache/fuzz/corpus; crashes are written to
# ci/cache/fuzz/.
t_fuzz_core() {
    local out=$CACHE/fuzz
    step "packages" need clang || return
    step "packages (clang's sanitizer runtime)" need_clang_rt || return
    mkdir -p "$out/corpus"
    fuzz_build "$out/fuzz_core" || return
    step "seeds" "$out/fuzz_core" -runs=0 \
        -artifact_prefix="$out/" "$ROOT/tests/fuzz/corpus"
    step "fuzz ${FUZZ_SECONDS:-60} s" "$out/fuzz_core" \
        -max_total_time="${FUZZ_SECONDS:-60}" -timeout=10 -print_final_stats=1 \
        -artifact_prefix="$out/" "$out/corpus" "$ROOT/tests/fuzz/corpus"
}

# fuzz_build OUT CFLAGS...  (the checked core: TSK_ASSERT on, tsk_conf.h)
fuzz_build() {
    step "build ${1##*/} (libFuzzer, ASan, UBSan)" sh -c 'root=$1 out=$2
        shift 2
        cd "$root" && exec clang -g -O1 -D_GNU_SOURCE \
        -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
        -DTSK_CHECKED=1 "$@" -Icore -Iarch tests/fuzz/fuzz_core.c core/*.c arch/switch.S \
        -o "$out"' sh "$ROOT" "$@"
}

# ------------------------------------------------------------------ driver

list_targets() {
    echo "$TARGETS" | sed -n 's/^\([^ |]*\) *| *\(.*\)$/\1\t\2/p'
}

usage() {
    sed -n '2,/^set -u/{/^set -u/d;s/^# \{0,1\}//;p}' "$0"
}

run_target() {
    local fn t0 secs
    fn=t_$(echo "$1" | tr -- -. __)
    cur_target=$1
    cur_log=$LOGS/$1.log
    cur_fail=0
    : >"$cur_log"
    t0=$(date +%s)
    if declare -F "$fn" >/dev/null; then
        "$fn"
    else
        say "no such target: $1"
        cur_fail=1
    fi
    secs=$(( $(date +%s) - t0 ))
    if [ $cur_fail -eq 0 ]; then
        RESULTS="$RESULTS$1 PASS $secs\n"
    else
        RESULTS="$RESULTS$1 FAIL $secs\n"
        FAILED=1
    fi
}

main() {
    local want="" t n i
    case ${1:-} in
    --list) list_targets; return 0 ;;
    --sysroot)
        shift
        [ $# -gt 0 ] || { echo "usage: $0 --sysroot DEBARCH..." >&2; return 2; }
        for t in "$@"; do sysroot "$t" || { echo "sysroot $t failed" >&2; return 1; }
            echo "$CACHE/sysroot-$t"; done
        return 0 ;;
    --need) shift; need "$@"; return ;;
    ""|-h|--help) usage; return 0 ;;
    esac
    for t in "$@"; do
        if [ "$t" = all ]; then
            want="$want $(list_targets | cut -f1 | tr '\n' ' ')"
        elif list_targets | cut -f1 | grep -qx -- "$t"; then
            want="$want $t"
        else
            echo "unknown target: $t (see $0 --list)" >&2
            return 2
        fi
    done
    exec 3>&1
    RESULTS="" FAILED=0
    n=$(echo $want | wc -w)
    i=0
    for t in $want; do
        i=$((i + 1))
        say "[$i/$n] $t"
        run_target "$t"
    done
    say ""
    say "$(printf '%-16s %-6s %7s' target result seconds)"
    say "$(printf '%-16s %-6s %7s' ---------------- ------ -------)"
    printf "$RESULTS" | while read -r t r s; do
        say "$(printf '%-16s %-6s %7s' "$t" "$r" "$s")"
    done
    say "$(printf '%-16s %-6s %7s' total "$([ $FAILED = 0 ] && echo PASS || echo FAIL)" \
        $(( $(date +%s) - t0_all )))"
    say "logs: $LOGS/<target>.log"
    return $FAILED
}

main "$@"

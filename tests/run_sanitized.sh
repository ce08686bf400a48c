#!/bin/sh
# run_sanitized.sh - Zova under AddressSanitizer + UndefinedBehaviorSanitizer (gcc).
#
#   tests/run_sanitized.sh [--c-only | --python-only] [pytest arguments...]
#
# 1. builds build/lib-sanitize/libzova_c.{a,so} (`python build.py lib --sanitize`),
#    and the plain build/lib that the Python suite's C, Go and ABI tests link,
#    and a sanitized zova._native into build/py-sanitize/zova (the package's .py
#    files + the extension linked from sanitized per-file objects; the in-place
#    python/zova/_native*.so is left alone);
# 2. compiles every C/C++ test program in tests/c against the sanitized archive
#    and runs it with leak detection ON (any ASan/UBSan report or leak fails);
# 3. runs the Python test suite (default: tests/ without the tests that drive
#    rustc/cargo or Go's race detector, or the given pytest arguments)
#    on the sanitized extension, with libasan/libubsan preloaded and
#    detect_leaks=0 (CPython itself keeps memory until exit).
# Environment: PYTHON (default python3), CC (default gcc), CXX (default g++).
# Exit status is non-zero if any step fails; a missing toolchain fails loudly.
set -eu
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PYTHON=${PYTHON:-python3}
CC=${CC:-gcc}
CXX=${CXX:-g++}
MODE=all
case "${1:-}" in
    --c-only) MODE=c; shift ;;
    --python-only) MODE=python; shift ;;
esac

die() { echo "run_sanitized: $*" >&2; exit 1; }
command -v "$CC" >/dev/null || die "$CC not found"
ASAN_RT=$("$CC" -print-file-name=libasan.so)
UBSAN_RT=$("$CC" -print-file-name=libubsan.so)
[ -f "$ASAN_RT" ] || die "libasan.so not found for $CC (install the gcc sanitizer runtime)"
[ -f "$UBSAN_RT" ] || die "libubsan.so not found for $CC"

SAN_FLAGS="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -g -O1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"

echo "== building build/lib-sanitize, and build/lib for the Go and C-linking tests"
"$PYTHON" build.py lib --sanitize >/dev/null
"$PYTHON" build.py lib >/dev/null

if [ "$MODE" != c ]; then
    echo "== building the sanitized extension into build/py-sanitize"
    ZOVA_SANITIZE=1 "$PYTHON" - <<'EOF'
import shutil, sys
from pathlib import Path
root = Path.cwd()
sys.path.insert(0, str(root))
import build
objects = build.compile_objects(root / "build" / "obj" / "py-sanitize", build.SANITIZE_FLAGS)
target = root / "build" / "py-sanitize" / "zova"
if target.exists():
    shutil.rmtree(target)
shutil.copytree(root / "python" / "zova", target, ignore=shutil.ignore_patterns("*.so", "__pycache__", "_native.c"))
built = Path(build.make_ffibuilder(objects).compile(tmpdir=str(root / "build" / "develop-sanitize")))
shutil.copy2(built, target / built.name)
print(target / built.name)
EOF
fi

failures=0
run_c_programs() {
    WORK=$(mktemp -d)
    trap 'rm -rf "$WORK"' EXIT
    passed=0
    for source in tests/c/*.c tests/c/*.cpp; do
        [ -f "$source" ] || continue
        name=$(basename "$source"); stem=${name%.*}
        compiler=$CC; std=-std=c99
        case "$name" in *.cpp) compiler=$CXX; std=-std=c++17 ;; esac
        binary="$WORK/$stem"
        # shellcheck disable=SC2086
        "$compiler" $std $SAN_FLAGS -I"$ROOT/include" -I"$ROOT/tests/c" \
            "$source" build/lib-sanitize/libzova_c.a -lsqlite3 -lpthread -ldl -lm -o "$binary" \
            || { echo "FAIL (compile) $name"; failures=$((failures + 1)); continue; }
        dir="$WORK/$stem.d"; mkdir -p "$dir"
        export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:halt_on_error=1:exitcode=86"
        case "$stem" in
            records_test) set -- "$dir/records.zova" ;;
            interop) set -- write "$dir/interop.zova" c ;;
            *) set -- "$dir" ;;
        esac
        if "$binary" "$@" >"$WORK/$stem.out" 2>&1 \
           && { [ "$stem" != interop ] || "$binary" read "$dir/interop.zova" >>"$WORK/$stem.out" 2>&1; }; then
            echo "ok   $name (ASan+UBSan, leaks checked)"; passed=$((passed + 1))
        else
            echo "FAIL $name"; cat "$WORK/$stem.out"; failures=$((failures + 1))
        fi
    done
    unset ASAN_OPTIONS
    echo "== C programs: $passed passed, $failures failed"
}
[ "$MODE" = python ] || run_c_programs

if [ "$MODE" != c ]; then
    echo "== python tests on the sanitized extension"
    # Default: the whole suite except tests driving foreign toolchains that
    # cannot run with libasan preloaded (rustc/cargo SIGSEGV; Go's -race runtime
    # "too many address space collisions"). They link the plain build/lib
    # archive anyway; the C programs above cover the sanitized one. The peak
    # memory tests are left out too: ASan's shadow memory and quarantine are
    # what they would measure.
    [ "$#" -gt 0 ] || set -- tests --ignore=tests/test_rust.py --ignore=tests/test_interop.py \
        -k "not rust and not race_detector and not peak_memory"
    env LD_PRELOAD="$ASAN_RT $UBSAN_RT" ASAN_OPTIONS=detect_leaks=0 PYTHONPATH="$ROOT/build/py-sanitize" \
        "$PYTHON" -c "import zova._native as n, sys; assert 'py-sanitize' in n.__file__, n.__file__; print('extension:', n.__file__)" \
        || die "the sanitized extension is not the one imported"
    # pytest captures fd 2, and an ASan abort kills it before it can print:
    # reports also go to files under $REPORTS, shown on failure.
    REPORTS=$(mktemp -d)
    if env LD_PRELOAD="$ASAN_RT $UBSAN_RT" ASAN_OPTIONS="detect_leaks=0:halt_on_error=1:log_path=$REPORTS/asan" \
           UBSAN_OPTIONS="$UBSAN_OPTIONS:log_path=$REPORTS/ubsan" \
           PYTHONPATH="$ROOT/build/py-sanitize${PYTHONPATH:+:$PYTHONPATH}" ZOVA_SANITIZED_RUN=1 \
           "$PYTHON" -m pytest -p no:cacheprovider -q "$@"; then
        echo "== python tests passed under ASan+UBSan"
    else
        echo "== python tests FAILED under ASan+UBSan"; failures=$((failures + 1))
        for report in "$REPORTS"/*; do [ -f "$report" ] && { echo "--- $report"; cat "$report"; }; done
    fi
    rm -rf "$REPORTS"
fi
[ "$failures" -eq 0 ]

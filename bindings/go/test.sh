#!/bin/sh
# Runs the Go binding's tests (cli-and-bindings §3.1) against include/zova.h
# and libzova_c.a. ZOVA_INCLUDE_DIR / ZOVA_LIB_DIR choose another header or
# library directory; they default to the repository's include/ and build/lib/
# (built with `python build.py lib` when the archive is missing; $PYTHON picks
# the interpreter). Extra arguments go to `go test`. Runs offline: the module
# has no requirements.
set -eu
here=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
root=$(CDPATH= cd -- "$here/../.." && pwd)

if [ -z "${ZOVA_INCLUDE_DIR:-}" ]; then
    ZOVA_INCLUDE_DIR=$root/include
fi
if [ -z "${ZOVA_LIB_DIR:-}" ]; then
    ZOVA_LIB_DIR=$root/build/lib
    if [ ! -f "$ZOVA_LIB_DIR/libzova_c.a" ]; then
        (cd "$root" && "${PYTHON:-python3}" build.py lib)
    fi
fi

# Environment flags come before the #cgo directives, so these paths win.
# On Linux -Bstatic links the self-contained archive even when a
# libzova_c.so sits next to it.
CGO_CFLAGS="${CGO_CFLAGS:--O2 -g} -I$ZOVA_INCLUDE_DIR"
if [ "$(uname -s)" = Linux ]; then
    CGO_LDFLAGS="${CGO_LDFLAGS:-} -L$ZOVA_LIB_DIR -Wl,-Bstatic -lzova_c -Wl,-Bdynamic"
else
    CGO_LDFLAGS="${CGO_LDFLAGS:-} -L$ZOVA_LIB_DIR -lzova_c"
fi
GOFLAGS="${GOFLAGS:-} -mod=mod"
export CGO_ENABLED=1 CGO_CFLAGS CGO_LDFLAGS GOFLAGS GOPROXY=off GOTOOLCHAIN=local

cd "$here"
exec go test -count=1 "$@" ./...

#!/bin/sh
# Runs the Go binding's tests (docs/go.md §3.1): go test ./... in this
# directory. cgo compiles the C core and the vendored SQLite from csrc/ (a copy
# refreshed by `python3 build.py sync-bindings`), so this needs only Go and a C
# compiler; the first build takes about a minute, later ones reuse GOCACHE.
# Extra arguments go to `go test`. Runs offline: the module has no
# requirements.
set -eu
here=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)

GOFLAGS="${GOFLAGS:-} -mod=mod"
export CGO_ENABLED=1 GOFLAGS GOPROXY=off GOTOOLCHAIN=local

cd "$here"
exec go test -count=1 "$@" ./...

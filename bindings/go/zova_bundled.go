//go:build !zova_system

package zova

// The default build: cgo compiles zova_bundle.c (the C core and SQLite from
// csrc/, one translation unit) into the package.

/*
#cgo CFLAGS: -I${SRCDIR}/csrc -std=gnu99
#cgo linux LDFLAGS: -lpthread -ldl -lm
*/
import "C"

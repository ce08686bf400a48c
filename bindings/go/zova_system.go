//go:build zova_system

package zova

// With -tags zova_system the package compiles no C (zova_bundle.c is
// excluded) and links the installed libzova_c that pkg-config's zova.pc
// describes (`python3 build.py install --prefix DIR`, then
// PKG_CONFIG_PATH=DIR/lib/pkgconfig). zova.pc links the shared library with
// an rpath; the header is the installed include/zova.h.

/*
#cgo pkg-config: zova
*/
import "C"

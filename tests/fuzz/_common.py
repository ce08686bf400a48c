"""Shared helpers of the atheris fuzz targets: a scratch directory on tmpfs,
raw zova_database handles through cffi, and small request builders. Targets
call the C ABI directly (no Python wrapper) so every byte reaches csrc/."""
from __future__ import annotations

import hashlib
import os
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
try:  # an installed / PYTHONPATH zova wins (run_sanitized.sh puts the ASan build first)
    from zova._native import ffi, lib
except ImportError:
    sys.path.insert(0, str(ROOT / "python"))
    from zova._native import ffi, lib

OK = lib.ZOVA_OK
# Every status the ABI may return (docs/c-api.md §2.1); anything else is a bug.
STATUSES = {0, 1, 2, *range(10, 18), *range(30, 35), *range(50, 60), *range(70, 76)}


def scratch_dir(prefix: str) -> str:
    base = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
    path = tempfile.mkdtemp(prefix=f"zova-fuzz-{prefix}-", dir=base)
    import atexit
    atexit.register(shutil.rmtree, path, True)
    return path


def check_status(status: int) -> int:
    assert status in STATUSES, f"undefined status {status}"
    return status


class Db:
    """A raw handle; keeps its cffi allocations alive."""

    def __init__(self, path: str, create: bool = True, read_only: bool = False):
        self.keep: list = []
        self.out = ffi.new("zova_database **")
        self.message = ffi.new("zova_message *")
        c_path = ffi.new("char[]", path.encode())
        if create:
            request = ffi.new("zova_database_open_request *", [c_path, self.out, self.message])
            self.status = lib.zova_database_create(request)
        else:
            request = ffi.new("zova_database_open_options_request *",
                              [c_path, 1 if read_only else 0, 0, self.out, self.message])
            self.status = lib.zova_database_open_with_options(request)
        check_status(self.status)
        if self.status != OK:
            assert self.out[0] == ffi.NULL
            assert self.message.data != ffi.NULL and self.message.len > 0
            lib.zova_message_free(self.message)
        self.ptr = self.out[0]

    def s(self, data: bytes):
        value = ffi.new("char[]", data)
        self.keep.append(value)
        return value

    def last_error(self) -> bytes:
        return ffi.string(lib.zova_database_last_error_message(self.ptr))

    def exec(self, sql: bytes) -> int:
        return check_status(lib.zova_database_exec(ffi.new("zova_database_exec_request *", [self.ptr, self.s(sql)])))

    def close(self) -> None:
        if self.ptr != ffi.NULL:
            assert lib.zova_database_close(self.ptr) == OK, self.last_error()
            self.ptr = ffi.NULL
        self.keep.clear()


def sha(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def instrument_harness(atheris) -> None:
    """Instruments the target script, this module and the zova package (not
    the whole interpreter: atheris.instrument_all() costs ~7 s per start)."""
    import types
    for name, module in list(sys.modules.items()):
        if name in ("__main__", "_common") or name == "zova" or name.startswith("zova."):
            for value in list(vars(module).values()):
                if isinstance(value, types.FunctionType) and value.__module__ == module.__name__:
                    atheris.instrument_func(value)
                elif isinstance(value, type) and value.__module__ == module.__name__:
                    for member in vars(value).values():
                        if isinstance(member, types.FunctionType):
                            atheris.instrument_func(member)


def run(test_one_input, argv=None) -> None:
    """Entry point of every target: `python tests/fuzz/fuzz_x.py [libFuzzer flags] [corpus dirs]`."""
    import atheris
    # Python-level coverage of the harness and the zova package guides
    # libFuzzer; the C core itself is not coverage-instrumented (gcc has no
    # -fsanitize=fuzzer), so C bugs are found by the harness's reach + checks.
    instrument_harness(atheris)
    argv = list(argv or sys.argv)
    # -merge=1 / -fork re-execute argv[0]: give them an executable wrapper
    # (e.g. a script running `python tests/fuzz/fuzz_x.py "$@"`).
    argv[0] = os.environ.get("ZOVA_FUZZ_ARGV0", argv[0])
    atheris.Setup(argv, test_one_input)
    atheris.Fuzz()

"""Shared fixtures: temporary .zova paths and direct access to the C ABI."""
from __future__ import annotations

import pytest

import zova
from zova._native import ffi, lib


@pytest.fixture
def path(tmp_path):
    """A path for a new .zova file (not created)."""
    return str(tmp_path / "test.zova")


@pytest.fixture
def db(path):
    database = zova.Database.create(path)
    yield database
    database.close()


class NativeDb:
    """A raw zova_database* opened through the C ABI, for bad-input tests."""

    def __init__(self, path: str, create: bool = True, flags: int = 0, busy_timeout_ms: int = 0):
        self.path_c = ffi.new("char[]", path.encode())
        self.out = ffi.new("zova_database **")
        if create:
            request = ffi.new("zova_database_open_request *")
            request.path = self.path_c
            request.out_db = self.out
            status = lib.zova_database_create(request)
        else:
            request = ffi.new("zova_database_open_options_request *")
            request.path = self.path_c
            request.flags = flags
            request.busy_timeout_ms = busy_timeout_ms
            request.out_db = self.out
            status = lib.zova_database_open_with_options(request)
        assert status == 0, zova_status(status)
        self.ptr = self.out[0]

    def last_error(self) -> str:
        return ffi.string(lib.zova_database_last_error_message(self.ptr)).decode()

    def exec(self, sql: str) -> int:
        sql_c = ffi.new("char[]", sql.encode())
        return lib.zova_database_exec(ffi.new("zova_database_exec_request *", [self.ptr, sql_c]))

    def prepare(self, sql: str):
        sql_c = ffi.new("char[]", sql.encode())
        out = ffi.new("zova_statement **")
        status = lib.zova_database_prepare(ffi.new("zova_database_prepare_request *", [self.ptr, sql_c, out]))
        return status, out[0]

    def step(self, statement):
        out = ffi.new("zova_step_result *")
        status = lib.zova_statement_step(ffi.new("zova_statement_step_request *", [statement, out]))
        return status, out[0]

    def close(self) -> int:
        return lib.zova_database_close(self.ptr)


def zova_status(status: int) -> str:
    return ffi.string(lib.zova_status_name(status)).decode()


@pytest.fixture
def native(path):
    handle = NativeDb(path)
    yield handle
    handle.close()

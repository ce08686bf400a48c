"""Prepared statements and exec (docs/c-api.md §4.4, §4.7, §7.3, §7.5; docs/python.md §2.3 Statement)."""
from __future__ import annotations

import threading

import pytest

import zova
from zova import ColumnType, Step, ZovaError
from zova._native import ffi, lib


def status_of(call, *args) -> int:
    with pytest.raises(ZovaError) as info:
        call(*args)
    return info.value.status


@pytest.fixture
def table(db):
    db.exec("create table t (id integer primary key, name text, score real, data blob)")
    return db


def test_exec_runs_several_statements_and_empty_sql(table):
    table.exec("insert into t (name) values ('a'); insert into t (name) values ('b');")
    table.exec("")
    table.exec("   -- only a comment")
    assert table.prepare("select count(*) from t").fetchall() == [(2,)]


def test_exec_errors_map_and_carry_sqlite_messages(table):
    error = pytest.raises(ZovaError, table.exec, "select * from no_such_table").value
    assert error.status == lib.ZOVA_SQLITE_ERROR
    assert "no such table: no_such_table" in error.message
    assert status_of(table.exec, "select * frm t") == lib.ZOVA_SQLITE_ERROR
    assert "syntax" in pytest.raises(ZovaError, table.exec, "select * frm t").value.message
    table.exec("insert into t (id) values (1)")
    assert status_of(table.exec, "insert into t (id) values (1)") == lib.ZOVA_CONSTRAINT


def test_error_message_survives_later_successful_calls(table):
    error = pytest.raises(ZovaError, table.exec, "select * from nope").value
    table.exec("select 1")
    assert "no such table" in error.message
    assert ffi.string(lib.zova_database_last_error_message(table._handle())) == b""


@pytest.mark.parametrize("sql", ["", "   ", "\n\t", "-- comment only", "/* block */", ";"])
def test_prepare_of_no_statement_is_invalid_argument(table, sql):
    """docs/c-api.md §10: upstream crashes here; we return 1 with out_statement NULL."""
    error = pytest.raises(ZovaError, table.prepare, sql).value
    assert error.status == lib.ZOVA_INVALID_ARGUMENT
    assert error.message


def test_prepare_compiles_only_the_first_statement(table):
    with table.prepare("insert into t (name) values ('x'); insert into t (name) values ('y')") as statement:
        assert statement.step() == Step.DONE
    assert table.prepare("select count(*) from t").fetchall() == [(1,)]


def test_prepare_bad_sql_is_17(table):
    assert status_of(table.prepare, "select from where") == lib.ZOVA_SQLITE_ERROR


def test_bind_and_read_every_type(table):
    with table.prepare("insert into t (id, name, score, data) values (?, ?, ?, ?)") as insert:
        assert insert.parameter_count() == 4
        insert.bind_int(1, 2**63 - 1)
        insert.bind_text(2, "héllo ✓")
        insert.bind_float(3, 2.5)
        insert.bind_blob(4, bytes(range(256)))
        assert insert.step() == Step.DONE
    with table.prepare("select id, name, score, data, null from t") as select:
        assert select.column_count() == 5
        assert [select.column_name(i) for i in range(4)] == ["id", "name", "score", "data"]
        assert select.step() == Step.ROW
        assert [select.column_type(i) for i in range(5)] == [ColumnType.INTEGER, ColumnType.TEXT,
                                                             ColumnType.FLOAT, ColumnType.BLOB, ColumnType.NULL]
        assert select.column_int(0) == 2**63 - 1
        assert select.column_text(1) == "héllo ✓"
        assert select.column_float(2) == 2.5
        assert select.column_blob(3) == bytes(range(256))
        assert select.column_text(4) is None and select.column_blob(4) is None
        assert select.step() == Step.DONE


def test_empty_text_and_blob_are_not_null(table):
    """docs/c-api.md §0.2 items 1–2."""
    table.exec("create table strict_values (a text not null, b blob not null)")
    with table.prepare("insert into strict_values values (?, ?)") as insert:
        insert.bind_text(1, "")
        insert.bind_blob(2, b"")
        assert insert.step() == Step.DONE
    with table.prepare("select a, b, typeof(a), typeof(b) from strict_values") as select:
        select.step()
        assert select.column_text(0) == ""
        assert select.column_blob(1) == b""
        assert select.column_text(2) == "text" and select.column_text(3) == "blob"


def test_empty_binds_through_the_c_abi_with_null_pointers(native):
    """(NULL, 0) binds '' / zero-length blob, never SQL NULL (docs/c-api.md §7.5)."""
    assert native.exec("create table s (a text not null, b blob not null)") == 0
    status, statement = native.prepare("insert into s values (?1, ?2)")
    assert status == 0
    text = ffi.new("zova_statement_bind_text_request *", [statement, 1, ffi.NULL, 0])
    blob = ffi.new("zova_statement_bind_blob_request *", [statement, 2, ffi.NULL, 0])
    assert lib.zova_statement_bind_text(text) == 0
    assert lib.zova_statement_bind_blob(blob) == 0
    assert native.step(statement) == (0, lib.ZOVA_STEP_DONE)
    # NULL with a length is an invalid argument, and so is a NULL request/handle.
    text.len = 3
    blob.len = 1
    assert lib.zova_statement_reset(statement) == 0
    assert lib.zova_statement_bind_text(text) == lib.ZOVA_INVALID_ARGUMENT
    assert lib.zova_statement_bind_blob(blob) == lib.ZOVA_INVALID_ARGUMENT
    assert lib.zova_statement_finalize(statement) == 0


def test_text_keeps_embedded_nul_bytes(table):
    with table.prepare("select ?, length(cast(? as blob))") as select:
        select.bind_text(1, "a\0b")
        select.bind_text(2, "a\0b")
        select.step()
        assert select.column_int(1) == 3
        assert select.column_blob(0) == b"a\0b"


def test_column_text_of_empty_string_c_abi(native):
    status, statement = native.prepare("select '', x'', null")
    native.step(statement)
    text = ffi.new("zova_text *")
    request = ffi.new("zova_statement_column_text_request *", [statement, 0, text])
    assert lib.zova_statement_column_text(request) == 0
    assert text.data != ffi.NULL and text.len == 0 and text.data[0] == b"\0"
    request.index = 2
    assert lib.zova_statement_column_text(request) == 0  # frees the old text first (protocol B)
    assert text.data == ffi.NULL and text.len == 0
    buffer = ffi.new("zova_buffer *")
    blob = ffi.new("zova_statement_column_blob_request *", [statement, 1, buffer])
    assert lib.zova_statement_column_blob(blob) == 0
    assert buffer.data == ffi.NULL and buffer.len == 0
    lib.zova_statement_finalize(statement)


def test_column_index_rules(native):
    """Only column_name range-checks (16); other reads give NULL/0 with OK (§0.2 item 10)."""
    status, statement = native.prepare("select 7 as seven")
    native.step(statement)
    name = ffi.new("zova_text *")
    for index in (-1, 1, 1000):
        assert lib.zova_statement_column_name(
            ffi.new("zova_statement_column_name_request *", [statement, index, name])) == lib.ZOVA_MISUSE
    value = ffi.new("int64_t *", 99)
    column_type = ffi.new("zova_column_type *")
    double = ffi.new("double *", 9.0)
    for index in (-1, 1, 1000):
        assert lib.zova_statement_column_int64(
            ffi.new("zova_statement_column_int64_request *", [statement, index, value])) == 0
        assert value[0] == 0
        assert lib.zova_statement_column_type(
            ffi.new("zova_statement_column_type_request *", [statement, index, column_type])) == 0
        assert column_type[0] == lib.ZOVA_COLUMN_NULL
        assert lib.zova_statement_column_double(
            ffi.new("zova_statement_column_double_request *", [statement, index, double])) == 0
        assert double[0] == 0.0
    lib.zova_statement_finalize(statement)


def test_column_type_before_step_is_null(table):
    with table.prepare("select 1") as select:
        assert select.column_type(0) == ColumnType.NULL
        assert select.column_count() == 1


def test_python_index_errors(table):
    with table.prepare("select ?") as select:
        for bad in (0, 2**31):
            error = pytest.raises(ZovaError, select.bind_int, bad, 1).value
            assert error.status == lib.ZOVA_INVALID_ARGUMENT and error.message is None
        with pytest.raises(OverflowError):
            select.bind_int(-1, 1)
        with pytest.raises(OverflowError):
            select.bind_int(1, 2**63)
        with pytest.raises(OverflowError):
            select.column_int(-1)
        with pytest.raises(TypeError):
            select.bind_text(1, b"bytes")
        with pytest.raises(TypeError):
            select.bind_blob(1, "text")


def test_bind_out_of_range_is_17_and_mid_execution_is_16(table):
    table.exec("insert into t (name) values ('a'), ('b')")
    with table.prepare("select name from t where id > ?") as select:
        assert status_of(select.bind_int, 2, 1) == lib.ZOVA_SQLITE_ERROR
        select.bind_int(1, 0)
        assert select.step() == Step.ROW
        assert status_of(select.bind_int, 1, 5) == lib.ZOVA_MISUSE
        select.reset()
        select.bind_int(1, 1)
        assert select.fetchall() == [("b",)]


def test_parameter_index_and_clear_bindings(table):
    with table.prepare("select :a, @b, $c, ?9") as select:
        assert select.parameter_index(":a") == 1
        assert select.parameter_index("@b") == 2
        assert select.parameter_index("$c") == 3
        assert select.parameter_index("?9") == 9
        assert select.parameter_index(":missing") is None
        assert select.parameter_count() == 9
        with pytest.raises(ValueError, match="interior NUL"):
            select.parameter_index(":a\0")
        select.bind_int(1, 5)
        select.clear_bindings()
        assert select.fetchall() == [(None, None, None, None)]


def test_reset_reports_the_failed_step_once(table):
    table.exec("create table u (a integer unique)")
    table.exec("insert into u values (1)")
    with table.prepare("insert into u values (1)") as insert:
        assert status_of(insert.step) == lib.ZOVA_CONSTRAINT
        assert status_of(insert.reset) == lib.ZOVA_CONSTRAINT
        insert.reset()


def test_step_after_done_restarts(table):
    table.exec("insert into t (name) values ('only')")
    with table.prepare("select name from t") as select:
        assert select.step() == Step.ROW
        assert select.step() == Step.DONE
        assert select.step() == Step.ROW


def test_finalize_always_ok_and_clears_last_error(native):
    native.exec("create table u (a unique); insert into u values (1)")
    status, statement = native.prepare("insert into u values (1)")
    assert native.step(statement)[0] == lib.ZOVA_CONSTRAINT
    assert native.last_error() != ""
    assert lib.zova_statement_finalize(statement) == lib.ZOVA_OK
    assert native.last_error() == ""


def test_iteration_returns_rows_of_mixed_types(table):
    table.exec("create table m (v)")
    values = [1, 2.5, "text", b"\x00blob", None, "", b"", "a\0b", 2**62, -1.0]
    with table.prepare("insert into m values (?)") as insert:
        for value in values:
            if value is None:
                insert.bind_null(1)
            elif isinstance(value, bool) or isinstance(value, int):
                insert.bind_int(1, value)
            elif isinstance(value, float):
                insert.bind_float(1, value)
            elif isinstance(value, str):
                insert.bind_text(1, value)
            else:
                insert.bind_blob(1, value)
            insert.step()
            insert.reset()
    with table.prepare("select v from m order by rowid") as select:
        assert [row[0] for row in select] == values


def test_iteration_over_many_rows_in_batches(table):
    table.exec("with recursive n(i) as (select 1 union all select i + 1 from n where i < 1000) "
               "insert into t (id, name, score) select i, 'n' || i, i / 2.0 from n")
    with table.prepare("select id, name, score from t order by id") as select:
        rows = select.fetchall()
    assert len(rows) == 1000
    assert rows[0] == (1, "n1", 0.5) and rows[-1] == (1000, "n1000", 500.0)


def test_invalid_utf8_text_is_value_error(table):
    with table.prepare("select cast(x'ff' as text)") as select:
        select.step()
        with pytest.raises(ValueError, match="not valid UTF-8"):
            select.column_text(0)
        select.reset()
        with pytest.raises(ValueError, match="not valid UTF-8"):
            select.fetchall()


def test_connection_counters(table):
    table.exec("insert into t (name) values ('a'), ('b'), ('c')")
    assert table.changes() == 3
    assert table.last_insert_rowid() == 3
    before = table.total_changes()
    table.exec("delete from t where id < 3")
    assert table.changes() == 2
    assert table.total_changes() == before + 2


def test_connection_helpers_null_outputs(native):
    for function, request_type in (
        (lib.zova_database_last_insert_rowid, "zova_database_last_insert_rowid_request *"),
        (lib.zova_database_changes, "zova_database_changes_request *"),
        (lib.zova_database_total_changes, "zova_database_total_changes_request *"),
    ):
        assert function(ffi.NULL) == lib.ZOVA_INVALID_ARGUMENT
        assert function(ffi.new(request_type)) == lib.ZOVA_INVALID_ARGUMENT  # NULL db
        assert function(ffi.new(request_type, [native.ptr, ffi.NULL])) == lib.ZOVA_INVALID_ARGUMENT
        assert native.last_error() == "InvalidArgument"


def test_null_requests_and_handles_have_no_side_effects(native):
    """docs/c-api.md §5.1: early exits touch nothing, not even the last error."""
    native.exec("select * from missing_table")
    message = native.last_error()
    for function in (lib.zova_database_exec, lib.zova_database_prepare, lib.zova_database_begin,
                     lib.zova_database_commit, lib.zova_database_savepoint, lib.zova_database_set_busy_timeout,
                     lib.zova_statement_step, lib.zova_statement_bind_text, lib.zova_statement_column_name):
        assert function(ffi.NULL) == lib.ZOVA_INVALID_ARGUMENT
    for function in (lib.zova_statement_finalize, lib.zova_statement_reset, lib.zova_statement_clear_bindings,
                     lib.zova_database_close):
        assert function(ffi.NULL) == lib.ZOVA_INVALID_ARGUMENT
    assert native.last_error() == message
    # NULL sql / out pointers after the handle is resolved do set the last error.
    assert lib.zova_database_exec(ffi.new("zova_database_exec_request *", [native.ptr, ffi.NULL])) == 1
    out = ffi.new("zova_statement **", ffi.cast("zova_statement *", 1))
    sql = ffi.new("char[]", b"select 1")
    assert lib.zova_database_prepare(ffi.new("zova_database_prepare_request *", [native.ptr, ffi.NULL, out])) == 1
    assert out[0] == ffi.cast("zova_statement *", 1)  # sql checked before out is touched
    assert lib.zova_database_prepare(ffi.new("zova_database_prepare_request *", [native.ptr, sql, ffi.NULL])) == 1
    assert native.last_error() == "InvalidArgument"


def test_interior_nul_in_sql_is_value_error(table):
    with pytest.raises(ValueError, match="sql contains an interior NUL byte"):
        table.exec("select 1\0; drop table t")
    with pytest.raises(ValueError):
        table.prepare("select 1\0")


def test_too_big_text_and_blob_are_17(native):
    """Over SQLite's length limit (1,000,000,000 bytes) ⇒ TOOBIG ⇒ 17 (docs/c-api.md §6.2)."""
    status, statement = native.prepare("select ?1")
    size = 1_000_000_001
    data = ffi.new("uint8_t[]", size)  # zero-filled pages are mapped lazily
    text = ffi.new("zova_statement_bind_text_request *", [statement, 1, data, size])
    blob = ffi.new("zova_statement_bind_blob_request *", [statement, 1, data, size])
    assert lib.zova_statement_bind_text(text) == lib.ZOVA_SQLITE_ERROR
    assert lib.zova_statement_bind_blob(blob) == lib.ZOVA_SQLITE_ERROR
    lib.zova_statement_finalize(statement)


def test_threads_share_one_handle_serialised(table):
    """docs/c-api.md §5.7: 8 threads on one handle, every call serialised, no errors."""
    errors = []

    def worker(worker_id: int) -> None:
        try:
            for i in range(200):
                with table.prepare("insert into t (name) values (?)") as insert:
                    insert.bind_text(1, f"w{worker_id}-{i}")
                    insert.step()
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert table.prepare("select count(*), count(distinct name) from t").fetchall() == [(1600, 1600)]


def test_threads_share_one_statement_c_abi(native):
    status, statement = native.prepare("select 1 as a, 2 as b")
    failures = []

    def worker() -> None:
        count = ffi.new("int *")
        name = ffi.new("zova_text *")
        for _ in range(2000):
            if lib.zova_statement_column_count(
                    ffi.new("zova_statement_column_count_request *", [statement, count])) or count[0] != 2:
                failures.append("count")
            if lib.zova_statement_column_name(ffi.new("zova_statement_column_name_request *", [statement, 1, name])):
                failures.append("name")
            lib.zova_text_free(name)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    lib.zova_statement_finalize(statement)

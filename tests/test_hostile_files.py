"""Foreign code planted on Zova's private tables (issue 12 item 7). A trigger on
_zova_chunks, made with stdlib sqlite3, wiped the user table `docs` during
put_object; others rewrote _zova_objects.size_bytes or aborted every put; and
check --deep and doctor called such files healthy. Zova's own writes now refuse
to run while such a trigger exists, and the diagnostics name it."""
from __future__ import annotations

import sqlite3

import pytest

import zova
from zova import ZovaError, diagnostics

TRIGGERS = {
    "wipes_user_rows": "create trigger evil after insert on _zova_chunks begin delete from docs; end",
    "rewrites_sizes": "create trigger evil after insert on _zova_objects begin "
                      "update _zova_objects set size_bytes = 1 where object_id = new.object_id; end",
    "aborts": "create trigger evil before insert on _zova_object_chunks begin select raise(abort, 'no'); end",
    "on_vectors": "create trigger evil after insert on _zova_vectors begin delete from docs; end",
    "mixed_case_table": "create trigger evil after delete on _ZOVA_Vectors begin delete from docs; end",
}


def make_file(path: str) -> None:
    with zova.Database.create(path) as db:
        db.exec("create table docs (id integer primary key, title text)")
        db.exec("insert into docs (title) values ('keep me')")
        db.create_vector_collection("c", zova.VectorCollectionOptions(2, zova.VectorMetric.L2))
        db.put_vector("c", "old", [1.0, 1.0])


def plant(path: str, sql: str) -> None:
    raw = sqlite3.connect(path)
    raw.execute(sql)
    raw.commit()
    raw.close()


def counts(db: zova.Database) -> tuple:
    return tuple(db.prepare(f"select count(*) from {table}").fetchall()[0][0]
                 for table in ("docs", "_zova_objects", "_zova_chunks", "_zova_vectors", "_zova_vector_collections"))


def assert_refused(call) -> None:
    with pytest.raises(ZovaError) as error:
        call()
    assert error.value.status_name == "ZOVA_CORRUPT"
    assert "trigger Zova did not create (evil)" in error.value.message
    assert "private table _zova_" in error.value.message.lower()


@pytest.mark.parametrize("trigger", sorted(TRIGGERS))
def test_zova_writes_refuse_to_run_a_planted_trigger_issue12_7(path, trigger):
    make_file(path)
    plant(path, TRIGGERS[trigger])
    with zova.Database.open(path) as db:
        before = counts(db)
        assert_refused(lambda: db.put_object(b"hello"))
        assert_refused(lambda: db.put_object(bytes(3 << 20)))  # the large-put path
        assert_refused(lambda: db.put_objects([b"a", b"b"]))
        with db.object_writer() as writer:
            writer.write(b"stream")
            assert_refused(writer.finish)
        assert_refused(lambda: db.put_vector("c", "new", [2.0, 2.0]))
        assert_refused(lambda: db.put_vectors("c", ["x", "y"], [[1.0, 2.0], [3.0, 4.0]]))
        assert_refused(lambda: db.delete_vector("c", "old"))
        assert_refused(lambda: db.create_vector_collection("d", zova.VectorCollectionOptions(2, 1)))
        assert_refused(lambda: db.delete_vector_collection("c"))
        assert counts(db) == before
        # Reads never run triggers and still work.
        assert db.get_vector("c", "old").values == [1.0, 1.0]
        assert db.prepare("select title from docs").fetchall() == [("keep me",)]
        # The user's own SQL is the user's: Zova does not police it.
        db.exec("insert into docs (title) values ('mine')")
        # Once the trigger is gone, writes work again.
        db.exec("drop trigger evil")
        oid = db.put_object(b"hello")
        assert db.get_object(oid) == b"hello"
        db.put_vector("c", "new", [2.0, 2.0])


def test_a_trigger_planted_while_the_handle_is_open_is_refused_too_issue12_7(path):
    """The check runs inside each write's transaction, not only at open: the
    schema another process changes meanwhile is seen."""
    make_file(path)
    with zova.Database.open(path) as db:
        db.put_object(b"before")
        plant(path, TRIGGERS["wipes_user_rows"])
        assert_refused(lambda: db.put_object(b"after"))
        assert db.prepare("select count(*) from docs").fetchall() == [(1,)]


def test_a_temp_trigger_on_a_private_table_is_refused_issue12_7(path):
    """Through the handle itself, the trigger cannot even be created (issue 13
    item 5, tests/test_private_tables_sql.py); the writes then run untouched."""
    make_file(path)
    with zova.Database.open(path) as db:
        with pytest.raises(ZovaError, match="_zova_chunks is one of Zova's private tables"):
            db.exec("create temp trigger evil after insert on main._zova_chunks begin delete from main.docs; end")
        db.put_object(b"x")
        assert db.prepare("select count(*) from docs").fetchall() == [(1,)]


def test_deep_check_and_doctor_report_foreign_schema_objects_issue12_7(path):
    make_file(path)
    assert diagnostics.check(path, deep=True).ok
    plant(path, TRIGGERS["wipes_user_rows"])
    plant(path, "create index foreign_size on _zova_chunks (size_bytes)")
    plant(path, "create view my_objects as select object_id, size_bytes from _zova_objects")
    report = diagnostics.check(path, deep=True)
    assert not report.ok and report.exit_code == 4
    kinds = {issue["kind"]: issue for issue in report.to_dict()["issues"]}
    assert "evil" in kinds["foreign_trigger"]["detail"] and "_zova_chunks" in kinds["foreign_trigger"]["detail"]
    assert "foreign_size" in kinds["foreign_index"]["detail"]
    assert kinds["foreign_view"]["severity"] == "warning"
    doctor = diagnostics.doctor(path)
    assert not doctor.ok
    assert {issue.kind for issue in doctor.diagnostics.issues} >= {"foreign_trigger", "foreign_index"}
    # A view alone is reported but leaves the file healthy.
    raw = sqlite3.connect(path)
    raw.execute("drop trigger evil")
    raw.execute("drop index foreign_size")
    raw.commit()
    raw.close()
    report = diagnostics.check(path, deep=True)
    assert report.ok, report.to_dict()
    assert [issue["kind"] for issue in report.to_dict()["issues"]] == ["foreign_view"]

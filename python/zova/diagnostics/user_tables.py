"""Salvage of user tables: each CREATE TABLE replayed in the destination, rows
copied by type (TEXT that is not UTF-8 or holds NUL kept byte for byte), row by
row around unreadable pages, then the user's indexes, views and triggers."""
from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..database import Database
from ..errors import ZovaError
from ..statement import Statement
from .common import SqlValue, _bind, _quote, _rows, _scalar

if TYPE_CHECKING:
    from .salvage import SalvageReport


def _private_or_internal(name: str) -> bool:
    return name.startswith("_zova_") or name.startswith("sqlite_")


def _shadow_tables(src: Database) -> set[str]:
    try:
        return {row[0] for row in _rows(src, "select name from pragma_table_list where schema = 'main' "
                                             "and type = 'shadow'")}
    except ZovaError:
        return set()


def _copy_user_tables(src: Database, dst: Database, report: SalvageReport) -> None:
    shadows = _shadow_tables(src)
    tables = _rows(src, "select cast(name as blob), cast(sql as blob) from sqlite_master where type = 'table' "
                        "and sql is not null and substr(name, 1, 6) != '_zova_' and substr(name, 1, 7) != 'sqlite_' "
                        "order by name")
    for raw_name, raw_sql in tables:
        try:
            name, sql = raw_name.decode("utf-8"), raw_sql.decode("utf-8")
        except (UnicodeDecodeError, AttributeError):
            report.skipped["user_tables"] += 1   # a name or DDL that is not text cannot be replayed
            continue
        if name in shadows:
            # Created (and filled) by their virtual table; counted as copied with it.
            report.copied["user_tables"] += 1
            continue
        try:
            dst.exec(sql)
        except ZovaError:
            report.skipped["user_tables"] += 1
            report.skipped["user_rows"] += _count_rows(src, name)
            report.lossy_tables.append((name, _source_rowid_alias(src, name)))
            continue
        report.copied["user_tables"] += 1
        copied, skipped = _copy_table_rows(src, dst, name)
        report.copied["user_rows"] += copied
        report.skipped["user_rows"] += skipped
        if skipped:
            report.skipped["user_tables"] += 1
            report.lossy_tables.append((name, _source_rowid_alias(src, name)))


def _source_rowid_alias(src: Database, name: str) -> str | None:
    try:
        columns = [row[0] for row in _rows(src, "select name from pragma_table_xinfo(?)", name)]
    except (ZovaError, ValueError):
        return None
    return rowid_alias(src, name, columns)


def rowid_alias(src: Database, name: str, columns: list[str]) -> str | None:
    """The name that reaches the rowid of table ``name`` (``rowid``, or
    ``_rowid_`` / ``oid`` when a column takes that name); None for a WITHOUT
    ROWID table or when columns shadow all three."""
    taken = {column.lower() for column in columns}
    for alias in ("rowid", "_rowid_", "oid"):
        if alias in taken:
            continue
        try:
            src.prepare(f"select {alias} from {_quote(name)} limit 0").close()
            return alias
        except ZovaError:
            return None
    return None


def _count_rows(src: Database, name: str) -> int:
    try:
        count: int = _scalar(src, f"select count(*) from {_quote(name)}") or 0
    except (ZovaError, ValueError):
        return 0
    return count


def _copy_table_rows(src: Database, dst: Database, name: str) -> tuple[int, int]:
    """Copies the rows of one table; returns (copied, skipped). A table with a
    generated column has all its rows skipped, as upstream's salvage does (its
    INSERT naming every column cannot be prepared, docs/cli.md §1.6 step 2)."""
    try:
        xinfo = [(row[0], row[1]) for row in _rows(src, "select name, hidden from pragma_table_xinfo(?)", name)]
    except (ZovaError, ValueError):
        xinfo = []
    total = _count_rows(src, name)
    if not xinfo or any(hidden in (2, 3) for _, hidden in xinfo):
        return 0, total
    alias = rowid_alias(src, name, [column for column, _ in xinfo])
    # Rows keep their rowids, so a lost row can be named by its rowid.
    columns: list[str] = ([alias] if alias else []) + [column for column, hidden in xinfo if hidden == 0]
    column_list = ", ".join(_quote(column) for column in columns)
    try:
        insert = dst.prepare(f"insert into {_quote(name)} ({column_list}) "
                             f"values ({', '.join('?' * len(columns))})")
    except ZovaError:
        return 0, total
    with insert:
        insert_row = _RowInserter(dst, insert, name, columns)
        dst.savepoint("salvage_table")
        copied = failed = 0
        try:
            with src.prepare(f"select {column_list} from {_quote(name)}") as rows:
                for row in rows:
                    if insert_row(row):
                        copied += 1
                    else:
                        failed += 1
            dst.release_savepoint("salvage_table")
            return copied, max(failed, total - copied)
        except (ZovaError, ValueError):
            # A damaged page or an unreadable value: start again row by row.
            dst.rollback_to_savepoint("salvage_table")
            dst.release_savepoint("salvage_table")
        copied, failed = _copy_rows_slowly(src, dst, insert_row, name, column_list, len(columns), alias)
        return copied, max(failed, total - copied)


class _RawText(bytes):
    """A TEXT value whose bytes are not valid UTF-8 (SQLite stores them as given)."""


class _RowInserter:
    """Inserts copied rows into one destination table. Text holding NUL bytes
    (legal in SQLite, refused by bind_text) goes in as ``cast(? as text)`` of its bytes."""

    def __init__(self, dst: Database, insert: Statement, name: str, columns: list[str]) -> None:
        self.dst, self.insert, self.name, self.columns = dst, insert, name, columns

    def __call__(self, row: Sequence[SqlValue]) -> bool:
        if any(isinstance(value, _RawText) for value in row):
            return self._with_nul_text(row)
        insert = self.insert
        try:
            insert.reset()
            _bind(insert, row)
            insert.step()
            return True
        except ValueError:
            return self._with_nul_text(row)
        except ZovaError:
            return False
        finally:
            try:
                insert.reset()
            except ZovaError:
                pass

    def _with_nul_text(self, row: Sequence[SqlValue]) -> bool:
        values: list[SqlValue] = []
        exprs: list[str] = []
        for value in row:
            if isinstance(value, str) and "\0" in value:
                values.append(value.encode("utf-8", "surrogatepass"))
                exprs.append("cast(? as text)")
            elif isinstance(value, _RawText):
                values.append(bytes(value))
                exprs.append("cast(? as text)")
            else:
                values.append(value)
                exprs.append("?")
        sql = (f"insert into {_quote(self.name)} ({', '.join(_quote(c) for c in self.columns)}) "
               f"values ({', '.join(exprs)})")
        try:
            with self.dst.prepare(sql) as statement:
                _bind(statement, values)
                statement.step()
            return True
        except (ZovaError, ValueError):
            return False


def _read_row(statement: Statement, width: int, offset: int = 0) -> list[SqlValue]:
    values: list[SqlValue] = []
    for index in range(offset, offset + width):
        kind = statement.column_type(index)
        if kind == 1:
            values.append(statement.column_int(index))
        elif kind == 2:
            values.append(statement.column_float(index))
        elif kind == 3:
            try:
                values.append(statement.column_text(index))
            except ValueError:   # not UTF-8: keep the bytes, re-inserted as TEXT
                values.append(_RawText(statement.column_blob(index) or b""))
        elif kind == 4:
            values.append(statement.column_blob(index))
        else:
            values.append(None)
    return values


def _copy_rows_slowly(src: Database, dst: Database, insert_row: _RowInserter, name: str, column_list: str,
                      width: int, alias: str | None) -> tuple[int, int]:
    """Row by row: forward until the first unreadable row, then (for rowid tables)
    backward from the end, so rows on both sides of a damaged page are kept.
    ``column_list`` starts with the rowid ``alias`` when the table has one."""
    has_rowid = alias is not None
    order_key = _quote(alias) if alias is not None else ""
    select = f"select {column_list} from {_quote(name)}"
    offset = 0
    counts = [0, 0]  # copied, failed

    def walk(order: str, stop_at: int | None) -> tuple[int | None, bool]:
        """Copies rows in this order until the end, an unreadable row (True) or,
        going backward, the row stop_at the forward walk reached; returns the
        last rowid seen."""
        last = None
        with src.prepare(select + order) as rows:
            while True:
                try:
                    if rows.step() != 1:
                        return last, False
                except ZovaError:
                    return last, True
                if has_rowid:
                    last = rows.column_int(0)
                    if stop_at is not None and last <= stop_at:
                        return last, False
                try:
                    values = _read_row(rows, width, offset)
                except (ZovaError, ValueError):
                    counts[1] += 1
                    continue
                counts[0 if insert_row(values) else 1] += 1

    dst.savepoint("salvage_rows")
    try:
        last_rowid, errored = walk(f" order by {order_key}" if has_rowid else "", None)
        if has_rowid:
            walk(f" order by {order_key} desc", last_rowid)
    finally:
        dst.release_savepoint("salvage_rows")
    copied, failed = counts
    # An unreadable stretch hides an unknown number of rows: at least one was lost.
    return copied, max(failed, 1 if errored else 0)


def _copy_schema_objects(src: Database, dst: Database, report: SalvageReport) -> None:
    for kind in ("index", "view", "trigger"):
        for name, tbl_name, sql in _rows(src, "select name, tbl_name, sql from sqlite_master where type = ? "
                                              "and sql is not null order by name", kind):
            if _private_or_internal(name) or _private_or_internal(tbl_name):
                continue
            try:
                dst.exec(sql)
                report.copied["user_schema_objects"] += 1
            except ZovaError:
                report.skipped["user_schema_objects"] += 1

"""How salvage opens the file it rescues: read-only, never modified. Two kinds
of damage keep Zova (or SQLite) from opening a file at all, and for each the
file is read through a repaired temporary copy instead:

* ``truncated_file``: shorter than its SQLite header says (SQLite refuses it,
  open fails ``Corrupt``); the copy's header counts only the pages present.
* ``identity_damaged``: a SQLite file holding Zova's private tables whose
  identity no longer checks (``_zova_meta`` dropped or edited, a private
  table dropped or altered: ``NotZovaDatabase``). The copy gets the identity
  rows and private table definitions of a new Zova file back; rows of an
  altered table are carried over column by column.
"""
from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
from typing import Any, Literal
from urllib.parse import quote

from ..database import Database
from ..errors import ZovaError
from .common import open_database

# The open failures of a damaged Zova file (damage_kind tells which damage).
_DAMAGED_OPEN = (15, 31)   # ZOVA_CORRUPT (a truncated file), ZOVA_NOT_ZOVA_DATABASE


def _header(path: str) -> tuple[bytes, int, int] | None:
    """The SQLite header, page size and number of whole pages of ``path``; None
    when it is not a SQLite file."""
    try:
        with open(path, "rb") as handle:
            header = handle.read(100)
        size = os.path.getsize(path)
    except OSError:
        return None
    if len(header) < 100 or header[:16] != b"SQLite format 3\0":
        return None
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    if page_size < 512 or page_size & (page_size - 1) or size < page_size:
        return None
    return header, page_size, size // page_size


def damage_kind(path: str) -> str | None:
    """``truncated_file`` or ``identity_damaged`` for a damaged Zova file that
    does not open; None for anything else (a missing file, a file that is not
    SQLite, a plain SQLite file without Zova's private tables)."""
    found = _header(path)
    if found is None:
        return None
    header, _page_size, present = found
    if int.from_bytes(header[28:32], "big") > present:
        return "truncated_file"
    try:
        raw = sqlite3.connect(f"file:{quote(os.fsencode(os.path.abspath(path)))}?mode=ro", uri=True)
        try:
            private = raw.execute("select count(*) from sqlite_master where type = 'table' "
                                  "and name like '\\_zova\\_%' escape '\\'").fetchone()[0]
        finally:
            raw.close()
    except sqlite3.Error:
        return None
    return "identity_damaged" if private else None


class Source:
    """``db`` is the open source; ``repair`` the kind of repaired copy it reads
    (None for the file itself) and ``read_path`` that copy's path."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.repair: str | None = None
        self.read_path: str | None = None
        self._directory: str | None = None
        try:
            self.db = open_database(path, read_only=True)
        except ZovaError as error:
            read_path = self._repair() if error.status in _DAMAGED_OPEN else None
            if read_path is None:
                raise
            try:
                self.db = open_database(read_path, read_only=True)
            except ZovaError:
                self._cleanup()
                raise error from None

    def _repair(self) -> str | None:
        """The path of a repaired copy of a damaged Zova file (None for any other file)."""
        damage = damage_kind(self.path)
        if damage == "identity_damaged":
            return self._repair_identity()
        if damage != "truncated_file":
            return None
        found = _header(self.path)
        assert found is not None   # damage_kind read it
        header, page_size, present = found
        read_path = self._copy("truncated_file")
        with open(read_path, "r+b") as copy:
            copy.truncate(present * page_size)
            copy.seek(28)
            copy.write(present.to_bytes(4, "big"))
            copy.seek(92)
            copy.write(header[24:28])   # version-valid-for = change counter: trust the page count
        return read_path

    def _copy(self, kind: str) -> str:
        """Copies the source (and its WAL) into a new temporary directory; returns the copy's path."""
        directory = self._directory = tempfile.mkdtemp(prefix="zova-salvage-")
        self.repair = kind
        read_path = self.read_path = os.path.join(directory, "source.zova")
        shutil.copyfile(self.path, read_path)
        if os.path.exists(self.path + "-wal"):   # committed pages the main file does not hold yet
            shutil.copyfile(self.path + "-wal", read_path + "-wal")
        return read_path

    def _repair_identity(self) -> str | None:
        """Puts a new file's identity into a copy of the source; returns the
        copy's path (None if the repair failed)."""
        read_path = self._copy("identity_damaged")
        reference_path = os.path.join(os.path.dirname(read_path), "reference.zova")
        Database.create(reference_path).close()
        reference = sqlite3.connect(reference_path)
        try:
            tables = reference.execute("select name, sql from sqlite_master where type = 'table' "
                                       "and name like '\\_zova\\_%' escape '\\' order by rowid").fetchall()
            meta = reference.execute("select key, value from _zova_meta").fetchall()
        finally:
            reference.close()
        try:
            _restore_identity(read_path, tables, meta)
        except sqlite3.Error:
            self._cleanup()
            return None
        return read_path

    def _cleanup(self) -> None:
        if self._directory is not None:
            shutil.rmtree(self._directory, ignore_errors=True)
            self._directory = None

    def close(self) -> None:
        db = getattr(self, "db", None)
        if db is not None:
            db.close()
        self._cleanup()

    def __enter__(self) -> "Source":
        return self

    def __exit__(self, *exc: object) -> Literal[False]:
        self.close()
        return False


def _restore_identity(path: str, tables: list[tuple[Any, ...]], meta: list[tuple[Any, ...]]) -> None:
    """In the copy at ``path``: drops foreign triggers on private tables (they
    would run during the repair), recreates each private table whose
    definition is missing or differs (keeping the rows of the columns both
    definitions share), and writes the identity rows of ``_zova_meta``."""
    copy = sqlite3.connect(path, isolation_level=None)
    try:
        # Renaming a damaged table must not rewrite the references other private
        # tables make to it (their definitions are part of the identity).
        copy.execute("pragma legacy_alter_table = on")
        copy.execute("begin immediate")
        for (name,) in copy.execute("select name from sqlite_master where type = 'trigger' "
                                    "and tbl_name like '\\_zova\\_%' escape '\\'").fetchall():
            copy.execute(f'drop trigger "{name}"')
        stored = dict(copy.execute("select name, sql from sqlite_master where type = 'table'").fetchall())
        for name, sql in tables:
            if name in stored and _same_ddl(stored[name], sql):
                continue
            if name in stored:
                damaged = f"{name}_damaged"
                copy.execute(f'alter table "{name}" rename to "{damaged}"')
                copy.execute(sql)
                wanted = [row[1] for row in copy.execute(f'pragma table_info("{name}")')]
                present = {row[1] for row in copy.execute(f'pragma table_info("{damaged}")')}
                shared = ", ".join(f'"{column}"' for column in wanted if column in present)
                if shared:
                    copy.execute(f'insert or ignore into "{name}" ({shared}) select {shared} from "{damaged}"')
                copy.execute(f'drop table "{damaged}"')
            else:
                copy.execute(sql)
        copy.executemany("insert or replace into _zova_meta (key, value) values (?, ?)", meta)
        copy.execute("commit")
    finally:
        copy.close()


def _same_ddl(a: str | None, b: str) -> bool:
    """The identity check's comparison: ASCII whitespace removed, ASCII case folded."""
    def squash(text: str) -> str:
        return "".join(text.split()).lower()

    return a is not None and squash(a) == squash(b)

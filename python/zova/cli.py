"""The ``zova`` command line (cli-and-bindings §1). Inspection only so far."""
from __future__ import annotations

import os
import sys

import click

from . import __version__
from .database import Database
from .errors import ZovaError

# Zig error names printed by upstream for open failures (cli-and-bindings §1.3).
_OPEN_ERROR_NAMES = {
    13: "CantOpen", 30: "NotZovaPath", 31: "NotZovaDatabase", 32: "UnsupportedZovaVersion",
    10: "Busy", 11: "Locked", 15: "Corrupt", 14: "ReadOnly",
}


def _scalar(db: Database, sql: str) -> int:
    with db.prepare(sql) as statement:
        statement.step()
        return statement.column_int(0)


def _file_size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


@click.group(context_settings={"help_option_names": ["--help"]})
@click.version_option(__version__, "--version", prog_name="zova", message="%(prog)s %(version)s")
def main() -> None:
    """Inspect and operate on .zova files."""


@main.command()
@click.argument("path")
def info(path: str) -> None:
    """Summarise a .zova file (counts and sizes only, never payloads)."""
    try:
        db = Database.open(path)
    except ZovaError as error:
        click.echo(f"info open failed: {_OPEN_ERROR_NAMES.get(error.status, 'SqliteError')}", err=True)
        sys.exit(3)
    with db:
        lines = {
            "package_version": __version__,
            "sqlite_version": _text(db, "select sqlite_version()"),
            "format_version": _text(db, "select value from _zova_meta where key = 'format_version'"),
            "database_bytes": _file_size(path),
            "wal_bytes": _file_size(path + "-wal"),
            "journal_bytes": _file_size(path + "-journal"),
            "page_count": _scalar(db, "pragma page_count"),
            "page_size": _scalar(db, "pragma page_size"),
            "freelist_count": _scalar(db, "pragma freelist_count"),
            "objects": _scalar(db, "select count(*) from _zova_objects"),
            "object_logical_bytes": _scalar(db, "select coalesce(sum(size_bytes), 0) from _zova_objects"),
            "chunks": _scalar(db, "select count(*) from _zova_chunks"),
            "manifest_rows": _scalar(db, "select count(*) from _zova_object_chunks"),
            "loose_chunks": _scalar(db, "select count(*) from _zova_chunks c where not exists "
                                        "(select 1 from _zova_object_chunks m where m.chunk_hash = c.chunk_hash)"),
            "stored_chunk_bytes": _scalar(db, "select coalesce(sum(size_bytes), 0) from _zova_chunks"),
            "vector_collections": _scalar(db, "select count(*) from _zova_vector_collections"),
            "vectors": _scalar(db, "select count(*) from _zova_vectors"),
            "user_tables": _scalar(db, "select count(*) from sqlite_master where type = 'table' and "
                                       "substr(name, 1, 6) != '_zova_' and substr(name, 1, 7) != 'sqlite_'"),
            "private_tables": _scalar(db, "select count(*) from sqlite_master where type = 'table' and "
                                          "substr(name, 1, 6) = '_zova_'"),
        }
    click.echo(f"Zova database: {path}")
    for key, value in lines.items():
        click.echo(f"{key}: {value}")


def _text(db: Database, sql: str) -> str:
    with db.prepare(sql) as statement:
        statement.step()
        return statement.column_text(0) or ""

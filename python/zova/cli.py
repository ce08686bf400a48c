"""The ``zova`` command line (docs/cli.md §1): inspection, diagnosis and
operational copies. It never mutates a source, never overwrites a destination
and never prints payloads (object/chunk bytes, vector values, user row values,
schema SQL).

Each subcommand is a click command: ``zova <command> --help`` describes it,
``--limit=3`` and ``--limit 3`` both work, and ``--`` ends the options (``zova
info -- -x.zova``). Before click binds the values, :func:`check_arguments`
applies the rules of docs/cli.md §1 that click has no words for: the first bad
argument decides the message (``duplicate --json``, ``invalid --limit``,
``unknown flag``...), and info, stats and check report a usage error as JSON
only when ``--json`` came before it.

A failure keeps the first line (and the JSON ``error``) that scripts read
(``info open failed: NotZovaDatabase``) and adds what is wrong in words, found
by looking at the file: a second line ``  <path>: no such file`` and a JSON
``message``. Progress goes to stderr when it is a terminal (never with
``--json``), for every phase of a long command.

The checks live in :mod:`zova.diagnostics`, imported on first use: ``zova
--help`` loads neither it nor numpy.

Sections: usage text · output · arguments · errors explained · progress ·
inspection · check, doctor, salvage · copies · click wiring.
"""
from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, NoReturn, Protocol, TextIO

import click

from .cancel import Cancel
from .database import Database
from .errors import ZovaError
from .operations import convert_sqlite_to_zova, restore_backup

if TYPE_CHECKING:
    from types import FrameType

    from .diagnostics.common import SqlValue


class _LazyDiagnostics:
    """``diag`` until a command needs it: zova.diagnostics (hashlib, sqlite3,
    the walk) is most of the start-up of ``zova info`` and none of ``zova
    --help``. The first attribute read imports it and rebinds ``diag``."""

    __slots__ = ()

    def __getattr__(self, name: str) -> object:
        from . import diagnostics

        globals()["diag"] = diagnostics
        return getattr(diagnostics, name)


if TYPE_CHECKING:
    from . import diagnostics as diag   # what the proxy stands for
else:
    diag = _LazyDiagnostics()

VERSION = "0.17.0"
JSON_VERSION = 1
PROGRESS_MIN_BYTES = 4 * 1024 * 1024   # a byte bar only for long operations

SYNOPSIS = [
    "--version",
    "--help",
    "info <file.zova>",
    "info --json <file.zova>",
    "stats [--json] [--limit <n>] <file.zova>",
    "objects [--json] [--limit <n>] <file.zova>",
    "object [--json] [--limit <n>] <file.zova> <object-id>",
    "chunks [--json] [--limit <n>] <file.zova>",
    "chunk [--json] [--limit <n>] <file.zova> <chunk-id>",
    "vectors [--json] [--limit <n>] <file.zova>",
    "vector-collection [--json] [--limit <n>] <file.zova> <name>",
    "tables [--json] [--limit <n>] <file.zova>",
    "check [--deep] <file.zova>",
    "check --json [--deep] <file.zova>",
    "doctor [--json] [--limit <n>] <file.zova>",
    "salvage --dry-run [--json] [--limit <n>] <source.zova>",
    "salvage [--json] [--limit <n>] <source.zova> <destination.zova>",
    "backup [--json] [--no-verify] <source.zova> <destination.zova>",
    "compact [--json] [--no-verify] <source.zova> <destination.zova>",
    "restore [--json] [--no-verify] <backup.zova> <destination.zova>",
    "convert [--json] <source.sqlite> <destination.zova>",
    "index [--json] create|drop|rebuild|info <file.zova> <collection>",
]

COMMAND_HELP = [
    ("info", "file, SQLite and Zova summary counts"),
    ("stats", "summary plus size distributions and the largest objects and chunks"),
    ("objects", "list objects (id, size, chunk count)"),
    ("object", "one object's metadata and manifest"),
    ("chunks", "list stored chunks with reference counts"),
    ("chunk", "one chunk's metadata and the manifests that reference it"),
    ("vectors", "list vector collections"),
    ("vector-collection", "one collection's metadata and vector ids"),
    ("tables", "user and private table names"),
    ("check", "SQLite quick_check; --deep: integrity_check, every chunk and object re-hashed, every vector read"),
    ("doctor", "explain the file's health and suggest the next action"),
    ("salvage", "plan (--dry-run) or copy every readable, valid row, object and vector into a new file"),
    ("backup", "online backup into a new .zova file, verified unless --no-verify"),
    ("compact", "VACUUM INTO a new .zova file, verified unless --no-verify"),
    ("restore", "copy a backup into a new .zova file, verified unless --no-verify"),
    ("convert", "create a new .zova file from a plain SQLite file (the source is not modified)"),
    ("index", "create, drop, rebuild or describe a collection's approximate-search (HNSW) index"),
]

# What `zova <command> --help` adds to the line above: an example, and for some
# commands a sentence on what the output means.
EXAMPLES = {
    "info": ("zova info notes.zova", None),
    "stats": ("zova stats --limit 5 notes.zova", "Lists cap at --limit; vector_collections is never capped."),
    "objects": ("zova objects --limit 20 notes.zova", "Objects in id order; truncated: true means there are more."),
    "object": ("zova object notes.zova 3f0c...e1 (64 hex characters, any case)", None),
    "chunks": ("zova chunks --json notes.zova", "is_unreferenced=true marks a loose chunk (no manifest uses it)."),
    "chunk": ("zova chunk notes.zova 9a1b...07 (64 hex characters, any case)", None),
    "vectors": ("zova vectors notes.zova", None),
    "vector-collection": ("zova vector-collection --limit 50 notes.zova docs", None),
    "tables": ("zova tables notes.zova", "Private tables are Zova's own (_zova_*)."),
    "check": ("zova check --deep notes.zova",
              "Exit 0 healthy, 4 damage found (the report goes to stderr), 3 the file did not open."),
    "doctor": ("zova doctor notes.zova",
               "Exit 0 healthy, 4 needs attention (the report and next steps go to stderr)."),
    "salvage": ("zova salvage --dry-run notes.zova\n  zova salvage notes.zova rescued.zova",
                "The source is opened read-only; the destination must be a new .zova path."),
    "backup": ("zova backup notes.zova notes-backup.zova", "The destination must not exist; a failed copy leaves no file."),
    "compact": ("zova compact notes.zova notes-small.zova", "The destination must not exist; a failed copy leaves no file."),
    "restore": ("zova restore notes-backup.zova notes.zova", "The destination must not exist; a failed copy leaves no file."),
    "convert": ("zova convert app.db app.zova", "The destination must not exist; a failed copy leaves no file."),
    "index": ("zova index create notes.zova docs\n  zova index info --json notes.zova docs",
              "create builds the index (M=16, ef_construction=200) over the collection's vectors and stores it in "
              "the file; rebuild repairs one check --deep reports stale or damaged. Exit 4 when the collection or "
              "its index is missing."),
}

OPTION_HELP = {
    "--json": "Print one JSON document instead of text lines.",
    "--limit": "Show at most <n> list items, 0 to 100 (default 10).",
    "--deep": "Also run integrity_check, re-hash every chunk and object and read every vector.",
    "--dry-run": "Only report what a salvage would recover; write nothing.",
    "--no-verify": "Do not re-open and verify the new copy.",
}


def usage_text() -> str:
    lines = ["usage:"]
    lines += [f"  zova {line}" for line in SYNOPSIS]
    lines += ["", "commands:"]
    width = max(len(name) for name, _ in COMMAND_HELP)
    lines += [f"  {name.ljust(width)}  {text}" for name, text in COMMAND_HELP]
    lines += ["", "exit codes:",
              "  0  ok",
              "  1  unexpected internal error",
              "  2  usage error",
              "  3  open or identity failure, or an operation that failed",
              "  4  integrity failure, corruption, or not found",
              "",
              "zova <command> --help describes one command."]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------
# output


class OutputError(Exception):
    """stdout or stderr refused the output (a full disk, a closed pipe)."""

    def __init__(self, error: OSError) -> None:
        super().__init__(error.strerror or str(error))
        self.error = error


def _encode_output(text: str) -> bytes:
    """UTF-8; a path that is not UTF-8 (decoded by Python with surrogateescape)
    is written back as its own bytes, as ``ls`` shows it."""
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace")


def _write(stream: TextIO, text: str) -> None:
    try:
        buffer = getattr(stream, "buffer", None)
        if buffer is not None:
            stream.flush()
            buffer.write(_encode_output(text))
            buffer.flush()
        else:
            stream.write(text)
            stream.flush()
    except OSError as error:
        raise OutputError(error) from None


def _escape_json(text: str) -> str:
    out = ['"']
    for ch in text:
        code = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif code < 0x20:
            out.append(f"\\u{code:04x}")
        elif 0xD800 <= code <= 0xDFFF:
            out.append("\ufffd")   # never emit a lone surrogate (invalid JSON text)
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _json_scalar(value: object) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return repr(value)
    return _escape_json(str(value))


def _json_inline(value: object) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_escape_json(k)}: {_json_inline(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_json_inline(v) for v in value) + "]"
    return _json_scalar(value)


def to_json(value: object, indent: int = 0) -> str:
    """Hand pretty-printing of docs/cli.md §1.8: 2-space objects, arrays written inline."""
    if isinstance(value, dict):
        if not value:
            return "{}"
        pad = " " * (indent + 2)
        items = [f"{pad}{_escape_json(k)}: {to_json(v, indent + 2)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + " " * indent + "}"
    if isinstance(value, list):
        return _json_inline(value)
    return _json_scalar(value)


def _text_value(value: object) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    return _printable(str(value))


def _printable(text: str) -> str:
    """Names in text output: control characters escaped so one item stays one line."""
    if all(ch >= " " and ch != "\x7f" for ch in text):
        return text
    return "".join(ch if ch >= " " and ch != "\x7f" else f"\\x{ord(ch):02x}" for ch in text)


class Done(Exception):
    """Ends a command with its exit code (the output is already written)."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


class Usage(Exception):
    def __init__(self, message: str, as_json: bool) -> None:
        super().__init__(message)
        self.message = message
        self.as_json = as_json


def _emit(command: str, as_json: bool, code: int, lines: list[str] | None = None,
          doc: dict[str, Any] | None = None) -> None:
    if _RUNNING.interrupted:
        return   # the report of an interrupted command would describe half a job; see _interrupted()
    stream = sys.stdout if code == 0 else sys.stderr
    if as_json:
        full: dict[str, Any] = {"cli_json_version": JSON_VERSION}
        full.update(doc or {})
        _write(stream, to_json(full) + "\n")
    else:
        _write(stream, "".join(line + "\n" for line in lines or []))
    _RUNNING.emitted = True


def _with_message(doc: dict[str, Any], message: str) -> dict[str, Any]:
    """``doc`` with ``message`` right after its ``error`` key."""
    out: dict[str, Any] = {}
    for key, value in doc.items():
        out[key] = value
        if key == "error":
            out["message"] = message
    out.setdefault("message", message)
    return out


def _fail(command: str, as_json: bool, code: int, kind: str, error: str, text: str,
          message: str | None = None) -> NoReturn:
    """A failure: ``text`` (the line scripts read) and, when known, ``message``
    (what is wrong, in words) as a second line; in JSON, ``error`` and ``message``."""
    doc = {"status": "error", "command": command, "kind": kind, "error": error}
    lines = [text]
    if message:
        doc["message"] = message
        lines.append(f"  {_printable(message)}")
    _emit(command, as_json, code, lines, doc)
    raise Done(code)


# ---------------------------------------------------------------------------
# arguments (docs/cli.md §1.1, §1.2)


class Args:
    """One command's parsed arguments."""

    __slots__ = ("command", "json", "limit", "deep", "dry_run", "no_verify", "positionals")

    def __init__(self, command: str, *, json: bool = False, limit: int = 10, deep: bool = False,
                 dry_run: bool = False, no_verify: bool = False, positionals: Iterable[str] = ()) -> None:
        self.command = command
        self.json = json
        self.limit = limit
        self.deep = deep
        self.dry_run = dry_run
        self.no_verify = no_verify
        self.positionals = list(positionals)


_BOUNDED_FLAGS = ("--json", "--limit")
FLAGS = {
    "info": ("--json",),
    "stats": ("--json", "--limit"),
    "objects": _BOUNDED_FLAGS, "object": _BOUNDED_FLAGS, "chunks": _BOUNDED_FLAGS, "chunk": _BOUNDED_FLAGS,
    "vectors": _BOUNDED_FLAGS, "vector-collection": _BOUNDED_FLAGS, "tables": _BOUNDED_FLAGS,
    "doctor": _BOUNDED_FLAGS,
    "check": ("--json", "--deep"),
    "salvage": ("--json", "--limit", "--dry-run"),
    "backup": ("--json", "--no-verify"),
    "compact": ("--json", "--no-verify"),
    "restore": ("--json", "--no-verify"),
    "convert": ("--json",),
    "index": ("--json",),
}
POSITIONALS = {
    "index": "create|drop|rebuild|info <file.zova> <collection>",
    "object": "<file.zova> <object-id>", "chunk": "<file.zova> <chunk-id>",
    "vector-collection": "<file.zova> <name>", "salvage": "<source.zova> [<destination.zova>]",
    "backup": "<source.zova> <destination.zova>", "compact": "<source.zova> <destination.zova>",
    "restore": "<backup.zova> <destination.zova>", "convert": "<source.sqlite> <destination.zova>",
}
# info, stats and check take one path and say so at the second one (docs/cli.md §1.2).
_POSITIONAL_LIMIT = {"info": 1, "stats": 1, "check": 1}
_EXTRA_MESSAGE = {
    "info": "info accepts only [--json] <file.zova>",
    "stats": "stats accepts only [--json] [--limit <n>] <file.zova>",
    "check": "check accepts only [--json] [--deep] <file.zova>",
}


def _parse_limit(value: str) -> int:
    """docs/cli.md §1.1: decimal digits only (leading zeros allowed), 0 to MAX_LIMIT."""
    if not value or not value.isascii() or not value.isdigit():
        raise ValueError
    number = int(value)
    if number > diag.MAX_LIMIT:
        raise ValueError
    return number


if TYPE_CHECKING:
    _IntParamType = click.ParamType[int]
else:  # click.ParamType is generic only from click 8.2 on; pyproject allows 8.0
    _IntParamType = click.ParamType


class _LimitType(_IntParamType):
    name = "limit"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        try:
            return _parse_limit(value)
        except ValueError:
            self.fail("invalid --limit", param, ctx)


def check_arguments(command: str, argv: list[str]) -> None:
    """Raises :class:`Usage` for the first argument that breaks the rules of
    docs/cli.md §1, reading ``argv`` as click does (``--opt value``,
    ``--opt=value``, ``--``).

    ``--limit`` always takes the next argument as its value, even ``--json``.
    A usage error is JSON when ``--json`` is among the options, except for
    info, stats and check, whose errors are JSON only once ``--json`` was read
    (``info --bogus --json`` is text, ``check --json --bogus`` JSON)."""
    allowed = FLAGS[command]
    options = argv[:argv.index("--")] if "--" in argv else argv
    json_anywhere = "--json" in options
    progressive = command in _POSITIONAL_LIMIT
    seen: set[str] = set()
    positionals: list[str] = []
    json_read = False

    def usage(message: str) -> Usage:
        return Usage(message, json_read if progressive else json_anywhere)

    index, options_ended = 0, False
    while index < len(argv):
        arg = argv[index]
        index += 1
        if not options_ended and arg == "--":
            options_ended = True
            continue
        if options_ended or not arg.startswith("-"):
            if command in _POSITIONAL_LIMIT and len(positionals) >= _POSITIONAL_LIMIT[command]:
                raise usage(_EXTRA_MESSAGE[command])
            positionals.append(arg)
            continue
        name, equals, value = arg.partition("=")
        if name not in allowed:
            raise usage("unknown flag")
        if name in seen:
            raise usage(f"duplicate {name}")
        seen.add(name)
        if name == "--limit":
            if not equals:
                if index >= len(argv):
                    raise usage("--limit requires a value")
                value = argv[index]
                index += 1
            try:
                _parse_limit(value)
            except ValueError:
                raise usage("invalid --limit") from None
        elif equals:
            raise usage(f"{name} does not take a value")
        elif name == "--json":
            json_read = True
    _check_positionals(command, positionals, "--dry-run" in seen, usage)


def _check_positionals(command: str, positionals: list[str], dry_run: bool, usage: Callable[[str], Usage]) -> None:
    count = len(positionals)
    if command in ("info", "stats", "check"):
        if count == 0:
            raise usage(f"{command} requires <file.zova>")
        return
    if command in ("objects", "chunks", "vectors", "tables", "doctor"):
        if count == 0:
            raise usage(f"{command} requires <file.zova>")
        if count > 1:
            raise usage("too many arguments")
        return
    if command in ("object", "chunk", "vector-collection"):
        what = {"object": "<object-id>", "chunk": "<chunk-id>", "vector-collection": "<name>"}[command]
        if count == 0:
            raise usage(f"{command} requires <file.zova> <id>")
        if count == 1:
            raise usage(f"{command} requires <file.zova> {what}")
        if count > 2:
            raise usage("too many arguments")
        target = positionals[1]
        if command in ("object", "chunk"):
            if len(target) != 64 or not all(ch in "0123456789abcdefABCDEF" for ch in target):
                raise usage(f"{command} id must be 64 hex characters")
        elif not _collection_name_valid(target):
            raise usage("vector collection name is invalid")
        return
    if command == "index":
        if count == 0 or positionals[0] not in INDEX_ACTIONS:
            raise usage("index requires create, drop, rebuild or info")
        if count < 3:
            raise usage("index requires <file.zova> <collection>")
        if count > 3:
            raise usage("too many arguments")
        if not _collection_name_valid(positionals[2]):
            raise usage("vector collection name is invalid")
        return
    if command == "salvage":
        if count == 0:
            raise usage("salvage requires <source.zova>")
        if count > 2:
            raise usage("too many arguments")
        if dry_run and count == 2:
            raise usage("salvage --dry-run does not accept a destination")
        if not dry_run and count == 1:
            raise usage("salvage execution requires <destination.zova>")
        if count == 2 and not positionals[1].endswith(".zova"):
            raise usage("destination path must end in .zova")
        return
    if command in ("backup", "compact", "restore", "convert"):
        if count == 0:
            raise usage("missing source path")
        if count == 1:
            raise usage("missing destination path")
        if count > 2:
            if command == "restore":
                raise usage("restore accepts only [--json] [--no-verify] <backup.zova> <destination.zova>")
            if command == "convert":
                raise usage("convert accepts only [--json] <source.sqlite> <destination.zova>")
            raise usage(f"{command} accepts only [--json] [--no-verify] <source.zova> <destination.zova>")


def _collection_name_valid(name: str) -> bool:
    try:
        raw = name.encode("utf-8")
    except UnicodeEncodeError:   # undecodable bytes from the command line
        return False
    return 0 < len(raw) <= 255 and raw[:6].lower() != b"_zova_"


def _usage_error(command: str, usage: Usage) -> None:
    """The usage-error forms of docs/cli.md §1.1, on stderr."""
    if usage.as_json:
        _write(sys.stderr, to_json({"cli_json_version": JSON_VERSION, "status": "error", "command": command,
                                    "kind": "error", "error": usage.message}) + "\n")
    else:
        _write(sys.stderr, f"usage error: {usage.message}\n\n{usage_text()}")


# ---------------------------------------------------------------------------
# errors explained (issue 13 item 8)
#
# The C core reports a status, and the first line of a failure keeps its name
# for scripts. What the person needs is the reason, so after a failure the CLI
# looks at the file system: does the path exist, can it be read, does it start
# with SQLite's header, is it a plain SQLite file or a damaged Zova file.

_SQLITE_HEADER = b"SQLite format 3\x00"

# When looking at the file finds nothing, the status name says it.
_NAME_TEXT = {
    "NotZovaPath": "not a .zova path (Zova opens and creates only files whose name ends in .zova)",
    "NotZovaDatabase": "not a Zova database: its Zova tables or identity are missing or damaged; "
                       "run zova doctor {path}",
    "UnsupportedZovaVersion": "written in a Zova format version this zova does not read (it reads format 3)",
    "DestinationExists": "already exists; Zova never overwrites a file: name a new destination",
    "Busy": "in use: another connection holds a lock on it; try again when it is done",
    "Locked": "in use: another connection holds a lock on it; try again when it is done",
    "Corrupt": "damaged SQLite pages; run zova doctor {path}",
    "ReadOnly": "read-only: the file or its directory cannot be written",
    "CantOpen": "cannot be opened",
    "OutOfMemory": "out of memory",
    "ZovaNameConflict": "uses names that start with _zova_, which Zova reserves; rename them first",
}


def _parent(path: str) -> str:
    return os.path.dirname(path) or "."


def _sqlite_kind(path: str, header: bytes, size: int) -> str:
    """A SQLite file: ``truncated:<expected bytes>``, ``unreadable`` (SQLite
    cannot read its schema), ``plain`` (no Zova table) or ``zova``."""
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big") if len(header) >= 32 else 0
    if pages and page_size and pages * page_size > size:
        return f"truncated:{pages * page_size}"
    import sqlite3
    from urllib.parse import quote

    try:
        connection = sqlite3.connect(f"file:{quote(os.fsencode(os.path.abspath(path)))}?mode=ro", uri=True)
        try:
            private = connection.execute("select count(*) from sqlite_master where type = 'table' "
                                         "and name like '\\_zova\\_%' escape '\\'").fetchone()[0]
        finally:
            connection.close()
    except sqlite3.Error:
        return "unreadable"
    return "zova" if private else "plain"


def path_problem(path: str, role: str) -> str | None:
    """What is wrong with ``path``, in words, or None when nothing shows.
    ``role``: ``zova`` (a Zova file to open), ``sqlite`` (convert's source) or
    ``new`` (a destination to create)."""
    if role != "sqlite" and not path.endswith(".zova"):
        return _NAME_TEXT["NotZovaPath"]
    try:
        st = os.stat(path)
    except FileNotFoundError:
        parent = _parent(path)
        if not os.path.isdir(parent):
            return f"no such directory: {parent}"
        if role == "new":
            if not os.access(parent, os.W_OK | os.X_OK):
                return f"permission denied: cannot create a file in {parent}"
            return None
        return "no such file"
    except NotADirectoryError:
        return "a part of the path is not a directory"
    except PermissionError:
        return "permission denied: a directory on the path cannot be searched"
    except OSError as error:
        return error.strerror or str(error)
    import stat

    if role == "new":
        return "is a directory" if stat.S_ISDIR(st.st_mode) else _NAME_TEXT["DestinationExists"]
    if stat.S_ISDIR(st.st_mode):
        return "is a directory, not a file"
    if not stat.S_ISREG(st.st_mode):
        return "not a regular file"
    try:
        with open(path, "rb") as file:
            header = file.read(100)
    except PermissionError:
        return "permission denied: the file cannot be read"
    except OSError as error:
        return error.strerror or str(error)
    if not header:
        return f"an empty file, not a {'SQLite' if role == 'sqlite' else 'Zova'} database"
    if not header.startswith(_SQLITE_HEADER):
        also = "" if role == "sqlite" else ", so not a Zova file"
        return f"not a SQLite database file{also} (it does not start with the SQLite header)"
    if role == "sqlite":
        return None
    kind = _sqlite_kind(path, header, st.st_size)
    if kind.startswith("truncated:"):
        return (f"a damaged file: truncated to {st.st_size} of {kind.split(':')[1]} bytes; "
                f"run zova doctor {path}")
    if kind == "unreadable":
        return f"a damaged SQLite file (SQLite cannot read its schema); run zova doctor {path}"
    if kind == "plain":
        return (f"a plain SQLite database, not a Zova file; use zova convert {path} <destination.zova> "
                f"to make a Zova copy of it")
    return None


def _name_text(path: str, name: str) -> str | None:
    text = _NAME_TEXT.get(name)
    return text.format(path=path) if text else None


def explain_open(path: str, name: str) -> str:
    """``<path>: <what is wrong>`` for a Zova file that did not open with ``name``."""
    problem = path_problem(path, "zova")
    if problem is None and name == "CantOpen" and not os.access(_parent(path), os.W_OK | os.X_OK):
        problem = f"permission denied: SQLite cannot create its journal in {_parent(path)}"
    if problem is None:
        problem = _name_text(path, name) or f"could not be opened ({name})"
    return f"{path}: {problem}"


def explain_operation(command: str, name: str, source: str, destination: str) -> str | None:
    """The path at fault, and why, for an operation that failed with ``name``:
    the status says which side to look at."""
    source_role = "sqlite" if command == "convert" else "zova"
    if name == "DestinationExists":
        return f"{destination}: {path_problem(destination, 'new') or _NAME_TEXT['DestinationExists']}"
    if name == "NotZovaPath":
        path = source if command == "restore" and not source.endswith(".zova") else destination
        return f"{path}: {_NAME_TEXT['NotZovaPath']}"
    if name == "CantOpen":
        if command in ("restore", "convert"):
            problem = path_problem(source, source_role)
            if problem:
                return f"{source}: {problem}"
        return f"{destination}: {path_problem(destination, 'new') or 'cannot be created'}"
    if name == "ZovaNameConflict":
        return f"{source}: {_NAME_TEXT['ZovaNameConflict']}"
    problem = path_problem(source, source_role)
    if problem:
        return f"{source}: {problem}"
    if command == "convert" and name == "SqliteError":
        return f"{source}: SQLite could not copy it; check it with sqlite3 {source} 'pragma integrity_check'"
    text = _name_text(source, name)
    return f"{source}: {text}" if text else None


def explain_unverified(command: str, name: str, source: str) -> str:
    """A copy that read back damaged: the source holds the damage."""
    return (f"{source}: the new copy did not verify ({name}) and was removed; the source holds damaged data: "
            f"run zova doctor {source}")


# ---------------------------------------------------------------------------
# progress (issue 13 item 9)


def _progress_wanted(args: Args) -> bool:
    """A progress line goes to stderr: shown when stderr is a terminal (wherever
    stdout goes), never with --json."""
    if args.json:
        return False
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def _size_text(count: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if count < 1024 or unit == "GiB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024
    return f"{count:.1f} TiB"   # pragma: no cover


class Progress:
    """The progress line on stderr for every phase of a long command: a bar
    (percent, bytes, time left) while a phase has a byte count, else the
    phase's label with a spinner and the seconds it has run.

    A thread redraws it every TICK seconds. A bar for a total of at least
    PROGRESS_MIN_BYTES shows at once; a phase without a byte count only once
    the command has run for DELAY seconds, so quick commands print nothing.
    The line is cleared before the command writes its report.

    Calling the object is the diagnostics' ``progress(done, total)``: the
    walk's bytes become the bar (labelled ``counting``), and when the walk
    reaches its total the phase becomes ``after`` (what the command does
    next, e.g. ``sqlite integrity_check``). ``poll``, when given, runs on each
    tick and may move the phases itself (copies follow their destination's size)."""

    TICK = 0.1
    DELAY = 0.5
    SPINNER = "|/-\\"

    def __init__(self, title: str, label: str, *, total: int | None = None, counting: str = "",
                 after: str = "finishing", poll: Callable[[Progress], None] | None = None) -> None:
        import threading
        import time

        self._clock = time.monotonic
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self.title = title
        self.counting = counting
        self.after = after
        self.poll = poll
        self.started = self._clock()
        self.visible = False
        self._spin = 0
        self._walk = "before"   # the diagnostics walk: before, counting (its bytes), after
        self._set(label, total)
        self._thread = threading.Thread(target=self._run, name="zova-progress", daemon=True)
        self._thread.start()

    # ---- phases ----

    def _set(self, label: str, total: int | None, done: int = 0) -> None:
        self.label = label
        self.total = total if total is not None and total >= PROGRESS_MIN_BYTES else None
        self.done = done
        self.phase_started = self._clock()

    def stage(self, label: str, total: int | None = None, done: int = 0) -> None:
        """Starts a phase (``total`` bytes for a bar, None for a spinner)."""
        with self._lock:
            self._set(label, total, done)
            self._draw()

    def relabel(self, label: str) -> None:
        """Renames the current phase (its clock goes on)."""
        with self._lock:
            self.label = label

    def advance(self, done: int) -> None:
        with self._lock:
            self.done = done

    def __call__(self, done: int, total: int) -> None:
        with self._lock:
            if self._walk == "before":
                self._walk = "counting"
                self._set(self.counting or self.label, total, done)
                self._draw()
            elif self._walk == "counting" and done >= total:
                self._walk = "after"
                self.done = total
                self._draw()   # the bar at 100%, then what follows it
                self._set(self.after, None)
                self._draw()
            elif self._walk == "counting":
                self.done = done

    # ---- drawing ----

    def _run(self) -> None:
        while not self._stopped.wait(self.TICK):
            if self.poll is not None:
                try:
                    self.poll(self)
                except Exception:   # a failed stat must not end the command
                    pass
            with self._lock:
                self._spin += 1
                self._draw()

    def _line(self) -> str:
        now = self._clock()
        if self.total is not None:
            fraction = min(1.0, self.done / self.total) if self.total else 1.0
            filled = int(fraction * 24)
            line = (f"{self.title}: {self.label} [{'#' * filled}{'-' * (24 - filled)}] {int(fraction * 100):3d}%  "
                    f"{_size_text(self.done)} of {_size_text(self.total)}")
            spent = now - self.phase_started
            if 0 < fraction < 1 and spent > 1:
                line += f"  {spent * (1 - fraction) / fraction:.0f}s left"
            return line
        spinner = self.SPINNER[self._spin % len(self.SPINNER)]
        return f"{self.title}: {self.label} {spinner} {now - self.phase_started:.0f}s"

    def _draw(self) -> None:
        """Called with the lock held."""
        if self._stopped.is_set():
            return
        if not self.visible and self.total is None and self._clock() - self.started < self.DELAY:
            return
        try:
            width = os.get_terminal_size(sys.stderr.fileno()).columns or 80   # 0: a terminal of unknown size
        except (OSError, ValueError, AttributeError):
            width = 80
        try:
            _write(sys.stderr, "\r" + self._line()[:max(20, width - 1)] + "\x1b[K")
            self.visible = True
        except OutputError:
            self._stopped.set()

    def close(self) -> None:
        """Stops the redraws and clears the line."""
        with self._lock:
            self._stopped.set()
        self._thread.join()
        if self.visible:
            try:
                _write(sys.stderr, "\r\x1b[K")
            except OutputError:
                pass

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _NoProgress:
    """Stands in for :class:`Progress` when no line is wanted."""

    def stage(self, *args: object, **kwargs: object) -> None:
        pass

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        pass


def _progress(args: Args, title: str, label: str, *, total: int | None = None, counting: str = "",
              after: str = "finishing", poll: Callable[[Progress], None] | None = None) -> Progress | _NoProgress:
    """A :class:`Progress` for ``args`` (a no-op unless stderr is a terminal
    and the output is text); as a context manager it yields the diagnostics'
    progress callback (None when there is no line)."""
    if _progress_wanted(args):
        return Progress(title, label, total=total, counting=counting, after=after, poll=poll)
    return _NoProgress()


def _file_size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


# A destination that has not grown for this long is no longer being written:
# the copy is over and the call is verifying it (it grows again if not).
_STALL = 0.3


def _copy_poll(source: str, destination: str, label_after: str) -> tuple[int, Callable[[Progress], None]]:
    """``(total, poll)`` for a copy done in one C call (backup, compact,
    restore, convert): the destination's size against the source's drives the
    ``copying`` bar; once the destination reaches the source's size or stops
    growing, the rest of the call (verification, or the final sync) shows as
    ``label_after``."""
    total = _file_size(source)
    state = {"size": -1, "changed": 0.0, "copying": True}

    def poll(progress: Progress) -> None:
        size = _file_size(destination)
        now = progress._clock()
        if size != state["size"]:
            state["size"], state["changed"] = size, now
        copying = (not total or size < total) and (size == 0 or now - state["changed"] < _STALL)
        if copying != state["copying"]:
            state["copying"] = copying
            if copying:
                progress.stage("copying", total, min(size, total))
            else:
                progress.stage(label_after)
        elif copying:
            progress.advance(min(size, total))

    return total, poll


# ---------------------------------------------------------------------------
# opening and the inspection commands (docs/cli.md §1.4)


def _open(args: Args, path: str, read_only: bool = False) -> Database:
    try:
        return Database.open(path, read_only=read_only)
    except ZovaError as error:
        _open_failed(args, path, error)


def _open_failed(args: Args, path: str, error: ZovaError) -> NoReturn:
    name = diag.error_name(error)
    explained = explain_open(path, name)
    doctor = f"; run zova doctor {path}"
    if args.command == "salvage" and explained.endswith(doctor):
        # doctor sent the file here: salvage's advice must lead somewhere new (issue 13 item 8)
        explained = explained[:-len(doctor)] + "; too damaged for salvage to read anything: restore it from a backup"
    _fail(args.command, args.json, 3, "error", name, f"{args.command} open failed: {name}", explained)


def _rows(db: Database, sql: str, *params: SqlValue) -> list[tuple[Any, ...]]:
    return diag._rows(db, sql, *params)


def _scalar(db: Database, sql: str, *params: SqlValue) -> Any:
    return diag._scalar(db, sql, *params)


def _hex(value: object) -> str:
    return diag._hex(value)


def _name(raw: object) -> str:
    return diag._display(raw)


def _inspect_error(args: Args, error: BaseException, what: str = "") -> NoReturn:
    """Exit 4 for an inspected item that is missing or damaged; ``what`` names
    the item looked for (``object <id>``)."""
    name = diag.error_name(error)
    path = args.positionals[0]
    if name in ("ObjectNotFound", "ObjectChunkNotFound", "VectorCollectionNotFound", "VectorNotFound"):
        label = "not found"
        message = f"{path}: has no {what}" if what else None
    else:
        if name.startswith("Object"):
            label = "object corruption"
        elif name.startswith("Vector"):
            label = "vector corruption"
        else:
            label = "inspection failed"
        message = f"{path}: damaged{' ' + what if what else ''} ({name}); run zova doctor {path}"
    _fail(args.command, args.json, 4, label, name, f"{args.command}: {label}: {name}", message)


def _header(title: str, path: str) -> str:
    return f"{title}: {path}"


def _kv(key: str, value: object) -> str:
    return f"{key}: {_text_value(value)}"


def _list_lines(header: str, items: list[str], top_level: bool = False) -> list[str]:
    if not items:
        return [f"{header}: none"] if top_level else [f"{header}:", "  none"]
    return [f"{header}:"] + [f"  {item}" for item in items]


def _num(value: float) -> int | float:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# ---------------------------------------------------------------------------
# inspection commands (docs/cli.md §1.4)


def _info_pairs(s: dict[str, Any]) -> list[tuple[str, object]]:
    return [
        ("package_version", s["package_version"]), ("sqlite_version", s["sqlite_version"]),
        ("format_version", s["format_version"]),
        ("database_bytes", s["files"]["database_bytes"]), ("wal_bytes", s["files"]["wal_bytes"]),
        ("journal_bytes", s["files"]["journal_bytes"]),
        ("page_count", s["sqlite"]["page_count"]), ("page_size", s["sqlite"]["page_size"]),
        ("freelist_count", s["sqlite"]["freelist_count"]),
        ("objects", s["objects"]["count"]), ("object_logical_bytes", s["objects"]["logical_bytes"]),
        ("chunks", s["chunks"]["count"]), ("manifest_rows", s["chunks"]["manifest_rows"]),
        ("loose_chunks", s["chunks"]["loose_count"]), ("stored_chunk_bytes", s["chunks"]["stored_bytes"]),
        ("vector_collections", s["vectors"]["collections"]), ("vectors", s["vectors"]["rows"]),
        ("user_tables", s["tables"]["user"]), ("private_tables", s["tables"]["private"]),
    ]


def _info_lines(s: dict[str, Any]) -> list[str]:
    return [_kv(key, value) for key, value in _info_pairs(s)]


# `zova stats` text lines in upstream's order: each distribution after its
# counts, and no vector_collections count (the uncapped list gives it).
STATS_KEYS = (
    "package_version", "sqlite_version", "format_version", "database_bytes", "wal_bytes", "journal_bytes",
    "page_count", "page_size", "freelist_count", "objects", "object_logical_bytes",
    "object_size_min", "object_size_max", "object_size_avg",
    "object_chunk_count_min", "object_chunk_count_max", "object_chunk_count_avg",
    "chunks", "manifest_rows", "loose_chunks", "stored_chunk_bytes",
    "chunk_size_min", "chunk_size_max", "chunk_size_avg", "loose_chunk_bytes", "deduped_bytes_saved",
    "vectors", "user_tables", "private_tables", "limit",
)


def _info_doc(s: dict[str, Any]) -> dict[str, Any]:
    return {
        "package_version": s["package_version"], "sqlite_version": s["sqlite_version"],
        "format_version": s["format_version"], "files": dict(s["files"]), "sqlite": dict(s["sqlite"]),
        "objects": dict(s["objects"]),
        "chunks": {k: s["chunks"][k] for k in ("count", "manifest_rows", "loose_count", "stored_bytes")},
        "vectors": dict(s["vectors"]), "tables": dict(s["tables"]),
    }


def cmd_info(args: Args) -> None:
    path = args.positionals[0]
    with _open(args, path) as db:
        try:
            s = diag.summary(db, path, count_rows=False)
        except (ZovaError, ValueError) as error:
            _inspect_error(args, error)
    _emit("info", args.json, 0, [_header("Zova database", path)] + _info_lines(s),
          {"status": "ok", "command": "info", **_info_doc(s)})


def _collections_listing(db: Database, limit: int | None) -> list[dict[str, Any]]:
    sql = ('select cast(c.name as blob), c.dimensions, c.metric, '
           '(select count(*) from _zova_vectors v where v.collection_name = c.name), '
           '(select coalesce(sum(v.dimensions * 4), 0) from _zova_vectors v where v.collection_name = c.name) '
           'from _zova_vector_collections c order by c.name')
    if limit is not None:
        sql += f" limit {int(limit)}"
    return [{"name": _name(name), "dimensions": dims, "metric": metric, "vector_count": count,
             "stored_bytes": stored}
            for name, dims, metric, count, stored in _rows(db, sql)]


def _collection_item(c: dict[str, Any]) -> str:
    return (f"{_printable(c['name'])} dimensions={c['dimensions']} metric={_text_value(c['metric'])} "
            f"vectors={c['vector_count']} stored_bytes={c['stored_bytes']}")


# Ids are listed in blob order, which is their hex order (a byte compares like its
# two hex digits), so the primary-key indexes give the docs/cli.md §1.4 orderings without a sort.
_REFERENCES = ("(select chunk_hash, count(*) as n from _zova_object_chunks group by chunk_hash)")


def cmd_stats(args: Args) -> None:
    path, limit = args.positionals[0], args.limit
    with _open(args, path) as db:
        try:
            s = diag.summary(db, path, count_rows=False)
            o = _rows(db, "select coalesce(min(size_bytes), 0), coalesce(max(size_bytes), 0), "
                          "coalesce(avg(size_bytes), 0), coalesce(min(chunk_count), 0), "
                          "coalesce(max(chunk_count), 0), coalesce(avg(chunk_count), 0) from _zova_objects")[0]
            c = _rows(db, "select coalesce(min(size_bytes), 0), coalesce(max(size_bytes), 0), "
                          "coalesce(avg(size_bytes), 0) from _zova_chunks")[0]
            manifest_bytes = _scalar(db, "select coalesce(sum(size_bytes), 0) from _zova_object_chunks")
            collections = _collections_listing(db, None)
            top_objects = [{"object_id": _hex(oid), "size_bytes": size, "chunk_count": count, "chunker": chunker}
                           for oid, size, count, chunker in _rows(
                               db, "select object_id, size_bytes, chunk_count, chunker from _zova_objects "
                                   "order by size_bytes desc, object_id limit ?", limit)]
            top_chunks = [{"chunk_hash": _hex(h), "size_bytes": size, "reference_count": refs, "loose": refs == 0}
                          for h, size, refs in _rows(
                              db, f"select c.chunk_hash, c.size_bytes, coalesce(r.n, 0) from _zova_chunks c "
                                  f"left join {_REFERENCES} r on r.chunk_hash = c.chunk_hash "
                                  f"order by 3 desc, c.chunk_hash limit ?", limit)]
        except (ZovaError, ValueError) as error:
            _inspect_error(args, error)
    deduped = max(0, manifest_bytes - s["chunks"]["stored_bytes"])
    objects = {**s["objects"], "size_min": o[0], "size_max": o[1], "size_avg": _num(float(o[2])),
               "chunk_count_min": o[3], "chunk_count_max": o[4], "chunk_count_avg": _num(float(o[5]))}
    chunks = {k: s["chunks"][k] for k in ("count", "manifest_rows", "loose_count", "stored_bytes")}
    chunks.update({"size_min": c[0], "size_max": c[1], "size_avg": _num(float(c[2])),
                   "loose_bytes": s["chunks"]["loose_bytes"], "deduped_bytes_saved": deduped})
    doc = {"status": "ok", "command": "stats", "limit": limit, "package_version": s["package_version"],
           "sqlite_version": s["sqlite_version"], "format_version": s["format_version"],
           "files": dict(s["files"]), "sqlite": dict(s["sqlite"]), "objects": objects, "chunks": chunks,
           "vectors": dict(s["vectors"]), "tables": dict(s["tables"]), "vector_collections": collections,
           "top_objects_truncated": s["objects"]["count"] > limit, "top_objects": top_objects,
           "top_chunks_truncated": s["chunks"]["count"] > limit, "top_chunks": top_chunks}
    values = dict(_info_pairs(s))
    values.update({
        "object_size_min": o[0], "object_size_max": o[1], "object_size_avg": f"{float(o[2]):.2f}",
        "object_chunk_count_min": o[3], "object_chunk_count_max": o[4],
        "object_chunk_count_avg": f"{float(o[5]):.2f}",
        "chunk_size_min": c[0], "chunk_size_max": c[1], "chunk_size_avg": f"{float(c[2]):.2f}",
        "loose_chunk_bytes": s["chunks"]["loose_bytes"], "deduped_bytes_saved": deduped, "limit": limit})
    lines = [_header("Zova stats", path)] + [_kv(key, values[key]) for key in STATS_KEYS]
    lines += _list_lines("vector_collections", [_collection_item(c) for c in collections])
    lines += _list_lines("top_objects", [f"{x['object_id']} size_bytes={x['size_bytes']} "
                                         f"chunk_count={x['chunk_count']} chunker={_text_value(x['chunker'])}"
                                         for x in top_objects])
    lines += _list_lines("top_chunks", [f"{x['chunk_hash']} size_bytes={x['size_bytes']} "
                                        f"reference_count={x['reference_count']} "
                                        f"is_unreferenced={_text_value(x['loose'])}" for x in top_chunks])
    _emit("stats", args.json, 0, lines, doc)


def cmd_objects(args: Args) -> None:
    path, limit = args.positionals[0], args.limit
    with _open(args, path) as db:
        try:
            total = _scalar(db, "select count(*) from _zova_objects")
            objects = [{"object_id": _hex(oid), "size_bytes": size, "chunk_count": count, "chunker": chunker}
                       for oid, size, count, chunker in _rows(
                           db, "select object_id, size_bytes, chunk_count, chunker from _zova_objects "
                               "order by object_id limit ?", limit)]
        except (ZovaError, ValueError) as error:
            _inspect_error(args, error)
    lines = [_header("Zova objects", path), _kv("limit", limit), _kv("truncated", total > limit)]
    lines += _list_lines("objects", [f"{x['object_id']} size_bytes={x['size_bytes']} chunk_count={x['chunk_count']} "
                                     f"chunker={_text_value(x['chunker'])}" for x in objects], top_level=True)
    _emit("objects", args.json, 0, lines, {"status": "ok", "command": "objects", "limit": limit,
                                           "truncated": total > limit, "objects": objects})


class _Corrupt(Exception):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def cmd_object(args: Args) -> None:
    path, limit = args.positionals[0], args.limit
    object_id = bytes.fromhex(args.positionals[1])
    with _open(args, path) as db:
        try:
            head = _rows(db, "select size_bytes, chunk_count, chunker from _zova_objects where object_id = ?",
                         object_id)
            if not head:
                raise diag._StageError("ObjectNotFound")
            size, count, chunker = head[0]
            if (not isinstance(size, int) or not isinstance(count, int) or size < 0 or count < 0
                    or chunker != diag.CHUNKER):
                raise diag._StageError("ObjectCorrupt")
            manifest = []
            for index, hash_, offset, entry_size in _rows(
                    db, "select chunk_index, chunk_hash, offset, size_bytes from _zova_object_chunks "
                        "where object_id = ? order by chunk_index limit ?", object_id, limit):
                if not isinstance(hash_, bytes) or len(hash_) != 32:
                    raise diag._StageError("ObjectCorrupt")
                manifest.append({"chunk_index": index, "chunk_hash": hash_.hex(), "offset": offset,
                                 "size_bytes": entry_size})
        except (ZovaError, ValueError, diag._StageError) as error:
            _inspect_error(args, error, f"object {object_id.hex()}")
    oid = object_id.hex()
    lines = [_header("Zova object", path), _kv("object_id", oid), _kv("size_bytes", size),
             _kv("chunk_count", count), _kv("chunker", chunker), _kv("limit", limit),
             _kv("manifest_truncated", count > limit)]
    lines += _list_lines("manifest", [f"index={m['chunk_index']} chunk_hash={m['chunk_hash']} offset={m['offset']} "
                                      f"size_bytes={m['size_bytes']}" for m in manifest])
    _emit("object", args.json, 0, lines, {
        "status": "ok", "command": "object", "object_id": oid, "size_bytes": size, "chunk_count": count,
        "chunker": chunker, "limit": limit, "manifest_truncated": count > limit, "manifest": manifest})


def cmd_chunks(args: Args) -> None:
    path, limit = args.positionals[0], args.limit
    with _open(args, path) as db:
        try:
            total = _scalar(db, "select count(*) from _zova_chunks")
            chunks = [{"chunk_hash": _hex(h), "size_bytes": size, "reference_count": refs, "loose": refs == 0}
                      for h, size, refs in _rows(
                          db, f"select c.chunk_hash, c.size_bytes, coalesce(r.n, 0) from _zova_chunks c "
                              f"left join {_REFERENCES} r on r.chunk_hash = c.chunk_hash "
                              f"order by c.chunk_hash limit ?", limit)]
        except (ZovaError, ValueError) as error:
            _inspect_error(args, error)
    lines = [_header("Zova chunks", path), _kv("limit", limit), _kv("truncated", total > limit)]
    lines += _list_lines("chunks", [f"{x['chunk_hash']} size_bytes={x['size_bytes']} "
                                    f"reference_count={x['reference_count']} "
                                    f"is_unreferenced={_text_value(x['loose'])}" for x in chunks], top_level=True)
    _emit("chunks", args.json, 0, lines, {"status": "ok", "command": "chunks", "limit": limit,
                                          "truncated": total > limit, "chunks": chunks})


def cmd_chunk(args: Args) -> None:
    path, limit = args.positionals[0], args.limit
    hash_ = bytes.fromhex(args.positionals[1])
    with _open(args, path) as db:
        try:
            row = _rows(db, "select size_bytes from _zova_chunks where chunk_hash = ?", hash_)
            if not row:
                raise diag._StageError("ObjectChunkNotFound")
            size = row[0][0]
            refs = _scalar(db, "select count(*) from _zova_object_chunks where chunk_hash = ?", hash_)
            references = [{"object_id": _hex(oid), "chunk_index": index, "offset": offset, "size_bytes": entry_size}
                          for oid, index, offset, entry_size in _rows(
                              db, "select object_id, chunk_index, offset, size_bytes from _zova_object_chunks "
                                  "where chunk_hash = ? order by object_id, chunk_index limit ?", hash_, limit)]
        except (ZovaError, ValueError, diag._StageError) as error:
            _inspect_error(args, error, f"chunk {hash_.hex()}")
    hex_hash = hash_.hex()
    lines = [_header("Zova chunk", path), _kv("chunk_hash", hex_hash), _kv("size_bytes", size),
             _kv("reference_count", refs), _kv("is_unreferenced", refs == 0), _kv("limit", limit),
             _kv("references_truncated", refs > limit)]
    lines += _list_lines("references", [f"object_id={r['object_id']} chunk_index={r['chunk_index']} "
                                        f"offset={r['offset']} size_bytes={r['size_bytes']}" for r in references])
    _emit("chunk", args.json, 0, lines, {
        "status": "ok", "command": "chunk", "chunk_hash": hex_hash,
        "chunk": {"size_bytes": size, "reference_count": refs, "loose": refs == 0}, "limit": limit,
        "references_truncated": refs > limit, "references": references})


def cmd_vectors(args: Args) -> None:
    path, limit = args.positionals[0], args.limit
    with _open(args, path) as db:
        try:
            total = _scalar(db, "select count(*) from _zova_vector_collections")
            collections = _collections_listing(db, limit)
        except (ZovaError, ValueError) as error:
            _inspect_error(args, error)
    lines = [_header("Zova vector collections", path), _kv("limit", limit), _kv("truncated", total > limit)]
    lines += _list_lines("collections", [_collection_item(c) for c in collections], top_level=True)
    _emit("vectors", args.json, 0, lines, {"status": "ok", "command": "vectors", "limit": limit,
                                           "truncated": total > limit, "collections": collections})


def cmd_vector_collection(args: Args) -> None:
    path, limit, name = args.positionals[0], args.limit, args.positionals[1]
    with _open(args, path) as db:
        try:
            meta = _rows(db, "select dimensions, metric, element_type from _zova_vector_collections where name = ?",
                         name)
            if not meta:
                raise diag._StageError("VectorCollectionNotFound")
            dimensions, metric, element_type = meta[0]
            if diag._collection_error(meta[0]) is not None:
                raise diag._StageError("VectorCorrupt")
            count, stored = _rows(db, "select count(*), coalesce(sum(dimensions * 4), 0) from _zova_vectors "
                                      "where collection_name = ?", name)[0]
            ids = [_name(raw) for (raw,) in _rows(
                db, "select cast(vector_id as blob) from _zova_vectors where collection_name = ? "
                    "order by vector_id limit ?", name, limit)]
        except (ZovaError, ValueError, diag._StageError) as error:
            _inspect_error(args, error, f"vector collection {_printable(name)}")
    lines = [_header("Zova vector collection", path), _kv("name", name), _kv("dimensions", dimensions),
             _kv("metric", metric), _kv("vector_count", count), _kv("stored_bytes", stored), _kv("limit", limit),
             _kv("vector_ids_truncated", count > limit)]
    lines += _list_lines("vector_ids", [_printable(i) for i in ids])
    _emit("vector-collection", args.json, 0, lines, {
        "status": "ok", "command": "vector-collection", "name": name, "dimensions": dimensions, "metric": metric,
        "vector_count": count, "stored_bytes": stored, "limit": limit, "vector_ids_truncated": count > limit,
        "vector_ids": ids})


INDEX_ACTIONS = ("create", "drop", "rebuild", "info")


def cmd_index(args: Args) -> None:
    """docs/cli.md §1.9: the approximate-search index of one collection."""
    action, path, name = args.positionals
    with _open(args, path, read_only=action == "info") as db:
        try:
            if action == "create":
                db.create_vector_index(name)
            elif action == "drop":
                db.drop_vector_index(name)
            elif action == "rebuild":
                db.rebuild_vector_index(name)
            info = db.vector_index_info(name)
        except ZovaError as error:
            if diag.error_name(error) == "VectorCollectionNotFound":
                _inspect_error(args, error, f"vector collection {_printable(name)}")
            if diag.error_name(error) == "InvalidArgument":
                message = str(error)
                _fail("index", args.json, 4, "index", "InvalidArgument", f"index {action}: {message}", message)
            _inspect_error(args, error, f"vector index of {_printable(name)}")
    doc: dict[str, Any] = {"status": "ok", "command": "index", "action": action, "collection": name,
                           "exists": info is not None}
    if info is not None:
        doc.update(info.as_dict())
        doc.pop("memory_bytes")
    lines = [_header("Zova vector index", path), _kv("collection", name), _kv("action", action),
             _kv("exists", info is not None)]
    lines += [_kv(key, value) for key, value in doc.items()
              if key not in ("status", "command", "action", "collection", "exists")]
    _emit("index", args.json, 0, lines, doc)


def cmd_tables(args: Args) -> None:
    path, limit = args.positionals[0], args.limit
    with _open(args, path) as db:
        try:
            names = [_name(raw) for (raw,) in _rows(
                db, "select cast(name as blob) from sqlite_master where type = 'table' order by name")]
        except (ZovaError, ValueError) as error:
            _inspect_error(args, error)
    user = [n for n in names if not n.startswith("_zova_") and not n.startswith("sqlite_")]
    private = [n for n in names if n.startswith("_zova_")]
    lines = [_header("Zova tables", path), _kv("limit", limit), _kv("user_table_count", len(user)),
             _kv("private_table_count", len(private)), _kv("user_tables_truncated", len(user) > limit),
             _kv("private_tables_truncated", len(private) > limit)]
    lines += _list_lines("user_tables", [_printable(n) for n in user[:limit]])
    lines += _list_lines("private_tables", private[:limit])
    _emit("tables", args.json, 0, lines, {
        "status": "ok", "command": "tables", "limit": limit, "user_table_count": len(user),
        "private_table_count": len(private), "user_tables_truncated": len(user) > limit,
        "private_tables_truncated": len(private) > limit, "user_tables": user[:limit],
        "private_tables": private[:limit]})




# ---------------------------------------------------------------------------
# check, doctor, salvage (docs/cli.md §1.6)


def _issue_line(issue: dict[str, str | int]) -> str:
    line = (f"  area={issue['area']} kind={issue['kind']} severity={issue['severity']} "
            f"detail={_printable(str(issue['detail']))}")
    for key in diag.ISSUE_KEYS:
        if key in issue:
            line += f" {key}={_printable(str(issue[key]))}"
    return line


def _counter_lines(d: diag.Diagnostics) -> list[str]:
    return [_kv("sqlite_issues", d.issue_counts["sqlite"]), _kv("object_issues", d.issue_counts["object"]),
            _kv("chunk_issues", d.issue_counts["chunk"]), _kv("vector_issues", d.issue_counts["vector"]),
            _kv("error_issues", d.severity_counts["error"])]


def _issue_block(d: diag.Diagnostics) -> list[str]:
    lines = ["issues:"]
    if d.issue_count == 0:
        lines.append("  none")
    elif not d.issues:
        lines.append("  no issue examples shown")
    else:
        lines += [_issue_line(issue.to_dict()) for issue in d.issues]
    return lines


def _actions_block(actions: list[str]) -> list[str]:
    return ["suggested_actions:"] + [f"  {_printable(action)}" for action in actions]


def _deep_check_actions(actions: list[str], path: str | None) -> list[str]:
    """The four actions (docs/cli.md §1.6) of a deep check that found issues
    (``actions``, with the ``<file.zova>`` placeholder), the one that would run
    the same check again replaced by doctor, which adds the summary counts and
    up to 100 issue examples (issue 13 item 8: advice leads on); ``path`` fills
    the placeholder for text."""
    actions = ["run zova doctor <file.zova>" if "check --deep" in action else action for action in actions]
    return actions if path is None else [action.replace("<file.zova>", path) for action in actions]


def _damaged_pages_message(path: str, what: str) -> str:
    """After quick_check or integrity_check failed: the file's SQLite pages are
    damaged, and every Zova check would stop at the same place, so the advice
    goes to the commands that read such a file."""
    return (f"{path}: SQLite's {what} found damaged pages or indexes; restore a recent backup if you have one, "
            f"or see what can be recovered: zova salvage --dry-run {path}")


def cmd_check(args: Args) -> None:
    path = args.positionals[0]
    _open(args, path).close()   # open failures are exit 3 before anything else
    if args.deep:
        display = _progress(args, "deep check", "sqlite checks", counting="verifying chunks and objects",
                            after="checking vectors, sqlite integrity_check")
    else:
        display = _progress(args, "check", "sqlite quick_check")
    try:
        with display as progress:
            report = diag.check(path, deep=args.deep, progress=progress)
    except ZovaError as error:
        _open_failed(args, path, error)
    doc = report.to_dict()
    if report.error_kind is not None:
        assert report.error is not None   # set with error_kind
        if report.error_kind.startswith("sqlite "):
            message = _damaged_pages_message(path, report.error_kind.split()[1])
        else:
            message = (f"{path}: the deep check could not read on ({report.error}); "
                       f"see what can be recovered: zova salvage --dry-run {path}")
        _fail("check", args.json, 4, report.error_kind, report.error, f"{report.error_kind}: {report.error}",
              message)
    if not args.deep:
        _emit("check", args.json, 0, ["quick_check: ok", "status: ok"], doc)
        return
    d = report.diagnostics
    assert d is not None   # a deep check that no stage stopped has its walk
    if d.ok:
        lines = ["quick_check: ok", "deep_check: ok", _kv("objects_checked", d.checked["objects"]),
                 _kv("chunks_checked", d.checked["chunks"]), _kv("vectors_checked", d.checked["vectors"]),
                 _kv("loose_chunks", d.checked["loose_chunks"]), _kv("issue_count", 0)] + _counter_lines(d)
        _emit("check", args.json, 0, lines + ["status: ok"], doc)
        return
    actions = doc["suggested_actions"]
    doc["suggested_actions"] = _deep_check_actions(actions, None)
    lines = ["deep_check: failed", _kv("issue_count", d.issue_count)] + _counter_lines(d)
    lines += [_kv("issues_truncated", d.issues_truncated), "issues:"]
    if d.issue_counts["object"] or d.issue_counts["chunk"]:
        lines.append("object corruption: detected")
    if d.issue_counts["vector"]:
        lines.append("vector corruption: detected")
    lines += [_issue_line(issue.to_dict()) for issue in d.issues]
    lines += _actions_block(_deep_check_actions(actions, path))   # an addition to upstream's text, at the end
    _emit("check", args.json, 4, lines, doc)
    raise Done(4)


def cmd_doctor(args: Args) -> None:
    path = args.positionals[0]
    try:
        with _progress(args, "doctor", "sqlite quick_check, counts", counting="verifying chunks and objects",
                       after="checking vectors") as progress:
            report = diag.doctor(path, limit=args.limit, progress=progress)   # a damaged Zova file gets a report
    except ZovaError as error:
        _open_failed(args, path, error)
    doc = report.to_dict()
    if report.stage is not None:
        lines = [_header("Zova doctor", path), "status: needs_attention", f"error: {report.stage}: {report.error}"]
        _emit("doctor", args.json, 4, lines + _actions_block(report.suggested_actions(path)), doc)
        raise Done(4)
    d = report.diagnostics
    assert d is not None and report.summary is not None   # every stage ran
    lines = [_header("Zova doctor", path), _kv("status", report.status), "quick_check: ok", "schema: ok",
             _kv("objects_checked", d.checked["objects"]), _kv("chunks_checked", d.checked["chunks"]),
             _kv("vectors_checked", d.checked["vectors"]), _kv("loose_chunks", d.checked["loose_chunks"]),
             _kv("user_tables", report.summary["tables"]["user"]),
             _kv("private_tables", report.summary["tables"]["private"]), _kv("issue_count", d.issue_count)]
    lines += _counter_lines(d) + [_kv("issues_truncated", d.issues_truncated)] + _issue_block(d)
    lines += _actions_block(report.suggested_actions(path))
    _emit("doctor", args.json, report.exit_code, lines, doc)
    if report.exit_code:
        raise Done(report.exit_code)


_COUNT_KEYS = ("user_tables", "user_schema_objects", "user_rows", "objects", "chunks", "loose_chunks",
               "vector_collections", "vectors")


def _salvage_poll(destination: str) -> Callable[[Progress], None]:
    """After the source walk (``progress.after`` is then the label), the copy
    writes the destination, whose size is shown; once it stops growing the
    copy is being accounted for and verified."""
    state = {"size": -1, "changed": 0.0}
    copying, verifying = "copying into the destination", "verifying the destination"

    def poll(progress: Progress) -> None:
        if not progress.label.startswith((copying, verifying)):
            return
        size = _file_size(destination)
        now = progress._clock()
        if size != state["size"]:
            state["size"], state["changed"] = size, now
        if size and now - state["changed"] >= _STALL:
            if progress.label != verifying:
                progress.stage(verifying)
        elif progress.label == verifying:
            progress.stage(f"{copying} ({_size_text(size)})")
        else:
            progress.relabel(f"{copying} ({_size_text(size)})")

    return poll


def cmd_salvage(args: Args) -> None:
    source = args.positionals[0]
    if args.dry_run:
        display = _progress(args, "salvage", "sqlite quick_check, counts", counting="verifying chunks and objects",
                            after="checking vectors")
    else:
        destination = args.positionals[1]
        display = _progress(args, "salvage", "sqlite quick_check, counts", counting="verifying chunks and objects",
                            after="copying into the destination", poll=_salvage_poll(destination))
    try:
        with display as progress:
            if args.dry_run:
                report = diag.salvage_plan(source, limit=args.limit, progress=progress)
            else:
                report = diag.salvage(source, destination, limit=args.limit, progress=progress)
    except ZovaError as error:
        _open_failed(args, source, error)
    doc = report.to_dict()
    d = report.diagnostics or diag.Diagnostics(limit=args.limit)
    if args.dry_run:
        lines = [_header("Zova salvage dry-run", source), _kv("status", report.status), "dry_run: true",
                 "will_write_destination: false", _kv("recoverability", report.recoverability)]
        lines += [_kv(f"recoverable_{k}", report.recoverable[k]) for k in _COUNT_KEYS]
        lines += [_kv(f"skipped_{k}", report.skipped[k]) for k in _COUNT_KEYS]
        lines += [_kv("issue_count", d.issue_count)] + _counter_lines(d)
        lines += [_kv("issues_truncated", d.issues_truncated)] + _issue_block(d)
        lines += _actions_block(report.suggested_actions(source))
    elif not report.copied_started:
        assert report.error is not None   # why the copy did not start
        message = explain_operation("salvage", report.error, source, destination)
        lines = [f"salvage failed: {report.error}"]
        if message:
            doc = _with_message(doc, message)
            lines.append(f"  {_printable(message)}")
        _emit("salvage", args.json, 4, lines, doc)
        raise Done(4)
    else:
        lines = [_header("Zova salvage", source), _kv("status", report.status), "dry_run: false",
                 "will_write_destination: true", _kv("destination", report.destination_path),
                 _kv("destination_verified", report.destination_verified),
                 _kv("recoverability", report.recoverability)]
        if report.destination_removed:
            lines.append("destination_removed: true")
        if report.error is not None:
            lines.append(_kv("error", report.error))
        lines += [_kv(f"copied_{k}", report.copied[k]) for k in _COUNT_KEYS]
        lines += [_kv(f"skipped_{k}", report.skipped[k]) for k in _COUNT_KEYS]
        lines += [_kv("issue_count", d.issue_count), _kv("issues_truncated", d.issues_truncated)]
        lines += _issue_block(d) + _actions_block(report.suggested_actions())
    _emit("salvage", args.json, report.exit_code, lines, doc)
    if report.exit_code:
        raise Done(report.exit_code)


# ---------------------------------------------------------------------------
# backup, compact, restore, convert (docs/cli.md §1.7)

_VERIFICATION_ERRORS = {"Corrupt", "ObjectCorrupt", "ObjectNotFound", "ObjectChunkNotFound", "VectorCorrupt",
                        "VectorCollectionNotFound", "VectorNotFound"}


def _operation(args: Args, work: Callable[[str, str], None]) -> None:
    command = args.command
    source, destination = args.positionals
    try:
        work(source, destination)
    except ZovaError as error:
        name = diag.error_name(error)
        if name in _VERIFICATION_ERRORS and command != "convert":
            _fail(command, args.json, 4, "verification failed", name, f"{command}: verification failed: {name}",
                  explain_unverified(command, name, source))
        _fail(command, args.json, 3, "operation failed", name, f"{command}: operation failed: {name}",
              explain_operation(command, name, source, destination))
    verified = not args.no_verify
    lines = [f"{command}: ok", f"source: {source}", f"destination: {destination}"]
    doc: dict[str, str | bool] = {"status": "ok", "command": command, "source_path": source,
                                  "destination_path": destination}
    if command != "convert":
        lines.append(_kv("verified", verified))
        doc["verified"] = verified
    _emit(command, args.json, 0, lines, doc)


def _copying(args: Args, source: str, destination: str, copy: Callable[[], None]) -> None:
    """Runs ``copy()`` (one C call, which releases the GIL) under a progress
    line that follows the destination's size, then the verification."""
    if args.command == "convert":
        after = "creating Zova's tables"
    else:
        after = "finishing" if args.no_verify else "verifying the destination"
    total, poll = _copy_poll(source, destination, after)
    with _progress(args, args.command, "copying", total=total, poll=poll):
        copy()


class _CopyTo(Protocol):
    """``Database.backup_to`` and ``Database.compact_to``, unbound."""

    def __call__(self, db: Database, destination: str, /, *, verify: bool) -> None: ...


def _copy_open_database(args: Args, copy: _CopyTo) -> None:
    """backup and compact: open the source, then copy(db, destination, verify=...)."""
    db = _open(args, args.positionals[0])

    def work(source: str, destination: str) -> None:
        with db:
            _copying(args, source, destination, lambda: copy(db, destination, verify=not args.no_verify))
    _operation(args, work)


def cmd_backup(args: Args) -> None:
    _copy_open_database(args, Database.backup_to)


def cmd_compact(args: Args) -> None:
    _copy_open_database(args, Database.compact_to)


def cmd_restore(args: Args) -> None:
    def work(source: str, destination: str) -> None:
        _copying(args, source, destination,
                 lambda: restore_backup(source, destination, verify=not args.no_verify))
    _operation(args, work)


def cmd_convert(args: Args) -> None:
    def work(source: str, destination: str) -> None:
        _copying(args, source, destination, lambda: convert_sqlite_to_zova(source, destination))
    _operation(args, work)


COMMANDS = {
    "info": cmd_info, "stats": cmd_stats, "objects": cmd_objects, "object": cmd_object, "chunks": cmd_chunks,
    "chunk": cmd_chunk, "vectors": cmd_vectors, "vector-collection": cmd_vector_collection, "tables": cmd_tables,
    "check": cmd_check, "doctor": cmd_doctor, "salvage": cmd_salvage, "backup": cmd_backup,
    "compact": cmd_compact, "restore": cmd_restore, "convert": cmd_convert, "index": cmd_index,
}


# ---------------------------------------------------------------------------
# click wiring


# ---------------------------------------------------------------------------
# interrupts (issue 13 item 2): Ctrl-C and SIGTERM cancel the running command

# Commands whose last positional is a file they create.
_CREATES_DESTINATION = {"backup", "compact", "restore", "convert", "salvage"}
_EXIT_FOR_SIGNAL: dict[int, int] = {signal.SIGINT: 130, signal.SIGTERM: 143}


class _Running:
    """The command in flight: its cancellation token, the signal that
    requested it, and whether its report was written. The command runs on a
    worker thread with the token bound, so the main thread stays free to take
    signals (CPython runs handlers there only) and every Zova call of the
    command stops within a fraction of a second of one."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """No command in flight."""
        self.token: Cancel | None = None
        self.signal: int | None = None
        self.emitted = False

    @property
    def interrupted(self) -> bool:
        return self.signal is not None


_RUNNING = _Running()


class _Signalled(BaseException):
    """A signal that came before the command started (while Python parsed the
    arguments): nothing was made yet, so the run just ends. A BaseException, so
    that neither click (which would print "Aborted!") nor the catch-all of
    _ZovaGroup.invoke takes it."""


def _on_signal(number: int, _frame: FrameType | None) -> None:
    """SIGINT and SIGTERM while zova runs (installed by _ZovaGroup.main)."""
    if _RUNNING.signal is None:
        _RUNNING.signal = number
    if _RUNNING.token is None:
        raise _Signalled()
    _RUNNING.token.cancel()


def _run_cancellable(name: str, args: Args) -> int:
    """Runs one command; returns its exit code (130 or 143 when a signal ended it)."""
    destination = args.positionals[-1] if name in _CREATES_DESTINATION and len(args.positionals) == 2 \
        and not args.dry_run else None
    existed = destination is not None and os.path.lexists(destination)
    outcome: dict[str, int] = {}
    failures: list[BaseException] = []
    token = Cancel()
    if _RUNNING.interrupted:
        token.cancel()   # a signal came just before: the command stops at its first call
    _RUNNING.token = token

    def work() -> None:
        with token.bound():
            try:
                COMMANDS[name](args)
                outcome["code"] = 0
            except Done as done:
                outcome["code"] = done.code
            except BaseException as error:   # re-raised on the main thread, see _ZovaGroup.invoke
                failures.append(error)

    if threading.current_thread() is not threading.main_thread():
        work()   # signals reach only the main thread: nothing to take them here
    else:
        worker = threading.Thread(target=work, name=f"zova-{name}")
        worker.start()
        while worker.is_alive():
            worker.join(0.05)
    # A signal after the command wrote its report changes nothing: the job was done.
    if _RUNNING.interrupted and not _RUNNING.emitted:
        return _interrupted(name, destination if not existed else None)
    if failures:
        raise failures[0]
    return outcome["code"]


def _interrupted(name: str, destination: str | None) -> int:
    """Says what an interrupt left: a destination the command created is
    removed (the library removes its own; a half-written one is removed here),
    so nothing half-made looks finished."""
    number = _RUNNING.signal
    assert number is not None   # called once a signal came
    message = f"{name}: {'interrupted (Ctrl-C)' if number == signal.SIGINT else 'terminated (SIGTERM)'}"
    if destination is not None:
        for suffix in ("", "-journal", "-wal", "-shm"):
            try:
                os.unlink(destination + suffix)
            except OSError:
                pass
        if os.path.lexists(destination):
            message += f"; {destination} could not be removed: it is incomplete, delete it"
        else:
            message += f"; nothing was kept ({destination} does not exist)"
    try:
        sys.stderr.write(message + "\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass
    return _EXIT_FOR_SIGNAL[number]


class ZovaCommand(click.Command):
    """One subcommand: its options, a ``positionals`` argument (their count and
    form are checked with the messages of docs/cli.md §1), ``--help`` from its
    synopsis lines, the description and an example."""

    name: str   # click's Command.name may be None; a ZovaCommand's never is

    def __init__(self, name: str) -> None:
        summary = dict(COMMAND_HELP)[name]
        example, note = EXAMPLES[name]
        epilog = "\b\nExample:\n  " + example
        params: list[click.Parameter] = [self._option(flag) for flag in FLAGS[name]]
        params.append(click.Argument(["positionals"], nargs=-1, metavar=POSITIONALS.get(name, "<file.zova>")))
        text = summary[0].upper() + summary[1:] + "." + (f"\n\n{note}" if note else "")
        super().__init__(name, params=params, callback=self._invoke, help=text, short_help=summary,
                         epilog=epilog)

    @staticmethod
    def _option(flag: str) -> click.Option:
        if flag == "--limit":
            return click.Option(["--limit"], type=_LimitType(), default=None, metavar="<n>",
                                help=OPTION_HELP[flag])
        return click.Option([flag], is_flag=True, default=False, help=OPTION_HELP[flag])

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        synopses = [line for line in SYNOPSIS if line.split()[0] == self.name]
        for index, line in enumerate(synopses):
            formatter.write_usage("zova", line, "Usage: " if index == 0 else "   or: ")

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        options = args[:args.index("--")] if "--" in args else args
        if "--help" in options:
            _write(sys.stdout, ctx.get_help() + "\n")
            ctx.exit(0)
        try:
            check_arguments(self.name, args)
        except Usage as usage:
            _usage_error(self.name, usage)
            ctx.exit(2)
        return super().parse_args(ctx, args)

    def _invoke(self, positionals: tuple[str, ...], json: bool = False, limit: int | None = None, deep: bool = False,
                dry_run: bool = False, no_verify: bool = False) -> None:
        args = Args(self.name, json=json, limit=diag.DEFAULT_LIMIT if limit is None else limit, deep=deep,
                    dry_run=dry_run, no_verify=no_verify, positionals=positionals)
        code = _run_cancellable(self.name, args)
        if code:
            click.get_current_context().exit(code)


class _ZovaGroup(click.Group):
    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None, complete_var: str | None = None,
             standalone_mode: bool = True, **extra: Any) -> Any:
        """Runs zova with SIGINT and SIGTERM taken by _on_signal (from the main
        thread; elsewhere the signals are not ours to take). A signal ignored
        when zova starts stays ignored, as a background job of a shell
        script or nohup expects."""
        if threading.current_thread() is not threading.main_thread():
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        _RUNNING.reset()
        previous = {number: signal.signal(number, _on_signal) for number in _EXIT_FOR_SIGNAL
                    if signal.getsignal(number) is not signal.SIG_IGN}
        try:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        except _Signalled:
            code = _interrupted("zova", None)
            if standalone_mode:
                sys.exit(code)
            return code
        finally:
            for number, handler in previous.items():
                signal.signal(number, handler)
            _RUNNING.reset()

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args:
            _write(sys.stderr, usage_text())
            ctx.exit(2)
        first, rest = args[0], args[1:]
        if first == "--version":
            if rest:
                _write(sys.stderr, f"usage error: unexpected argument after --version\n\n{usage_text()}")
                ctx.exit(2)
            _write(sys.stdout, f"zova {VERSION}\n")
            ctx.exit(0)
        if first in ("--help", "help"):
            if rest:
                _write(sys.stderr, f"usage error: unexpected argument after help\n\n{usage_text()}")
                ctx.exit(2)
            _write(sys.stdout, usage_text())
            ctx.exit(0)
        if first not in COMMANDS:
            _write(sys.stderr, f"unknown command: {_printable(first)}\n\n{usage_text()}")
            ctx.exit(2)
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.exceptions.Abort, SystemExit):
            raise
        except OutputError as failure:
            _output_failed(failure.error)
            ctx.exit(1)
        except Exception as error:   # the contract: unexpected errors are exit 1, never a traceback
            name = diag.error_name(error) if isinstance(error, ZovaError) else type(error).__name__
            _write(sys.stderr, f"unexpected error: {name}\n")
            ctx.exit(1)


def _output_failed(error: OSError) -> None:
    """A closed pipe (``zova chunks f.zova | head``) ends the command quietly; any
    other refusal is said on stderr. Either way the unwritten output is dropped
    so that the interpreter's exit does not try to flush it again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass
    if not isinstance(error, BrokenPipeError):
        try:
            sys.stderr.write(f"cannot write output: {error.strerror or error}\n")
            sys.stderr.flush()
        except OSError:
            pass


@click.group(cls=_ZovaGroup, add_help_option=False, invoke_without_command=False)
def main() -> None:
    """Inspect, check, salvage and copy .zova files."""


for _command_name in COMMANDS:
    main.add_command(ZovaCommand(_command_name))


if __name__ == "__main__":   # pragma: no cover
    main()

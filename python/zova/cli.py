"""The ``zova`` command line (cli-and-bindings §1): inspection, diagnosis and
operational copies. It never mutates a source, never overwrites a destination
and never prints payloads (object/chunk bytes, vector values, user row values,
schema SQL).

Built with click: ``main`` is a click group whose subcommands receive their raw
arguments, because the contract fixes upstream's hand-written argument rules
(flags anywhere, no ``--`` or ``=`` forms, exact usage messages, JSON usage
errors). The checks themselves live in :mod:`zova.diagnostics`.
"""
from __future__ import annotations

import os
import sys
import threading
from dataclasses import dataclass, field

import click

from . import diagnostics as diag
from .database import Database
from .errors import ZovaError
from .operations import convert_sqlite_to_zova, restore_backup

VERSION = "0.17.0"
JSON_VERSION = 1
PROGRESS_MIN_BYTES = 4 * 1024 * 1024   # progress bars only for long operations

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
]


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
              "  4  integrity failure, corruption, or not found"]
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


def _write(stream, text: str) -> None:
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


def _json_scalar(value) -> str:
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


def _json_inline(value) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_escape_json(k)}: {_json_inline(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_json_inline(v) for v in value) + "]"
    return _json_scalar(value)


def to_json(value, indent: int = 0) -> str:
    """Hand pretty-printing of §1.8: 2-space objects, arrays written inline."""
    if isinstance(value, dict):
        if not value:
            return "{}"
        pad = " " * (indent + 2)
        items = [f"{pad}{_escape_json(k)}: {to_json(v, indent + 2)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + " " * indent + "}"
    if isinstance(value, list):
        return _json_inline(value)
    return _json_scalar(value)


def _text_value(value) -> str:
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
    """Ends a command: ``text`` or ``doc`` goes to stdout (code 0) or stderr."""

    def __init__(self, code: int, text: str | None = None, doc: dict | None = None, command: str = "") -> None:
        super().__init__(code)
        self.code = code
        self.text = text
        self.doc = doc
        self.command = command


class Usage(Exception):
    def __init__(self, message: str, as_json: bool) -> None:
        super().__init__(message)
        self.message = message
        self.as_json = as_json


def _emit(command: str, as_json: bool, code: int, lines: list[str] | None = None, doc: dict | None = None) -> None:
    stream = sys.stdout if code == 0 else sys.stderr
    if as_json:
        full = {"cli_json_version": JSON_VERSION}
        full.update(doc or {})
        _write(stream, to_json(full) + "\n")
    else:
        _write(stream, "".join(line + "\n" for line in lines or []))


def _fail(command: str, as_json: bool, code: int, kind: str, error: str, text: str) -> None:
    _emit(command, as_json, code, [text],
          {"status": "error", "command": command, "kind": kind, "error": error})
    raise Done(code)


# ---------------------------------------------------------------------------
# argument parsing (§1.1, §1.2)


@dataclass
class Args:
    command: str
    json: bool = False
    limit: int = diag.DEFAULT_LIMIT
    deep: bool = False
    dry_run: bool = False
    no_verify: bool = False
    positionals: list = field(default_factory=list)


_FLAG_ATTR = {"--json": "json", "--deep": "deep", "--dry-run": "dry_run", "--no-verify": "no_verify"}
_BOUNDED = {"objects", "object", "chunks", "chunk", "vectors", "vector-collection", "tables", "doctor", "salvage"}
_FLAGS = {
    "info": {"--json"},
    "stats": {"--json", "--limit"},
    "check": {"--json", "--deep"},
    "salvage": {"--json", "--limit", "--dry-run"},
    "backup": {"--json", "--no-verify"},
    "compact": {"--json", "--no-verify"},
    "restore": {"--json", "--no-verify"},
    "convert": {"--json"},
}
_POSITIONAL_LIMIT = {"info": 1, "stats": 1, "check": 1}
_EXTRA_MESSAGE = {
    "info": "info accepts only [--json] <file.zova>",
    "stats": "stats accepts only [--json] [--limit <n>] <file.zova>",
    "check": "check accepts only [--json] [--deep] <file.zova>",
}


def _parse_limit(value: str) -> int:
    if not value or not value.isascii() or not value.isdigit():
        raise ValueError
    number = int(value)
    if number > diag.MAX_LIMIT:
        raise ValueError
    return number


def parse(command: str, argv: list[str]) -> Args:
    args = Args(command)
    allowed = _FLAGS.get(command, {"--json", "--limit"})
    # info, stats and check switch to JSON usage errors only once --json was seen.
    progressive = command in ("info", "stats", "check")
    json_anywhere = "--json" in argv
    seen: set[str] = set()

    def usage(message: str) -> Usage:
        return Usage(message, args.json if progressive else json_anywhere)

    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg.startswith("-"):
            if arg not in allowed:
                raise usage("unknown flag")
            if arg in seen:
                raise usage(f"duplicate {arg}")
            seen.add(arg)
            if arg == "--limit":
                if i + 1 >= len(argv):
                    raise usage("--limit requires a value")
                try:
                    args.limit = _parse_limit(argv[i + 1])
                except ValueError:
                    raise usage("invalid --limit") from None
                i += 2
                continue
            setattr(args, _FLAG_ATTR[arg], True)
        else:
            if command in _POSITIONAL_LIMIT and len(args.positionals) >= _POSITIONAL_LIMIT[command]:
                raise usage(_EXTRA_MESSAGE[command])
            args.positionals.append(arg)
        i += 1
    _check_positionals(args, usage)
    return args


def _check_positionals(args: Args, usage) -> None:
    command, count = args.command, len(args.positionals)
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
        target = args.positionals[1]
        if command in ("object", "chunk"):
            if len(target) != 64 or not all(ch in "0123456789abcdefABCDEF" for ch in target):
                raise usage(f"{command} id must be 64 hex characters")
        elif not _collection_name_valid(target):
            raise usage("vector collection name is invalid")
        return
    if command == "salvage":
        if count == 0:
            raise usage("salvage requires <source.zova>")
        if count > 2:
            raise usage("too many arguments")
        if args.dry_run and count == 2:
            raise usage("salvage --dry-run does not accept a destination")
        if not args.dry_run and count == 1:
            raise usage("salvage execution requires <destination.zova>")
        if count == 2 and not args.positionals[1].endswith(".zova"):
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


# ---------------------------------------------------------------------------
# progress


def _progress_wanted(args: Args) -> bool:
    if args.json:
        return False
    try:
        return sys.stdout.isatty() and sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


class _Bar:
    """A click progress bar on stderr, created lazily for large totals only."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.bar = None
        self.shown = 0

    def __call__(self, done: int, total: int) -> None:
        if self.bar is None:
            if total < PROGRESS_MIN_BYTES:
                return
            self.bar = click.progressbar(length=total, label=self.label, file=sys.stderr, show_pos=False,
                                         show_percent=True, show_eta=True)
            self.bar.__enter__()
        step = done - self.shown
        if step > 0:
            self.bar.update(step)
            self.shown = done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


def _with_file_progress(args: Args, label: str, source: str, destination: str, work):
    """Runs ``work`` (a C copy, which releases the GIL) while a thread turns the
    destination's growth into a progress bar."""
    if not _progress_wanted(args):
        return work()
    total = diag._file_size(source)
    if total < PROGRESS_MIN_BYTES:
        return work()
    bar = _Bar(label)
    stop = threading.Event()

    def watch() -> None:
        while not stop.wait(0.1):
            bar(min(diag._file_size(destination), total), total)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        return work()
    finally:
        stop.set()
        watcher.join()
        bar.close()


# ---------------------------------------------------------------------------
# opening


def _open(args: Args, path: str, read_only: bool = False) -> Database:
    try:
        return Database.open(path, read_only=read_only)
    except ZovaError as error:
        _fail(args.command, args.json, 3, "error", diag.error_name(error),
              f"{args.command} open failed: {diag.error_name(error)}")


def _rows(db: Database, sql: str, *params) -> list[tuple]:
    return diag._rows(db, sql, *params)


def _scalar(db: Database, sql: str, *params):
    return diag._scalar(db, sql, *params)


def _hex(value) -> str:
    return diag._hex(value)


def _name(raw) -> str:
    return diag._display(raw)


def _inspect_error(args: Args, error: BaseException) -> None:
    name = diag.error_name(error)
    if name in ("ObjectNotFound", "ObjectChunkNotFound", "VectorCollectionNotFound", "VectorNotFound"):
        label = "not found"
    elif name.startswith("Object"):
        label = "object corruption"
    elif name.startswith("Vector"):
        label = "vector corruption"
    else:
        label = "inspection failed"
    _fail(args.command, args.json, 4, label, name, f"{args.command}: {label}: {name}")


def _header(title: str, path: str) -> str:
    return f"{title}: {path}"


def _kv(key: str, value) -> str:
    return f"{key}: {_text_value(value)}"


def _list_lines(header: str, items: list[str], top_level: bool = False) -> list[str]:
    if not items:
        return [f"{header}: none"] if top_level else [f"{header}:", "  none"]
    return [f"{header}:"] + [f"  {item}" for item in items]


def _num(value) -> int | float:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# ---------------------------------------------------------------------------
# inspection commands (§1.4)


def _info_lines(s: dict) -> list[str]:
    return [
        _kv("package_version", s["package_version"]), _kv("sqlite_version", s["sqlite_version"]),
        _kv("format_version", s["format_version"]),
        _kv("database_bytes", s["files"]["database_bytes"]), _kv("wal_bytes", s["files"]["wal_bytes"]),
        _kv("journal_bytes", s["files"]["journal_bytes"]),
        _kv("page_count", s["sqlite"]["page_count"]), _kv("page_size", s["sqlite"]["page_size"]),
        _kv("freelist_count", s["sqlite"]["freelist_count"]),
        _kv("objects", s["objects"]["count"]), _kv("object_logical_bytes", s["objects"]["logical_bytes"]),
        _kv("chunks", s["chunks"]["count"]), _kv("manifest_rows", s["chunks"]["manifest_rows"]),
        _kv("loose_chunks", s["chunks"]["loose_count"]), _kv("stored_chunk_bytes", s["chunks"]["stored_bytes"]),
        _kv("vector_collections", s["vectors"]["collections"]), _kv("vectors", s["vectors"]["rows"]),
        _kv("user_tables", s["tables"]["user"]), _kv("private_tables", s["tables"]["private"]),
    ]


def _info_doc(s: dict) -> dict:
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


def _collections_listing(db: Database, limit: int | None) -> list[dict]:
    sql = ('select cast(c.name as blob), c.dimensions, c.metric, '
           '(select count(*) from _zova_vectors v where v.collection_name = c.name), '
           '(select coalesce(sum(v.dimensions * 4), 0) from _zova_vectors v where v.collection_name = c.name) '
           'from _zova_vector_collections c order by c.name')
    if limit is not None:
        sql += f" limit {int(limit)}"
    return [{"name": _name(name), "dimensions": dims, "metric": metric, "vector_count": count,
             "stored_bytes": stored}
            for name, dims, metric, count, stored in _rows(db, sql)]


def _collection_item(c: dict) -> str:
    return (f"{_printable(c['name'])} dimensions={c['dimensions']} metric={_text_value(c['metric'])} "
            f"vectors={c['vector_count']} stored_bytes={c['stored_bytes']}")


# Ids are listed in blob order, which is their hex order (a byte compares like its
# two hex digits), so the primary-key indexes give the §1.4 orderings without a sort.
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
    lines = [_header("Zova stats", path)] + _info_lines(s) + [
        _kv("object_size_min", o[0]), _kv("object_size_max", o[1]), f"object_size_avg: {float(o[2]):.2f}",
        _kv("object_chunk_count_min", o[3]), _kv("object_chunk_count_max", o[4]),
        f"object_chunk_count_avg: {float(o[5]):.2f}",
        _kv("chunk_size_min", c[0]), _kv("chunk_size_max", c[1]), f"chunk_size_avg: {float(c[2]):.2f}",
        _kv("loose_chunk_bytes", s["chunks"]["loose_bytes"]), _kv("deduped_bytes_saved", deduped),
        _kv("limit", limit)]
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
            _inspect_error(args, error)
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
            _inspect_error(args, error)
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
            _inspect_error(args, error)
    lines = [_header("Zova vector collection", path), _kv("name", name), _kv("dimensions", dimensions),
             _kv("metric", metric), _kv("vector_count", count), _kv("stored_bytes", stored), _kv("limit", limit),
             _kv("vector_ids_truncated", count > limit)]
    lines += _list_lines("vector_ids", [_printable(i) for i in ids])
    _emit("vector-collection", args.json, 0, lines, {
        "status": "ok", "command": "vector-collection", "name": name, "dimensions": dimensions, "metric": metric,
        "vector_count": count, "stored_bytes": stored, "limit": limit, "vector_ids_truncated": count > limit,
        "vector_ids": ids})


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
# check, doctor, salvage (§1.6)


def _issue_line(issue: dict) -> str:
    line = (f"  area={issue['area']} kind={issue['kind']} severity={issue['severity']} "
            f"detail={_printable(issue['detail'])}")
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


def cmd_check(args: Args) -> None:
    path = args.positionals[0]
    _open(args, path).close()   # open failures are exit 3 before anything else
    bar = _Bar("deep check") if args.deep and _progress_wanted(args) else None
    try:
        report = diag.check(path, deep=args.deep, progress=bar)
    except ZovaError as error:
        _fail("check", args.json, 3, "error", diag.error_name(error), f"check open failed: {diag.error_name(error)}")
    finally:
        if bar is not None:
            bar.close()
    doc = report.to_dict()
    if report.error_kind is not None:
        _fail("check", args.json, 4, report.error_kind, report.error, f"{report.error_kind}: {report.error}")
    if not args.deep:
        _emit("check", args.json, 0, ["quick_check: ok", "status: ok"], doc)
        return
    d = report.diagnostics
    if d.ok:
        lines = ["quick_check: ok", "deep_check: ok", _kv("objects_checked", d.checked["objects"]),
                 _kv("chunks_checked", d.checked["chunks"]), _kv("vectors_checked", d.checked["vectors"]),
                 _kv("loose_chunks", d.checked["loose_chunks"]), _kv("issue_count", 0)] + _counter_lines(d)
        _emit("check", args.json, 0, lines + ["status: ok"], doc)
        return
    lines = ["deep_check: failed", _kv("issue_count", d.issue_count)] + _counter_lines(d)
    lines += [_kv("issues_truncated", d.issues_truncated), "issues:"]
    if d.issue_counts["object"] or d.issue_counts["chunk"]:
        lines.append("object corruption: detected")
    if d.issue_counts["vector"]:
        lines.append("vector corruption: detected")
    lines += [_issue_line(issue.to_dict()) for issue in d.issues]
    _emit("check", args.json, 4, lines, doc)
    raise Done(4)


def cmd_doctor(args: Args) -> None:
    path = args.positionals[0]
    bar = _Bar("doctor") if _progress_wanted(args) else None
    try:
        report = diag.doctor(path, limit=args.limit, progress=bar)   # a damaged Zova file gets a report
    except ZovaError as error:
        _fail("doctor", args.json, 3, "error", diag.error_name(error), f"doctor open failed: {diag.error_name(error)}")
    finally:
        if bar is not None:
            bar.close()
    doc = report.to_dict()
    if report.stage is not None:
        lines = [_header("Zova doctor", path), "status: needs_attention", f"error: {report.stage}: {report.error}"]
        _emit("doctor", args.json, 4, lines + _actions_block(report.suggested_actions(path)), doc)
        raise Done(4)
    d = report.diagnostics
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


def cmd_salvage(args: Args) -> None:
    source = args.positionals[0]
    bar = _Bar("salvage") if _progress_wanted(args) else None
    try:
        if args.dry_run:
            report = diag.salvage_plan(source, limit=args.limit, progress=bar)
        else:
            report = diag.salvage(source, args.positionals[1], limit=args.limit, progress=bar)
    except ZovaError as error:
        _fail("salvage", args.json, 3, "error", diag.error_name(error),
              f"salvage open failed: {diag.error_name(error)}")
    finally:
        if bar is not None:
            bar.close()
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
        _emit("salvage", args.json, 4, [f"salvage failed: {report.error}"], doc)
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
# backup, compact, restore, convert (§1.7)

_VERIFICATION_ERRORS = {"Corrupt", "ObjectCorrupt", "ObjectNotFound", "ObjectChunkNotFound", "VectorCorrupt",
                        "VectorCollectionNotFound", "VectorNotFound"}


def _operation(args: Args, work) -> None:
    command = args.command
    source, destination = args.positionals
    try:
        work(source, destination)
    except ZovaError as error:
        name = diag.error_name(error)
        if name in _VERIFICATION_ERRORS and command != "convert":
            _fail(command, args.json, 4, "verification failed", name, f"{command}: verification failed: {name}")
        _fail(command, args.json, 3, "operation failed", name, f"{command}: operation failed: {name}")
    verified = not args.no_verify
    lines = [f"{command}: ok", f"source: {source}", f"destination: {destination}"]
    doc = {"status": "ok", "command": command, "source_path": source, "destination_path": destination}
    if command != "convert":
        lines.append(_kv("verified", verified))
        doc["verified"] = verified
    _emit(command, args.json, 0, lines, doc)


def _copy_open_database(args: Args, command: str, copy) -> None:
    """backup and compact: open the source, then copy(db, destination, verify=...)."""
    db = _open(args, args.positionals[0])

    def work(source: str, destination: str) -> None:
        with db:
            _with_file_progress(args, command, source, destination,
                                lambda: copy(db, destination, verify=not args.no_verify))
    _operation(args, work)


def cmd_backup(args: Args) -> None:
    _copy_open_database(args, "backup", Database.backup_to)


def cmd_compact(args: Args) -> None:
    _copy_open_database(args, "compact", Database.compact_to)


def cmd_restore(args: Args) -> None:
    def work(source: str, destination: str) -> None:
        _with_file_progress(args, "restore", source, destination,
                            lambda: restore_backup(source, destination, verify=not args.no_verify))
    _operation(args, work)


def cmd_convert(args: Args) -> None:
    def work(source: str, destination: str) -> None:
        _with_file_progress(args, "convert", source, destination,
                            lambda: convert_sqlite_to_zova(source, destination))
    _operation(args, work)


COMMANDS = {
    "info": cmd_info, "stats": cmd_stats, "objects": cmd_objects, "object": cmd_object, "chunks": cmd_chunks,
    "chunk": cmd_chunk, "vectors": cmd_vectors, "vector-collection": cmd_vector_collection, "tables": cmd_tables,
    "check": cmd_check, "doctor": cmd_doctor, "salvage": cmd_salvage, "backup": cmd_backup,
    "compact": cmd_compact, "restore": cmd_restore, "convert": cmd_convert,
}


def run_command(command: str, argv: list[str]) -> int:
    """Parses and runs one subcommand; returns the exit code."""
    try:
        args = parse(command, argv)
    except Usage as usage:
        if usage.as_json:
            _write(sys.stderr, to_json({"cli_json_version": JSON_VERSION, "status": "error", "command": command,
                                        "kind": "error", "error": usage.message}) + "\n")
        else:
            _write(sys.stderr, f"usage error: {usage.message}\n\n{usage_text()}")
        return 2
    try:
        COMMANDS[command](args)
    except Done as done:
        return done.code
    return 0


# ---------------------------------------------------------------------------
# click wiring


class _RawCommand(click.Command):
    """A subcommand that hands its arguments, untouched, to :func:`parse`."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        ctx.params = {"argv": list(args)}
        ctx.args = []
        return []


class _ZovaGroup(click.Group):
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

    def invoke(self, ctx: click.Context):
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


def _register(name: str) -> None:
    def callback(argv: list[str]) -> None:
        code = run_command(name, argv)
        click.get_current_context().exit(code)

    main.add_command(_RawCommand(name, callback=callback, add_help_option=False,
                                 help=dict(COMMAND_HELP)[name]))


for _name_ in COMMANDS:
    _register(_name_)


if __name__ == "__main__":   # pragma: no cover
    main()

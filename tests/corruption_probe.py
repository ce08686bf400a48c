"""Child process of tests/test_corruption.py: reads a damaged .zova file.

    python corruption_probe.py DAMAGED EXPECTED_JSON SALVAGE_DEST

Runs in its own process so that a crash (signal) or a hang (the parent's
timeout) of the library shows up as a test failure instead of killing the
test runner. Prints one JSON document on stdout:

* ``open``: null, or the status of a failed open;
* ``objects``: per original object id, ``"ok"`` (exact bytes), ``"WRONG"``
  (different bytes: never allowed), or the failing status; plus ranges;
* ``vectors``: per vector id ``"ok"``, ``"changed"`` (vectors carry no hash,
  so a flipped float is not detectable) or the failing status;
* ``rows``: how many user rows read back equal / changed / error;
* ``deep``: the deep check (ok, issue counts, stage error) or the open status;
* ``salvage``: the salvage report and, for a verified destination, which
  objects and vectors it holds byte-identical.
"""
from __future__ import annotations

import hashlib
import json
import sys

import numpy as np


def _status(error) -> object:
    import zova
    if isinstance(error, zova.ZovaError):
        return error.status
    return type(error).__name__


def _read_objects(db, objects: dict, ranges: list) -> tuple[dict, dict]:
    import zova
    results, range_results = {}, {}
    for hex_id, size in objects.items():
        oid = zova.ObjectId(bytes.fromhex(hex_id))
        try:
            data = db.get_object(oid)
            ok = len(data) == size and hashlib.sha256(data).hexdigest() == hex_id
            results[hex_id] = "ok" if ok else "WRONG"
        except (zova.ZovaError, ValueError) as error:
            results[hex_id] = _status(error)
    for hex_id, offset, length, digest in ranges:
        key = f"{hex_id}:{offset}:{length}"
        try:
            data = db.read_object_range(zova.ObjectId(bytes.fromhex(hex_id)), offset, length)
            range_results[key] = "ok" if hashlib.sha256(data).hexdigest() == digest else "WRONG"
        except (zova.ZovaError, ValueError) as error:
            range_results[key] = _status(error)
    return results, range_results


def _row_id_intact(db, collection: str, vid: str) -> bool:
    """Whether the table row the index leads to still carries this id (a flip
    in the row's text is invisible to an index lookup: SQLite has no checksums)."""
    try:
        with db.prepare("select rowid from _zova_vectors where collection_name = ? and vector_id = ?") as find:
            find.bind_text(1, collection)
            find.bind_text(2, vid)
            rowid = find.fetchall()[0][0]
        with db.prepare("select cast(collection_name as blob), cast(vector_id as blob) from _zova_vectors "
                        "not indexed where rowid = ?") as row:
            row.bind_int(1, rowid)
            return row.fetchall() == [(collection.encode(), vid.encode())]
    except Exception:
        return False


def _read_vectors(db, collection: str, vectors: dict) -> dict:
    """"ok" (values equal and the row intact), "changed" (silently different
    values or row id: vectors carry no hash) or the failing status."""
    import zova
    results = {}
    for vid, values in vectors.items():
        try:
            got = db.get_vector(collection, vid).array
            equal = np.array_equal(got, np.asarray(values, dtype=np.float32))
            results[vid] = "ok" if equal and _row_id_intact(db, collection, vid) else "changed"
        except (zova.ZovaError, ValueError) as error:
            results[vid] = _status(error)
    return results


def _read_rows(db, rows: dict) -> dict:
    import zova
    counts = {"equal": 0, "changed": 0, "error": None}
    try:
        with db.prepare("select id, name, payload from records") as select:
            for rid, name, payload in select:
                original = rows.get(str(rid))
                if original is not None and [name, payload.hex() if isinstance(payload, bytes) else payload] \
                        == original:
                    counts["equal"] += 1
                else:
                    counts["changed"] += 1
    except (zova.ZovaError, ValueError) as error:
        counts["error"] = _status(error)
    return counts


def _cli(damaged: str, backup: str) -> dict:
    """Exit codes of the inspection, check and copy commands on the damaged file
    (docs/cli.md §1.3: 0, or 3 open/operation failure, or 4 integrity).
    Run in process; an exception escaping a command is a bug and ends the probe."""
    import io
    import os
    from zova import cli
    codes = {}
    commands = [["info", "--json"], ["stats", "--json"], ["objects", "--json"], ["chunks", "--json"],
                ["vectors", "--json"], ["vector-collection", "--json", damaged, "emb"], ["tables", "--json"],
                ["check", "--json"], ["check", "--json", "--deep"], ["doctor", "--json"],
                ["salvage", "--dry-run", "--json"], ["backup", "--json", damaged, backup]]
    saved = sys.stdout, sys.stderr
    try:
        for command in commands:
            args = command[1:] if len(command) > 2 and command[-2] == damaged or command[0] == "backup" \
                else command[1:] + [damaged]
            sys.stdout, sys.stderr = io.StringIO(), io.StringIO()
            code = cli.main.main(args=[command[0], *args], standalone_mode=False)
            codes[" ".join(c for c in command if c not in (damaged, backup))] = code or 0
    finally:
        sys.stdout, sys.stderr = saved
    for suffix in ("", "-journal", "-wal", "-shm"):
        if os.path.exists(backup + suffix):
            os.unlink(backup + suffix)
    return codes


def main(argv: list[str]) -> int:
    import zova
    from zova import diagnostics
    damaged, expected_path, destination = argv[1], argv[2], argv[3]
    with open(expected_path) as handle:
        expected = json.load(handle)
    out: dict = {"open": None}
    try:
        db = zova.Database.open(damaged)
    except zova.ZovaError as error:
        out["open"] = error.status
        db = None
    if db is not None:
        with db:
            out["objects"], out["ranges"] = _read_objects(db, expected["objects"], expected["ranges"])
            out["vectors"] = _read_vectors(db, expected["collection"], expected["vectors"])
            out["rows"] = _read_rows(db, expected["rows"])
            try:
                results = db.search_vectors(expected["collection"], expected["query"], 10)
                out["search"] = len(results)
            except (zova.ZovaError, ValueError) as error:
                out["search"] = _status(error)
    try:
        report = diagnostics.check(damaged, deep=True)
        out["deep"] = {"ok": report.ok, "stage": report.error_kind, "error": report.error,
                       "issue_count": report.diagnostics.issue_count if report.diagnostics else None,
                       "issue_counts": report.diagnostics.issue_counts if report.diagnostics else None}
    except zova.ZovaError as error:
        out["deep"] = {"open": error.status}
    out["cli"] = _cli(damaged, destination + ".backup.zova")
    try:
        report = diagnostics.salvage(damaged, destination, limit=0)
        out["salvage"] = {"verified": report.destination_verified, "error": report.error,
                          "copied": report.copied, "recoverability": report.recoverability}
        if report.destination_verified:
            with zova.Database.open(destination) as copy:
                out["salvaged_objects"], _ = _read_objects(copy, expected["objects"], [])
                out["salvaged_vectors"] = _read_vectors(copy, expected["collection"], expected["vectors"])
            again = diagnostics.check(destination, deep=True)
            out["salvage"]["deep_ok"] = again.ok
    except zova.ZovaError as error:
        out["salvage"] = {"open": error.status}
    json.dump(out, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

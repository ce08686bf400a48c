"""The enums of the Python API (docs/python.md §2.2); values equal the C ABI's
(include/zova.h)."""
from __future__ import annotations

from enum import IntEnum

__all__ = ["Step", "ColumnType", "VectorMetric", "Status"]


class Step(IntEnum):
    """What :meth:`zova.Statement.step` returns: ``ROW`` (a row is ready) or
    ``DONE`` (the statement ran to its end)."""

    ROW = 1
    DONE = 2


class ColumnType(IntEnum):
    """The storage class of a result column's value, as
    :meth:`zova.Statement.column_type` returns it."""

    INTEGER = 1
    FLOAT = 2
    TEXT = 3
    BLOB = 4
    NULL = 5


class VectorMetric(IntEnum):
    """The distance of a vector collection (:class:`zova.VectorCollectionOptions`):
    ``COSINE`` (1 - cosine similarity), ``L2`` (Euclidean) or ``DOT`` (negated
    dot product); smaller is nearer for all three."""

    COSINE = 0
    L2 = 1
    DOT = 2


class Status(IntEnum):
    """The ``zova_status`` codes of include/zova.h without their ``ZOVA_``
    prefix: ``Status.BUSY == 10``, and ``Status(error.status)`` names the int
    status of a :class:`zova.ZovaError`."""

    OK = 0
    INVALID_ARGUMENT = 1
    OUT_OF_MEMORY = 2
    BUSY = 10
    LOCKED = 11
    CONSTRAINT = 12
    CANT_OPEN = 13
    READ_ONLY = 14
    CORRUPT = 15
    MISUSE = 16
    SQLITE_ERROR = 17
    NOT_ZOVA_PATH = 30
    NOT_ZOVA_DATABASE = 31
    UNSUPPORTED_ZOVA_VERSION = 32
    DESTINATION_EXISTS = 33
    ZOVA_NAME_CONFLICT = 34
    OBJECT_NOT_FOUND = 50
    OBJECT_ALREADY_EXISTS = 51
    OBJECT_CHUNK_NOT_FOUND = 52
    OBJECT_CHUNK_HASH_MISMATCH = 53
    OBJECT_CORRUPT = 54
    OBJECT_MANIFEST_INVALID = 55
    OBJECT_RANGE_INVALID = 56
    OBJECT_TOO_LARGE = 57
    OBJECT_TRANSACTION_ACTIVE = 58
    OBJECT_WRITER_CLOSED = 59
    VECTOR_COLLECTION_EXISTS = 70
    VECTOR_COLLECTION_NOT_FOUND = 71
    VECTOR_NOT_FOUND = 72
    VECTOR_DIMENSION_MISMATCH = 73
    VECTOR_CORRUPT = 74
    VECTOR_INVALID = 75

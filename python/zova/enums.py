"""The three enums of the Python API (cli-and-bindings §2.2); values equal the C ABI's."""
from __future__ import annotations

from enum import IntEnum

__all__ = ["Step", "ColumnType", "VectorMetric"]


class Step(IntEnum):
    ROW = 1
    DONE = 2


class ColumnType(IntEnum):
    INTEGER = 1
    FLOAT = 2
    TEXT = 3
    BLOB = 4
    NULL = 5


class VectorMetric(IntEnum):
    COSINE = 0
    L2 = 1
    DOT = 2

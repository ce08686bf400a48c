"""Database mixin for the operations area; filled in by the operations work (not implemented yet)."""
from __future__ import annotations

__all__: list[str] = []


class OperationMethods:
    __slots__ = ()

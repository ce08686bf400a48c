"""Database mixin for the vectors area; filled in by the vectors work (not implemented yet)."""
from __future__ import annotations

__all__: list[str] = []


class VectorMethods:
    __slots__ = ()

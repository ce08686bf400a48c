"""Database mixin for the objects area; filled in by the objects work (not implemented yet)."""
from __future__ import annotations

__all__: list[str] = []


class ObjectMethods:
    __slots__ = ()

"""Approximate vector search over a persisted HNSW index (docs/python.md §2.9,
docs/c-api.md §4.17).

An index is opt-in per collection: ``create_vector_index`` builds it over the
collection's vectors and stores it in the file; every later vector write (by
Zova, upstream Zova or any SQLite program) keeps it in step. The
``search_vectors_approx`` methods return hits like ``search_vectors`` does --
exact double distances, ties by id -- but only look at the ``ef`` nearest
candidates the graph finds, so a true neighbour can be missed (recall < 1).
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal, SupportsIndex, overload

from ._native import ffi, lib
from .errors import encode_str
from .handle import MixinBase
from .vectors import VectorMethods, VectorSearchResult, _candidates, _f32_array, _uint

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = ["VectorIndexInfo", "DEFAULT_EF"]

#: The ``ef`` of an approximate search that does not pass one.
DEFAULT_EF = int(lib.ZOVA_VECTOR_INDEX_DEFAULT_EF)
_MAX_EF = int(lib.ZOVA_VECTOR_INDEX_MAX_EF)


class VectorIndexInfo:
    """What ``vector_index_info`` reports about a collection's index.

    Attributes are read-only: ``kind`` (``"hnsw"``), ``m``, ``ef_construction``,
    ``default_ef``, ``vector_count`` (vectors in the stored graph),
    ``pending_changes`` (writes by other programs not folded into it yet),
    ``disk_bytes`` (its rows in the file) and ``memory_bytes`` (held by this
    handle; 0 before its first approximate search or write).
    """

    __slots__ = ("_values",)
    _values: dict[str, Any]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError("VectorIndexInfo objects come from Database.vector_index_info")

    @classmethod
    def _from_c(cls, info: Any) -> "VectorIndexInfo":
        self = cls.__new__(cls)
        self._values = {"kind": "hnsw", "m": int(info.m), "ef_construction": int(info.ef_construction),
                        "default_ef": int(info.default_ef), "vector_count": int(info.vector_count),
                        "pending_changes": int(info.pending_changes), "disk_bytes": int(info.disk_bytes),
                        "memory_bytes": int(info.memory_bytes)}
        return self

    @property
    def kind(self) -> str:
        """The algorithm: ``"hnsw"``."""
        return str(self._values["kind"])

    @property
    def m(self) -> int:
        """Neighbours per node (level 0 keeps twice as many)."""
        return int(self._values["m"])

    @property
    def ef_construction(self) -> int:
        """Candidates examined while inserting a vector."""
        return int(self._values["ef_construction"])

    @property
    def default_ef(self) -> int:
        """The ``ef`` of a search that passes none."""
        return int(self._values["default_ef"])

    @property
    def vector_count(self) -> int:
        """Vectors in the stored graph."""
        return int(self._values["vector_count"])

    @property
    def pending_changes(self) -> int:
        """Logged writes of other programs that the next Zova write folds in."""
        return int(self._values["pending_changes"])

    @property
    def disk_bytes(self) -> int:
        """Bytes of the index's node rows in the file (the vectors are not copied)."""
        return int(self._values["disk_bytes"])

    @property
    def memory_bytes(self) -> int:
        """Bytes of the graph and vectors this handle holds."""
        return int(self._values["memory_bytes"])

    def as_dict(self) -> dict[str, Any]:
        """The fields as a dict.

        Returns:
            ``kind``, ``m``, ``ef_construction``, ``default_ef``, ``vector_count``,
            ``pending_changes``, ``disk_bytes`` and ``memory_bytes`` (what ``zova index
            info --json`` prints, without ``memory_bytes``).
        """
        return dict(self._values)

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in self._values.items())
        return f"VectorIndexInfo({fields})"


def _ef(ef: SupportsIndex | None) -> int:
    if ef is None:
        return 0
    value = _uint(ef, _U32, "ef")
    if value < 1 or value > _MAX_EF:
        raise ValueError(f"ef must be 1 to {_MAX_EF}, not {value}")
    return value


_U32 = 2**32 - 1


class VectorIndexMethods(MixinBase):
    """Database mixin: the approximate-search API of docs/python.md §2.9."""

    __slots__ = ()

    def create_vector_index(self, collection_name: str, *, m: SupportsIndex = 16,
                            ef_construction: SupportsIndex = 200) -> None:
        """Builds an HNSW index over a collection's vectors and stores it in the file.

        Args:
            collection_name: the collection.
            m: neighbours per node, 2 to 64 (memory and build time grow with it).
            ef_construction: candidates while inserting, 1 to 4096 (build time grows with it).

        Raises:
            NotFoundError: no such collection.
            InvalidArgumentError: the collection already has an index, or m / ef_construction out of range.
        """
        collection = ffi.new("char[]", encode_str(collection_name, "collection name"))
        request = ffi.new("zova_vector_index_create_request *",
                          [self._handle(), collection, _uint(m, _U32, "m"),
                           _uint(ef_construction, _U32, "ef_construction")])
        self._call(lib.zova_vector_index_create, request)

    def _index_call(self, function: Any, collection_name: str) -> None:
        collection = ffi.new("char[]", encode_str(collection_name, "collection name"))
        request = ffi.new("zova_vector_index_request *", [self._handle(), collection])
        self._call(function, request)

    def drop_vector_index(self, collection_name: str) -> None:
        """Removes a collection's index from the file.

        Args:
            collection_name: the collection.

        Raises:
            NotFoundError: no such collection.
            InvalidArgumentError: the collection has no index.
        """
        self._index_call(lib.zova_vector_index_drop, collection_name)

    def rebuild_vector_index(self, collection_name: str) -> None:
        """Rebuilds a collection's index from its vectors (the repair for a damaged one).

        Args:
            collection_name: the collection.

        Raises:
            NotFoundError: no such collection.
            InvalidArgumentError: the collection has no index.
        """
        self._index_call(lib.zova_vector_index_rebuild, collection_name)

    def vector_index_info(self, collection_name: str) -> VectorIndexInfo | None:
        """Describes a collection's index, or ``None`` when it has none.

        Args:
            collection_name: the collection.

        Returns:
            A :class:`VectorIndexInfo`, or ``None``.

        Raises:
            NotFoundError: no such collection.
        """
        collection = ffi.new("char[]", encode_str(collection_name, "collection name"))
        info = ffi.new("zova_vector_index_info *")
        request = ffi.new("zova_vector_index_info_get_request *", [self._handle(), collection, info])
        self._call(lib.zova_vector_index_info_get, request)
        return VectorIndexInfo._from_c(info) if info.exists else None

    def _approx(self, fields: dict[str, Any], keep: list[Any], limit: SupportsIndex, ef: SupportsIndex | None,
                candidate_ids: Sequence[str] | None, max_distance: float | None,
                as_arrays: bool) -> list[VectorSearchResult] | tuple[npt.NDArray[np.object_], npt.NDArray[np.float64]]:
        flags = 0
        fields["limit"] = _uint(limit, 2**64 - 1, "limit")
        fields["ef"] = _ef(ef)
        if candidate_ids is not None:
            held, array, count = _candidates(candidate_ids)
            keep.append((held, array))
            fields["candidate_ids"] = array
            fields["candidate_count"] = count
            flags |= lib.ZOVA_VECTOR_INDEX_SEARCH_IN
        if max_distance is not None:
            VectorMethods._add_max(fields, max_distance)
            flags |= lib.ZOVA_VECTOR_INDEX_SEARCH_WITHIN
        fields["flags"] = flags
        return VectorMethods._search(self, lib.zova_vector_index_search,  # type: ignore[arg-type]
                                     "zova_vector_index_search_request *", fields, as_arrays)

    @overload
    def search_vectors_approx(self, collection_name: str, query: Any, limit: SupportsIndex, *,
                              ef: SupportsIndex | None = None, candidate_ids: Sequence[str] | None = None,
                              max_distance: float | None = None,
                              as_arrays: Literal[False] = False) -> list[VectorSearchResult]: ...

    @overload
    def search_vectors_approx(self, collection_name: str, query: Any, limit: SupportsIndex, *,
                              ef: SupportsIndex | None = None, candidate_ids: Sequence[str] | None = None,
                              max_distance: float | None = None,
                              as_arrays: Literal[True]) -> tuple[npt.NDArray[np.object_], npt.NDArray[np.float64]]: ...

    def search_vectors_approx(self, collection_name: str, query: Any, limit: SupportsIndex, *,
                              ef: SupportsIndex | None = None, candidate_ids: Sequence[str] | None = None,
                              max_distance: float | None = None, as_arrays: bool = False
                              ) -> list[VectorSearchResult] | tuple[npt.NDArray[np.object_], npt.NDArray[np.float64]]:
        """The approximate ``limit`` nearest vectors to ``query``, through the collection's index.

        Args:
            collection_name: the collection (it must have an index).
            query: the query values, of the collection's dimensions.
            limit: the most hits, an int >= 0.
            ef: candidates examined, 1 to 4096 (default :data:`DEFAULT_EF`; raised to ``limit``):
                higher is slower and finds more of the true neighbours.
            candidate_ids: only these ids (ranked exactly).
            max_distance: only hits at most this far (inclusive).
            as_arrays: return ``(ids, distances)`` numpy arrays.

        Returns:
            The hits ordered by (distance, id), with exact distances.

        Raises:
            NotFoundError: no such collection.
            InvalidArgumentError: the collection has no index, or ``ef`` is out of range.
            VectorError: a bad query, or an index out of step (``rebuild_vector_index`` repairs it).
        """
        collection = ffi.new("char[]", encode_str(collection_name, "collection name"))
        array = _f32_array(query, "vector query")
        buf = ffi.from_buffer("float[]", array)
        fields: dict[str, Any] = {"collection_name": collection, "query": buf, "query_len": len(array)}
        return self._approx(fields, [collection, array, buf], limit, ef, candidate_ids, max_distance, as_arrays)

    @overload
    def search_vectors_approx_by_id(self, collection_name: str, source_vector_id: str, limit: SupportsIndex, *,
                                    ef: SupportsIndex | None = None, candidate_ids: Sequence[str] | None = None,
                                    max_distance: float | None = None,
                                    as_arrays: Literal[False] = False) -> list[VectorSearchResult]: ...

    @overload
    def search_vectors_approx_by_id(self, collection_name: str, source_vector_id: str, limit: SupportsIndex, *,
                                    ef: SupportsIndex | None = None, candidate_ids: Sequence[str] | None = None,
                                    max_distance: float | None = None,
                                    as_arrays: Literal[True]) -> tuple[npt.NDArray[np.object_], npt.NDArray[np.float64]]: ...

    def search_vectors_approx_by_id(self, collection_name: str, source_vector_id: str, limit: SupportsIndex, *,
                                    ef: SupportsIndex | None = None, candidate_ids: Sequence[str] | None = None,
                                    max_distance: float | None = None, as_arrays: bool = False
                                    ) -> list[VectorSearchResult] | tuple[npt.NDArray[np.object_], npt.NDArray[np.float64]]:
        """Like :meth:`search_vectors_approx` with a stored vector as the query; it is left out of the hits.

        Args:
            collection_name: the collection (it must have an index).
            source_vector_id: the stored vector to search from.
            limit: the most hits, an int >= 0.
            ef: candidates examined, 1 to 4096 (default :data:`DEFAULT_EF`).
            candidate_ids: only these ids (ranked exactly).
            max_distance: only hits at most this far (inclusive).
            as_arrays: return ``(ids, distances)`` numpy arrays.

        Returns:
            The hits ordered by (distance, id), with exact distances.

        Raises:
            NotFoundError: no such collection or source vector.
            InvalidArgumentError: the collection has no index, or ``ef`` is out of range.
            VectorError: an index out of step (``rebuild_vector_index`` repairs it).
        """
        collection = ffi.new("char[]", encode_str(collection_name, "collection name"))
        source = ffi.new("char[]", encode_str(source_vector_id, "vector id"))
        fields: dict[str, Any] = {"collection_name": collection, "source_id": source}
        return self._approx(fields, [collection, source], limit, ef, candidate_ids, max_distance, as_arrays)

"""Vector collections, rows and search (docs/python.md §2.2-§2.3, docs/c-api.md §4.11-§4.13).

Values may be any sequence of numbers or a numpy array; a C-contiguous
``float32`` array is handed to the C core without a copy. ``put_vectors``
takes VectorInput items, or -- the fast batch form -- a sequence of ids plus a
2-D ``(n, dimensions)`` array (one C call, no per-row Python work).

Array forms (additions to upstream): ``search_vectors_batch`` runs many queries
in one C call and returns ``(ids, distances)`` arrays; every search method takes
``as_arrays=True``; ``get_vectors`` reads rows into one ``(n, d)`` array and
``list_vector_ids`` pages through a collection's ids.
"""
from __future__ import annotations

import operator
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Literal, SupportsIndex, cast, overload

from ._native import ffi, lib
from .errors import ZovaError, encode_str, index_int
from .handle import MixinBase

__all__ = ["VectorCollectionOptions", "VectorCollectionInfo", "VectorInput", "Vector", "VectorSearchResult",
           "encode_f32_le"]


class _LazyNumpy:
    """``np`` until numpy is needed: importing numpy costs more than the rest of
    ``import zova`` (about 60-90 ms), and most callers, the ``zova`` CLI among
    them, never touch a vector value. The first attribute read imports numpy
    and puts the real module in this module's ``np``."""

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        import numpy

        globals()["np"] = numpy
        return getattr(numpy, name)


if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
else:
    np = _LazyNumpy()

_U32_MAX = 2**32 - 1
_U64_MAX = 2**64 - 1


def _uint(value: SupportsIndex, maximum: int, what: str) -> int:
    value = index_int(value, what)   # numpy integers too; never bool
    if value < 0 or value > maximum:
        raise OverflowError(f"{what} out of range")
    return value


def _require_real(array: npt.NDArray[Any], what: str) -> None:
    """Only real numbers convert to float32: a complex array would lose its
    imaginary part, and bool, string and object arrays are not numbers."""
    if array.dtype.kind not in "iuf":
        raise TypeError(f"{what} must be real numbers, not a numpy array of dtype {array.dtype}")


def _f32_array(values: Any, what: str = "vector values") -> npt.NDArray[np.float32]:
    """A 1-D float32 view or copy of values (no copy for a contiguous float32 array)."""
    if isinstance(values, np.ndarray):
        if values.dtype == np.float32 and values.ndim == 1 and values.flags.c_contiguous:
            return values
        _require_real(values, what)
        if values.ndim != 1:
            raise ValueError(f"{what} must be one-dimensional")
        with np.errstate(over="ignore", invalid="ignore"):
            return np.ascontiguousarray(values, dtype=np.float32)
    if isinstance(values, (str, bytes, bytearray, memoryview)) or not isinstance(values, Iterable):
        raise TypeError(f"{what} must be a sequence of numbers, not {type(values).__name__}")
    values = list(values)
    for value in values:
        if not isinstance(value, (int, float, np.integer, np.floating)) or isinstance(value, bool):
            raise TypeError(f"{what} must be numbers, not {type(value).__name__}")
    with np.errstate(over="ignore", invalid="ignore"):
        return np.asarray(values, dtype=np.float64).astype(np.float32) if values else np.zeros(0, np.float32)


def encode_f32_le(values: Any) -> bytes:
    """The little-endian f32 bytes of some values (the SQL helpers' query blob).

    Args:
        values: a sequence of numbers or a 1-D numpy array of real numbers.

    Returns:
        4 bytes per value.

    Raises:
        TypeError: not numbers. ValueError: not 1-D, or a value is not finite in f32.
    """
    array = _f32_array(values)
    if not np.all(np.isfinite(array)):
        raise ValueError("vector query values must be finite f32 values")
    return array.astype("<f4", copy=False).tobytes()


class VectorCollectionOptions:
    """Dimensions and metric of a new collection.

    Args:
        dimensions: the length of every vector, an int in u32 (the C core
            refuses 0 at creation with VectorError).
        metric: a :class:`zova.VectorMetric` (0 cosine, 1 l2, 2 dot).

    Raises:
        ValueError: another metric. OverflowError: ``dimensions`` outside u32.
        TypeError: an argument is not an int.
    """

    __slots__ = ("_dimensions", "_metric")

    def __init__(self, dimensions: SupportsIndex, metric: SupportsIndex) -> None:
        self._dimensions = _uint(dimensions, _U32_MAX, "dimensions")
        metric = index_int(metric, "metric")
        if metric not in (0, 1, 2):
            raise ValueError(f"invalid vector metric {int(metric)}; expected 0, 1, or 2")
        self._metric = int(metric)

    @property
    def dimensions(self) -> int:
        """The length of every vector."""
        return self._dimensions

    @property
    def metric(self) -> int:
        """The metric, a :class:`zova.VectorMetric` value as an int."""
        return self._metric

    def __repr__(self) -> str:
        return f"VectorCollectionOptions(dimensions={self._dimensions}, metric={self._metric})"


class VectorCollectionInfo:
    """A collection's name, dimensions, metric and vector count, from
    :meth:`zova.Database.vector_collection_info`; ``VectorCollectionInfo(...)`` raises TypeError."""

    __slots__ = ("_name", "_dimensions", "_metric", "_vector_count")

    _name: str
    _dimensions: int
    _metric: int
    _vector_count: int

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError("VectorCollectionInfo has no public constructor")

    @classmethod
    def _from_c(cls, info: Any) -> "VectorCollectionInfo":
        self = cls.__new__(cls)
        self._name = _decode_id(info.name, info.name_len)
        self._dimensions = int(info.dimensions)
        self._metric = int(info.metric)
        self._vector_count = int(info.vector_count)
        return self

    @property
    def name(self) -> str:
        """The collection's name."""
        return self._name

    @property
    def dimensions(self) -> int:
        """The length of every vector."""
        return self._dimensions

    @property
    def metric(self) -> int:
        """The metric, a :class:`zova.VectorMetric` value as an int."""
        return self._metric

    @property
    def vector_count(self) -> int:
        """The number of vectors."""
        return self._vector_count

    def __repr__(self) -> str:
        return (f"VectorCollectionInfo(name={self._name!r}, dimensions={self._dimensions}, "
                f"metric={self._metric}, vector_count={self._vector_count})")


class VectorInput:
    """One row for :meth:`zova.Database.put_vectors`.

    Args:
        id: the vector's id (a str).
        values: a sequence of numbers or a 1-D numpy array of real numbers.

    Raises:
        TypeError: ``id`` not a str, or ``values`` not numbers. ValueError: not 1-D.
    """

    __slots__ = ("_id", "_array")

    _id: str
    _array: npt.NDArray[np.float32]

    def __init__(self, id: str, values: Any) -> None:
        if not isinstance(id, str):
            raise TypeError(f"vector id must be str, not {type(id).__name__}")
        self._id = id
        self._array = _f32_array(values)

    @property
    def id(self) -> str:
        """The vector's id."""
        return self._id

    @property
    def values(self) -> list[float]:
        """The values as floats (a new list)."""
        values: list[float] = self._array.tolist()
        return values

    def __repr__(self) -> str:
        return f"VectorInput(id={self._id!r}, values_len={len(self._array)})"


class Vector:
    """One stored vector, from :meth:`zova.Database.get_vector`; ``Vector(...)`` raises TypeError."""

    __slots__ = ("_id", "_array")

    _id: str
    _array: npt.NDArray[np.float32]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError("Vector has no public constructor")

    @property
    def id(self) -> str:
        """The vector's id."""
        return self._id

    @property
    def values(self) -> list[float]:
        """The values as floats (a new list)."""
        values: list[float] = self._array.tolist()
        return values

    @property
    def array(self) -> npt.NDArray[np.float32]:
        """The values as a float32 numpy array (a copy)."""
        array: npt.NDArray[np.float32] = self._array.copy()
        return array

    def __repr__(self) -> str:
        return f"Vector(id={self._id!r}, values_len={len(self._array)})"


class VectorSearchResult:
    """One hit of a search: the vector's ``id`` and its ``distance`` to the
    query (smaller is nearer). ``VectorSearchResult(...)`` raises TypeError."""

    __slots__ = ("_id", "_distance")

    _id: str
    _distance: float

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError("VectorSearchResult has no public constructor")

    @property
    def id(self) -> str:
        """The vector's id."""
        return self._id

    @property
    def distance(self) -> float:
        """The distance to the query."""
        return self._distance

    def __repr__(self) -> str:
        return f"VectorSearchResult(id={self._id!r}, distance={self._distance!r})"


def _result(id_: str, distance: float) -> VectorSearchResult:
    result = VectorSearchResult.__new__(VectorSearchResult)
    result._id = id_
    result._distance = distance
    return result


def _decode_id(data: Any, length: int) -> str:
    try:
        raw: bytes = ffi.unpack(data, length)
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("SQL text column is not valid UTF-8") from None


def _count(value: Any, what: str) -> int:
    """A non-negative int (numpy integers included, bool refused)."""
    if isinstance(value, bool):
        raise TypeError(f"{what} must be int, not bool")
    try:
        number = operator.index(value)
    except TypeError:
        raise TypeError(f"{what} must be int, not {type(value).__name__}") from None
    if number < 0:
        raise ValueError(f"{what} must be >= 0, not {number}")
    if number > _U64_MAX:
        raise OverflowError(f"{what} out of range")
    return number


def _query_matrix(queries: Any) -> npt.NDArray[np.float32]:
    """A C-contiguous float32 (n, d) matrix of queries (no copy when it already is one)."""
    if isinstance(queries, (str, bytes, bytearray, memoryview)):
        raise TypeError(f"queries must be a 2-D array of numbers, not {type(queries).__name__}")
    matrix: npt.NDArray[Any] = queries if isinstance(queries, np.ndarray) else np.asarray(queries)
    _require_real(matrix, "queries")
    if matrix.ndim != 2:
        raise ValueError(f"queries must be a 2-D array of shape (n_queries, dimensions), not {matrix.ndim}-D "
                         f"(one query: search_vectors, or queries[None, :])")
    if matrix.dtype != np.float32 or not matrix.flags.c_contiguous:
        with np.errstate(over="ignore", invalid="ignore"):
            matrix = np.ascontiguousarray(matrix, dtype=np.float32)
    return matrix


def _results_arrays(out: Any) -> tuple[npt.NDArray[np.object_], npt.NDArray[np.float64]]:
    """The (ids, distances) arrays of one zova_vector_search_results."""
    ids = np.empty(out.len, dtype=object)
    distances = np.empty(out.len, dtype=np.float64)
    items = out.items
    for i in range(out.len):
        ids[i] = _decode_id(items[i].id, items[i].id_len)
        distances[i] = items[i].distance
    return ids, distances


def _candidates(candidate_ids: Sequence[str]) -> tuple[list[Any], Any, int]:
    if isinstance(candidate_ids, (str, bytes)):
        raise TypeError("candidate_ids must be a sequence of str, not a single str")
    keep = [ffi.new("char[]", encode_str(c, "candidate id")) for c in candidate_ids]
    return keep, (ffi.new("char *[]", keep) if keep else ffi.NULL), len(keep)


class VectorMethods(MixinBase):
    """Database mixin: the vector API of docs/python.md §2.3."""

    __slots__ = ()

    # ---- collections ----

    def create_vector_collection(self, name: str, options: VectorCollectionOptions) -> None:
        """Creates an empty vector collection.

        Args:
            name: the collection's name.
            options: its dimensions and metric.

        Raises:
            AlreadyExistsError: the collection exists.
            VectorError: a bad name or 0 dimensions (the message says which).
            TypeError: ``options`` is not a :class:`VectorCollectionOptions`.
        """
        if not isinstance(options, VectorCollectionOptions):
            raise TypeError("options must be a VectorCollectionOptions")
        encoded = ffi.new("char[]", encode_str(name, "collection name"))
        request = ffi.new("zova_vector_collection_create_request *")
        request.db = self._handle()
        request.name = encoded
        request.options.dimensions = options.dimensions
        request.options.metric = options.metric
        self._call(lib.zova_vector_collection_create, request)

    def has_vector_collection(self, name: str) -> bool:
        """Whether the collection exists.

        Args:
            name: the collection's name.

        Returns:
            True if it does.

        Raises:
            TypeError, ValueError: ``name`` not a str, or with a NUL.
        """
        encoded = ffi.new("char[]", encode_str(name, "collection name"))
        out = ffi.new("uint8_t *")
        request = ffi.new("zova_vector_collection_exists_request *", [self._handle(), encoded, out])
        self._call(lib.zova_vector_collection_exists, request)
        return bool(out[0])

    def vector_collection_info(self, name: str) -> VectorCollectionInfo:
        """The collection's dimensions, metric and vector count.

        Args:
            name: the collection's name.

        Returns:
            A :class:`VectorCollectionInfo`.

        Raises:
            NotFoundError: no such collection.
        """
        encoded = ffi.new("char[]", encode_str(name, "collection name"))
        out = ffi.new("zova_vector_collection_info *")
        request = ffi.new("zova_vector_collection_info_get_request *", [self._handle(), encoded, out])
        self._call(lib.zova_vector_collection_info_get, request)
        try:
            return VectorCollectionInfo._from_c(out)
        finally:
            lib.zova_vector_collection_info_free(out)

    def list_vector_collections(self) -> list[VectorCollectionInfo]:
        """Every collection, by name.

        Returns:
            A :class:`VectorCollectionInfo` per collection.

        Raises:
            CorruptError: a collection's row is damaged.
        """
        out = ffi.new("zova_vector_collection_list *")
        request = ffi.new("zova_vector_collections_list_request *", [self._handle(), out])
        self._call(lib.zova_vector_collections_list, request)
        try:
            return [VectorCollectionInfo._from_c(out.items[i]) for i in range(out.len)]
        finally:
            lib.zova_vector_collection_list_free(out)

    def delete_vector_collection(self, name: str) -> None:
        """Deletes the collection and its vectors.

        Args:
            name: the collection's name.

        Raises:
            NotFoundError: no such collection.
        """
        encoded = ffi.new("char[]", encode_str(name, "collection name"))
        request = ffi.new("zova_vector_collection_delete_request *", [self._handle(), encoded])
        self._call(lib.zova_vector_collection_delete, request)

    # ---- rows ----

    def put_vector(self, collection_name: str, vector_id: str, values: Any) -> None:
        """Inserts or replaces one vector.

        Args:
            collection_name: the collection.
            vector_id: the vector's id.
            values: a sequence of numbers or a 1-D array (a C-contiguous float32 array is not copied).

        Raises:
            NotFoundError: no such collection.
            VectorError: wrong dimensions (the message names both), NaN or
                infinity, all zeros for cosine, a bad id.
            TypeError, ValueError: values not numbers or not 1-D; a NUL in a name.
        """
        collection = ffi.new("char[]", encode_str(collection_name, "collection name"))
        vid = ffi.new("char[]", encode_str(vector_id, "vector id"))
        array = _f32_array(values)
        request = ffi.new("zova_vector_put_request *")
        request.db = self._handle()
        request.collection_name = collection
        request.vector_id = vid
        request.values = ffi.from_buffer("float[]", array)
        request.values_len = len(array)
        self._call(lib.zova_vector_put, request)

    def put_vectors(self, collection_name: str, vectors: Iterable[VectorInput] | Sequence[str],
                    values: Any = None) -> None:
        """Upserts many vectors in one call; the last duplicate id wins.

        ``put_vectors(name, [VectorInput(...), ...])``, or the batch form
        ``put_vectors(name, ids, matrix)`` with a 2-D ``(len(ids), dimensions)``
        array (a C-contiguous float32 matrix is not copied).

        Args:
            collection_name: the collection.
            vectors: :class:`VectorInput` items, or (with ``values``) the ids.
            values: None, or the ``(len(ids), dimensions)`` matrix of values.

        Raises:
            NotFoundError: no such collection.
            VectorError: a row of the wrong dimensions, not finite, all zeros
                for cosine, or a bad id; nothing is stored then.
            TypeError, ValueError: items not VectorInput, ids not str, a
                matrix of the wrong shape or not real numbers.
        """
        collection = encode_str(collection_name, "collection name")
        if values is None:
            if isinstance(vectors, (str, bytes)):
                raise TypeError("vectors must be an iterable of VectorInput")
            items: list[VectorInput] = list(vectors)  # type: ignore[arg-type]  # checked item by item below
            for item in items:
                if not isinstance(item, VectorInput):
                    raise TypeError(f"vectors must contain VectorInput, not {type(item).__name__}")
            ids = [item._id for item in items]
            lengths = {len(item._array) for item in items}
            if len(lengths) > 1:
                self._put_rows(collection, ids, [item._array for item in items])
                return
            width = lengths.pop() if lengths else 0
            matrix = np.stack([item._array for item in items]) if items else np.zeros((0, width), np.float32)
        else:
            if isinstance(vectors, (str, bytes)):
                raise TypeError("ids must be a sequence of str, not a single str")
            ids = list(vectors)  # type: ignore[arg-type]  # str checked by _pack_ids
            matrix = values
            if not isinstance(matrix, np.ndarray):
                if isinstance(matrix, (str, bytes, bytearray, memoryview)):
                    raise TypeError(f"values must be a 2-D array of numbers, not {type(matrix).__name__}")
                matrix = np.asarray(matrix)  # no dtype: strings stay strings and are refused below
            _require_real(matrix, "vector values")
            if matrix.ndim != 2:
                raise ValueError("values must be a 2-D array of shape (len(ids), dimensions)")
            if matrix.shape[0] != len(ids):
                raise ValueError(f"values has {matrix.shape[0]} rows for {len(ids)} ids")
            if matrix.dtype != np.float32 or not matrix.flags.c_contiguous:
                with np.errstate(over="ignore", invalid="ignore"):
                    matrix = np.ascontiguousarray(matrix, dtype=np.float32)
        packed = self._pack_ids(ids)
        self._call(lib.zv_py_vector_put_matrix, self._handle(), collection, packed, len(ids),
                   ffi.from_buffer("float[]", matrix), matrix.shape[1])

    @staticmethod
    def _pack_ids(ids: list[Any]) -> bytes:
        for vid in ids:
            if not isinstance(vid, str):
                raise TypeError(f"vector id must be str, not {type(vid).__name__}")
        packed = ("\0".join(ids) + "\0").encode("utf-8") if ids else b""
        if packed.count(b"\0") != len(ids):
            raise ValueError("vector id contains an interior NUL byte")
        return packed

    def _put_rows(self, collection: bytes, ids: list[str], arrays: list[npt.NDArray[np.float32]]) -> None:
        keep = []
        inputs = ffi.new("zova_vector_input[]", len(arrays))
        for i, (vid, array) in enumerate(zip(ids, arrays)):
            cid = ffi.new("char[]", encode_str(vid, "vector id"))
            buf = ffi.from_buffer("float[]", array)
            keep.append((cid, buf))
            inputs[i].id = cid
            inputs[i].values = buf
            inputs[i].values_len = len(array)
        name = ffi.new("char[]", collection)
        request = ffi.new("zova_vector_put_many_request *", [self._handle(), name, inputs, len(arrays)])
        self._call(lib.zova_vector_put_many, request)

    def get_vector(self, collection_name: str, vector_id: str) -> Vector:
        """One stored vector.

        Args:
            collection_name: the collection.
            vector_id: the vector's id.

        Returns:
            The :class:`Vector`.

        Raises:
            NotFoundError: no such collection or vector.
            CorruptError: the stored row does not verify.
        """
        collection = ffi.new("char[]", encode_str(collection_name, "collection name"))
        vid = ffi.new("char[]", encode_str(vector_id, "vector id"))
        out = ffi.new("zova_vector *")
        request = ffi.new("zova_vector_get_request *", [self._handle(), collection, vid, out])
        self._call(lib.zova_vector_get, request)
        try:
            vector = Vector.__new__(Vector)
            vector._id = _decode_id(out.id, out.id_len)
            vector._array = np.frombuffer(ffi.buffer(out.values, 4 * out.values_len), dtype=np.float32).copy()
            return vector
        finally:
            lib.zova_vector_free(out)

    def has_vector(self, collection_name: str, vector_id: str) -> bool:
        """Whether the vector is stored.

        Args:
            collection_name: the collection.
            vector_id: the vector's id.

        Returns:
            True if it is.

        Raises:
            NotFoundError: no such collection.
        """
        collection = ffi.new("char[]", encode_str(collection_name, "collection name"))
        vid = ffi.new("char[]", encode_str(vector_id, "vector id"))
        out = ffi.new("uint8_t *")
        request = ffi.new("zova_vector_exists_request *", [self._handle(), collection, vid, out])
        self._call(lib.zova_vector_exists, request)
        return bool(out[0])

    def delete_vector(self, collection_name: str, vector_id: str) -> None:
        """Deletes one vector.

        Args:
            collection_name: the collection.
            vector_id: the vector's id.

        Raises:
            NotFoundError: no such collection or vector.
        """
        collection = ffi.new("char[]", encode_str(collection_name, "collection name"))
        vid = ffi.new("char[]", encode_str(vector_id, "vector id"))
        request = ffi.new("zova_vector_delete_request *", [self._handle(), collection, vid])
        self._call(lib.zova_vector_delete, request)

    # ---- search (8 variants) ----

    def _search(self, function: Any, request_type: str, fields: dict[str, Any],
                as_arrays: bool = False) -> list[VectorSearchResult] | tuple[npt.NDArray[np.object_], npt.NDArray[np.float64]]:
        out = ffi.new("zova_vector_search_results *")
        request = ffi.new(request_type)
        request.db = self._handle()
        for key, value in fields.items():
            setattr(request, key, value)
        request.out_results = out
        self._call(function, request)
        try:
            if as_arrays:
                return _results_arrays(out)
            items = out.items
            return [_result(_decode_id(items[i].id, items[i].id_len), items[i].distance) for i in range(out.len)]
        finally:
            lib.zova_vector_search_results_free(out)

    @staticmethod
    def _query_fields(collection_name: str, query: Any, limit: SupportsIndex) -> tuple[dict[str, Any], list[Any]]:
        collection = ffi.new("char[]", encode_str(collection_name, "collection name"))
        array = _f32_array(query, "vector query")
        buf = ffi.from_buffer("float[]", array)
        fields = {"collection_name": collection, "query": buf, "query_len": len(array),
                  "limit": _uint(limit, _U64_MAX, "limit")}
        return fields, [collection, array, buf]

    @staticmethod
    def _by_id_fields(collection_name: str, source_vector_id: str,
                      limit: SupportsIndex) -> tuple[dict[str, Any], list[Any]]:
        collection = ffi.new("char[]", encode_str(collection_name, "collection name"))
        source = ffi.new("char[]", encode_str(source_vector_id, "vector id"))
        fields = {"collection_name": collection, "source_vector_id": source,
                  "limit": _uint(limit, _U64_MAX, "limit")}
        return fields, [collection, source]

    @staticmethod
    def _add_candidates(fields: dict[str, Any], keep: list[Any], candidate_ids: Sequence[str]) -> None:
        held, array, count = _candidates(candidate_ids)
        keep.append((held, array))
        fields["candidate_ids"] = array
        fields["candidate_count"] = count

    @staticmethod
    def _add_max(fields: dict[str, Any], max_distance: float) -> None:
        if not isinstance(max_distance, (int, float)) or isinstance(max_distance, bool):
            raise TypeError(f"max_distance must be a number, not {type(max_distance).__name__}")
        fields["max_distance"] = float(max_distance)

    @overload
    def search_vectors(self, collection_name: str, query: Any, limit: SupportsIndex, *,
               as_arrays: Literal[False] = False) -> list[VectorSearchResult]: ...

    @overload
    def search_vectors(self, collection_name: str, query: Any, limit: SupportsIndex, *,
               as_arrays: Literal[True]) -> tuple[npt.NDArray[np.object_], npt.NDArray[np.float64]]: ...

    def search_vectors(self, collection_name: str, query: Any, limit: SupportsIndex, *,
               as_arrays: bool = False) -> list[VectorSearchResult] | tuple[npt.NDArray[np.object_], npt.NDArray[np.float64]]:
        """The ``limit`` nearest vectors of a collection to ``query``.

        Args:
            collection_name: the collection.
            query: the query values (a sequence of numbers or a 1-D array), of the collection's dimensions.
            limit: the most hits, an int >= 0.
            as_arrays: return ``(ids, distances)`` numpy arrays (object and
                float64) instead of a list of :class:`VectorSearchResult`.

        Returns:
            The hits ordered by (distance, id).

        Raises:
            NotFoundError: no such collection.
            VectorError: ``query`` has the wrong dimensions (the message names both),
                NaN or infinity, or is all zeros for cosine.
            TypeError, OverflowError: an argument of the wrong type or range.
            Interrupted: a bound :class:`zova.Cancel` was cancelled.
        """
        fields, keep = self._query_fields(collection_name, query, limit)
        return self._search(lib.zova_vector_search, "zova_vector_search_request *", fields, as_arrays)

    @overload
    def search_vectors_in(self, collection_name: str, query: Any, candidate_ids: Sequence[str], limit: SupportsIndex, *,
               as_arrays: Literal[False] = False) -> list[VectorSearchResult]: ...

    @overload
    def search_vectors_in(self, collection_name: str, query: Any, candidate_ids: Sequence[str], limit: SupportsIndex, *,
               as_arrays: Literal[True]) -> tuple[npt.NDArray[np.object_], npt.NDArray[np.float64]]: ...

    def search_vectors_in(self, collection_name: str, query: Any, candidate_ids: Sequence[str], limit: SupportsIndex, *,
               as_arrays: bool = False) -> list[VectorSearchResult] | tuple[npt.NDArray[np.object_], npt.NDArray[np.float64]]:
        """The ``limit`` nearest vectors to ``query`` among ``candidate_ids``.

        Args:
            collection_name: the collection.
            query: the query values (a sequence of numbers or a 1-D array), of the collection's dimensions.
            candidate_ids: the ids to search among (ids not in the collection are ignored).
            limit: the most hits, an int >= 0.
            as_arrays: return ``(ids, distances)`` numpy arrays (object and
                float64) instead of a list of :class:`VectorSearchResult`.

        Returns:
            The hits ordered by (distance, id).

        Raises:
            NotFoundError: no such collection.
            VectorError: ``query`` has the wrong dimensions (the message names both),
                NaN or infinity, or is all zeros for cosine.
            TypeError, OverflowError: an argument of the wrong type or range.
            Interrupted: a bound :class:`zova.Cancel` was cancelled.
        """
        fields, keep = self._query_fields(collection_name, query, limit)
        self._add_candidates(fields, keep, candidate_ids)
        return self._search(lib.zova_vector_search_in, "zova_vector_search_in_request *", fields, as_arrays)

    @overload
    def search_vectors_within(self, collection_name: str, query: Any, max_distance: float, limit: SupportsIndex, *,
               as_arrays: Literal[False] = False) -> list[VectorSearchResult]: ...

    @overload
    def search_vectors_within(self, collection_name: str, query: Any, max_distance: float, limit: SupportsIndex, *,
               as_arrays: Literal[True]) -> tuple[npt.NDArray[np.object_], npt.NDArray[np.float64]]: ...

    def search_vectors_within(self, collection_name: str, query: Any, max_distance: float, limit: SupportsIndex, *,
               as_arrays: bool = False) -> list[VectorSearchResult] | tuple[npt.NDArray[np.object_], npt.NDArray[np.float64]]:
        """The ``limit`` nearest vectors to ``query`` with distance <= ``max_distance``.

        Args:
            collection_name: the collection.
            query: the query values (a sequence of numbers or a 1-D array), of the collection's dimensions.
            max_distance: only hits with distance <= this (a finite number).
            limit: the most hits, an int >= 0.
            as_arrays: return ``(ids, distances)`` numpy arrays (object and
                float64) instead of a list of :class:`VectorSearchResult`.

        Returns:
            The hits ordered by (distance, id).

        Raises:
            NotFoundError: no such collection.
            VectorError: ``query`` has the wrong dimensions (the message names both),
                NaN or infinity, or is all zeros for cosine.
            TypeError, OverflowError: an argument of the wrong type or range.
            Interrupted: a bound :class:`zova.Cancel` was cancelled.
        """
        fields, keep = self._query_fields(collection_name, query, limit)
        self._add_max(fields, max_distance)
        return self._search(lib.zova_vector_search_within, "zova_vector_search_within_request *", fields,
                            as_arrays)

    @overload
    def search_vectors_in_within(self, collection_name: str, query: Any, candidate_ids: Sequence[str], max_distance: float, limit: SupportsIndex, *,
               as_arrays: Literal[False] = False) -> list[VectorSearchResult]: ...

    @overload
    def search_vectors_in_within(self, collection_name: str, query: Any, candidate_ids: Sequence[str], max_distance: float, limit: SupportsIndex, *,
               as_arrays: Literal[True]) -> tuple[npt.NDArray[np.object_], npt.NDArray[np.float64]]: ...

    def search_vectors_in_within(self, collection_name: str, query: Any, candidate_ids: Sequence[str], max_distance: float, limit: SupportsIndex, *,
               as_arrays: bool = False) -> list[VectorSearchResult] | tuple[npt.NDArray[np.object_], npt.NDArray[np.float64]]:
        """The ``limit`` nearest vectors to ``query`` among ``candidate_ids`` with distance <= ``max_distance``.

        Args:
            collection_name: the collection.
            query: the query values (a sequence of numbers or a 1-D array), of the collection's dimensions.
            candidate_ids: the ids to search among (ids not in the collection are ignored).
            max_distance: only hits with distance <= this (a finite number).
            limit: the most hits, an int >= 0.
            as_arrays: return ``(ids, distances)`` numpy arrays (object and
                float64) instead of a list of :class:`VectorSearchResult`.

        Returns:
            The hits ordered by (distance, id).

        Raises:
            NotFoundError: no such collection.
            VectorError: ``query`` has the wrong dimensions (the message names both),
                NaN or infinity, or is all zeros for cosine.
            TypeError, OverflowError: an argument of the wrong type or range.
            Interrupted: a bound :class:`zova.Cancel` was cancelled.
        """
        fields, keep = self._query_fields(collection_name, query, limit)
        self._add_candidates(fields, keep, candidate_ids)
        self._add_max(fields, max_distance)
        return self._search(lib.zova_vector_search_in_within, "zova_vector_search_in_within_request *", fields,
                            as_arrays)

    @overload
    def search_vectors_by_id(self, collection_name: str, source_vector_id: str, limit: SupportsIndex, *,
               as_arrays: Literal[False] = False) -> list[VectorSearchResult]: ...

    @overload
    def search_vectors_by_id(self, collection_name: str, source_vector_id: str, limit: SupportsIndex, *,
               as_arrays: Literal[True]) -> tuple[npt.NDArray[np.object_], npt.NDArray[np.float64]]: ...

    def search_vectors_by_id(self, collection_name: str, source_vector_id: str, limit: SupportsIndex, *,
               as_arrays: bool = False) -> list[VectorSearchResult] | tuple[npt.NDArray[np.object_], npt.NDArray[np.float64]]:
        """The ``limit`` nearest vectors to the stored vector ``source_vector_id`` (itself left out).

        Args:
            collection_name: the collection.
            source_vector_id: the id of the stored vector to search from.
            limit: the most hits, an int >= 0.
            as_arrays: return ``(ids, distances)`` numpy arrays (object and
                float64) instead of a list of :class:`VectorSearchResult`.

        Returns:
            The hits ordered by (distance, id).

        Raises:
            NotFoundError: no such collection, or no vector ``source_vector_id``.
            TypeError, OverflowError: an argument of the wrong type or range.
            Interrupted: a bound :class:`zova.Cancel` was cancelled.
        """
        fields, keep = self._by_id_fields(collection_name, source_vector_id, limit)
        return self._search(lib.zova_vector_search_by_id, "zova_vector_search_by_id_request *", fields, as_arrays)

    @overload
    def search_vectors_by_id_in(self, collection_name: str, source_vector_id: str, candidate_ids: Sequence[str], limit: SupportsIndex, *,
               as_arrays: Literal[False] = False) -> list[VectorSearchResult]: ...

    @overload
    def search_vectors_by_id_in(self, collection_name: str, source_vector_id: str, candidate_ids: Sequence[str], limit: SupportsIndex, *,
               as_arrays: Literal[True]) -> tuple[npt.NDArray[np.object_], npt.NDArray[np.float64]]: ...

    def search_vectors_by_id_in(self, collection_name: str, source_vector_id: str, candidate_ids: Sequence[str], limit: SupportsIndex, *,
               as_arrays: bool = False) -> list[VectorSearchResult] | tuple[npt.NDArray[np.object_], npt.NDArray[np.float64]]:
        """As :meth:`search_vectors_by_id`, among ``candidate_ids``.

        Args:
            collection_name: the collection.
            source_vector_id: the id of the stored vector to search from.
            candidate_ids: the ids to search among (ids not in the collection are ignored).
            limit: the most hits, an int >= 0.
            as_arrays: return ``(ids, distances)`` numpy arrays (object and
                float64) instead of a list of :class:`VectorSearchResult`.

        Returns:
            The hits ordered by (distance, id).

        Raises:
            NotFoundError: no such collection, or no vector ``source_vector_id``.
            TypeError, OverflowError: an argument of the wrong type or range.
            Interrupted: a bound :class:`zova.Cancel` was cancelled.
        """
        fields, keep = self._by_id_fields(collection_name, source_vector_id, limit)
        self._add_candidates(fields, keep, candidate_ids)
        return self._search(lib.zova_vector_search_by_id_in, "zova_vector_search_by_id_in_request *", fields,
                            as_arrays)

    @overload
    def search_vectors_by_id_within(self, collection_name: str, source_vector_id: str, max_distance: float, limit: SupportsIndex, *,
               as_arrays: Literal[False] = False) -> list[VectorSearchResult]: ...

    @overload
    def search_vectors_by_id_within(self, collection_name: str, source_vector_id: str, max_distance: float, limit: SupportsIndex, *,
               as_arrays: Literal[True]) -> tuple[npt.NDArray[np.object_], npt.NDArray[np.float64]]: ...

    def search_vectors_by_id_within(self, collection_name: str, source_vector_id: str, max_distance: float, limit: SupportsIndex, *,
               as_arrays: bool = False) -> list[VectorSearchResult] | tuple[npt.NDArray[np.object_], npt.NDArray[np.float64]]:
        """As :meth:`search_vectors_by_id`, with distance <= ``max_distance``.

        Args:
            collection_name: the collection.
            source_vector_id: the id of the stored vector to search from.
            max_distance: only hits with distance <= this (a finite number).
            limit: the most hits, an int >= 0.
            as_arrays: return ``(ids, distances)`` numpy arrays (object and
                float64) instead of a list of :class:`VectorSearchResult`.

        Returns:
            The hits ordered by (distance, id).

        Raises:
            NotFoundError: no such collection, or no vector ``source_vector_id``.
            TypeError, OverflowError: an argument of the wrong type or range.
            Interrupted: a bound :class:`zova.Cancel` was cancelled.
        """
        fields, keep = self._by_id_fields(collection_name, source_vector_id, limit)
        self._add_max(fields, max_distance)
        return self._search(lib.zova_vector_search_by_id_within, "zova_vector_search_by_id_within_request *",
                            fields, as_arrays)

    @overload
    def search_vectors_by_id_in_within(self, collection_name: str, source_vector_id: str, candidate_ids: Sequence[str], max_distance: float, limit: SupportsIndex, *,
               as_arrays: Literal[False] = False) -> list[VectorSearchResult]: ...

    @overload
    def search_vectors_by_id_in_within(self, collection_name: str, source_vector_id: str, candidate_ids: Sequence[str], max_distance: float, limit: SupportsIndex, *,
               as_arrays: Literal[True]) -> tuple[npt.NDArray[np.object_], npt.NDArray[np.float64]]: ...

    def search_vectors_by_id_in_within(self, collection_name: str, source_vector_id: str, candidate_ids: Sequence[str], max_distance: float, limit: SupportsIndex, *,
               as_arrays: bool = False) -> list[VectorSearchResult] | tuple[npt.NDArray[np.object_], npt.NDArray[np.float64]]:
        """As :meth:`search_vectors_by_id`, among ``candidate_ids`` with distance <= ``max_distance``.

        Args:
            collection_name: the collection.
            source_vector_id: the id of the stored vector to search from.
            candidate_ids: the ids to search among (ids not in the collection are ignored).
            max_distance: only hits with distance <= this (a finite number).
            limit: the most hits, an int >= 0.
            as_arrays: return ``(ids, distances)`` numpy arrays (object and
                float64) instead of a list of :class:`VectorSearchResult`.

        Returns:
            The hits ordered by (distance, id).

        Raises:
            NotFoundError: no such collection, or no vector ``source_vector_id``.
            TypeError, OverflowError: an argument of the wrong type or range.
            Interrupted: a bound :class:`zova.Cancel` was cancelled.
        """
        fields, keep = self._by_id_fields(collection_name, source_vector_id, limit)
        self._add_candidates(fields, keep, candidate_ids)
        self._add_max(fields, max_distance)
        return self._search(lib.zova_vector_search_by_id_in_within,
                            "zova_vector_search_by_id_in_within_request *", fields, as_arrays)

    # ---- arrays (additions to upstream) ----

    def search_vectors_batch(self, collection_name: str, queries: Any, k: SupportsIndex, *,
                             candidate_ids: Sequence[str] | None = None, max_distance: float | None = None,
                             exclude_ids: Sequence[str | None] | None = None) -> tuple[npt.NDArray[Any], npt.NDArray[Any]]:
        """Searches every row of ``queries`` in one call (include/zova.h,
        ``zova_vector_search_batch``): a blocked scan of all queries against
        the collection's rows, with exactly the hits, order and ties that
        :meth:`search_vectors` gives each row.

        Args:
            collection_name: the collection to search.
            queries: a 2-D ``(n_queries, dimensions)`` array of real numbers
                (a C-contiguous float32 array is not copied).
            k: hits per query, an int >= 0 (numpy integers too).
            candidate_ids: search only among these ids (one list for every
                query; ids not in the collection are ignored), as
                :meth:`search_vectors_in`.
            max_distance: only hits with distance <= max_distance, as
                :meth:`search_vectors_within`.
            exclude_ids: ``n_queries`` ids (or None): query i never returns
                ``exclude_ids[i]``, as the by_id searches leave out their
                source (an id not in the collection excludes nothing).

        Returns:
            ``(ids, distances)`` of shape ``(n_queries, k)``: ``ids`` an object
            array of str, ``distances`` float64, each row ordered by
            (distance, id). Where a query has fewer than k hits its row is
            padded with id ``None`` and distance ``inf``.

        Raises:
            TypeError: queries not real numbers, k not an int.
            ValueError: queries not 2-D, k negative, exclude_ids of the wrong
                length.
            NotFoundError: the collection does not exist.
            VectorError: a dimension mismatch (the message names both
                dimensions), NaN or infinity in a query, an all-zero cosine
                query, a bad name, max_distance not finite (the message names
                the query).
            Interrupted: a bound :class:`zova.Cancel` was cancelled.
        """
        matrix = _query_matrix(queries)
        count, dims = matrix.shape
        k = _count(k, "k")
        ids = np.full((count, k), None, dtype=object)
        distances = np.full((count, k), np.inf)
        collection = ffi.new("char[]", encode_str(collection_name, "collection name"))
        out = ffi.new("zova_vector_search_results[]", max(count, 1))
        request = ffi.new("zova_vector_search_batch_request *")
        request.db = self._handle()
        request.collection_name = collection
        buf = ffi.from_buffer("float[]", matrix)
        request.queries = buf
        request.query_count = count
        request.query_len = dims
        request.limit = k
        request.out_results = out
        keep = []
        if candidate_ids is not None:
            held, array, n = _candidates(candidate_ids)
            keep.append((held, array))
            request.flags |= lib.ZOVA_VECTOR_SEARCH_BATCH_IN
            request.candidate_ids = array
            request.candidate_count = n
        if max_distance is not None:
            if not isinstance(max_distance, (int, float, np.integer, np.floating)) or isinstance(max_distance, bool):
                raise TypeError(f"max_distance must be a number, not {type(max_distance).__name__}")
            request.flags |= lib.ZOVA_VECTOR_SEARCH_BATCH_WITHIN
            request.max_distance = float(max_distance)
        if exclude_ids is not None:
            if isinstance(exclude_ids, (str, bytes)):
                raise TypeError("exclude_ids must be a sequence of str or None (one per query), not a single str")
            excluded = list(exclude_ids)
            if len(excluded) != count:
                raise ValueError(f"exclude_ids has {len(excluded)} entries for {count} queries")
            held = [ffi.NULL if vid is None else ffi.new("char[]", encode_str(vid, "vector id")) for vid in excluded]
            array = ffi.new("char *[]", held) if held else ffi.NULL
            keep.append((held, array))
            request.exclude_ids = array
        self._call(lib.zova_vector_search_batch, request)
        try:
            for q in range(count):
                found = out[q]
                items = found.items
                for i in range(found.len):
                    ids[q, i] = _decode_id(items[i].id, items[i].id_len)
                    distances[q, i] = items[i].distance
        finally:
            for q in range(count):
                lib.zova_vector_search_results_free(ffi.addressof(out, q))
        return ids, distances

    def get_vectors(self, collection_name: str, ids: Sequence[str]) -> npt.NDArray[Any]:
        """The values of ``ids`` as one ``(len(ids), dimensions)`` float32
        array, row i for ids[i] (each row is read by its own call, as
        :meth:`get_vector` does).

        Args:
            collection_name: the collection to read.
            ids: the vector ids, in the order of the rows wanted.

        Returns:
            A float32 array of shape ``(len(ids), dimensions)``.

        Raises:
            TypeError: ids is a single str.
            NotFoundError: the collection does not exist, or one of the ids is
                not in it (the message names the id).
        """
        if isinstance(ids, (str, bytes)):
            raise TypeError("ids must be a sequence of str, not a single str")
        wanted = list(ids)
        dims = self.vector_collection_info(collection_name).dimensions
        matrix = np.empty((len(wanted), dims), dtype=np.float32)
        collection = ffi.new("char[]", encode_str(collection_name, "collection name"))
        out = ffi.new("zova_vector *")
        request = ffi.new("zova_vector_get_request *")
        request.db = self._handle()
        request.collection_name = collection
        request.out_vector = out
        target = ffi.from_buffer("float[]", matrix)
        for row, vid in enumerate(wanted):
            encoded = ffi.new("char[]", encode_str(vid, "vector id"))
            request.vector_id = encoded
            try:
                self._call(lib.zova_vector_get, request)
            except ZovaError as error:
                if error.status == lib.ZOVA_VECTOR_NOT_FOUND:
                    raise ZovaError(lib.ZOVA_VECTOR_NOT_FOUND,
                                    f"vector {vid!r} is not in vector collection {collection_name!r}") from None
                raise
            try:
                if out.values_len != dims:
                    raise ZovaError(lib.ZOVA_VECTOR_CORRUPT, f"vector {vid!r} has {out.values_len} dimensions, "
                                                             f"its collection {dims}")
                ffi.memmove(target + row * dims, out.values, 4 * dims)
            finally:
                lib.zova_vector_free(out)
        return matrix

    def list_vector_ids(self, collection_name: str, *, limit: int | None = None,
                        after: str | None = None) -> list[str]:
        """The ids of a collection in id order (bytewise, the order search
        ties use), a page at a time: at most ``limit`` ids (all when None),
        starting after ``after`` (the last id of the previous page).

        Args:
            collection_name: the collection to list.
            limit: the most ids to return (numpy integers too); None for all.
            after: return only ids after this one (bytewise); None to start
                at the first.

        Returns:
            The ids, in bytewise order.

        Raises:
            TypeError: after is not a str or None, limit not an int.
            NotFoundError: the collection does not exist.
        """
        encode_str(collection_name, "collection name")
        if after is not None and not isinstance(after, str):
            raise TypeError(f"after must be str or None, not {type(after).__name__}")
        count = -1 if limit is None else _count(limit, "limit")
        if count > 2**63 - 1:
            count = -1
        if not self.has_vector_collection(collection_name):
            raise ZovaError(lib.ZOVA_VECTOR_COLLECTION_NOT_FOUND,
                            f"vector collection {collection_name!r} does not exist")
        statement = self.prepare("select vector_id from _zova_vectors where collection_name = ?1 "
                                 "and vector_id > ?2 order by vector_id limit ?3")
        try:
            statement.bind_text(1, collection_name)
            statement.bind_text(2, after if after is not None else "")
            statement.bind_int(3, count)
            found: list[str] = []
            while statement.step() == lib.ZOVA_STEP_ROW:
                found.append(cast(str, statement.column_text(0)))  # vector_id is NOT NULL TEXT
            return found
        finally:
            statement.close()

    def _vector_cache_stats(self) -> dict[str, int]:
        """Search-cache counters of this handle: bytes held, matrices built, patched."""
        out = ffi.new("uint64_t[3]")
        self._guard.enter()
        try:
            lib.zv_py_vector_cache_stats(self._handle(), out)
        finally:
            self._guard.leave()
        return {"bytes": int(out[0]), "builds": int(out[1]), "patches": int(out[2])}

    def vector_cache_bytes(self) -> int:
        """Bytes held by this handle's search matrix cache (an addition to upstream).

        Returns:
            The byte count.
        """
        self._guard.enter()
        try:
            return int(lib.zv_py_vector_cache_bytes(self._handle()))
        finally:
            self._guard.leave()

"""Objects (docs/python.md §2.3; docs/c-api.md §4.8-§4.10): ids, manifests, the
object methods of :class:`~zova.Database`, the streaming :class:`ObjectWriter`
and the streaming :class:`ObjectReader` (README "Objects").

Byte inputs (bytes, bytearray, memoryview, any C-contiguous buffer) are passed
to C without copying; a list or tuple of ints is converted to bytes first, and
nothing else is accepted.
"""
from __future__ import annotations

import bisect
import builtins
import hashlib
import io
import threading
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any, Literal, SupportsIndex, TypeVar

from ._native import ffi, lib
from .enums import Status
from .errors import ClosedHandleError, ZovaError, call_error, index_int
from .handle import Guard, MixinBase, NativeDatabase

_IdT = TypeVar("_IdT", bound="_Id")

__all__ = ["ObjectId", "ObjectChunkId", "ObjectManifestChunk", "ObjectManifest", "ObjectWriter", "ObjectReader",
           "object_id", "object_chunk_id"]

_UINT64_MAX = 2**64 - 1


def _byte_view(data: Any) -> memoryview:
    """A flat memoryview of unsigned bytes over `data`: any object with the
    buffer protocol (a non-contiguous one is copied), or a list or tuple of
    ints in 0..255 (docs/python.md §2.3). Nothing else is coerced, as with
    hashlib: an int, a bool, a str, a dict or an iterator is a TypeError."""
    if isinstance(data, (list, tuple)):
        if any(not isinstance(value, int) or isinstance(value, bool) for value in data):
            raise TypeError("a list or tuple of bytes must hold ints in range(0, 256)")
        return memoryview(bytes(data))
    try:
        view = memoryview(data)
    except TypeError:
        raise TypeError(f"expected a bytes-like object, not {type(data).__name__}") from None
    if not view.c_contiguous:
        view = memoryview(view.tobytes())
    if view.ndim != 1 or view.format not in ("B", "b", "c"):
        view = view.cast("B")
    return view


def _byte_input(data: Any) -> tuple[Any, int]:
    """(cdata pointer, length) over the caller's bytes, without a copy when possible."""
    view = _byte_view(data)
    return ffi.from_buffer("uint8_t[]", view), view.nbytes


def _uint64(value: SupportsIndex, what: str) -> int:
    value = index_int(value, what)
    if value < 0 or value > _UINT64_MAX:
        raise OverflowError(f"{what} out of range for u64")
    return value


def _fill_buffer(size: int) -> bytes | bytearray:
    """A fresh buffer of `size` bytes for C to fill in place. For size >= 2 it is
    a new bytes object (bytes(n) never shares those; nothing else can see or
    has hashed it before it is returned filled), which saves a copy of the
    whole object; 0 and 1 may be shared singletons, so those use a bytearray."""
    return bytes(size) if size >= 2 else bytearray(size)


class _Id:
    """32 immutable bytes, compared by equality only.

    Args:
        data: exactly 32 bytes, any bytes-like object (ValueError for another
            length, TypeError for a non-bytes-like value).
    """

    __slots__ = ("_bytes",)
    _name = "ObjectId"
    _bytes: bytes

    def __init__(self, data: Any) -> None:
        try:
            raw = _byte_view(data).tobytes()
        except TypeError:
            raise TypeError(f"{self._name} requires a bytes-like object, not {type(data).__name__}") from None
        if len(raw) != 32:
            raise ValueError(f"{self._name} requires exactly 32 bytes, got {len(raw)}")
        object.__setattr__(self, "_bytes", raw)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{self._name} is immutable")

    @property
    def bytes(self) -> bytes:  # noqa: A003
        """The 32 bytes."""
        return self._bytes

    def hex(self) -> str:
        """The 32 bytes as 64 lowercase hex digits.

        Returns:
            The hex string.
        """
        return self._bytes.hex()

    def __bytes__(self) -> "builtins.bytes":
        return self._bytes

    def __repr__(self) -> str:
        return f"{self._name}('{self._bytes.hex()}')"

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._bytes == other._bytes

    def __ne__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._bytes != other._bytes

    def __hash__(self) -> int:
        return hash((self._name, self._bytes))

    def _no_order(self, other: object) -> bool:
        raise TypeError("object ids only support equality comparisons")

    __lt__ = __le__ = __gt__ = __ge__ = _no_order

    def _cdata(self, ctype: str) -> Any:
        value = ffi.new(ctype + " *")
        ffi.memmove(value.bytes, self._bytes, 32)
        return value[0]


class ObjectId(_Id):
    """SHA-256 of an object's bytes (docs/file-format.md §3).

    Args:
        data: the 32 bytes of the id (ValueError for another length).
    """
    __slots__ = ()
    _name = "ObjectId"


class ObjectChunkId(_Id):
    """SHA-256 of one chunk's bytes (docs/file-format.md §3).

    Args:
        data: the 32 bytes of the id (ValueError for another length).
    """
    __slots__ = ()
    _name = "ObjectChunkId"


def _require_id(value: object, cls: type[_IdT]) -> _IdT:
    if not isinstance(value, cls):
        raise TypeError(f"expected {cls.__name__}, not {type(value).__name__}")
    return value


def object_id(data: Any) -> ObjectId:
    """The ObjectId of some bytes (their SHA-256), computed by the C helper.

    Args:
        data: any bytes-like object, or a list or tuple of ints in 0..255.

    Returns:
        The :class:`ObjectId` that storing ``data`` would give.

    Raises:
        TypeError: ``data`` is not bytes-like.
    """
    pointer, length = _byte_input(data)
    out = ffi.new("zova_object_id *")
    lib.zova_object_id_from_bytes(pointer, length, out)
    return ObjectId(ffi.buffer(out.bytes, 32)[:])


def object_chunk_id(data: Any) -> ObjectChunkId:
    """The ObjectChunkId of one chunk's bytes (their SHA-256), computed by the C helper.

    Args:
        data: any bytes-like object, or a list or tuple of ints in 0..255.

    Returns:
        The :class:`ObjectChunkId`.

    Raises:
        TypeError: ``data`` is not bytes-like.
    """
    pointer, length = _byte_input(data)
    out = ffi.new("zova_object_chunk_id *")
    lib.zova_object_chunk_id_from_bytes(pointer, length, out)
    return ObjectChunkId(ffi.buffer(out.bytes, 32)[:])


class ObjectManifestChunk:
    """One manifest row: chunk ``index``, its ``hash``, byte ``offset`` and ``size_bytes``.

    Args:
        index: the chunk's position in the object, from 0.
        hash: the chunk's :class:`ObjectChunkId`.
        offset: the chunk's first byte in the object.
        size_bytes: the chunk's length.

    Raises:
        TypeError: ``hash`` is not an ObjectChunkId, or an int argument is not an int.
        OverflowError: an int argument outside u64.
    """
    __slots__ = ("_index", "_hash", "_offset", "_size_bytes")

    def __init__(self, index: SupportsIndex, hash: ObjectChunkId, offset: SupportsIndex,
                 size_bytes: SupportsIndex) -> None:
        self._index = _uint64(index, "index")
        self._hash = _require_id(hash, ObjectChunkId)
        self._offset = _uint64(offset, "offset")
        self._size_bytes = _uint64(size_bytes, "size_bytes")

    @property
    def index(self) -> int:
        """The chunk's position in the object, from 0."""
        return self._index

    @property
    def hash(self) -> ObjectChunkId:
        """The chunk's id."""
        return self._hash

    @property
    def offset(self) -> int:
        """The chunk's first byte in the object."""
        return self._offset

    @property
    def size_bytes(self) -> int:
        """The chunk's length in bytes."""
        return self._size_bytes

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ObjectManifestChunk):
            return NotImplemented
        return (self._index, self._hash, self._offset, self._size_bytes) == (
            other._index, other._hash, other._offset, other._size_bytes)

    def __hash__(self) -> int:
        return hash((self._index, self._hash, self._offset, self._size_bytes))

    def __repr__(self) -> str:
        return (f"ObjectManifestChunk(index={self._index}, hash='{self._hash.hex()}', offset={self._offset}, "
                f"size_bytes={self._size_bytes})")


class ObjectManifest:
    """A verified object manifest (docs/c-api.md §4.9 ``object_manifest_get``), from
    :meth:`zova.Database.object_manifest`; ``ObjectManifest(...)`` raises TypeError."""
    __slots__ = ("_object_id", "_size_bytes", "_chunk_count", "_chunker", "_chunks")

    _object_id: ObjectId
    _size_bytes: int
    _chunk_count: int
    _chunker: str
    _chunks: list[ObjectManifestChunk]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError("ObjectManifest has no public constructor; use Database.object_manifest")

    @classmethod
    def _from_native(cls, manifest: Any) -> "ObjectManifest":
        self = cls.__new__(cls)
        self._object_id = ObjectId(ffi.buffer(manifest.object_id.bytes, 32)[:])
        self._size_bytes = manifest.size_bytes
        self._chunk_count = manifest.chunk_count
        self._chunker = ffi.string(manifest.chunker).decode("ascii")
        self._chunks = [
            ObjectManifestChunk(chunk.index, ObjectChunkId(ffi.buffer(chunk.hash.bytes, 32)[:]), chunk.offset,
                                chunk.size_bytes)
            for chunk in (manifest.chunks[i] for i in range(manifest.chunks_len))
        ]
        return self

    @property
    def object_id(self) -> ObjectId:
        """The object's id."""
        return self._object_id

    @property
    def size_bytes(self) -> int:
        """The object's size in bytes."""
        return self._size_bytes

    @property
    def chunk_count(self) -> int:
        """The number of chunks."""
        return self._chunk_count

    @property
    def chunker(self) -> str:
        """The chunker's name (``"fastcdc-v1"``...)."""
        return self._chunker

    @property
    def chunks(self) -> list[ObjectManifestChunk]:
        """The chunks in order (a new list)."""
        return list(self._chunks)

    def __repr__(self) -> str:
        return (f"ObjectManifest(object_id='{self._object_id.hex()}', size_bytes={self._size_bytes}, "
                f"chunk_count={self._chunk_count})")


class ObjectWriter:
    """Streams one object into the database (docs/c-api.md §4.10, docs/python.md §2.3).

    Use it as a context manager: leaving the block without :meth:`finish`
    cancels the writer, so no partial object is ever stored. A writer belongs to
    the process that created it: after ``os.fork()`` the child's copy raises
    ``ZOVA_MISUSE`` and closing it leaves the parent's stream alone.
    ``ObjectWriter(...)`` raises TypeError: use :meth:`zova.Database.object_writer`."""

    __slots__ = ("_native", "_guard", "__weakref__")

    _native: NativeDatabase
    _guard: Guard

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError("ObjectWriter has no public constructor; use Database.object_writer")

    @classmethod
    def _wrap(cls, native: NativeDatabase, ptr: Any) -> "ObjectWriter":
        self = cls.__new__(cls)
        self._native = native
        self._guard = Guard(ptr, "object writer")
        return self

    def _run(self, function: Callable[[Any], int], request: Any) -> None:
        guard = self._guard
        guard.enter()
        try:
            status = function(request)
        finally:
            guard.leave()
        if status:
            raise call_error(status)

    def _run_closing(self, function: Callable[[Any], int], request: Any) -> None:
        """finish and cancel: the writer is closed (and destroyed, once the calls
        in flight on other threads are done) whatever the call returned."""
        try:
            self._run(function, request)
        finally:
            self.close()

    def write(self, data: Any) -> None:
        """Appends bytes to the stream.

        Args:
            data: any bytes-like object, or a list or tuple of ints in 0..255.

        Raises:
            TypeError: ``data`` is not bytes-like.
            ClosedHandleError: the writer is finished, cancelled or closed.
            MisuseError: used in a forked child.
            ZovaError: the C core's failure storing chunks (BusyError, ReadOnlyError...).
        """
        pointer, length = _byte_input(data)
        request = ffi.new("zova_object_writer_write_request *", [self._guard.handle, pointer, length])
        self._run(lib.zova_object_writer_write, request)

    def finish(self) -> ObjectId:
        """Stores the object and returns its id. The writer is closed afterwards,
        even when finishing failed (it is then cancelled). A write racing with
        finish on another thread either lands before it or fails.

        Returns:
            The new object's :class:`ObjectId`.

        Raises:
            ClosedHandleError: the writer was already finished, cancelled or closed.
            ZovaError: the C core's failure storing the object.
        """
        out = ffi.new("zova_object_id *")
        request = ffi.new("zova_object_writer_finish_request *", [self._guard.handle, out])
        self._run_closing(lib.zova_object_writer_finish, request)
        return ObjectId(ffi.buffer(out.bytes, 32)[:])

    def cancel(self) -> None:
        """Discards what was written (chunks only this writer stored are deleted).

        Raises:
            ClosedHandleError: the writer was already finished, cancelled or closed.
        """
        request = ffi.new("zova_object_writer_cancel_request *", [self._guard.handle])
        self._run_closing(lib.zova_object_writer_cancel, request)

    def close(self) -> None:
        """Cancels an unfinished writer; idempotent.

        Raises:
            Nothing.
        """
        guard = getattr(self, "_guard", None)
        if guard is not None and guard.close():
            lib.zova_object_writer_destroy(guard.handle)
            self._native.release()

    def __del__(self) -> None:
        self.close()

    def __enter__(self) -> "ObjectWriter":
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> Literal[False]:
        self.close()
        return False


class ObjectReader(io.RawIOBase):
    """A read-only binary file over one stored object (README "Objects"):
    ``read``, ``readinto``, ``readall``, ``seek``, ``tell``, and a context
    manager that closes it. Returned by :meth:`Database.open_object`.

    Bytes are read chunk by chunk, each chunk checked against its SHA-256 as
    it is fetched, so a damaged chunk raises :class:`zova.CorruptError` from
    the read that reaches it; a read from the start to the end also checks the
    object's own SHA-256 and raises at the last read if it does not match.
    Memory: the chunk being read plus the object's manifest (56 bytes per
    chunk of about 8 KiB, under 1 % of the object), whatever the reads' sizes.
    ``readinto`` fills the whole buffer unless the end of the object comes
    first. Like an object writer, a reader keeps the file open after
    ``Database.close()``; it may be used from several threads (one call at a
    time). If the object is deleted while it is read, a read that needs a
    chunk that went with it raises :class:`zova.NotFoundError`.
    ``ObjectReader(...)`` raises TypeError.
    """

    _native: NativeDatabase
    _guard: Guard
    _lock: threading.Lock
    _id: ObjectId
    _size: int
    _manifest: bytes
    _record: int
    _hash_at: int
    _offsets: memoryview
    _sizes: memoryview
    _position: int
    _cached_index: int
    _cached_chunk: bytes
    _hasher: Any  # hashlib's sha256 object
    _hashed_to: int

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError("ObjectReader has no public constructor; use Database.open_object")

    @classmethod
    def _wrap(cls, native: NativeDatabase, id: "ObjectId", manifest: Any) -> "ObjectReader":
        self = cls.__new__(cls)
        self._native = native
        self._guard = Guard(native.ptr, "object reader")
        self._lock = threading.Lock()
        self._id = id
        self._size = manifest.size_bytes
        count = manifest.chunks_len
        record = ffi.sizeof("zova_object_manifest_chunk")
        # The manifest's C records as one bytes object: [index, hash, offset, size] each.
        self._manifest = ffi.buffer(manifest.chunks, count * record)[:] if count else b""
        words = memoryview(self._manifest).cast("Q")
        self._record = record
        self._hash_at = ffi.offsetof("zova_object_manifest_chunk", "hash")
        self._offsets = words[ffi.offsetof("zova_object_manifest_chunk", "offset") // 8::record // 8]
        self._sizes = words[ffi.offsetof("zova_object_manifest_chunk", "size_bytes") // 8::record // 8]
        self._position = 0
        self._cached_index = -1
        self._cached_chunk = b""
        self._hasher = hashlib.sha256()
        self._hashed_to = 0
        return self

    @property
    def id(self) -> "ObjectId":
        """The id of the object read."""
        return self._id

    @property
    def size(self) -> int:
        """The object's size in bytes."""
        return self._size

    def readable(self) -> bool:
        """True: a reader reads.

        Returns:
            True.

        Raises:
            ValueError: the reader is closed.
        """
        self._check_open()
        return True

    def seekable(self) -> bool:
        """True: a reader seeks.

        Returns:
            True.

        Raises:
            ValueError: the reader is closed.
        """
        self._check_open()
        return True

    def _check_open(self) -> None:
        if self.closed:
            raise ValueError("I/O operation on closed object reader")

    def tell(self) -> int:
        """The current position (may be past the end after a seek).

        Returns:
            The offset from the start.

        Raises:
            ValueError: the reader is closed.
        """
        self._check_open()
        return self._position

    def seek(self, offset: SupportsIndex, whence: SupportsIndex = io.SEEK_SET) -> int:
        """Moves to `offset` from the start (SEEK_SET), the current position
        (SEEK_CUR) or the end (SEEK_END) and returns the new position; a
        position before the start is a ValueError, one past the end reads b"".

        Args:
            offset: the distance, an int.
            whence: ``io.SEEK_SET``, ``io.SEEK_CUR`` or ``io.SEEK_END``.

        Returns:
            The new position.

        Raises:
            ValueError: a bad ``whence``, a negative position, or the reader is closed.
            TypeError: ``offset`` or ``whence`` is not an int.
        """
        distance = index_int(offset, "offset")
        origin = index_int(whence, "whence")
        with self._lock:
            self._check_open()
            if origin == io.SEEK_SET:
                target = distance
            elif origin == io.SEEK_CUR:
                target = self._position + distance
            elif origin == io.SEEK_END:
                target = self._size + distance
            else:
                raise ValueError(f"invalid whence ({origin}, should be 0, 1 or 2)")
            if target < 0:
                raise ValueError(f"negative seek position {target}")
            self._position = target
            return target

    def readinto(self, buffer: Any) -> int:
        """Fills ``buffer`` from the current position.

        Args:
            buffer: a writable bytes-like object.

        Returns:
            The number of bytes read (0 at the end of the object).

        Raises:
            CorruptError: a chunk, or the whole object, fails its SHA-256.
            NotFoundError: the object was deleted while it was read.
            ValueError: the reader is closed.
        """
        view = memoryview(buffer).cast("B")
        with self._lock:
            self._check_open()
            filled = 0
            while filled < len(view) and self._position < self._size:
                index = bisect.bisect_right(self._offsets, self._position) - 1
                chunk = self._chunk(index)
                start = self._position - self._offsets[index]
                count = min(len(chunk) - start, len(view) - filled)
                piece = memoryview(chunk)[start:start + count]
                view[filled:filled + count] = piece
                self._hash_in_order(piece)
                filled += count
                self._position += count
            return filled

    def readall(self) -> bytes:
        """The bytes from the current position to the end of the object.

        Returns:
            The bytes (b"" at or past the end).

        Raises:
            CorruptError, NotFoundError, ValueError: as :meth:`readinto`.
        """
        self._check_open()
        data = self.read(max(self._size - self._position, 0))
        assert data is not None  # a blocking reader always returns bytes
        return data

    def _hash_in_order(self, piece: memoryview) -> None:
        """Hashes bytes read in order from the start; at the end of the object
        the hash must be the object's id."""
        if self._hashed_to != self._position:
            return
        self._hasher.update(piece)
        self._hashed_to += len(piece)
        if self._hashed_to == self._size and self._hasher.digest() != self._id.bytes:
            raise ZovaError(Status.OBJECT_CORRUPT, "object bytes do not match the object id")

    def _chunk(self, index: int) -> bytes:
        """Chunk `index` of the manifest, verified by the C core against its hash."""
        if index == self._cached_index:
            return self._cached_chunk
        at = index * self._record + self._hash_at
        hash = ffi.new("zova_object_chunk_id *")
        ffi.memmove(hash.bytes, self._manifest[at:at + 32], 32)
        out = ffi.new("zova_buffer *")
        request = ffi.new("zova_object_chunk_get_request *", [self._guard.handle, hash[0], out])
        status = self._run(lib.zova_object_chunk_get, request)
        if status == lib.ZOVA_OBJECT_CHUNK_NOT_FOUND:
            raise self._missing_chunk(index)
        if status:
            raise call_error(status)
        try:
            chunk: bytes = ffi.buffer(out.data, out.len)[:]
        finally:
            lib.zova_buffer_free(out)
        expected = self._sizes[index]
        if len(chunk) != expected:
            raise ZovaError(Status.OBJECT_CORRUPT, f"chunk {index} holds {len(chunk)} bytes, the manifest says {expected}")
        self._cached_index, self._cached_chunk = index, chunk
        return chunk

    def _missing_chunk(self, index: int) -> ZovaError:
        call_error(lib.ZOVA_OBJECT_CHUNK_NOT_FOUND)  # takes this call's message
        out = ffi.new("uint8_t *")
        request = ffi.new("zova_object_exists_request *", [self._guard.handle, self._id._cdata("zova_object_id"), out])
        status = self._run(lib.zova_object_exists, request)
        if status:
            return call_error(status)
        if not out[0]:
            return ZovaError(Status.OBJECT_NOT_FOUND, "object was deleted while it was read")
        return ZovaError(Status.OBJECT_CORRUPT, f"chunk {index} of the object is missing")

    def _run(self, function: Callable[[Any], int], request: Any) -> int:
        guard = self._guard
        try:
            guard.enter()
        except ClosedHandleError:
            raise ValueError("I/O operation on closed object reader") from None
        try:
            return function(request)
        finally:
            guard.leave()

    def close(self) -> None:
        """Closes the reader (after the read another thread is making on it);
        idempotent.

        Raises:
            Nothing.
        """
        guard = getattr(self, "_guard", None)
        if guard is not None and guard.close():
            self._native.release()
        super().close()


class ObjectMethods(MixinBase):
    """The object methods of :class:`~zova.Database`."""

    __slots__ = ()

    def put_object(self, data: Any) -> ObjectId:
        """Stores bytes as one content-addressed object; storing existing bytes is a no-op.

        Args:
            data: any bytes-like object, or a list or tuple of ints in 0..255.

        Returns:
            The object's :class:`ObjectId` (SHA-256 of ``data``).

        Raises:
            TypeError: ``data`` is not bytes-like.
            MisuseError: called inside a transaction (``OBJECT_TRANSACTION_ACTIVE``).
            InvalidArgumentError: the object is too large.
            ReadOnlyError, BusyError: the handle cannot write now.
        """
        pointer, length = _byte_input(data)
        out = ffi.new("zova_object_id *")
        request = ffi.new("zova_object_put_request *", [self._handle(), pointer, length, out])
        self._call(lib.zova_object_put, request)
        return ObjectId(ffi.buffer(out.bytes, 32)[:])

    def put_objects(self, items: Iterable[Any]) -> list[ObjectId]:
        """Stores every item as an object in ONE transaction, all or nothing
        (addition: ``zova_object_put_many``).

        Args:
            items: an iterable of bytes-like objects.

        Returns:
            Their ids, in order.

        Raises:
            TypeError: an item is not bytes-like.
            ZovaError: what :meth:`put_object` raises; nothing is stored then.
        """
        inputs = [_byte_input(item) for item in items]
        count = len(inputs)
        pointers = ffi.new("const uint8_t *[]", [pointer for pointer, _ in inputs] or 1)
        lens = ffi.new("size_t[]", [length for _, length in inputs] or 1)
        out = ffi.new("zova_object_id[]", count or 1)
        request = ffi.new("zova_object_put_many_request *", [self._handle(), pointers, lens, count, out])
        self._call(lib.zova_object_put_many, request)
        return [ObjectId(ffi.buffer(out[i].bytes, 32)[:]) for i in range(count)]

    def get_object(self, id: ObjectId) -> bytes:
        """The object's bytes, every chunk and the whole object verified. Peak
        memory is the object's size: C fills the returned bytes in place.

        Args:
            id: the object's id.

        Returns:
            The bytes.

        Raises:
            TypeError: ``id`` is not an :class:`ObjectId`.
            NotFoundError: no object has this id.
            CorruptError: stored bytes fail their checks.
        """
        size = self.object_size(id)
        if size == 0:
            return self._get_small_object(id)
        # The row's size is checked against what the file holds before it is allocated.
        self._call(lib.zv_py_object_claim_check, self._handle(), id.bytes)
        buffer = _fill_buffer(size)
        copied = self._read_range_into(id, 0, buffer)
        if copied != size:
            raise ZovaError(lib.ZOVA_OBJECT_CORRUPT, "object changed while it was read")
        return builtins.bytes(buffer) if isinstance(buffer, bytearray) else buffer

    def _get_small_object(self, id: ObjectId) -> bytes:
        """zova_object_get: verifies the object id even when there are no bytes
        to read (a row claiming 0 bytes for a non-empty object is 54)."""
        out = ffi.new("zova_buffer *")
        request = ffi.new("zova_object_get_request *", [self._handle(), id._cdata("zova_object_id"), out])
        self._call(lib.zova_object_get, request)
        try:
            data: bytes = ffi.buffer(out.data, out.len)[:] if out.len else b""
            return data
        finally:
            lib.zova_buffer_free(out)

    def read_object_range(self, id: ObjectId, offset: SupportsIndex, size: SupportsIndex) -> bytes:
        """Up to ``size`` bytes from ``offset`` (fewer at the end of the object);
        ``offset`` equal to the object size gives b"". Only the bytes that exist
        are allocated, however large ``size`` is.

        Args:
            id: the object's id.
            offset: the first byte, an int in u64.
            size: the most bytes to read, an int in u64.

        Returns:
            The bytes read.

        Raises:
            TypeError: ``id`` is not an :class:`ObjectId`.
            NotFoundError: no object has this id.
            CorruptError: stored bytes fail their checks.
            InvalidArgumentError: ``offset`` past the end (``OBJECT_RANGE_INVALID``).
            OverflowError: ``offset`` or ``size`` outside u64.
        """
        start = _uint64(offset, "offset")
        wanted = _uint64(size, "size")
        wanted = max(0, min(wanted, self.object_size(id) - start))
        buffer = _fill_buffer(wanted)
        copied = self._read_range_into(id, start, buffer)
        if copied == wanted and not isinstance(buffer, bytearray):
            return buffer
        return builtins.bytes(memoryview(buffer)[:copied])

    def _read_range_into(self, id: ObjectId, offset: int, buffer: bytes | bytearray) -> int:
        _require_id(id, ObjectId)
        copied = ffi.new("size_t *")
        target = ffi.from_buffer("uint8_t[]", buffer) if len(buffer) else ffi.NULL
        if len(buffer):
            lib.zv_py_advise_huge_pages(target, len(buffer))  # a fresh _fill_buffer: faults in fewer pages
        request = ffi.new("zova_object_read_range_request *",
                          [self._handle(), id._cdata("zova_object_id"), offset, target, len(buffer), copied])
        self._call(lib.zova_object_read_range, request)
        return int(copied[0])

    def has_object(self, id: ObjectId) -> bool:
        """Whether an object with this id is stored.

        Args:
            id: the object's id.

        Returns:
            True if it is.

        Raises:
            TypeError: ``id`` is not an :class:`ObjectId`.
        """
        _require_id(id, ObjectId)
        out = ffi.new("uint8_t *")
        request = ffi.new("zova_object_exists_request *", [self._handle(), id._cdata("zova_object_id"), out])
        self._call(lib.zova_object_exists, request)
        return bool(out[0])

    def object_size(self, id: ObjectId) -> int:
        """The object's size in bytes.

        Args:
            id: the object's id.

        Returns:
            The size.

        Raises:
            TypeError: ``id`` is not an :class:`ObjectId`.
            NotFoundError: no object has this id.
            CorruptError: stored bytes fail their checks.
        """
        _require_id(id, ObjectId)
        out = ffi.new("uint64_t *")
        request = ffi.new("zova_object_size_request *", [self._handle(), id._cdata("zova_object_id"), out])
        self._call(lib.zova_object_size, request)
        return int(out[0])

    def object_chunk_count(self, id: ObjectId) -> int:
        """The number of chunks the object is stored in.

        Args:
            id: the object's id.

        Returns:
            The count.

        Raises:
            TypeError: ``id`` is not an :class:`ObjectId`.
            NotFoundError: no object has this id.
            CorruptError: stored bytes fail their checks.
        """
        _require_id(id, ObjectId)
        out = ffi.new("uint64_t *")
        request = ffi.new("zova_object_chunk_count_request *", [self._handle(), id._cdata("zova_object_id"), out])
        self._call(lib.zova_object_chunk_count, request)
        return int(out[0])

    def delete_object(self, id: ObjectId) -> None:
        """Deletes the object (and the chunks no other object uses).

        Args:
            id: the object's id.

        Raises:
            TypeError: ``id`` is not an :class:`ObjectId`.
            NotFoundError: no object has this id.
            MisuseError: called inside a transaction.
        """
        _require_id(id, ObjectId)
        request = ffi.new("zova_object_delete_request *", [self._handle(), id._cdata("zova_object_id")])
        self._call(lib.zova_object_delete, request)

    def object_manifest(self, id: ObjectId) -> ObjectManifest:
        """The object's verified manifest (its chunks).

        Args:
            id: the object's id.

        Returns:
            The :class:`ObjectManifest`.

        Raises:
            TypeError: ``id`` is not an :class:`ObjectId`.
            NotFoundError: no object has this id.
            CorruptError: stored bytes fail their checks.
        """
        _require_id(id, ObjectId)
        out = ffi.new("zova_object_manifest *")
        request = ffi.new("zova_object_manifest_get_request *", [self._handle(), id._cdata("zova_object_id"), out])
        self._call(lib.zova_object_manifest_get, request)
        try:
            return ObjectManifest._from_native(out)
        finally:
            lib.zova_object_manifest_free(out)

    def get_object_chunk(self, hash: ObjectChunkId) -> bytes:
        """One stored chunk's bytes, verified against its hash.

        Args:
            hash: the chunk's id.

        Returns:
            The bytes.

        Raises:
            TypeError: ``hash`` is not an :class:`ObjectChunkId`.
            NotFoundError: no such chunk.
            CorruptError: the bytes do not match the hash.
        """
        _require_id(hash, ObjectChunkId)
        out = ffi.new("zova_buffer *")
        request = ffi.new("zova_object_chunk_get_request *",
                          [self._handle(), hash._cdata("zova_object_chunk_id"), out])
        self._call(lib.zova_object_chunk_get, request)
        try:
            data: bytes = ffi.buffer(out.data, out.len)[:]
            return data
        finally:
            lib.zova_buffer_free(out)

    def has_object_chunk(self, hash: ObjectChunkId) -> bool:
        """Reads and verifies the chunk; a missing chunk is False, a damaged one raises.

        Args:
            hash: the chunk's id.

        Returns:
            True if the chunk is stored and verifies.

        Raises:
            TypeError: ``hash`` is not an :class:`ObjectChunkId`.
            CorruptError: the chunk's bytes do not match its hash.
        """
        try:
            self.get_object_chunk(hash)
        except ZovaError as error:
            if error.status == lib.ZOVA_OBJECT_CHUNK_NOT_FOUND:
                return False
            raise
        return True

    def put_object_chunk(self, expected_hash: ObjectChunkId, data: Any) -> None:
        """Stores one chunk (for :meth:`assemble_object_from_chunks`).

        Args:
            expected_hash: the chunk's id, checked against ``data``.
            data: the chunk's bytes (bytes-like).

        Raises:
            TypeError: ``expected_hash`` is not an ObjectChunkId, or ``data`` not bytes-like.
            CorruptError: ``data`` does not hash to ``expected_hash`` (``OBJECT_CHUNK_HASH_MISMATCH``).
        """
        _require_id(expected_hash, ObjectChunkId)
        pointer, length = _byte_input(data)
        request = ffi.new("zova_object_chunk_put_request *",
                          [self._handle(), expected_hash._cdata("zova_object_chunk_id"), pointer, length])
        self._call(lib.zova_object_chunk_put, request)

    def delete_object_chunk(self, hash: ObjectChunkId) -> bool:
        """Deletes a chunk no manifest references.

        Args:
            hash: the chunk's id.

        Returns:
            True if deleted; False when missing or still referenced.

        Raises:
            TypeError: ``hash`` is not an :class:`ObjectChunkId`.
        """
        _require_id(hash, ObjectChunkId)
        out = ffi.new("uint8_t *")
        request = ffi.new("zova_object_chunk_delete_request *",
                          [self._handle(), hash._cdata("zova_object_chunk_id"), out])
        self._call(lib.zova_object_chunk_delete, request)
        return bool(out[0])

    def assemble_object_from_chunks(self, id: ObjectId, size_bytes: SupportsIndex,
                                    chunks: Iterable[ObjectManifestChunk]) -> None:
        """Records an object made of chunks already stored (any boundaries).

        Args:
            id: the object's id (SHA-256 of the whole, verified).
            size_bytes: the object's size.
            chunks: its :class:`ObjectManifestChunk` rows in order.

        Raises:
            TypeError: ``id`` is not an ObjectId, or a chunk not an ObjectManifestChunk.
            InvalidArgumentError: the chunks do not make the object (``OBJECT_MANIFEST_INVALID``).
            NotFoundError: a chunk is not stored.
            AlreadyExistsError: the object exists.
            OverflowError: ``size_bytes`` outside u64.
        """
        _require_id(id, ObjectId)
        total = _uint64(size_bytes, "size_bytes")
        items = list(chunks)
        for item in items:
            if not isinstance(item, ObjectManifestChunk):
                raise TypeError(f"chunks must be ObjectManifestChunk, not {type(item).__name__}")
        array = ffi.new("zova_object_manifest_chunk[]", len(items) or 1)
        for slot, item in zip(array, items):
            slot.index = item.index
            ffi.memmove(slot.hash.bytes, item.hash.bytes, 32)
            slot.offset = item.offset
            slot.size_bytes = item.size_bytes
        request = ffi.new("zova_object_assemble_from_chunks_request *",
                          [self._handle(), id._cdata("zova_object_id"), total, array, len(items)])
        self._call(lib.zova_object_assemble_from_chunks, request)

    def object_writer(self) -> ObjectWriter:
        """A streaming writer for one new object (use it in a ``with`` block).

        Returns:
            An :class:`ObjectWriter`.

        Raises:
            MisuseError: called inside a transaction.
        """
        out = ffi.new("zova_object_writer **")
        request = ffi.new("zova_object_writer_create_request *", [self._handle(), out])
        self._adopt_child(lib.zova_object_writer_create, request)
        return ObjectWriter._wrap(self._native, out[0])

    def open_object(self, id: ObjectId) -> ObjectReader:
        """A read-only binary file (:class:`ObjectReader`, an ``io.RawIOBase``)
        over the object `id`, verified chunk by chunk as it is read: stream an
        object of any size with ``shutil.copyfileobj`` in bounded memory.

        Args:
            id: the object's id.

        Returns:
            An :class:`ObjectReader`.

        Raises:
            TypeError: ``id`` is not an :class:`ObjectId`.
            NotFoundError: there is no such object.
            CorruptError: its manifest is damaged.
        """
        _require_id(id, ObjectId)
        out = ffi.new("zova_object_manifest *")
        request = ffi.new("zova_object_manifest_get_request *", [self._handle(), id._cdata("zova_object_id"), out])
        guard = self._guard
        guard.enter()
        try:
            status = lib.zova_object_manifest_get(request)
            if not status:
                self._native.acquire()
        finally:
            guard.leave()
        if status:
            raise call_error(status)
        try:
            return ObjectReader._wrap(self._native, id, out)
        except BaseException:
            self._native.release()
            raise
        finally:
            lib.zova_object_manifest_free(out)

    def list_objects(self, *, limit: SupportsIndex | None = None, after: ObjectId | None = None) -> list[ObjectId]:
        """The ids of stored objects in id order (bytewise, as ``ObjectId.hex()``
        sorts), at most `limit` of them, starting after the id `after`: pass the
        last id of one page as `after` to get the next. Sizes:
        :meth:`object_size`.

        Args:
            limit: the most ids to return (None: all), an int >= 0.
            after: return only ids after this one.

        Returns:
            The ids, in order.

        Raises:
            ValueError: ``limit`` is negative. TypeError: ``limit`` not an int,
                or ``after`` not an ObjectId.
            CorruptError: a stored id is not 32 bytes.
        """
        count: int | None = None
        if limit is not None:
            count = index_int(limit, "limit")
            if count < 0:
                raise ValueError(f"limit must be >= 0, got {count}")
        if after is not None:
            _require_id(after, ObjectId)
        with self.prepare("select object_id from _zova_objects where object_id > ?1 order by object_id limit ?2") as page:
            page.bind_blob(1, after.bytes if after is not None else b"")
            page.bind_int(2, -1 if count is None else count)
            rows = page.fetchall()
        ids: list[ObjectId] = []
        for (raw,) in rows:
            if not isinstance(raw, bytes) or len(raw) != 32:
                raise ZovaError(Status.CORRUPT, "an object row's id is not 32 bytes")
            ids.append(ObjectId(raw))
        return ids

"""How objects enter a salvage destination: through Zova's own put, so every
copied object is re-chunked with FastCDC-v1 whatever layout it had in the
source (as upstream's salvage does, docs/cli.md §1.6 step 3), and it
counts as copied only when the id the destination computes equals the
source's id. Small objects go in batches (one transaction per batch), large
ones stream through an object writer from verified range reads."""
from __future__ import annotations

import hashlib

from ..database import Database
from ..errors import Interrupted, ZovaError
from ..objects import ObjectId

_SMALL = 4 * 1024 * 1024          # objects up to this size are batched
_BATCH_BYTES = 32 * 1024 * 1024
_BATCH_OBJECTS = 1024
_PIECE = 8 * 1024 * 1024          # the streamed read size for large objects


class Reput:
    """Re-puts objects into ``dst``; ``copied`` holds the ids it stored."""

    def __init__(self, dst: Database) -> None:
        self.dst = dst
        self.copied: set[bytes] = set()
        self._pending: list[tuple[bytes, bytes]] = []
        self._pending_bytes = 0

    def add(self, object_id: bytes, pieces: list[bytes]) -> bool:
        """Stores the object made of ``pieces`` if they hash to ``object_id``
        (the bytes are in memory and already read from verified chunks)."""
        digest = hashlib.sha256()
        for piece in pieces:
            digest.update(piece)
        if digest.digest() != object_id:
            return False
        data = b"".join(pieces)
        if len(data) > _SMALL:
            self.flush()
            self._store(object_id, self.dst.put_object(data))
            return True
        self._pending.append((object_id, data))
        self._pending_bytes += len(data)
        if self._pending_bytes >= _BATCH_BYTES or len(self._pending) >= _BATCH_OBJECTS:
            self.flush()
        return True

    def stream(self, src: Database, object_id: bytes, size: int) -> bool:
        """Copies one object the walk verified, reading it from ``src`` through
        the verified read paths. False if a read fails or the bytes read no
        longer hash to the id (nothing of it is then left in ``dst``)."""
        oid = ObjectId(object_id)
        try:
            if size <= _SMALL:
                return self.add(object_id, [src.get_object(oid)])
            self.flush()
            with self.dst.object_writer() as writer:
                for offset in range(0, size, _PIECE):
                    writer.write(src.read_object_range(oid, offset, _PIECE))
                new_id = writer.finish()
        except ZovaError as error:
            if isinstance(error, Interrupted):
                raise
            return False
        return self._store(object_id, new_id)

    def flush(self) -> None:
        if not self._pending:
            return
        batch, self._pending, self._pending_bytes = self._pending, [], 0
        for (object_id, _data), new_id in zip(batch, self.dst.put_objects([data for _, data in batch])):
            self._store(object_id, new_id)

    def _store(self, object_id: bytes, new_id: ObjectId) -> bool:
        new = bytes(new_id)
        if new != object_id:
            if new not in self.copied:
                self.dst.delete_object(new_id)
            return False
        self.copied.add(new)
        return True

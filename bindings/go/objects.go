package zova

// objects.go owns content-addressed objects (docs/go.md §3.2 Objects):
// whole objects, range reads, manifests, chunks and assembly from chunks.

/*
#include <stdlib.h>
#include "zova.h"
*/
import "C"

import (
	"encoding/hex"
	"math"
	"unsafe"
)

// ObjectID is the SHA-256 of an object's bytes.
type ObjectID [32]byte

// ObjectChunkID is the SHA-256 of a chunk's bytes.
type ObjectChunkID [32]byte

// String returns the id as lowercase hex.
func (id ObjectID) String() string { return hex.EncodeToString(id[:]) }

// String returns the id as lowercase hex.
func (id ObjectChunkID) String() string { return hex.EncodeToString(id[:]) }

// ObjectChunk is one entry of an object manifest.
type ObjectChunk struct {
	Index     uint64
	Hash      ObjectChunkID
	Offset    uint64
	SizeBytes uint64
}

// ObjectManifest describes how a stored object is split into chunks.
type ObjectManifest struct {
	ObjectID   ObjectID
	SizeBytes  uint64
	ChunkCount uint64
	Chunker    string
	Chunks     []ObjectChunk
}

func cObjectID(id ObjectID) (c C.zova_object_id) {
	*(*[32]byte)(unsafe.Pointer(&c.bytes[0])) = id
	return c
}

func cChunkID(id ObjectChunkID) (c C.zova_object_chunk_id) {
	*(*[32]byte)(unsafe.Pointer(&c.bytes[0])) = id
	return c
}

func goObjectID(src *C.zova_object_id) ObjectID {
	return *(*[32]byte)(unsafe.Pointer(&src.bytes[0]))
}

func goChunkID(src *C.zova_object_chunk_id) ObjectChunkID {
	return *(*[32]byte)(unsafe.Pointer(&src.bytes[0]))
}

// PutObject stores data as an object and returns its id. Storing bytes that
// are already stored succeeds with the same id.
func (db *DB) PutObject(data []byte) (ObjectID, error) {
	return callOut(db, func(m *cmem, h *C.zova_database, req *C.zova_object_put_request, out *C.zova_object_id) C.zova_status {
		req.db, req.data, req.len, req.out_id = h, m.bytes(data), C.size_t(len(data)), out
		return C.zova_object_put(req)
	}, goObjectID)
}

// GetObject returns an object's bytes, verified against its id.
func (db *DB) GetObject(id ObjectID) ([]byte, error) {
	return callOut(db, func(_ *cmem, h *C.zova_database, req *C.zova_object_get_request, out *C.zova_buffer) C.zova_status {
		req.db, req.id, req.out_buffer = h, cObjectID(id), out
		return C.zova_object_get(req)
	}, goBuffer)
}

// ReadObjectRange copies bytes of an object starting at offset into buf and
// returns how many were copied (less than len(buf) at the end of the object).
func (db *DB) ReadObjectRange(id ObjectID, offset uint64, buf []byte) (int, error) {
	var cbuf unsafe.Pointer
	return callOut(db, func(m *cmem, h *C.zova_database, req *C.zova_object_read_range_request, out *C.size_t) C.zova_status {
		if len(buf) > 0 {
			cbuf = m.alloc(uintptr(len(buf)))
		}
		req.db, req.id, req.offset, req.out_copied = h, cObjectID(id), C.uint64_t(offset), out
		req.buffer, req.buffer_len = (*C.uint8_t)(cbuf), C.size_t(len(buf))
		return C.zova_object_read_range(req)
	}, func(out *C.size_t) int {
		copied := min(int(*out), len(buf))
		if copied > 0 {
			copy(buf, unsafe.Slice((*byte)(cbuf), copied))
		}
		return copied
	})
}

// HasObject reports whether an object is stored.
func (db *DB) HasObject(id ObjectID) (bool, error) {
	return callOut(db, func(_ *cmem, h *C.zova_database, req *C.zova_object_exists_request, out *C.uint8_t) C.zova_status {
		req.db, req.id, req.out_exists = h, cObjectID(id), out
		return C.zova_object_exists(req)
	}, goBool)
}

// ObjectSize returns an object's size in bytes.
func (db *DB) ObjectSize(id ObjectID) (uint64, error) {
	return callOut(db, func(_ *cmem, h *C.zova_database, req *C.zova_object_size_request, out *C.uint64_t) C.zova_status {
		req.db, req.id, req.out_size = h, cObjectID(id), out
		return C.zova_object_size(req)
	}, goUint64)
}

// ObjectChunkCount returns the number of chunks an object is stored in.
func (db *DB) ObjectChunkCount(id ObjectID) (uint64, error) {
	return callOut(db, func(_ *cmem, h *C.zova_database, req *C.zova_object_chunk_count_request, out *C.uint64_t) C.zova_status {
		req.db, req.id, req.out_count = h, cObjectID(id), out
		return C.zova_object_chunk_count(req)
	}, goUint64)
}

// DeleteObject deletes an object and the chunks no other object uses.
func (db *DB) DeleteObject(id ObjectID) error {
	return call(db, func(_ *cmem, h *C.zova_database, req *C.zova_object_delete_request) C.zova_status {
		req.db, req.id = h, cObjectID(id)
		return C.zova_object_delete(req)
	})
}

// ObjectManifest returns an object's chunk manifest.
func (db *DB) ObjectManifest(id ObjectID) (ObjectManifest, error) {
	return callOut(db, func(_ *cmem, h *C.zova_database, req *C.zova_object_manifest_get_request, out *C.zova_object_manifest) C.zova_status {
		req.db, req.id, req.out_manifest = h, cObjectID(id), out
		return C.zova_object_manifest_get(req)
	}, goManifest)
}

func goManifest(out *C.zova_object_manifest) ObjectManifest {
	manifest := ObjectManifest{
		ObjectID:   goObjectID(&out.object_id),
		SizeBytes:  uint64(out.size_bytes),
		ChunkCount: uint64(out.chunk_count),
		Chunks:     []ObjectChunk{},
	}
	if out.chunker != nil {
		manifest.Chunker = C.GoString(out.chunker)
	}
	if out.chunks != nil && out.chunks_len > 0 {
		for _, chunk := range unsafe.Slice(out.chunks, int(out.chunks_len)) {
			manifest.Chunks = append(manifest.Chunks, ObjectChunk{
				Index:     uint64(chunk.index),
				Hash:      goChunkID(&chunk.hash),
				Offset:    uint64(chunk.offset),
				SizeBytes: uint64(chunk.size_bytes),
			})
		}
	}
	return manifest
}

// GetObjectChunk returns a stored chunk's bytes, verified against its hash.
func (db *DB) GetObjectChunk(hash ObjectChunkID) ([]byte, error) {
	return callOut(db, func(_ *cmem, h *C.zova_database, req *C.zova_object_chunk_get_request, out *C.zova_buffer) C.zova_status {
		req.db, req.hash, req.out_buffer = h, cChunkID(hash), out
		return C.zova_object_chunk_get(req)
	}, goBuffer)
}

// HasObjectChunk reports whether a chunk is stored. It reads (and verifies)
// the whole chunk: a missing chunk gives false, any other failure an error.
func (db *DB) HasObjectChunk(hash ObjectChunkID) (bool, error) {
	_, err := db.GetObjectChunk(hash)
	if err == nil {
		return true, nil
	}
	if zerr, ok := err.(*Error); ok && zerr.Status == StatusObjectChunkNotFound {
		return false, nil
	}
	return false, err
}

// PutObjectChunk stores a chunk whose bytes must hash to expectedHash.
func (db *DB) PutObjectChunk(expectedHash ObjectChunkID, data []byte) error {
	return call(db, func(m *cmem, h *C.zova_database, req *C.zova_object_chunk_put_request) C.zova_status {
		req.db, req.expected_hash, req.data, req.len = h, cChunkID(expectedHash), m.bytes(data), C.size_t(len(data))
		return C.zova_object_chunk_put(req)
	})
}

// DeleteObjectChunk deletes a chunk no object references; it returns false
// when the chunk was not deleted (missing or still referenced).
func (db *DB) DeleteObjectChunk(hash ObjectChunkID) (bool, error) {
	return callOut(db, func(_ *cmem, h *C.zova_database, req *C.zova_object_chunk_delete_request, out *C.uint8_t) C.zova_status {
		req.db, req.hash, req.out_deleted = h, cChunkID(hash), out
		return C.zova_object_chunk_delete(req)
	}, goBool)
}

// AssembleObjectFromChunks stores the object id of sizeBytes bytes from
// chunks that are already stored, described by a manifest.
func (db *DB) AssembleObjectFromChunks(id ObjectID, sizeBytes uint64, chunks []ObjectChunk) error {
	return with(db, func(m *cmem, h *C.zova_database) error {
		req := cnew[C.zova_object_assemble_from_chunks_request](m)
		req.db, req.id, req.size_bytes, req.chunk_count = h, cObjectID(id), C.uint64_t(sizeBytes), C.size_t(len(chunks))
		if len(chunks) > 0 {
			if uint64(len(chunks)) > math.MaxInt32 {
				return newError(StatusOutOfMemory, "too many chunks")
			}
			array := carray[C.zova_object_manifest_chunk](m, len(chunks))
			for i, chunk := range chunks {
				array[i] = C.zova_object_manifest_chunk{index: C.uint64_t(chunk.Index), hash: cChunkID(chunk.Hash),
					offset: C.uint64_t(chunk.Offset), size_bytes: C.uint64_t(chunk.SizeBytes)}
			}
			req.chunks = &array[0]
		}
		return db.check(C.zova_object_assemble_from_chunks(req))
	})
}

package zova

// objects.go owns content-addressed objects (cli-and-bindings §3.2 Objects):
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

func setObjectID(dst *C.zova_object_id, id ObjectID) {
	*(*[32]byte)(unsafe.Pointer(&dst.bytes[0])) = id
}

func setChunkID(dst *C.zova_object_chunk_id, id ObjectChunkID) {
	*(*[32]byte)(unsafe.Pointer(&dst.bytes[0])) = id
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
	handle, err := db.lock()
	if err != nil {
		return ObjectID{}, err
	}
	defer db.mu.Unlock()
	m := db.mem()
	defer m.free()
	req := cnew[C.zova_object_put_request](&m)
	out := cnew[C.zova_object_id](&m)
	req.db = handle
	req.data = m.bytes(data)
	req.len = C.size_t(len(data))
	req.out_id = out
	if err := db.check(C.zova_object_put(req)); err != nil {
		return ObjectID{}, err
	}
	return goObjectID(out), nil
}

// GetObject returns an object's bytes, verified against its id.
func (db *DB) GetObject(id ObjectID) ([]byte, error) {
	handle, err := db.lock()
	if err != nil {
		return nil, err
	}
	defer db.mu.Unlock()
	m := db.mem()
	defer m.free()
	req := cnew[C.zova_object_get_request](&m)
	out := cnew[C.zova_buffer](&m)
	req.db = handle
	setObjectID(&req.id, id)
	req.out_buffer = out
	defer C.zova_buffer_free(out)
	if err := db.check(C.zova_object_get(req)); err != nil {
		return nil, err
	}
	return goBuffer(out), nil
}

// ReadObjectRange copies bytes of an object starting at offset into buf and
// returns how many were copied (less than len(buf) at the end of the object).
func (db *DB) ReadObjectRange(id ObjectID, offset uint64, buf []byte) (int, error) {
	handle, err := db.lock()
	if err != nil {
		return 0, err
	}
	defer db.mu.Unlock()
	m := db.mem()
	defer m.free()
	req := cnew[C.zova_object_read_range_request](&m)
	out := cnew[C.size_t](&m)
	var cbuf unsafe.Pointer
	if len(buf) > 0 {
		cbuf = m.alloc(uintptr(len(buf)))
	}
	req.db = handle
	setObjectID(&req.id, id)
	req.offset = C.uint64_t(offset)
	req.buffer = (*C.uint8_t)(cbuf)
	req.buffer_len = C.size_t(len(buf))
	req.out_copied = out
	if err := db.check(C.zova_object_read_range(req)); err != nil {
		return 0, err
	}
	copied := int(*out)
	if copied > len(buf) {
		copied = len(buf)
	}
	if copied > 0 {
		copy(buf, unsafe.Slice((*byte)(cbuf), copied))
	}
	return copied, nil
}

// HasObject reports whether an object is stored.
func (db *DB) HasObject(id ObjectID) (bool, error) {
	handle, err := db.lock()
	if err != nil {
		return false, err
	}
	defer db.mu.Unlock()
	m := db.mem()
	defer m.free()
	req := cnew[C.zova_object_exists_request](&m)
	out := cnew[C.uint8_t](&m)
	req.db = handle
	setObjectID(&req.id, id)
	req.out_exists = out
	if err := db.check(C.zova_object_exists(req)); err != nil {
		return false, err
	}
	return *out != 0, nil
}

// ObjectSize returns an object's size in bytes.
func (db *DB) ObjectSize(id ObjectID) (uint64, error) {
	handle, err := db.lock()
	if err != nil {
		return 0, err
	}
	defer db.mu.Unlock()
	m := db.mem()
	defer m.free()
	req := cnew[C.zova_object_size_request](&m)
	out := cnew[C.uint64_t](&m)
	req.db = handle
	setObjectID(&req.id, id)
	req.out_size = out
	if err := db.check(C.zova_object_size(req)); err != nil {
		return 0, err
	}
	return uint64(*out), nil
}

// ObjectChunkCount returns the number of chunks an object is stored in.
func (db *DB) ObjectChunkCount(id ObjectID) (uint64, error) {
	handle, err := db.lock()
	if err != nil {
		return 0, err
	}
	defer db.mu.Unlock()
	m := db.mem()
	defer m.free()
	req := cnew[C.zova_object_chunk_count_request](&m)
	out := cnew[C.uint64_t](&m)
	req.db = handle
	setObjectID(&req.id, id)
	req.out_count = out
	if err := db.check(C.zova_object_chunk_count(req)); err != nil {
		return 0, err
	}
	return uint64(*out), nil
}

// DeleteObject deletes an object and the chunks no other object uses.
func (db *DB) DeleteObject(id ObjectID) error {
	handle, err := db.lock()
	if err != nil {
		return err
	}
	defer db.mu.Unlock()
	m := db.mem()
	defer m.free()
	req := cnew[C.zova_object_delete_request](&m)
	req.db = handle
	setObjectID(&req.id, id)
	return db.check(C.zova_object_delete(req))
}

// ObjectManifest returns an object's chunk manifest.
func (db *DB) ObjectManifest(id ObjectID) (ObjectManifest, error) {
	handle, err := db.lock()
	if err != nil {
		return ObjectManifest{}, err
	}
	defer db.mu.Unlock()
	m := db.mem()
	defer m.free()
	req := cnew[C.zova_object_manifest_get_request](&m)
	out := cnew[C.zova_object_manifest](&m)
	req.db = handle
	setObjectID(&req.id, id)
	req.out_manifest = out
	defer C.zova_object_manifest_free(out)
	if err := db.check(C.zova_object_manifest_get(req)); err != nil {
		return ObjectManifest{}, err
	}
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
	return manifest, nil
}

// GetObjectChunk returns a stored chunk's bytes, verified against its hash.
func (db *DB) GetObjectChunk(hash ObjectChunkID) ([]byte, error) {
	handle, err := db.lock()
	if err != nil {
		return nil, err
	}
	defer db.mu.Unlock()
	m := db.mem()
	defer m.free()
	req := cnew[C.zova_object_chunk_get_request](&m)
	out := cnew[C.zova_buffer](&m)
	req.db = handle
	setChunkID(&req.hash, hash)
	req.out_buffer = out
	defer C.zova_buffer_free(out)
	if err := db.check(C.zova_object_chunk_get(req)); err != nil {
		return nil, err
	}
	return goBuffer(out), nil
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
	handle, err := db.lock()
	if err != nil {
		return err
	}
	defer db.mu.Unlock()
	m := db.mem()
	defer m.free()
	req := cnew[C.zova_object_chunk_put_request](&m)
	req.db = handle
	setChunkID(&req.expected_hash, expectedHash)
	req.data = m.bytes(data)
	req.len = C.size_t(len(data))
	return db.check(C.zova_object_chunk_put(req))
}

// DeleteObjectChunk deletes a chunk no object references; it returns false
// when the chunk was not deleted (missing or still referenced).
func (db *DB) DeleteObjectChunk(hash ObjectChunkID) (bool, error) {
	handle, err := db.lock()
	if err != nil {
		return false, err
	}
	defer db.mu.Unlock()
	m := db.mem()
	defer m.free()
	req := cnew[C.zova_object_chunk_delete_request](&m)
	out := cnew[C.uint8_t](&m)
	req.db = handle
	setChunkID(&req.hash, hash)
	req.out_deleted = out
	if err := db.check(C.zova_object_chunk_delete(req)); err != nil {
		return false, err
	}
	return *out != 0, nil
}

// AssembleObjectFromChunks stores the object id of sizeBytes bytes from
// chunks that are already stored, described by a manifest.
func (db *DB) AssembleObjectFromChunks(id ObjectID, sizeBytes uint64, chunks []ObjectChunk) error {
	handle, err := db.lock()
	if err != nil {
		return err
	}
	defer db.mu.Unlock()
	m := db.mem()
	defer m.free()
	req := cnew[C.zova_object_assemble_from_chunks_request](&m)
	req.db = handle
	setObjectID(&req.id, id)
	req.size_bytes = C.uint64_t(sizeBytes)
	if len(chunks) > 0 {
		if uint64(len(chunks)) > math.MaxInt32 {
			return newError(StatusOutOfMemory, "too many chunks")
		}
		var zero C.zova_object_manifest_chunk
		p := m.alloc(unsafe.Sizeof(zero) * uintptr(len(chunks)))
		array := unsafe.Slice((*C.zova_object_manifest_chunk)(p), len(chunks))
		for i, chunk := range chunks {
			array[i].index = C.uint64_t(chunk.Index)
			setChunkID(&array[i].hash, chunk.Hash)
			array[i].offset = C.uint64_t(chunk.Offset)
			array[i].size_bytes = C.uint64_t(chunk.SizeBytes)
		}
		req.chunks = (*C.zova_object_manifest_chunk)(p)
	}
	req.chunk_count = C.size_t(len(chunks))
	return db.check(C.zova_object_assemble_from_chunks(req))
}

package zova

import (
	"bytes"
	"crypto/sha256"
	"math/rand"
	"testing"
)

func pseudoRandom(n int, seed int64) []byte {
	data := make([]byte, n)
	rand.New(rand.NewSource(seed)).Read(data)
	return data
}

// docs/c-api.md §4.9: put/get/has/size/chunk count/delete, ids are SHA-256.
func TestObjectRoundTrip(t *testing.T) {
	db, _ := testDB(t)
	for _, size := range []int{0, 1, 2048, 2049, 300_000} {
		data := pseudoRandom(size, int64(size))
		id, err := db.PutObject(data)
		must(t, err)
		if id != ObjectID(sha256.Sum256(data)) || id != ObjectIDFor(data) {
			t.Fatalf("size %d: id %s is not SHA-256", size, id)
		}
		again, err := db.PutObject(data) // idempotent (docs/c-api.md §0.2 item 6)
		must(t, err)
		if again != id {
			t.Fatal("second put gave another id")
		}
		got, err := db.GetObject(id)
		must(t, err)
		if !bytes.Equal(got, data) || got == nil {
			t.Fatalf("size %d: GetObject returned %d bytes (nil=%v)", size, len(got), got == nil)
		}
		has, err := db.HasObject(id)
		must(t, err)
		n, err := db.ObjectSize(id)
		must(t, err)
		chunks, err := db.ObjectChunkCount(id)
		must(t, err)
		if !has || n != uint64(size) {
			t.Fatalf("size %d: has %v size %d", size, has, n)
		}
		switch {
		case size == 0 && chunks != 0,
			size > 0 && size <= 2048 && chunks != 1,
			size > 2048 && (chunks < uint64((size+65535)/65536) || chunks > uint64(size/2048)):
			t.Fatalf("size %d: %d chunks", size, chunks)
		}
		must(t, db.DeleteObject(id))
		has, err = db.HasObject(id)
		must(t, err)
		if has {
			t.Fatal("object still there after delete")
		}
	}
	missing := ObjectIDFor([]byte("never stored"))
	_, err := db.GetObject(missing)
	wantStatus(t, err, StatusObjectNotFound, "")
	_, err = db.ObjectSize(missing)
	wantStatus(t, err, StatusObjectNotFound, "")
	_, err = db.ObjectChunkCount(missing)
	wantStatus(t, err, StatusObjectNotFound, "")
	_, err = db.ObjectManifest(missing)
	wantStatus(t, err, StatusObjectNotFound, "")
	wantStatus(t, db.DeleteObject(missing), StatusObjectNotFound, "")
}

// docs/c-api.md §0.2 item 8: range reads and their edges.
func TestObjectReadRange(t *testing.T) {
	db, _ := testDB(t)
	data := pseudoRandom(200_000, 7)
	id, err := db.PutObject(data)
	must(t, err)
	buf := make([]byte, 70_000)
	for _, offset := range []uint64{0, 1, 65_536, 150_000, 199_999} {
		n, err := db.ReadObjectRange(id, offset, buf)
		must(t, err)
		want := data[offset:min(uint64(len(data)), offset+uint64(len(buf)))]
		if n != len(want) || !bytes.Equal(buf[:n], want) {
			t.Fatalf("offset %d: copied %d, want %d", offset, n, len(want))
		}
	}
	whole := make([]byte, len(data)+10)
	n, err := db.ReadObjectRange(id, 0, whole)
	must(t, err)
	if n != len(data) || !bytes.Equal(whole[:n], data) {
		t.Fatalf("whole read copied %d", n)
	}
	n, err = db.ReadObjectRange(id, uint64(len(data)), buf)
	must(t, err)
	if n != 0 {
		t.Fatalf("read at end copied %d", n)
	}
	n, err = db.ReadObjectRange(id, 5, nil)
	must(t, err)
	if n != 0 {
		t.Fatalf("empty buffer copied %d", n)
	}
	_, err = db.ReadObjectRange(id, uint64(len(data))+1, buf)
	wantStatus(t, err, StatusObjectRangeInvalid, "")
	_, err = db.ReadObjectRange(ObjectIDFor([]byte("x")), 0, nil)
	wantStatus(t, err, StatusObjectNotFound, "")
}

// docs/c-api.md §4.9 manifests, chunks and assembly from chunks.
func TestManifestChunksAssembly(t *testing.T) {
	db, _ := testDB(t)
	data := pseudoRandom(250_000, 3)
	id, err := db.PutObject(data)
	must(t, err)
	manifest, err := db.ObjectManifest(id)
	must(t, err)
	if manifest.ObjectID != id || manifest.SizeBytes != uint64(len(data)) || manifest.Chunker != "fastcdc-v1" ||
		manifest.ChunkCount != uint64(len(manifest.Chunks)) || len(manifest.Chunks) < 4 {
		t.Fatalf("manifest %+v", manifest)
	}
	var offset uint64
	for i, chunk := range manifest.Chunks {
		if chunk.Index != uint64(i) || chunk.Offset != offset || chunk.SizeBytes == 0 || chunk.SizeBytes > 65536 {
			t.Fatalf("chunk %d: %+v", i, chunk)
		}
		piece := data[chunk.Offset : chunk.Offset+chunk.SizeBytes]
		if chunk.Hash != ObjectChunkIDFor(piece) {
			t.Fatalf("chunk %d hash", i)
		}
		got, err := db.GetObjectChunk(chunk.Hash)
		must(t, err)
		if !bytes.Equal(got, piece) {
			t.Fatalf("chunk %d bytes", i)
		}
		has, err := db.HasObjectChunk(chunk.Hash)
		must(t, err)
		if !has {
			t.Fatalf("chunk %d missing", i)
		}
		// Referenced chunks are not deleted.
		deleted, err := db.DeleteObjectChunk(chunk.Hash)
		must(t, err)
		if deleted {
			t.Fatalf("referenced chunk %d deleted", i)
		}
		offset += chunk.SizeBytes
	}
	if offset != uint64(len(data)) {
		t.Fatalf("chunks cover %d bytes", offset)
	}

	// Empty object manifest.
	emptyID, err := db.PutObject(nil)
	must(t, err)
	empty, err := db.ObjectManifest(emptyID)
	must(t, err)
	if empty.SizeBytes != 0 || empty.ChunkCount != 0 || len(empty.Chunks) != 0 || empty.Chunker != "fastcdc-v1" {
		t.Fatalf("empty manifest %+v", empty)
	}

	// Assemble a new object from loose chunks with our own boundaries.
	other := pseudoRandom(10_000, 11)
	otherID := ObjectIDFor(other)
	var chunks []ObjectChunk
	for i, start := range []int{0, 4000, 9000} {
		end := []int{4000, 9000, 10_000}[i]
		piece := other[start:end]
		hash := ObjectChunkIDFor(piece)
		must(t, db.PutObjectChunk(hash, piece))
		must(t, db.PutObjectChunk(hash, piece)) // idempotent
		chunks = append(chunks, ObjectChunk{Index: uint64(i), Hash: hash, Offset: uint64(start), SizeBytes: uint64(end - start)})
	}
	// Wrong total size, wrong id: manifest invalid.
	wantStatus(t, db.AssembleObjectFromChunks(otherID, 9_999, chunks), StatusObjectManifestInvalid, "")
	wantStatus(t, db.AssembleObjectFromChunks(ObjectIDFor([]byte("nope")), 10_000, chunks), StatusObjectManifestInvalid, "")
	wantStatus(t, db.AssembleObjectFromChunks(otherID, 10_000, nil), StatusObjectManifestInvalid, "")
	// Reversed input order is fine (sorted by index).
	reversed := []ObjectChunk{chunks[2], chunks[1], chunks[0]}
	must(t, db.AssembleObjectFromChunks(otherID, 10_000, reversed))
	got, err := db.GetObject(otherID)
	must(t, err)
	if !bytes.Equal(got, other) {
		t.Fatal("assembled object differs")
	}
	wantStatus(t, db.AssembleObjectFromChunks(otherID, 10_000, chunks), StatusObjectAlreadyExists, "")
	// Missing chunk.
	ghost := []byte("ghost chunk")
	wantStatus(t, db.AssembleObjectFromChunks(ObjectIDFor(ghost), uint64(len(ghost)),
		[]ObjectChunk{{Index: 0, Hash: ObjectChunkIDFor(ghost), SizeBytes: uint64(len(ghost))}}), StatusObjectChunkNotFound, "")

	// Chunk put validation (docs/c-api.md §0.2 item 7).
	wantStatus(t, db.PutObjectChunk(ObjectChunkIDFor(nil), nil), StatusObjectCorrupt, "")
	wantStatus(t, db.PutObjectChunk(ObjectChunkIDFor([]byte("a")), []byte("b")), StatusObjectChunkHashMismatch, "")
	big := make([]byte, 65537)
	wantStatus(t, db.PutObjectChunk(ObjectChunkIDFor(big), big), StatusObjectCorrupt, "")

	// A loose chunk can be deleted; a missing one reports false.
	loose := []byte("loose chunk bytes")
	must(t, db.PutObjectChunk(ObjectChunkIDFor(loose), loose))
	deleted, err := db.DeleteObjectChunk(ObjectChunkIDFor(loose))
	must(t, err)
	if !deleted {
		t.Fatal("loose chunk not deleted")
	}
	deleted, err = db.DeleteObjectChunk(ObjectChunkIDFor(loose))
	must(t, err)
	if deleted {
		t.Fatal("deleted a missing chunk")
	}
	has, err := db.HasObjectChunk(ObjectChunkIDFor(loose))
	must(t, err)
	if has {
		t.Fatal("HasObjectChunk true for a deleted chunk")
	}
	_, err = db.GetObjectChunk(ObjectChunkIDFor(loose))
	wantStatus(t, err, StatusObjectChunkNotFound, "")
}

// docs/c-api.md §5.9: object writes refuse an active transaction; chunk puts do not.
func TestObjectTransactionActive(t *testing.T) {
	db, _ := testDB(t)
	id, err := db.PutObject([]byte("stored before"))
	must(t, err)
	must(t, db.Begin())
	_, err = db.PutObject([]byte("inside"))
	wantStatus(t, err, StatusObjectTransactionActive, "")
	wantStatus(t, db.DeleteObject(id), StatusObjectTransactionActive, "")
	_, err = db.ObjectWriter()
	wantStatus(t, err, StatusObjectTransactionActive, "")
	piece := []byte("chunk in a transaction")
	must(t, db.PutObjectChunk(ObjectChunkIDFor(piece), piece))
	got, err := db.GetObject(id) // reads are fine
	must(t, err)
	if string(got) != "stored before" {
		t.Fatal("read inside transaction")
	}
	must(t, db.Rollback())

	// A stepped, unreset statement holds a read transaction (docs/c-api.md §0.2 item 5).
	must(t, db.Exec("create table t(x); insert into t values (1), (2)"))
	stmt, err := db.Prepare("select x from t")
	must(t, err)
	_, err = stmt.Step()
	must(t, err)
	_, err = db.PutObject([]byte("blocked"))
	wantStatus(t, err, StatusObjectTransactionActive, "")
	must(t, stmt.Reset())
	_, err = db.PutObject([]byte("allowed"))
	must(t, err)
	must(t, stmt.Close())
}

// docs/c-api.md §7.6: corrupt stored chunks are detected on read; HasObjectChunk
// reports them as errors, not as missing.
func TestObjectCorruption(t *testing.T) {
	db, _ := testDB(t)
	data := pseudoRandom(5000, 5)
	id, err := db.PutObject(data)
	must(t, err)
	manifest, err := db.ObjectManifest(id)
	must(t, err)
	must(t, db.Exec("update _zova_chunks set data = zeroblob(size_bytes)"))
	_, err = db.GetObject(id)
	wantStatus(t, err, StatusObjectCorrupt, "")
	_, err = db.GetObjectChunk(manifest.Chunks[0].Hash)
	wantStatus(t, err, StatusObjectCorrupt, "")
	_, err = db.HasObjectChunk(manifest.Chunks[0].Hash)
	wantStatus(t, err, StatusObjectCorrupt, "")
}

// docs/c-api.md §5.11: object writes on a read-only handle.
func TestObjectReadOnly(t *testing.T) {
	db, path := testDB(t)
	stored, err := db.PutObject([]byte("already here"))
	must(t, err)
	must(t, db.Close())
	ro, err := OpenWithOptions(path, OpenOptions{ReadOnly: true})
	must(t, err)
	defer ro.Close()
	_, err = ro.PutObject([]byte("new bytes"))
	wantStatus(t, err, StatusReadOnly, "")
	again, err := ro.PutObject([]byte("already here"))
	must(t, err)
	if again != stored {
		t.Fatal("id differs")
	}
}

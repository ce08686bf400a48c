//! Objects, chunks, manifests and object writers through the safe API
//! (docs/rust.md §4.3 "Objects", docs/python.md §2.3 `ObjectWriter`; docs/c-api.md §7.6, §7.7, §5.9).
mod common;

use std::collections::HashSet;
use std::io::Write;
use std::thread;

use common::{error_of, status_of, TempDir};
use zova::{
    object_chunk_id, object_id, Database, Error, ObjectChunkId, ObjectId, ObjectManifestChunk, SharedDatabase, Status,
    Step,
};

const SHA256_EMPTY: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const SHA256_ABC: &str = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

/// Deterministic pseudo-random bytes (xorshift64), so chunk boundaries are content-defined.
fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}

fn database(dir: &TempDir) -> Database {
    Database::create(dir.path("objects.zova")).unwrap()
}

#[test]
fn id_helpers_are_sha256_c_abi_4_8() {
    assert_eq!(object_id(b"").unwrap().to_hex(), SHA256_EMPTY);
    assert_eq!(object_id(b"abc").unwrap().to_hex(), SHA256_ABC);
    assert_eq!(object_chunk_id(b"abc").unwrap().to_hex(), SHA256_ABC);
}

#[test]
fn id_types_section_4_3() {
    let bytes = [7u8; 32];
    let id = ObjectId::from(bytes);
    assert_eq!(id.into_bytes(), bytes);
    assert_eq!(id.as_ref(), &bytes);
    assert_eq!(ObjectId::try_from(&bytes[..]).unwrap(), id);
    assert_eq!(status_of(ObjectId::try_from(&bytes[..31])), Status::InvalidArgument);
    assert_eq!(status_of(ObjectChunkId::try_from(&[0u8; 33][..])), Status::InvalidArgument);
    assert_eq!(id.to_string(), "07".repeat(32));
    assert_eq!(format!("{id:?}"), format!("ObjectId({})", "07".repeat(32)));
    let set: HashSet<ObjectId> = [id, id, ObjectId::from([8u8; 32])].into_iter().collect();
    assert_eq!(set.len(), 2);
}

#[test]
fn put_get_exists_size_delete_c_abi_7_6() {
    let dir = TempDir::new();
    let db = database(&dir);
    let id = db.put_object(b"abc").unwrap();
    assert_eq!(id.to_hex(), SHA256_ABC);
    assert_eq!(db.put_object(b"abc").unwrap(), id, "putting stored bytes again is OK");
    assert_eq!(db.get_object(&id).unwrap(), b"abc");
    assert!(db.has_object(&id).unwrap());
    assert_eq!(db.object_size(&id).unwrap(), 3);
    assert_eq!(db.object_chunk_count(&id).unwrap(), 1);
    db.delete_object(&id).unwrap();
    assert!(!db.has_object(&id).unwrap());
    let error = error_of(db.get_object(&id));
    assert_eq!(error.status(), Status::ObjectNotFound);
    assert!(error.to_string().starts_with("ZOVA_OBJECT_NOT_FOUND"), "{error}");
    assert_eq!(status_of(db.delete_object(&id)), Status::ObjectNotFound);
    assert_eq!(status_of(db.object_size(&id)), Status::ObjectNotFound);
    assert_eq!(status_of(db.object_manifest(&id)), Status::ObjectNotFound);

    let empty = db.put_object(b"").unwrap();
    assert_eq!(empty.to_hex(), SHA256_EMPTY);
    assert_eq!(db.get_object(&empty).unwrap(), Vec::<u8>::new());
    assert_eq!(db.object_size(&empty).unwrap(), 0);
    assert_eq!(db.object_chunk_count(&empty).unwrap(), 0);
    assert_eq!(db.object_manifest(&empty).unwrap().chunks, []);
}

#[test]
fn large_object_manifest_chunks_and_ranges_c_abi_7_6() {
    let dir = TempDir::new();
    let db = database(&dir);
    let data = noise(300_000, 42);
    let id = db.put_object(&data).unwrap();
    assert_eq!(id, object_id(&data).unwrap());
    assert_eq!(db.get_object(&id).unwrap(), data);
    let manifest = db.object_manifest(&id).unwrap();
    assert_eq!(manifest.object_id, id);
    assert_eq!(manifest.size_bytes, 300_000);
    assert_eq!(manifest.chunker, "fastcdc-v1");
    assert!(manifest.chunk_count > 1, "300 kB must span several chunks");
    assert_eq!(manifest.chunks.len() as u64, manifest.chunk_count);
    assert_eq!(db.object_chunk_count(&id).unwrap(), manifest.chunk_count);
    let mut offset = 0u64;
    for (index, chunk) in manifest.chunks.iter().enumerate() {
        assert_eq!(chunk.index, index as u64);
        assert_eq!(chunk.offset, offset);
        assert!(chunk.size_bytes >= 1 && chunk.size_bytes <= 65_536);
        let bytes = db.get_object_chunk(&chunk.hash).unwrap();
        assert_eq!(bytes, &data[offset as usize..(offset + chunk.size_bytes) as usize]);
        assert_eq!(object_chunk_id(&bytes).unwrap(), chunk.hash);
        assert!(db.has_object_chunk(&chunk.hash).unwrap());
        offset += chunk.size_bytes;
    }
    assert_eq!(offset, 300_000);

    // Range reads across chunk boundaries, at the end, and past it.
    let mut buffer = vec![0u8; 100_000];
    assert_eq!(db.read_object_range(&id, 123_456, &mut buffer).unwrap(), 100_000);
    assert_eq!(buffer, &data[123_456..223_456]);
    assert_eq!(db.read_object_range(&id, 250_000, &mut buffer).unwrap(), 50_000);
    assert_eq!(&buffer[..50_000], &data[250_000..]);
    assert_eq!(db.read_object_range(&id, 300_000, &mut buffer).unwrap(), 0);
    assert_eq!(db.read_object_range(&id, 0, &mut []).unwrap(), 0);
    assert_eq!(status_of(db.read_object_range(&id, 300_001, &mut buffer)), Status::ObjectRangeInvalid);
    let missing = ObjectId::from([0u8; 32]);
    assert_eq!(status_of(db.read_object_range(&missing, 0, &mut [])), Status::ObjectNotFound);
}

#[test]
fn chunks_put_delete_and_assemble_c_abi_7_6() {
    let dir = TempDir::new();
    let db = database(&dir);
    let first = noise(40_000, 1);
    let second = noise(25_000, 2);
    let first_id = object_chunk_id(&first).unwrap();
    let second_id = object_chunk_id(&second).unwrap();
    assert!(!db.has_object_chunk(&first_id).unwrap());
    assert_eq!(status_of(db.get_object_chunk(&first_id)), Status::ObjectChunkNotFound);
    assert_eq!(status_of(db.put_object_chunk(&second_id, &first)), Status::ObjectChunkHashMismatch);
    assert_eq!(status_of(db.put_object_chunk(&object_chunk_id(b"").unwrap(), b"")), Status::ObjectCorrupt);
    let too_big = noise(65_537, 3);
    assert_eq!(status_of(db.put_object_chunk(&object_chunk_id(&too_big).unwrap(), &too_big)), Status::ObjectCorrupt);
    db.put_object_chunk(&first_id, &first).unwrap();
    db.put_object_chunk(&first_id, &first).unwrap(); // existing valid chunk: OK
    db.put_object_chunk(&second_id, &second).unwrap();

    let whole: Vec<u8> = [first.as_slice(), second.as_slice()].concat();
    let id = object_id(&whole).unwrap();
    let chunks = [
        ObjectManifestChunk { index: 0, hash: first_id, offset: 0, size_bytes: 40_000 },
        ObjectManifestChunk { index: 1, hash: second_id, offset: 40_000, size_bytes: 25_000 },
    ];
    // Wrong total size and a missing chunk are rejected; nothing is stored.
    assert_eq!(status_of(db.assemble_object_from_chunks(&id, 65_001, &chunks)), Status::ObjectManifestInvalid);
    let ghost = ObjectManifestChunk { hash: ObjectChunkId::from([9u8; 32]), ..chunks[1] };
    assert_eq!(status_of(db.assemble_object_from_chunks(&id, 65_000, &[chunks[0], ghost])), Status::ObjectChunkNotFound);
    assert!(!db.has_object(&id).unwrap());
    db.assemble_object_from_chunks(&id, 65_000, &chunks).unwrap();
    assert_eq!(db.get_object(&id).unwrap(), whole);
    assert_eq!(db.object_manifest(&id).unwrap().chunks, chunks);
    assert_eq!(status_of(db.assemble_object_from_chunks(&id, 65_000, &chunks)), Status::ObjectAlreadyExists);

    // A referenced chunk is not deleted; an unreferenced one is.
    assert!(!db.delete_object_chunk(&first_id).unwrap());
    db.delete_object(&id).unwrap();
    let lone = noise(1_000, 4);
    let lone_id = object_chunk_id(&lone).unwrap();
    db.put_object_chunk(&lone_id, &lone).unwrap();
    assert!(db.delete_object_chunk(&lone_id).unwrap());
    assert!(!db.has_object_chunk(&lone_id).unwrap());
}

#[test]
fn put_objects_stores_all_c_abi_addition() {
    let dir = TempDir::new();
    let db = database(&dir);
    let big = noise(90_000, 5);
    let objects: [&[u8]; 4] = [b"one", b"two", b"", &big];
    let ids = db.put_objects(&objects).unwrap();
    assert_eq!(ids.len(), 4);
    for (id, data) in ids.iter().zip(objects) {
        assert_eq!(*id, object_id(data).unwrap());
        assert_eq!(db.get_object(id).unwrap(), data);
    }
    assert_eq!(db.put_objects(&[]).unwrap(), Vec::<ObjectId>::new());
}

#[test]
fn object_writes_refuse_an_active_transaction_c_abi_5_9() {
    let dir = TempDir::new();
    let db = database(&dir);
    let id = db.put_object(b"kept").unwrap();
    db.begin().unwrap();
    assert_eq!(status_of(db.put_object(b"new")), Status::ObjectTransactionActive);
    assert_eq!(status_of(db.delete_object(&id)), Status::ObjectTransactionActive);
    assert_eq!(status_of(db.object_writer()), Status::ObjectTransactionActive);
    // Reads still work inside the transaction.
    assert_eq!(db.get_object(&id).unwrap(), b"kept");
    db.rollback().unwrap();
    // A stepped statement holds a read transaction too.
    db.exec("CREATE TABLE t(x); INSERT INTO t VALUES (1), (2)").unwrap();
    let mut statement = db.prepare("SELECT x FROM t").unwrap();
    assert_eq!(statement.step().unwrap(), Step::Row);
    assert_eq!(status_of(db.put_object(b"new")), Status::ObjectTransactionActive);
    statement.reset().unwrap();
    db.put_object(b"new").unwrap();
}

#[test]
fn object_writer_streams_and_closes_section_2_3() {
    let dir = TempDir::new();
    let db = database(&dir);
    let data = noise(200_000, 6);
    let mut writer = db.object_writer().unwrap();
    for piece in data.chunks(7_777) {
        writer.write(piece).unwrap();
    }
    writer.write(&[]).unwrap();
    let id = writer.finish().unwrap();
    assert_eq!(id, object_id(&data).unwrap());
    assert_eq!(db.get_object(&id).unwrap(), data);
    assert!(writer.is_closed());
    let error = error_of(writer.write(b"more"));
    assert_eq!(error.status(), Status::ObjectWriterClosed);
    assert_eq!(error.to_string(), "ZOVA_OBJECT_WRITER_CLOSED: object writer is closed");
    assert_eq!(status_of(writer.finish()), Status::ObjectWriterClosed);
    assert_eq!(status_of(writer.cancel()), Status::ObjectWriterClosed);
    writer.close();
    drop(writer);

    // Finishing bytes that are already stored is OK.
    let mut again = db.object_writer().unwrap();
    again.write(&data).unwrap();
    assert_eq!(again.finish().unwrap(), id);

    // Cancel and drop leave no object.
    let unique = noise(10_000, 7);
    let mut cancelled = db.object_writer().unwrap();
    cancelled.write(&unique).unwrap();
    cancelled.cancel().unwrap();
    assert!(cancelled.is_closed());
    {
        let mut dropped = db.object_writer().unwrap();
        dropped.write(&unique).unwrap();
    }
    assert!(!db.has_object(&object_id(&unique).unwrap()).unwrap());

    // std::io::Write: io::copy streams into an object.
    let mut writer = db.object_writer().unwrap();
    std::io::copy(&mut &unique[..], &mut writer).unwrap();
    writer.flush().unwrap();
    assert_eq!(writer.finish().unwrap(), object_id(&unique).unwrap());
    let mut closed = db.object_writer().unwrap();
    closed.close();
    let io_error = Write::write(&mut closed, b"x").unwrap_err();
    assert_eq!(io_error.to_string(), "ZOVA_OBJECT_WRITER_CLOSED: object writer is closed");
}

#[test]
fn owned_writer_keeps_the_handle_alive_section_2_5() {
    let dir = TempDir::new();
    let path = dir.path("objects.zova");
    let db = Database::create(&path).unwrap();
    let mut writer = db.object_writer_owned().unwrap();
    drop(db);
    writer.write(b"written after the database was dropped").unwrap();
    let id = writer.finish().unwrap();
    drop(writer);
    let db = Database::open(&path).unwrap();
    assert_eq!(db.get_object(&id).unwrap(), b"written after the database was dropped");
}

#[test]
fn shared_objects_from_threads_section_4_3() {
    let dir = TempDir::new();
    let db = SharedDatabase::create(dir.path("objects.zova")).unwrap();
    let handles: Vec<_> = (0..4u64)
        .map(|seed| {
            let db = db.clone();
            thread::spawn(move || {
                let data = noise(70_000, 100 + seed);
                // A writer created here, moved to another thread, finished there.
                let mut writer = db.object_writer().unwrap();
                writer.write(&data[..30_000]).unwrap();
                let id = thread::spawn(move || {
                    writer.write(&data[30_000..]).unwrap();
                    writer.finish().unwrap()
                })
                .join()
                .unwrap();
                let put = db.put_object(&noise(5_000, 200 + seed)).unwrap();
                (id, put)
            })
        })
        .collect();
    for (seed, handle) in handles.into_iter().enumerate() {
        let (id, put) = handle.join().unwrap();
        assert_eq!(db.get_object(&id).unwrap(), noise(70_000, 100 + seed as u64));
        assert_eq!(db.get_object(&put).unwrap(), noise(5_000, 200 + seed as u64));
    }
    let error: Result<(), Error> = db.transaction(|tx| tx.put_object(b"inside").map(|_| ()));
    assert_eq!(status_of(error), Status::ObjectTransactionActive);
}

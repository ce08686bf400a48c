//! The owned `zova_database *` and every call made through it. `Database`,
//! `SharedDatabase` and `SharedDatabaseGuard` all delegate here, so each C call
//! and the copy of its error message happen in one place (docs/c-api.md §5.5).
use std::ffi::{c_char, CStr, CString};
use std::path::Path;
use std::ptr::{self, NonNull};

use zova_sys as sys;

use crate::error::{Error, Result, Status};
use crate::object::{ObjectChunkId, ObjectId, ObjectManifest, ObjectManifestChunk};
use crate::vector::{Vector, VectorCollectionInfo, VectorCollectionOptions, VectorInput, VectorMetric,
                    VectorSearchResult};
use crate::{BackupOptions, CompactOptions, OpenOptions, RestoreOptions};

/// A C entry point that takes one request.
pub(crate) type Call<Req> = unsafe extern "C" fn(*const Req) -> sys::zova_status;

// ---- argument conversion ----

pub(crate) fn c_string(text: &str, context: &'static str) -> Result<CString> {
    CString::new(text).map_err(|_| Error::InteriorNul { context })
}

pub(crate) fn c_path(path: &Path, context: &'static str) -> Result<CString> {
    c_string(path.to_str().ok_or(Error::NonUtf8Path)?, context)
}

/// The library-owned array (data, len) as a slice; empty for NULL.
///
/// # Safety
/// `data` must be NULL or point at `len` readable values that outlive the slice.
unsafe fn slice<'a, T>(data: *const T, len: usize) -> &'a [T] {
    if data.is_null() || len == 0 {
        return &[];
    }
    std::slice::from_raw_parts(data, len)
}

/// Owned UTF-8 copy of (data, len) returned by the library.
///
/// # Safety
/// `data` must be NULL or point at `len` readable bytes.
pub(crate) unsafe fn utf8(data: *const c_char, len: usize) -> Result<String> {
    String::from_utf8(bytes(data as *const u8, len)).map_err(|_| Error::InvalidUtf8Text)
}

/// Owned copy of (data, len) returned by the library.
///
/// # Safety
/// `data` must be NULL or point at `len` readable bytes.
unsafe fn bytes(data: *const u8, len: usize) -> Vec<u8> {
    slice(data, len).to_vec()
}

/// Copies a library-owned buffer.
pub(crate) fn read_buffer(buffer: &sys::zova_buffer) -> Result<Vec<u8>> {
    // SAFETY: the library filled (data, len) or left it {NULL, 0}.
    Ok(unsafe { bytes(buffer.data, buffer.len) })
}

/// Runs a handle-less call whose request reports a failure in an owned message:
/// `call` puts the pointer it is given into the request's `out_error_message`.
fn with_message(call: impl FnOnce(*mut sys::zova_message) -> sys::zova_status) -> Result<()> {
    let mut message = sys::zova_message::default();
    let status = call(&mut message);
    // SAFETY: the library filled (data, len) or left it {NULL, 0}.
    let text = unsafe { utf8(message.data, message.len) }.ok();
    // SAFETY: message holds library-owned data or nothing.
    unsafe { sys::zova_message_free(&mut message) };
    if status == sys::ZOVA_OK {
        Ok(())
    } else {
        Err(Error::from_raw(status, text))
    }
}

/// Owned C strings plus the pointer array for `candidate_ids`.
struct Candidates {
    _owned: Vec<CString>,
    pointers: Vec<*const c_char>,
}

impl Candidates {
    fn new(ids: &[&str]) -> Result<Candidates> {
        let owned = ids.iter().map(|id| c_string(id, "candidate vector id")).collect::<Result<Vec<_>>>()?;
        let pointers = owned.iter().map(|id| id.as_ptr()).collect();
        Ok(Candidates { _owned: owned, pointers })
    }
}

/// What a vector search measures distances from.
enum Query<'a> {
    /// A query vector.
    Values(&'a [f32]),
    /// A stored vector, by id (never a result itself).
    Stored(&'a str),
}

/// The request fields the eight vector searches fill from their arguments; a
/// search by values leaves `source_vector_id` NULL, one by id leaves `query` empty.
struct SearchFields {
    db: *mut sys::zova_database,
    collection_name: *const c_char,
    query: *const f32,
    query_len: usize,
    source_vector_id: *const c_char,
    candidate_ids: *const *const c_char,
    candidate_count: usize,
    out_results: *mut sys::zova_vector_search_results,
}

/// A closure that fills the search request `sys::$request` from [`SearchFields`]:
/// `db`, `collection_name` and `out_results` always, then the fields listed
/// before the `;`, and after it the search's own values (named as the
/// request's fields).
macro_rules! search_request {
    ($request:ident: $($field:ident),*; $($value:ident),*) => {
        |f: &SearchFields| sys::$request {
            db: f.db,
            collection_name: f.collection_name,
            $($field: f.$field,)*
            $($value,)*
            out_results: f.out_results,
        }
    };
}

fn read_results(results: &sys::zova_vector_search_results) -> Result<Vec<VectorSearchResult>> {
    // SAFETY: items points at len results owned by the library.
    unsafe { slice(results.items, results.len) }
        .iter()
        .map(|item| {
            // SAFETY: id points at id_len bytes.
            Ok(VectorSearchResult { id: unsafe { utf8(item.id, item.id_len) }?, distance: item.distance })
        })
        .collect()
}

fn read_info(info: &sys::zova_vector_collection_info) -> Result<VectorCollectionInfo> {
    Ok(VectorCollectionInfo {
        // SAFETY: name points at name_len bytes.
        name: unsafe { utf8(info.name, info.name_len) }?,
        dimensions: info.dimensions,
        metric: VectorMetric::from_raw(info.metric).ok_or_else(|| Error::from_status(Status::VectorCorrupt, None))?,
        vector_count: info.vector_count,
    })
}

fn read_manifest(manifest: &sys::zova_object_manifest) -> Result<ObjectManifest> {
    // SAFETY: chunks points at chunks_len library-owned entries.
    let chunks = unsafe { slice(manifest.chunks, manifest.chunks_len) }
        .iter()
        .map(|chunk| ObjectManifestChunk {
            index: chunk.index,
            hash: ObjectChunkId::from_raw(chunk.hash),
            offset: chunk.offset,
            size_bytes: chunk.size_bytes,
        })
        .collect();
    let chunker = if manifest.chunker.is_null() {
        String::new()
    } else {
        // SAFETY: static NUL-terminated string.
        unsafe { CStr::from_ptr(manifest.chunker) }.to_string_lossy().into_owned()
    };
    Ok(ObjectManifest {
        object_id: ObjectId::from_raw(manifest.object_id),
        size_bytes: manifest.size_bytes,
        chunk_count: manifest.chunk_count,
        chunker,
        chunks,
    })
}

fn read_vector(vector: &sys::zova_vector) -> Result<Vector> {
    // SAFETY: values points at values_len floats, id at id_len bytes.
    let values = unsafe { slice(vector.values, vector.values_len) }.to_vec();
    Ok(Vector { id: unsafe { utf8(vector.id, vector.id_len) }?, values })
}

// ---- handle-less operations ----

pub(crate) fn open(path: &Path, create: bool, options: Option<OpenOptions>) -> Result<Handle> {
    let path = c_path(path, "path")?;
    let mut db: *mut sys::zova_database = ptr::null_mut();
    with_message(|out_error_message| {
        // SAFETY: every pointer in the requests is valid for the call.
        unsafe {
            match options {
                None => {
                    let request = sys::zova_database_open_request { path: path.as_ptr(), out_db: &mut db, out_error_message };
                    if create {
                        sys::zova_database_create(&request)
                    } else {
                        sys::zova_database_open(&request)
                    }
                }
                Some(options) => {
                    let flags = if options.read_only { sys::ZOVA_OPEN_READ_ONLY } else { 0 };
                    let request = sys::zova_database_open_options_request {
                        path: path.as_ptr(),
                        flags,
                        busy_timeout_ms: options.busy_timeout_ms,
                        out_db: &mut db,
                        out_error_message,
                    };
                    sys::zova_database_open_with_options(&request)
                }
            }
        }
    })?;
    NonNull::new(db).map(|db| Handle { db }).ok_or_else(|| Error::from_status(Status::CantOpen, None))
}

pub(crate) fn convert_sqlite_to_zova(source: &Path, destination: &Path) -> Result<()> {
    let source = c_path(source, "source path")?;
    let destination = c_path(destination, "destination path")?;
    with_message(|out_error_message| {
        let request = sys::zova_convert_sqlite_to_zova_request {
            source_path: source.as_ptr(),
            dest_path: destination.as_ptr(),
            out_error_message,
        };
        // SAFETY: valid request.
        unsafe { sys::zova_convert_sqlite_to_zova(&request) }
    })
}

pub(crate) fn restore_backup(source: &Path, destination: &Path, options: RestoreOptions) -> Result<()> {
    let source = c_path(source, "source path")?;
    let destination = c_path(destination, "destination path")?;
    with_message(|out_error_message| {
        let request = sys::zova_database_restore_request {
            source_path: source.as_ptr(),
            destination_path: destination.as_ptr(),
            flags: if options.verify { 0 } else { sys::ZOVA_RESTORE_NO_VERIFY },
            out_error_message,
        };
        // SAFETY: valid request.
        unsafe { sys::zova_database_restore(&request) }
    })
}

// ---- the handle ----

/// One open `zova_database *`, closed on drop. Children (statements, writers)
/// hold a reference to their `Handle`, so it outlives them and
/// `zova_database_close` never sees live children.
pub(crate) struct Handle {
    db: NonNull<sys::zova_database>,
}

// SAFETY: the C library serializes every call on a handle with its own mutex
// (docs/c-api.md §5.7), so the pointer may move to and be used from any thread. The
// bindings add a Rust Mutex where a call and its error message must be atomic.
unsafe impl Send for Handle {}

impl Drop for Handle {
    fn drop(&mut self) {
        // SAFETY: the handle is live and has no children (they keep it alive).
        unsafe { sys::zova_database_close(self.db.as_ptr()) };
    }
}

impl Handle {
    pub(crate) fn raw(&self) -> *mut sys::zova_database {
        self.db.as_ptr()
    }

    /// The handle's last-error message, copied (docs/c-api.md §5.5).
    pub(crate) fn last_error(&self) -> Option<String> {
        // SAFETY: live handle; the result is NULL or a NUL-terminated string valid until the next call.
        let text = unsafe { sys::zova_database_last_error_message(self.raw()) };
        if text.is_null() {
            return None;
        }
        // SAFETY: non-NULL, NUL-terminated.
        Some(unsafe { CStr::from_ptr(text) }.to_string_lossy().into_owned())
    }

    /// OK, or the error with this handle's message.
    pub(crate) fn check(&self, status: sys::zova_status) -> Result<()> {
        if status == sys::ZOVA_OK {
            Ok(())
        } else {
            Err(Error::from_raw(status, self.last_error()))
        }
    }

    /// Runs a C call whose request points at one output, which starts as
    /// `initial` and is returned when the call succeeds. `request` builds the
    /// request around the output's pointer.
    ///
    /// # Safety
    /// `request` must build a request that is valid for `call`.
    pub(crate) unsafe fn fetch<Out, Req>(&self, initial: Out, call: Call<Req>, request: impl FnOnce(*mut Out) -> Req)
        -> Result<Out> {
        let mut out = initial;
        self.check(call(&request(&mut out)))?;
        Ok(out)
    }

    /// As [`fetch`](Self::fetch) for an output the library allocates (protocol B):
    /// it starts zeroed, `read` copies it when the call succeeded, and `free`
    /// releases it either way.
    ///
    /// # Safety
    /// As for `fetch`; `free` must be the release function of `Out`.
    pub(crate) unsafe fn fetch_owned<Out: Default, Req, T>(
        &self,
        call: Call<Req>,
        request: impl FnOnce(*mut Out) -> Req,
        read: impl FnOnce(&Out) -> Result<T>,
        free: unsafe extern "C" fn(*mut Out),
    ) -> Result<T> {
        let mut out = Out::default();
        let status = call(&request(&mut out));
        let result = self.check(status).and_then(|()| read(&out));
        free(&mut out);
        result
    }

    fn simple(&self, call: Call<sys::zova_database_simple_request>) -> Result<()> {
        let request = sys::zova_database_simple_request { db: self.raw() };
        // SAFETY: valid request.
        self.check(unsafe { call(&request) })
    }

    fn savepoint_call(&self, call: Call<sys::zova_database_savepoint_request>, name: &str) -> Result<()> {
        let name = c_string(name, "savepoint name")?;
        let request = sys::zova_database_savepoint_request { db: self.raw(), name: name.as_ptr() };
        // SAFETY: valid request.
        self.check(unsafe { call(&request) })
    }

    // ---- SQL, transactions, connection helpers ----

    pub(crate) fn exec(&self, sql: &str) -> Result<()> {
        let sql = c_string(sql, "sql")?;
        let request = sys::zova_database_exec_request { db: self.raw(), sql: sql.as_ptr() };
        // SAFETY: valid request.
        self.check(unsafe { sys::zova_database_exec(&request) })
    }

    pub(crate) fn begin(&self) -> Result<()> {
        self.simple(sys::zova_database_begin)
    }

    pub(crate) fn begin_immediate(&self) -> Result<()> {
        self.simple(sys::zova_database_begin_immediate)
    }

    pub(crate) fn commit(&self) -> Result<()> {
        self.simple(sys::zova_database_commit)
    }

    pub(crate) fn rollback(&self) -> Result<()> {
        self.simple(sys::zova_database_rollback)
    }

    pub(crate) fn savepoint(&self, name: &str) -> Result<()> {
        self.savepoint_call(sys::zova_database_savepoint, name)
    }

    pub(crate) fn rollback_to_savepoint(&self, name: &str) -> Result<()> {
        self.savepoint_call(sys::zova_database_rollback_to_savepoint, name)
    }

    pub(crate) fn release_savepoint(&self, name: &str) -> Result<()> {
        self.savepoint_call(sys::zova_database_release_savepoint, name)
    }

    pub(crate) fn vacuum(&self) -> Result<()> {
        self.simple(sys::zova_database_vacuum)
    }

    pub(crate) fn backup_to(&self, destination: &Path, options: BackupOptions) -> Result<()> {
        let destination = c_path(destination, "destination path")?;
        let request = sys::zova_database_backup_request {
            db: self.raw(),
            destination_path: destination.as_ptr(),
            flags: if options.verify { 0 } else { sys::ZOVA_BACKUP_NO_VERIFY },
        };
        // SAFETY: valid request.
        self.check(unsafe { sys::zova_database_backup(&request) })
    }

    pub(crate) fn compact_to(&self, destination: &Path, options: CompactOptions) -> Result<()> {
        let destination = c_path(destination, "destination path")?;
        let request = sys::zova_database_compact_request {
            db: self.raw(),
            destination_path: destination.as_ptr(),
            flags: if options.verify { 0 } else { sys::ZOVA_COMPACT_NO_VERIFY },
        };
        // SAFETY: valid request.
        self.check(unsafe { sys::zova_database_compact(&request) })
    }

    pub(crate) fn set_busy_timeout(&self, milliseconds: u32) -> Result<()> {
        let request = sys::zova_database_busy_timeout_request { db: self.raw(), milliseconds };
        // SAFETY: valid request.
        self.check(unsafe { sys::zova_database_set_busy_timeout(&request) })
    }

    pub(crate) fn last_insert_rowid(&self) -> Result<i64> {
        let request = |out_rowid| sys::zova_database_last_insert_rowid_request { db: self.raw(), out_rowid };
        // SAFETY: valid request.
        unsafe { self.fetch(0, sys::zova_database_last_insert_rowid, request) }
    }

    pub(crate) fn changes(&self) -> Result<i64> {
        let request = |out_changes| sys::zova_database_changes_request { db: self.raw(), out_changes };
        // SAFETY: valid request.
        unsafe { self.fetch(0, sys::zova_database_changes, request) }
    }

    pub(crate) fn total_changes(&self) -> Result<i64> {
        let request = |out_total_changes| sys::zova_database_total_changes_request { db: self.raw(), out_total_changes };
        // SAFETY: valid request.
        unsafe { self.fetch(0, sys::zova_database_total_changes, request) }
    }

    pub(crate) fn prepare_raw(&self, sql: &str) -> Result<NonNull<sys::zova_statement>> {
        let sql = c_string(sql, "sql")?;
        let request = |out_statement| sys::zova_database_prepare_request { db: self.raw(), sql: sql.as_ptr(), out_statement };
        // SAFETY: valid request.
        let statement = unsafe { self.fetch(ptr::null_mut(), sys::zova_database_prepare, request) }?;
        NonNull::new(statement).ok_or_else(Error::invalid_argument)
    }

    // ---- objects ----

    pub(crate) fn put_object(&self, data: &[u8]) -> Result<ObjectId> {
        let request = |out_id| sys::zova_object_put_request { db: self.raw(), data: data.as_ptr(), len: data.len(), out_id };
        // SAFETY: valid request.
        unsafe { self.fetch(Default::default(), sys::zova_object_put, request) }.map(ObjectId::from_raw)
    }

    pub(crate) fn put_objects(&self, objects: &[&[u8]]) -> Result<Vec<ObjectId>> {
        let data: Vec<*const u8> = objects.iter().map(|object| object.as_ptr()).collect();
        let lens: Vec<usize> = objects.iter().map(|object| object.len()).collect();
        let mut out = vec![sys::zova_object_id::default(); objects.len()];
        let request = sys::zova_object_put_many_request {
            db: self.raw(),
            data: data.as_ptr(),
            lens: lens.as_ptr(),
            count: objects.len(),
            out_ids: out.as_mut_ptr(),
        };
        // SAFETY: valid request; out has count entries.
        self.check(unsafe { sys::zova_object_put_many(&request) })?;
        Ok(out.into_iter().map(ObjectId::from_raw).collect())
    }

    pub(crate) fn get_object(&self, id: &ObjectId) -> Result<Vec<u8>> {
        let request = |out_buffer| sys::zova_object_get_request { db: self.raw(), id: id.to_raw(), out_buffer };
        // SAFETY: valid request.
        unsafe { self.fetch_owned(sys::zova_object_get, request, read_buffer, sys::zova_buffer_free) }
    }

    pub(crate) fn read_object_range(&self, id: &ObjectId, offset: u64, buffer: &mut [u8]) -> Result<usize> {
        let request = |out_copied| sys::zova_object_read_range_request {
            db: self.raw(),
            id: id.to_raw(),
            offset,
            buffer: buffer.as_mut_ptr(),
            buffer_len: buffer.len(),
            out_copied,
        };
        // SAFETY: valid request; buffer is writable for buffer_len bytes.
        unsafe { self.fetch(0, sys::zova_object_read_range, request) }
    }

    pub(crate) fn has_object(&self, id: &ObjectId) -> Result<bool> {
        let request = |out_exists| sys::zova_object_exists_request { db: self.raw(), id: id.to_raw(), out_exists };
        // SAFETY: valid request.
        unsafe { self.fetch(0, sys::zova_object_exists, request) }.map(|exists| exists != 0)
    }

    pub(crate) fn object_size(&self, id: &ObjectId) -> Result<u64> {
        let request = |out_size| sys::zova_object_size_request { db: self.raw(), id: id.to_raw(), out_size };
        // SAFETY: valid request.
        unsafe { self.fetch(0, sys::zova_object_size, request) }
    }

    pub(crate) fn object_chunk_count(&self, id: &ObjectId) -> Result<u64> {
        let request = |out_count| sys::zova_object_chunk_count_request { db: self.raw(), id: id.to_raw(), out_count };
        // SAFETY: valid request.
        unsafe { self.fetch(0, sys::zova_object_chunk_count, request) }
    }

    pub(crate) fn delete_object(&self, id: &ObjectId) -> Result<()> {
        let request = sys::zova_object_delete_request { db: self.raw(), id: id.to_raw() };
        // SAFETY: valid request.
        self.check(unsafe { sys::zova_object_delete(&request) })
    }

    pub(crate) fn object_manifest(&self, id: &ObjectId) -> Result<ObjectManifest> {
        let request = |out_manifest| sys::zova_object_manifest_get_request { db: self.raw(), id: id.to_raw(), out_manifest };
        // SAFETY: valid request.
        unsafe { self.fetch_owned(sys::zova_object_manifest_get, request, read_manifest, sys::zova_object_manifest_free) }
    }

    pub(crate) fn get_object_chunk(&self, hash: &ObjectChunkId) -> Result<Vec<u8>> {
        let request = |out_buffer| sys::zova_object_chunk_get_request { db: self.raw(), hash: hash.to_raw(), out_buffer };
        // SAFETY: valid request.
        unsafe { self.fetch_owned(sys::zova_object_chunk_get, request, read_buffer, sys::zova_buffer_free) }
    }

    pub(crate) fn has_object_chunk(&self, hash: &ObjectChunkId) -> Result<bool> {
        match self.get_object_chunk(hash) {
            Ok(_) => Ok(true),
            Err(error) if error.status() == Status::ObjectChunkNotFound => Ok(false),
            Err(error) => Err(error),
        }
    }

    pub(crate) fn put_object_chunk(&self, expected_hash: &ObjectChunkId, data: &[u8]) -> Result<()> {
        let request = sys::zova_object_chunk_put_request {
            db: self.raw(),
            expected_hash: expected_hash.to_raw(),
            data: data.as_ptr(),
            len: data.len(),
        };
        // SAFETY: valid request.
        self.check(unsafe { sys::zova_object_chunk_put(&request) })
    }

    pub(crate) fn delete_object_chunk(&self, hash: &ObjectChunkId) -> Result<bool> {
        let request = |out_deleted| sys::zova_object_chunk_delete_request { db: self.raw(), hash: hash.to_raw(), out_deleted };
        // SAFETY: valid request.
        unsafe { self.fetch(0, sys::zova_object_chunk_delete, request) }.map(|deleted| deleted != 0)
    }

    pub(crate) fn assemble_object_from_chunks(
        &self,
        id: &ObjectId,
        size_bytes: u64,
        chunks: &[ObjectManifestChunk],
    ) -> Result<()> {
        let raw: Vec<sys::zova_object_manifest_chunk> = chunks.iter().map(|chunk| chunk.to_raw()).collect();
        let request = sys::zova_object_assemble_from_chunks_request {
            db: self.raw(),
            id: id.to_raw(),
            size_bytes,
            chunks: raw.as_ptr(),
            chunk_count: raw.len(),
        };
        // SAFETY: valid request.
        self.check(unsafe { sys::zova_object_assemble_from_chunks(&request) })
    }

    pub(crate) fn writer_create(&self) -> Result<NonNull<sys::zova_object_writer>> {
        let request = |out_writer| sys::zova_object_writer_create_request { db: self.raw(), out_writer };
        // SAFETY: valid request.
        let writer = unsafe { self.fetch(ptr::null_mut(), sys::zova_object_writer_create, request) }?;
        NonNull::new(writer).ok_or_else(Error::invalid_argument)
    }

    // ---- vectors ----

    pub(crate) fn create_vector_collection(&self, name: &str, options: VectorCollectionOptions) -> Result<()> {
        let name = c_string(name, "vector collection name")?;
        let request = sys::zova_vector_collection_create_request {
            db: self.raw(),
            name: name.as_ptr(),
            options: sys::zova_vector_collection_options { dimensions: options.dimensions, metric: options.metric.raw() },
        };
        // SAFETY: valid request.
        self.check(unsafe { sys::zova_vector_collection_create(&request) })
    }

    pub(crate) fn has_vector_collection(&self, name: &str) -> Result<bool> {
        let name = c_string(name, "vector collection name")?;
        let request = |out_exists| sys::zova_vector_collection_exists_request { db: self.raw(), name: name.as_ptr(), out_exists };
        // SAFETY: valid request.
        unsafe { self.fetch(0, sys::zova_vector_collection_exists, request) }.map(|exists| exists != 0)
    }

    pub(crate) fn vector_collection_info(&self, name: &str) -> Result<VectorCollectionInfo> {
        let name = c_string(name, "vector collection name")?;
        let request = |out_info| sys::zova_vector_collection_info_get_request { db: self.raw(), name: name.as_ptr(), out_info };
        // SAFETY: valid request.
        unsafe { self.fetch_owned(sys::zova_vector_collection_info_get, request, read_info, sys::zova_vector_collection_info_free) }
    }

    pub(crate) fn list_vector_collections(&self) -> Result<Vec<VectorCollectionInfo>> {
        let request = |out_list| sys::zova_vector_collections_list_request { db: self.raw(), out_list };
        // SAFETY: items points at len library-owned entries.
        let read = |list: &sys::zova_vector_collection_list| unsafe { slice(list.items, list.len) }.iter().map(read_info).collect();
        // SAFETY: valid request.
        unsafe { self.fetch_owned(sys::zova_vector_collections_list, request, read, sys::zova_vector_collection_list_free) }
    }

    pub(crate) fn delete_vector_collection(&self, name: &str) -> Result<()> {
        let name = c_string(name, "vector collection name")?;
        let request = sys::zova_vector_collection_delete_request { db: self.raw(), name: name.as_ptr() };
        // SAFETY: valid request.
        self.check(unsafe { sys::zova_vector_collection_delete(&request) })
    }

    pub(crate) fn put_vector(&self, collection_name: &str, vector_id: &str, values: &[f32]) -> Result<()> {
        let collection = c_string(collection_name, "vector collection name")?;
        let id = c_string(vector_id, "vector id")?;
        let request = sys::zova_vector_put_request {
            db: self.raw(),
            collection_name: collection.as_ptr(),
            vector_id: id.as_ptr(),
            values: values.as_ptr(),
            values_len: values.len(),
        };
        // SAFETY: valid request.
        self.check(unsafe { sys::zova_vector_put(&request) })
    }

    pub(crate) fn put_vectors(&self, collection_name: &str, vectors: &[VectorInput<'_>]) -> Result<()> {
        let collection = c_string(collection_name, "vector collection name")?;
        let ids = vectors.iter().map(|vector| c_string(vector.id, "vector id")).collect::<Result<Vec<_>>>()?;
        let inputs: Vec<sys::zova_vector_input> = vectors
            .iter()
            .zip(&ids)
            .map(|(vector, id)| sys::zova_vector_input {
                id: id.as_ptr(),
                values: vector.values.as_ptr(),
                values_len: vector.values.len(),
            })
            .collect();
        let request = sys::zova_vector_put_many_request {
            db: self.raw(),
            collection_name: collection.as_ptr(),
            vectors: inputs.as_ptr(),
            vectors_len: inputs.len(),
        };
        // SAFETY: valid request; ids and values outlive the call.
        self.check(unsafe { sys::zova_vector_put_many(&request) })
    }

    pub(crate) fn get_vector(&self, collection_name: &str, vector_id: &str) -> Result<Vector> {
        let collection = c_string(collection_name, "vector collection name")?;
        let id = c_string(vector_id, "vector id")?;
        let request = |out_vector| sys::zova_vector_get_request {
            db: self.raw(),
            collection_name: collection.as_ptr(),
            vector_id: id.as_ptr(),
            out_vector,
        };
        // SAFETY: valid request.
        unsafe { self.fetch_owned(sys::zova_vector_get, request, read_vector, sys::zova_vector_free) }
    }

    pub(crate) fn has_vector(&self, collection_name: &str, vector_id: &str) -> Result<bool> {
        let collection = c_string(collection_name, "vector collection name")?;
        let id = c_string(vector_id, "vector id")?;
        let request = |out_exists| sys::zova_vector_exists_request {
            db: self.raw(),
            collection_name: collection.as_ptr(),
            vector_id: id.as_ptr(),
            out_exists,
        };
        // SAFETY: valid request.
        unsafe { self.fetch(0, sys::zova_vector_exists, request) }.map(|exists| exists != 0)
    }

    pub(crate) fn delete_vector(&self, collection_name: &str, vector_id: &str) -> Result<()> {
        let collection = c_string(collection_name, "vector collection name")?;
        let id = c_string(vector_id, "vector id")?;
        let request = sys::zova_vector_delete_request {
            db: self.raw(),
            collection_name: collection.as_ptr(),
            vector_id: id.as_ptr(),
        };
        // SAFETY: valid request.
        self.check(unsafe { sys::zova_vector_delete(&request) })
    }

    /// One of the eight vector searches: converts the arguments they share (in
    /// the order their errors are reported), fills the search's own request
    /// from them with `request`, runs `call` and copies the results.
    ///
    /// # Safety
    /// `request` must build a request that is valid for `call` from the fields.
    unsafe fn search<Req>(
        &self,
        call: Call<Req>,
        collection_name: &str,
        query: Query<'_>,
        candidate_ids: &[&str],
        request: impl FnOnce(&SearchFields) -> Req,
    ) -> Result<Vec<VectorSearchResult>> {
        let collection = c_string(collection_name, "vector collection name")?;
        let (values, source) = match query {
            Query::Values(values) => (values, None),
            Query::Stored(id) => (&[][..], Some(c_string(id, "vector id")?)),
        };
        let candidates = Candidates::new(candidate_ids)?;
        let fields = |out_results| SearchFields {
            db: self.raw(),
            collection_name: collection.as_ptr(),
            query: values.as_ptr(),
            query_len: values.len(),
            source_vector_id: source.as_ref().map_or(ptr::null(), |id| id.as_ptr()),
            candidate_ids: candidates.pointers.as_ptr(),
            candidate_count: candidates.pointers.len(),
            out_results,
        };
        self.fetch_owned(call, |out| request(&fields(out)), read_results, sys::zova_vector_search_results_free)
    }

    pub(crate) fn search_vectors(&self, collection_name: &str, query: &[f32], limit: usize)
        -> Result<Vec<VectorSearchResult>> {
        let request = search_request!(zova_vector_search_request: query, query_len; limit);
        // SAFETY: the request is made of the search's fields.
        unsafe { self.search(sys::zova_vector_search, collection_name, Query::Values(query), &[], request) }
    }

    pub(crate) fn search_vectors_in(&self, collection_name: &str, query: &[f32], candidate_ids: &[&str], limit: usize)
        -> Result<Vec<VectorSearchResult>> {
        let request = search_request!(zova_vector_search_in_request:
                                      query, query_len, candidate_ids, candidate_count; limit);
        // SAFETY: the request is made of the search's fields.
        unsafe { self.search(sys::zova_vector_search_in, collection_name, Query::Values(query), candidate_ids, request) }
    }

    pub(crate) fn search_vectors_within(&self, collection_name: &str, query: &[f32], max_distance: f64, limit: usize)
        -> Result<Vec<VectorSearchResult>> {
        let request = search_request!(zova_vector_search_within_request: query, query_len; max_distance, limit);
        // SAFETY: the request is made of the search's fields.
        unsafe { self.search(sys::zova_vector_search_within, collection_name, Query::Values(query), &[], request) }
    }

    pub(crate) fn search_vectors_in_within(
        &self,
        collection_name: &str,
        query: &[f32],
        candidate_ids: &[&str],
        max_distance: f64,
        limit: usize,
    ) -> Result<Vec<VectorSearchResult>> {
        let request = search_request!(zova_vector_search_in_within_request:
                                      query, query_len, candidate_ids, candidate_count; max_distance, limit);
        let query = Query::Values(query);
        // SAFETY: the request is made of the search's fields.
        unsafe { self.search(sys::zova_vector_search_in_within, collection_name, query, candidate_ids, request) }
    }

    pub(crate) fn search_vectors_by_id(&self, collection_name: &str, source_vector_id: &str, limit: usize)
        -> Result<Vec<VectorSearchResult>> {
        let request = search_request!(zova_vector_search_by_id_request: source_vector_id; limit);
        let query = Query::Stored(source_vector_id);
        // SAFETY: the request is made of the search's fields.
        unsafe { self.search(sys::zova_vector_search_by_id, collection_name, query, &[], request) }
    }

    pub(crate) fn search_vectors_by_id_in(
        &self,
        collection_name: &str,
        source_vector_id: &str,
        candidate_ids: &[&str],
        limit: usize,
    ) -> Result<Vec<VectorSearchResult>> {
        let request = search_request!(zova_vector_search_by_id_in_request:
                                      source_vector_id, candidate_ids, candidate_count; limit);
        let query = Query::Stored(source_vector_id);
        // SAFETY: the request is made of the search's fields.
        unsafe { self.search(sys::zova_vector_search_by_id_in, collection_name, query, candidate_ids, request) }
    }

    pub(crate) fn search_vectors_by_id_within(
        &self,
        collection_name: &str,
        source_vector_id: &str,
        max_distance: f64,
        limit: usize,
    ) -> Result<Vec<VectorSearchResult>> {
        let request = search_request!(zova_vector_search_by_id_within_request: source_vector_id; max_distance, limit);
        let query = Query::Stored(source_vector_id);
        // SAFETY: the request is made of the search's fields.
        unsafe { self.search(sys::zova_vector_search_by_id_within, collection_name, query, &[], request) }
    }

    pub(crate) fn search_vectors_by_id_in_within(
        &self,
        collection_name: &str,
        source_vector_id: &str,
        candidate_ids: &[&str],
        max_distance: f64,
        limit: usize,
    ) -> Result<Vec<VectorSearchResult>> {
        let request = search_request!(zova_vector_search_by_id_in_within_request:
                                      source_vector_id, candidate_ids, candidate_count; max_distance, limit);
        let query = Query::Stored(source_vector_id);
        // SAFETY: the request is made of the search's fields.
        unsafe { self.search(sys::zova_vector_search_by_id_in_within, collection_name, query, candidate_ids, request) }
    }
}

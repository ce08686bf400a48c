//! The owned `zova_database *` and every call made through it. `Database`,
//! `SharedDatabase` and `SharedDatabaseGuard` all delegate here, so each C call
//! and the copy of its error message happen in one place (c-abi §5.5).
use std::ffi::{c_char, CStr, CString};
use std::path::Path;
use std::ptr::{self, NonNull};

use zova_sys as sys;

use crate::error::{Error, Result, Status};
use crate::object::{ObjectChunkId, ObjectId, ObjectManifest, ObjectManifestChunk};
use crate::vector::{Vector, VectorCollectionInfo, VectorCollectionOptions, VectorInput, VectorMetric,
                    VectorSearchResult};
use crate::{BackupOptions, CompactOptions, OpenOptions, RestoreOptions};

// ---- argument conversion ----

pub(crate) fn c_string(text: &str, context: &'static str) -> Result<CString> {
    CString::new(text).map_err(|_| Error::InteriorNul { context })
}

pub(crate) fn c_path(path: &Path, context: &'static str) -> Result<CString> {
    c_string(path.to_str().ok_or(Error::NonUtf8Path)?, context)
}

/// Owned UTF-8 copy of (data, len) returned by the library.
///
/// # Safety
/// `data` must be NULL or point at `len` readable bytes.
pub(crate) unsafe fn utf8(data: *const c_char, len: usize) -> Result<String> {
    if data.is_null() || len == 0 {
        return Ok(String::new());
    }
    let bytes = std::slice::from_raw_parts(data as *const u8, len);
    String::from_utf8(bytes.to_vec()).map_err(|_| Error::InvalidUtf8Text)
}

/// Owned copy of (data, len) returned by the library.
///
/// # Safety
/// `data` must be NULL or point at `len` readable bytes.
pub(crate) unsafe fn bytes(data: *const u8, len: usize) -> Vec<u8> {
    if data.is_null() || len == 0 {
        return Vec::new();
    }
    std::slice::from_raw_parts(data, len).to_vec()
}

/// Takes the owned message of create/open/convert/restore and frees it.
fn take_message(message: &mut sys::zova_message) -> Option<String> {
    // SAFETY: the library filled (data, len) or left it {NULL, 0}.
    let text = unsafe { utf8(message.data, message.len) }.ok();
    // SAFETY: message holds library-owned data or nothing.
    unsafe { sys::zova_message_free(message) };
    text
}

fn check_message(status: sys::zova_status, message: &mut sys::zova_message) -> Result<()> {
    let text = take_message(message);
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

fn take_results(results: &mut sys::zova_vector_search_results) -> Result<Vec<VectorSearchResult>> {
    let mut converted = Ok(Vec::with_capacity(results.len));
    if !results.items.is_null() {
        // SAFETY: items points at len results owned by the library.
        let items = unsafe { std::slice::from_raw_parts(results.items, results.len) };
        converted = items
            .iter()
            .map(|item| {
                // SAFETY: id points at id_len bytes.
                Ok(VectorSearchResult { id: unsafe { utf8(item.id, item.id_len) }?, distance: item.distance })
            })
            .collect();
    }
    // SAFETY: library-owned results.
    unsafe { sys::zova_vector_search_results_free(results) };
    converted
}

fn convert_info(info: &sys::zova_vector_collection_info) -> Result<VectorCollectionInfo> {
    Ok(VectorCollectionInfo {
        // SAFETY: name points at name_len bytes.
        name: unsafe { utf8(info.name, info.name_len) }?,
        dimensions: info.dimensions,
        metric: VectorMetric::from_raw(info.metric).ok_or_else(|| Error::from_status(Status::VectorCorrupt, None))?,
        vector_count: info.vector_count,
    })
}

// ---- handle-less operations ----

pub(crate) fn open(path: &Path, create: bool, options: Option<OpenOptions>) -> Result<Handle> {
    let path = c_path(path, "path")?;
    let mut db: *mut sys::zova_database = ptr::null_mut();
    let mut message = sys::zova_message::default();
    // SAFETY: every pointer in the requests is valid for the call.
    let status = unsafe {
        match options {
            None => {
                let request = sys::zova_database_open_request {
                    path: path.as_ptr(),
                    out_db: &mut db,
                    out_error_message: &mut message,
                };
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
                    out_error_message: &mut message,
                };
                sys::zova_database_open_with_options(&request)
            }
        }
    };
    check_message(status, &mut message)?;
    NonNull::new(db).map(|db| Handle { db }).ok_or_else(|| Error::from_status(Status::CantOpen, None))
}

pub(crate) fn convert_sqlite_to_zova(source: &Path, destination: &Path) -> Result<()> {
    let source = c_path(source, "source path")?;
    let destination = c_path(destination, "destination path")?;
    let mut message = sys::zova_message::default();
    let request = sys::zova_convert_sqlite_to_zova_request {
        source_path: source.as_ptr(),
        dest_path: destination.as_ptr(),
        out_error_message: &mut message,
    };
    // SAFETY: valid request.
    let status = unsafe { sys::zova_convert_sqlite_to_zova(&request) };
    check_message(status, &mut message)
}

pub(crate) fn restore_backup(source: &Path, destination: &Path, options: RestoreOptions) -> Result<()> {
    let source = c_path(source, "source path")?;
    let destination = c_path(destination, "destination path")?;
    let mut message = sys::zova_message::default();
    let request = sys::zova_database_restore_request {
        source_path: source.as_ptr(),
        destination_path: destination.as_ptr(),
        flags: if options.verify { 0 } else { sys::ZOVA_RESTORE_NO_VERIFY },
        out_error_message: &mut message,
    };
    // SAFETY: valid request.
    let status = unsafe { sys::zova_database_restore(&request) };
    check_message(status, &mut message)
}

// ---- the handle ----

/// One open `zova_database *`, closed on drop. Children (statements, writers)
/// hold a reference to their `Handle`, so it outlives them and
/// `zova_database_close` never sees live children.
pub(crate) struct Handle {
    db: NonNull<sys::zova_database>,
}

// SAFETY: the C library serializes every call on a handle with its own mutex
// (c-abi §5.7), so the pointer may move to and be used from any thread. The
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

    /// The handle's last-error message, copied (c-abi §5.5).
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

    fn simple(&self, call: unsafe extern "C" fn(*const sys::zova_database_simple_request) -> sys::zova_status)
        -> Result<()> {
        let request = sys::zova_database_simple_request { db: self.raw() };
        // SAFETY: valid request.
        self.check(unsafe { call(&request) })
    }

    fn savepoint_call(
        &self,
        call: unsafe extern "C" fn(*const sys::zova_database_savepoint_request) -> sys::zova_status,
        name: &str,
    ) -> Result<()> {
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
        let mut out = 0i64;
        let request = sys::zova_database_last_insert_rowid_request { db: self.raw(), out_rowid: &mut out };
        // SAFETY: valid request.
        self.check(unsafe { sys::zova_database_last_insert_rowid(&request) })?;
        Ok(out)
    }

    pub(crate) fn changes(&self) -> Result<i64> {
        let mut out = 0i64;
        let request = sys::zova_database_changes_request { db: self.raw(), out_changes: &mut out };
        // SAFETY: valid request.
        self.check(unsafe { sys::zova_database_changes(&request) })?;
        Ok(out)
    }

    pub(crate) fn total_changes(&self) -> Result<i64> {
        let mut out = 0i64;
        let request = sys::zova_database_total_changes_request { db: self.raw(), out_total_changes: &mut out };
        // SAFETY: valid request.
        self.check(unsafe { sys::zova_database_total_changes(&request) })?;
        Ok(out)
    }

    pub(crate) fn prepare_raw(&self, sql: &str) -> Result<NonNull<sys::zova_statement>> {
        let sql = c_string(sql, "sql")?;
        let mut statement: *mut sys::zova_statement = ptr::null_mut();
        let request = sys::zova_database_prepare_request { db: self.raw(), sql: sql.as_ptr(), out_statement: &mut statement };
        // SAFETY: valid request.
        self.check(unsafe { sys::zova_database_prepare(&request) })?;
        NonNull::new(statement).ok_or_else(Error::invalid_argument)
    }

    // ---- objects ----

    pub(crate) fn put_object(&self, data: &[u8]) -> Result<ObjectId> {
        let mut out = sys::zova_object_id::default();
        let request = sys::zova_object_put_request { db: self.raw(), data: data.as_ptr(), len: data.len(), out_id: &mut out };
        // SAFETY: valid request.
        self.check(unsafe { sys::zova_object_put(&request) })?;
        Ok(ObjectId::from_raw(out))
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
        let mut buffer = sys::zova_buffer::default();
        let request = sys::zova_object_get_request { db: self.raw(), id: id.to_raw(), out_buffer: &mut buffer };
        // SAFETY: valid request.
        let status = unsafe { sys::zova_object_get(&request) };
        // SAFETY: the buffer is library-owned or empty either way.
        let data = unsafe { bytes(buffer.data, buffer.len) };
        unsafe { sys::zova_buffer_free(&mut buffer) };
        self.check(status)?;
        Ok(data)
    }

    pub(crate) fn read_object_range(&self, id: &ObjectId, offset: u64, buffer: &mut [u8]) -> Result<usize> {
        let mut copied = 0usize;
        let request = sys::zova_object_read_range_request {
            db: self.raw(),
            id: id.to_raw(),
            offset,
            buffer: buffer.as_mut_ptr(),
            buffer_len: buffer.len(),
            out_copied: &mut copied,
        };
        // SAFETY: valid request; buffer is writable for buffer_len bytes.
        self.check(unsafe { sys::zova_object_read_range(&request) })?;
        Ok(copied)
    }

    pub(crate) fn has_object(&self, id: &ObjectId) -> Result<bool> {
        let mut exists = 0u8;
        let request = sys::zova_object_exists_request { db: self.raw(), id: id.to_raw(), out_exists: &mut exists };
        // SAFETY: valid request.
        self.check(unsafe { sys::zova_object_exists(&request) })?;
        Ok(exists != 0)
    }

    pub(crate) fn object_size(&self, id: &ObjectId) -> Result<u64> {
        let mut size = 0u64;
        let request = sys::zova_object_size_request { db: self.raw(), id: id.to_raw(), out_size: &mut size };
        // SAFETY: valid request.
        self.check(unsafe { sys::zova_object_size(&request) })?;
        Ok(size)
    }

    pub(crate) fn object_chunk_count(&self, id: &ObjectId) -> Result<u64> {
        let mut count = 0u64;
        let request = sys::zova_object_chunk_count_request { db: self.raw(), id: id.to_raw(), out_count: &mut count };
        // SAFETY: valid request.
        self.check(unsafe { sys::zova_object_chunk_count(&request) })?;
        Ok(count)
    }

    pub(crate) fn delete_object(&self, id: &ObjectId) -> Result<()> {
        let request = sys::zova_object_delete_request { db: self.raw(), id: id.to_raw() };
        // SAFETY: valid request.
        self.check(unsafe { sys::zova_object_delete(&request) })
    }

    pub(crate) fn object_manifest(&self, id: &ObjectId) -> Result<ObjectManifest> {
        let mut manifest = sys::zova_object_manifest::default();
        let request = sys::zova_object_manifest_get_request { db: self.raw(), id: id.to_raw(), out_manifest: &mut manifest };
        // SAFETY: valid request.
        let status = unsafe { sys::zova_object_manifest_get(&request) };
        let result = self.check(status).map(|()| {
            let chunks = if manifest.chunks.is_null() {
                Vec::new()
            } else {
                // SAFETY: chunks points at chunks_len library-owned entries.
                unsafe { std::slice::from_raw_parts(manifest.chunks, manifest.chunks_len) }
                    .iter()
                    .map(|chunk| ObjectManifestChunk {
                        index: chunk.index,
                        hash: ObjectChunkId::from_raw(chunk.hash),
                        offset: chunk.offset,
                        size_bytes: chunk.size_bytes,
                    })
                    .collect()
            };
            let chunker = if manifest.chunker.is_null() {
                String::new()
            } else {
                // SAFETY: static NUL-terminated string.
                unsafe { CStr::from_ptr(manifest.chunker) }.to_string_lossy().into_owned()
            };
            ObjectManifest {
                object_id: ObjectId::from_raw(manifest.object_id),
                size_bytes: manifest.size_bytes,
                chunk_count: manifest.chunk_count,
                chunker,
                chunks,
            }
        });
        // SAFETY: library-owned or empty.
        unsafe { sys::zova_object_manifest_free(&mut manifest) };
        result
    }

    pub(crate) fn get_object_chunk(&self, hash: &ObjectChunkId) -> Result<Vec<u8>> {
        let mut buffer = sys::zova_buffer::default();
        let request = sys::zova_object_chunk_get_request { db: self.raw(), hash: hash.to_raw(), out_buffer: &mut buffer };
        // SAFETY: valid request.
        let status = unsafe { sys::zova_object_chunk_get(&request) };
        // SAFETY: library-owned or empty.
        let data = unsafe { bytes(buffer.data, buffer.len) };
        unsafe { sys::zova_buffer_free(&mut buffer) };
        self.check(status)?;
        Ok(data)
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
        let mut deleted = 0u8;
        let request = sys::zova_object_chunk_delete_request { db: self.raw(), hash: hash.to_raw(), out_deleted: &mut deleted };
        // SAFETY: valid request.
        self.check(unsafe { sys::zova_object_chunk_delete(&request) })?;
        Ok(deleted != 0)
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
        let mut writer: *mut sys::zova_object_writer = ptr::null_mut();
        let request = sys::zova_object_writer_create_request { db: self.raw(), out_writer: &mut writer };
        // SAFETY: valid request.
        self.check(unsafe { sys::zova_object_writer_create(&request) })?;
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
        let mut exists = 0u8;
        let request = sys::zova_vector_collection_exists_request { db: self.raw(), name: name.as_ptr(), out_exists: &mut exists };
        // SAFETY: valid request.
        self.check(unsafe { sys::zova_vector_collection_exists(&request) })?;
        Ok(exists != 0)
    }

    pub(crate) fn vector_collection_info(&self, name: &str) -> Result<VectorCollectionInfo> {
        let name = c_string(name, "vector collection name")?;
        let mut info = sys::zova_vector_collection_info::default();
        let request = sys::zova_vector_collection_info_get_request { db: self.raw(), name: name.as_ptr(), out_info: &mut info };
        // SAFETY: valid request.
        let status = unsafe { sys::zova_vector_collection_info_get(&request) };
        let result = self.check(status).and_then(|()| convert_info(&info));
        // SAFETY: library-owned or empty.
        unsafe { sys::zova_vector_collection_info_free(&mut info) };
        result
    }

    pub(crate) fn list_vector_collections(&self) -> Result<Vec<VectorCollectionInfo>> {
        let mut list = sys::zova_vector_collection_list::default();
        let request = sys::zova_vector_collections_list_request { db: self.raw(), out_list: &mut list };
        // SAFETY: valid request.
        let status = unsafe { sys::zova_vector_collections_list(&request) };
        let result = self.check(status).and_then(|()| {
            if list.items.is_null() {
                return Ok(Vec::new());
            }
            // SAFETY: items points at len library-owned entries.
            unsafe { std::slice::from_raw_parts(list.items, list.len) }.iter().map(convert_info).collect()
        });
        // SAFETY: library-owned or empty.
        unsafe { sys::zova_vector_collection_list_free(&mut list) };
        result
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
        let mut vector = sys::zova_vector::default();
        let request = sys::zova_vector_get_request {
            db: self.raw(),
            collection_name: collection.as_ptr(),
            vector_id: id.as_ptr(),
            out_vector: &mut vector,
        };
        // SAFETY: valid request.
        let status = unsafe { sys::zova_vector_get(&request) };
        let result = self.check(status).and_then(|()| {
            let values = if vector.values.is_null() || vector.values_len == 0 {
                Vec::new()
            } else {
                // SAFETY: values points at values_len floats.
                unsafe { std::slice::from_raw_parts(vector.values, vector.values_len) }.to_vec()
            };
            // SAFETY: id points at id_len bytes.
            Ok(Vector { id: unsafe { utf8(vector.id, vector.id_len) }?, values })
        });
        // SAFETY: library-owned or empty.
        unsafe { sys::zova_vector_free(&mut vector) };
        result
    }

    pub(crate) fn has_vector(&self, collection_name: &str, vector_id: &str) -> Result<bool> {
        let collection = c_string(collection_name, "vector collection name")?;
        let id = c_string(vector_id, "vector id")?;
        let mut exists = 0u8;
        let request = sys::zova_vector_exists_request {
            db: self.raw(),
            collection_name: collection.as_ptr(),
            vector_id: id.as_ptr(),
            out_exists: &mut exists,
        };
        // SAFETY: valid request.
        self.check(unsafe { sys::zova_vector_exists(&request) })?;
        Ok(exists != 0)
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

    fn search(
        &self,
        call: impl FnOnce(*mut sys::zova_database, &mut sys::zova_vector_search_results) -> sys::zova_status,
    ) -> Result<Vec<VectorSearchResult>> {
        let mut results = sys::zova_vector_search_results::default();
        let status = call(self.raw(), &mut results);
        let checked = self.check(status);
        let converted = take_results(&mut results);
        checked.and(converted)
    }

    pub(crate) fn search_vectors(&self, collection_name: &str, query: &[f32], limit: usize)
        -> Result<Vec<VectorSearchResult>> {
        let collection = c_string(collection_name, "vector collection name")?;
        self.search(|db, out| {
            let request = sys::zova_vector_search_request {
                db,
                collection_name: collection.as_ptr(),
                query: query.as_ptr(),
                query_len: query.len(),
                limit,
                out_results: out,
            };
            // SAFETY: valid request.
            unsafe { sys::zova_vector_search(&request) }
        })
    }

    pub(crate) fn search_vectors_in(&self, collection_name: &str, query: &[f32], candidate_ids: &[&str], limit: usize)
        -> Result<Vec<VectorSearchResult>> {
        let collection = c_string(collection_name, "vector collection name")?;
        let candidates = Candidates::new(candidate_ids)?;
        self.search(|db, out| {
            let request = sys::zova_vector_search_in_request {
                db,
                collection_name: collection.as_ptr(),
                query: query.as_ptr(),
                query_len: query.len(),
                candidate_ids: candidates.pointers.as_ptr(),
                candidate_count: candidates.pointers.len(),
                limit,
                out_results: out,
            };
            // SAFETY: valid request.
            unsafe { sys::zova_vector_search_in(&request) }
        })
    }

    pub(crate) fn search_vectors_within(&self, collection_name: &str, query: &[f32], max_distance: f64, limit: usize)
        -> Result<Vec<VectorSearchResult>> {
        let collection = c_string(collection_name, "vector collection name")?;
        self.search(|db, out| {
            let request = sys::zova_vector_search_within_request {
                db,
                collection_name: collection.as_ptr(),
                query: query.as_ptr(),
                query_len: query.len(),
                max_distance,
                limit,
                out_results: out,
            };
            // SAFETY: valid request.
            unsafe { sys::zova_vector_search_within(&request) }
        })
    }

    pub(crate) fn search_vectors_in_within(
        &self,
        collection_name: &str,
        query: &[f32],
        candidate_ids: &[&str],
        max_distance: f64,
        limit: usize,
    ) -> Result<Vec<VectorSearchResult>> {
        let collection = c_string(collection_name, "vector collection name")?;
        let candidates = Candidates::new(candidate_ids)?;
        self.search(|db, out| {
            let request = sys::zova_vector_search_in_within_request {
                db,
                collection_name: collection.as_ptr(),
                query: query.as_ptr(),
                query_len: query.len(),
                candidate_ids: candidates.pointers.as_ptr(),
                candidate_count: candidates.pointers.len(),
                max_distance,
                limit,
                out_results: out,
            };
            // SAFETY: valid request.
            unsafe { sys::zova_vector_search_in_within(&request) }
        })
    }

    pub(crate) fn search_vectors_by_id(&self, collection_name: &str, source_vector_id: &str, limit: usize)
        -> Result<Vec<VectorSearchResult>> {
        let collection = c_string(collection_name, "vector collection name")?;
        let source = c_string(source_vector_id, "vector id")?;
        self.search(|db, out| {
            let request = sys::zova_vector_search_by_id_request {
                db,
                collection_name: collection.as_ptr(),
                source_vector_id: source.as_ptr(),
                limit,
                out_results: out,
            };
            // SAFETY: valid request.
            unsafe { sys::zova_vector_search_by_id(&request) }
        })
    }

    pub(crate) fn search_vectors_by_id_in(
        &self,
        collection_name: &str,
        source_vector_id: &str,
        candidate_ids: &[&str],
        limit: usize,
    ) -> Result<Vec<VectorSearchResult>> {
        let collection = c_string(collection_name, "vector collection name")?;
        let source = c_string(source_vector_id, "vector id")?;
        let candidates = Candidates::new(candidate_ids)?;
        self.search(|db, out| {
            let request = sys::zova_vector_search_by_id_in_request {
                db,
                collection_name: collection.as_ptr(),
                source_vector_id: source.as_ptr(),
                candidate_ids: candidates.pointers.as_ptr(),
                candidate_count: candidates.pointers.len(),
                limit,
                out_results: out,
            };
            // SAFETY: valid request.
            unsafe { sys::zova_vector_search_by_id_in(&request) }
        })
    }

    pub(crate) fn search_vectors_by_id_within(
        &self,
        collection_name: &str,
        source_vector_id: &str,
        max_distance: f64,
        limit: usize,
    ) -> Result<Vec<VectorSearchResult>> {
        let collection = c_string(collection_name, "vector collection name")?;
        let source = c_string(source_vector_id, "vector id")?;
        self.search(|db, out| {
            let request = sys::zova_vector_search_by_id_within_request {
                db,
                collection_name: collection.as_ptr(),
                source_vector_id: source.as_ptr(),
                max_distance,
                limit,
                out_results: out,
            };
            // SAFETY: valid request.
            unsafe { sys::zova_vector_search_by_id_within(&request) }
        })
    }

    pub(crate) fn search_vectors_by_id_in_within(
        &self,
        collection_name: &str,
        source_vector_id: &str,
        candidate_ids: &[&str],
        max_distance: f64,
        limit: usize,
    ) -> Result<Vec<VectorSearchResult>> {
        let collection = c_string(collection_name, "vector collection name")?;
        let source = c_string(source_vector_id, "vector id")?;
        let candidates = Candidates::new(candidate_ids)?;
        self.search(|db, out| {
            let request = sys::zova_vector_search_by_id_in_within_request {
                db,
                collection_name: collection.as_ptr(),
                source_vector_id: source.as_ptr(),
                candidate_ids: candidates.pointers.as_ptr(),
                candidate_count: candidates.pointers.len(),
                max_distance,
                limit,
                out_results: out,
            };
            // SAFETY: valid request.
            unsafe { sys::zova_vector_search_by_id_in_within(&request) }
        })
    }
}

//! `Database`, options, and the method set that `Database`, `SharedDatabase`
//! and `SharedDatabaseGuard` share (docs/rust.md §4.3).
use std::path::Path;
use std::rc::Rc;

use crate::error::{Error, Result};
use crate::handle::{self, Handle};
use crate::statement::{OwnedStatement, Statement};
use crate::writer::{ObjectWriter, OwnedObjectWriter};

/// Options of `open_with_options`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OpenOptions {
    /// Open with `ZOVA_OPEN_READ_ONLY`.
    pub read_only: bool,
    /// SQLite busy timeout in milliseconds (0: fail with BUSY at once).
    pub busy_timeout_ms: u32,
}

macro_rules! verify_options {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub struct $name {
            /// Verify the copy after writing it (the default); `false` sets the `*_NO_VERIFY` flag.
            pub verify: bool,
        }

        impl Default for $name {
            fn default() -> Self {
                $name { verify: true }
            }
        }
    };
}
verify_options!(
    /// Options of `backup_to`.
    BackupOptions
);
verify_options!(
    /// Options of `compact_to`.
    CompactOptions
);
verify_options!(
    /// Options of [`restore_backup`].
    RestoreOptions
);

/// Restores a backup to a new `.zova` file (verified unless `options.verify` is false).
pub fn restore_backup(source: impl AsRef<Path>, destination: impl AsRef<Path>, options: RestoreOptions) -> Result<()> {
    handle::restore_backup(source.as_ref(), destination.as_ref(), options)
}

/// Generates methods whose body is `self.with(|handle| handle.<name>(<args>))`.
macro_rules! delegate {
    ($( $(#[$doc:meta])* fn $name:ident(&self $(, $arg:ident : $ty:ty)*) -> $ret:ty; )*) => {
        $(
            $(#[$doc])*
            pub fn $name(&self $(, $arg: $ty)*) -> $ret {
                self.with(|handle| handle.$name($($arg),*))
            }
        )*
    };
}

/// The methods shared by `Database`, `SharedDatabase` and `SharedDatabaseGuard`.
/// The type provides `fn with<R>(&self, impl FnOnce(&Handle) -> R) -> R`.
macro_rules! database_methods {
    () => {
        /// Copies the database to a new `.zova` file (never overwrites).
        pub fn backup_to(&self, destination: impl AsRef<std::path::Path>, options: $crate::BackupOptions)
            -> $crate::Result<()> {
            self.with(|handle| handle.backup_to(destination.as_ref(), options))
        }

        /// Writes a compacted copy to a new `.zova` file (never overwrites).
        pub fn compact_to(&self, destination: impl AsRef<std::path::Path>, options: $crate::CompactOptions)
            -> $crate::Result<()> {
            self.with(|handle| handle.compact_to(destination.as_ref(), options))
        }

        delegate! {
            /// Runs one or more SQL statements.
            fn exec(&self, sql: &str) -> $crate::Result<()>;
            /// `BEGIN`.
            fn begin(&self) -> $crate::Result<()>;
            /// `BEGIN IMMEDIATE`.
            fn begin_immediate(&self) -> $crate::Result<()>;
            /// `COMMIT`.
            fn commit(&self) -> $crate::Result<()>;
            /// `ROLLBACK`.
            fn rollback(&self) -> $crate::Result<()>;
            /// `SAVEPOINT name` (the name must be a valid identifier).
            fn savepoint(&self, name: &str) -> $crate::Result<()>;
            /// `ROLLBACK TO SAVEPOINT name`.
            fn rollback_to_savepoint(&self, name: &str) -> $crate::Result<()>;
            /// `RELEASE SAVEPOINT name`.
            fn release_savepoint(&self, name: &str) -> $crate::Result<()>;
            /// `VACUUM`.
            fn vacuum(&self) -> $crate::Result<()>;
            /// Sets the SQLite busy timeout (at most `i32::MAX`).
            fn set_busy_timeout(&self, milliseconds: u32) -> $crate::Result<()>;
            /// Rowid of the last insert on this connection.
            fn last_insert_rowid(&self) -> $crate::Result<i64>;
            /// Rows changed by the last statement.
            fn changes(&self) -> $crate::Result<i64>;
            /// Rows changed since the connection was opened.
            fn total_changes(&self) -> $crate::Result<i64>;

            /// Stores bytes as an object and returns its id (OK if already stored).
            fn put_object(&self, data: &[u8]) -> $crate::Result<$crate::ObjectId>;
            /// Stores several objects in one transaction, all or nothing.
            fn put_objects(&self, objects: &[&[u8]]) -> $crate::Result<Vec<$crate::ObjectId>>;
            /// The bytes of an object.
            fn get_object(&self, id: &$crate::ObjectId) -> $crate::Result<Vec<u8>>;
            /// Copies object bytes from `offset` into `buffer`; returns the count copied.
            fn read_object_range(&self, id: &$crate::ObjectId, offset: u64, buffer: &mut [u8])
                -> $crate::Result<usize>;
            /// Whether an object exists.
            fn has_object(&self, id: &$crate::ObjectId) -> $crate::Result<bool>;
            /// Size of an object in bytes.
            fn object_size(&self, id: &$crate::ObjectId) -> $crate::Result<u64>;
            /// Number of chunks of an object.
            fn object_chunk_count(&self, id: &$crate::ObjectId) -> $crate::Result<u64>;
            /// Deletes an object (and its unreferenced chunks).
            fn delete_object(&self, id: &$crate::ObjectId) -> $crate::Result<()>;
            /// The manifest (chunk list) of an object.
            fn object_manifest(&self, id: &$crate::ObjectId) -> $crate::Result<$crate::ObjectManifest>;
            /// The bytes of a chunk.
            fn get_object_chunk(&self, hash: &$crate::ObjectChunkId) -> $crate::Result<Vec<u8>>;
            /// Whether a chunk exists (reads and verifies it; not-found is `false`).
            fn has_object_chunk(&self, hash: &$crate::ObjectChunkId) -> $crate::Result<bool>;
            /// Stores a chunk whose SHA-256 must equal `expected_hash`.
            fn put_object_chunk(&self, expected_hash: &$crate::ObjectChunkId, data: &[u8]) -> $crate::Result<()>;
            /// Deletes a chunk; `false` if it is still referenced.
            fn delete_object_chunk(&self, hash: &$crate::ObjectChunkId) -> $crate::Result<bool>;
            /// Creates an object from already stored chunks.
            fn assemble_object_from_chunks(&self, id: &$crate::ObjectId, size_bytes: u64,
                                           chunks: &[$crate::ObjectManifestChunk]) -> $crate::Result<()>;

            /// Creates a vector collection.
            fn create_vector_collection(&self, name: &str, options: $crate::VectorCollectionOptions)
                -> $crate::Result<()>;
            /// Whether a vector collection exists.
            fn has_vector_collection(&self, name: &str) -> $crate::Result<bool>;
            /// Dimensions, metric and size of a collection.
            fn vector_collection_info(&self, name: &str) -> $crate::Result<$crate::VectorCollectionInfo>;
            /// Every collection, sorted by name.
            fn list_vector_collections(&self) -> $crate::Result<Vec<$crate::VectorCollectionInfo>>;
            /// Deletes a collection and its vectors.
            fn delete_vector_collection(&self, name: &str) -> $crate::Result<()>;
            /// Inserts or replaces one vector.
            fn put_vector(&self, collection_name: &str, vector_id: &str, values: &[f32]) -> $crate::Result<()>;
            /// Inserts or replaces several vectors, all or nothing (the last duplicate wins).
            fn put_vectors(&self, collection_name: &str, vectors: &[$crate::VectorInput<'_>]) -> $crate::Result<()>;
            /// One stored vector.
            fn get_vector(&self, collection_name: &str, vector_id: &str) -> $crate::Result<$crate::Vector>;
            /// Whether a vector exists.
            fn has_vector(&self, collection_name: &str, vector_id: &str) -> $crate::Result<bool>;
            /// Deletes a vector.
            fn delete_vector(&self, collection_name: &str, vector_id: &str) -> $crate::Result<()>;
            /// The `limit` nearest vectors to `query`.
            fn search_vectors(&self, collection_name: &str, query: &[f32], limit: usize)
                -> $crate::Result<Vec<$crate::VectorSearchResult>>;
            /// The `limit` nearest among `candidate_ids`.
            fn search_vectors_in(&self, collection_name: &str, query: &[f32], candidate_ids: &[&str], limit: usize)
                -> $crate::Result<Vec<$crate::VectorSearchResult>>;
            /// The `limit` nearest with distance `<= max_distance`.
            fn search_vectors_within(&self, collection_name: &str, query: &[f32], max_distance: f64, limit: usize)
                -> $crate::Result<Vec<$crate::VectorSearchResult>>;
            /// The `limit` nearest among `candidate_ids` with distance `<= max_distance`.
            fn search_vectors_in_within(&self, collection_name: &str, query: &[f32], candidate_ids: &[&str],
                                        max_distance: f64, limit: usize)
                -> $crate::Result<Vec<$crate::VectorSearchResult>>;
            /// The `limit` nearest to a stored vector (never the source itself).
            fn search_vectors_by_id(&self, collection_name: &str, source_vector_id: &str, limit: usize)
                -> $crate::Result<Vec<$crate::VectorSearchResult>>;
            /// By-id search among `candidate_ids`.
            fn search_vectors_by_id_in(&self, collection_name: &str, source_vector_id: &str,
                                       candidate_ids: &[&str], limit: usize)
                -> $crate::Result<Vec<$crate::VectorSearchResult>>;
            /// By-id search with distance `<= max_distance`.
            fn search_vectors_by_id_within(&self, collection_name: &str, source_vector_id: &str,
                                           max_distance: f64, limit: usize)
                -> $crate::Result<Vec<$crate::VectorSearchResult>>;
            /// By-id search among `candidate_ids` with distance `<= max_distance`.
            fn search_vectors_by_id_in_within(&self, collection_name: &str, source_vector_id: &str,
                                              candidate_ids: &[&str], max_distance: f64, limit: usize)
                -> $crate::Result<Vec<$crate::VectorSearchResult>>;
        }
    };
}

/// Runs `body` inside `SAVEPOINT name`: released on success; on error rolled
/// back to and released, and the body's error returned (a cleanup failure
/// replaces it, as in the Python binding's `savepoint_context`).
pub(crate) fn with_savepoint<S, T, E>(
    scope: &S,
    handle: impl Fn(&S) -> &Handle,
    name: &str,
    body: impl FnOnce(&S) -> std::result::Result<T, E>,
) -> std::result::Result<T, E>
where
    E: From<Error>,
{
    handle(scope).savepoint(name)?;
    match body(scope) {
        Ok(value) => {
            handle(scope).release_savepoint(name)?;
            Ok(value)
        }
        Err(error) => {
            handle(scope).rollback_to_savepoint(name)?;
            handle(scope).release_savepoint(name)?;
            Err(error)
        }
    }
}

/// An open `.zova` database. Not `Send`/`Sync` (the handle sits in an `Rc`);
/// use [`crate::SharedDatabase`] across threads.
///
/// Dropping a `Database` drops its reference to the native handle; owned
/// statements and writers keep it alive, and it closes when the last is gone.
pub struct Database {
    handle: Rc<Handle>,
}

impl Database {
    /// Creates a new `.zova` file (fails if it exists).
    pub fn create(path: impl AsRef<Path>) -> Result<Database> {
        Ok(Database { handle: Rc::new(handle::open(path.as_ref(), true, None)?) })
    }

    /// Opens an existing `.zova` file for reading and writing.
    pub fn open(path: impl AsRef<Path>) -> Result<Database> {
        Ok(Database { handle: Rc::new(handle::open(path.as_ref(), false, None)?) })
    }

    /// Opens an existing `.zova` file with options (read-only, busy timeout).
    pub fn open_with_options(path: impl AsRef<Path>, options: OpenOptions) -> Result<Database> {
        Ok(Database { handle: Rc::new(handle::open(path.as_ref(), false, Some(options))?) })
    }

    /// Converts a plain SQLite file into a new `.zova` file.
    pub fn convert_sqlite_to_zova(source: impl AsRef<Path>, destination: impl AsRef<Path>) -> Result<()> {
        handle::convert_sqlite_to_zova(source.as_ref(), destination.as_ref())
    }

    fn with<R>(&self, call: impl FnOnce(&Handle) -> R) -> R {
        call(&self.handle)
    }

    /// Compiles one SQL statement, borrowing the database.
    pub fn prepare(&self, sql: &str) -> Result<Statement<'_>> {
        Statement::new(&self.handle, sql)
    }

    /// Compiles one SQL statement that keeps the database handle alive.
    pub fn prepare_owned(&self, sql: &str) -> Result<OwnedStatement> {
        OwnedStatement::new(Rc::clone(&self.handle), sql)
    }

    /// Starts a streaming object writer, borrowing the database.
    pub fn object_writer(&self) -> Result<ObjectWriter<'_>> {
        ObjectWriter::new(&self.handle)
    }

    /// Starts a streaming object writer that keeps the database handle alive.
    pub fn object_writer_owned(&self) -> Result<OwnedObjectWriter> {
        OwnedObjectWriter::new(Rc::clone(&self.handle))
    }

    /// Runs `body` inside `SAVEPOINT name` (see [`Database::savepoint`]): released
    /// when `body` succeeds, rolled back to and released when it fails.
    pub fn with_savepoint<T, E: From<Error>>(
        &self,
        name: &str,
        body: impl FnOnce(&Database) -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E> {
        with_savepoint(self, |db: &Database| &*db.handle, name, body)
    }

    /// Drops this reference (the same as dropping the `Database`).
    pub fn close(self) {}

    pub(crate) fn into_handle(self) -> std::result::Result<Handle, Database> {
        Rc::try_unwrap(self.handle).map_err(|handle| Database { handle })
    }

    database_methods!();
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database").field("handle", &self.handle.raw()).finish()
    }
}

//! Safe Rust API for Zova: records (SQLite), content-addressed objects and
//! vector collections in one local `.zova` file (docs/rust.md §4.3).
//!
//! Built on [`zova_sys`], the raw declarations of `include/zova.h`, which links
//! `libzova_c.a` statically.
//!
//! * [`Database`] is the single-threaded handle (`!Send`); [`Statement`] and
//!   [`ObjectWriter`] borrow it, [`OwnedStatement`] and [`OwnedObjectWriter`]
//!   keep it alive instead.
//! * [`SharedDatabase`] is `Clone + Send + Sync`: calls from many threads are
//!   serialized, and [`SharedDatabase::transaction`] runs a closure inside
//!   `BEGIN`/`COMMIT` with the database locked.
//! * Every failure is an [`Error`]; `Error::Zova` carries the [`Status`], its
//!   name and the library's message, and displays as `"NAME: message"`.
//!
//! ```
//! use zova::{Database, Step};
//!
//! # fn main() -> zova::Result<()> {
//! # let dir = std::env::temp_dir().join(format!("zova-doc-{}", std::process::id()));
//! # std::fs::create_dir_all(&dir).unwrap();
//! # let path = dir.join("notes.zova");
//! # let _ = std::fs::remove_file(&path);
//! let db = Database::create(&path)?;
//! db.exec("CREATE TABLE people(id INTEGER PRIMARY KEY, name TEXT NOT NULL)")?;
//!
//! let mut insert = db.prepare("INSERT INTO people(name) VALUES (?1)")?;
//! for name in ["ada", "grace"] {
//!     insert.reset()?;
//!     insert.bind_text(1, name)?;
//!     assert_eq!(insert.step()?, Step::Done);
//! }
//! drop(insert);
//!
//! let mut query = db.prepare("SELECT id, name FROM people ORDER BY id")?;
//! let mut names = Vec::new();
//! while query.step()? == Step::Row {
//!     names.push((query.column_i64(0)?, query.column_text(1)?.unwrap_or_default()));
//! }
//! assert_eq!(names, [(1, "ada".to_string()), (2, "grace".to_string())]);
//! # drop(query);
//! # drop(db);
//! # std::fs::remove_dir_all(&dir).unwrap();
//! # Ok(())
//! # }
//! ```
//!
//! A `Database` stays on its thread; a [`SharedDatabase`] does not:
//!
//! ```compile_fail,E0277
//! fn assert_send<T: Send>() {}
//! assert_send::<zova::Database>();
//! ```
//!
//! ```
//! fn assert_send_sync<T: Send + Sync>() {}
//! assert_send_sync::<zova::SharedDatabase>();
//! ```
//!
//! A borrowed [`Statement`] cannot outlive its database (use
//! [`Database::prepare_owned`] for that):
//!
//! ```compile_fail,E0597
//! # let path = std::env::temp_dir().join("never-created.zova");
//! let statement = {
//!     let db = zova::Database::open(&path).unwrap();
//!     db.prepare("SELECT 1").unwrap()
//! };
//! ```

mod error;
mod handle;
mod object;
mod vector;
#[macro_use]
mod database;
mod shared;
mod statement;
mod writer;

pub use zova_sys as sys;

pub use database::{restore_backup, BackupOptions, CompactOptions, Database, OpenOptions, RestoreOptions};
pub use error::{Error, Result, Status};
pub use object::{object_chunk_id, object_id, ObjectChunkId, ObjectId, ObjectManifest, ObjectManifestChunk};
pub use shared::{SharedDatabase, SharedDatabaseGuard};
pub use statement::{ColumnType, OwnedStatement, SharedStatement, Statement, Step};
pub use vector::{Vector, VectorCollectionInfo, VectorCollectionOptions, VectorInput, VectorMetric, VectorSearchResult};
pub use writer::{ObjectWriter, OwnedObjectWriter, SharedObjectWriter};

/// The ABI version of the linked C library, e.g. `"0.17.0"`.
pub fn abi_version() -> &'static str {
    // SAFETY: static NUL-terminated string.
    unsafe { std::ffi::CStr::from_ptr(sys::zova_abi_version_string()) }.to_str().unwrap_or("")
}

/// The ABI version of the linked C library as `(major, minor, patch)`.
pub fn abi_version_numbers() -> (u32, u32, u32) {
    // SAFETY: pure functions.
    unsafe { (sys::zova_abi_version_major(), sys::zova_abi_version_minor(), sys::zova_abi_version_patch()) }
}

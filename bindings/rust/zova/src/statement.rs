//! Prepared statements (docs/rust.md §4.3 "Statement API", docs/c-api.md §4.7).
//!
//! Three owners share one method set: [`Statement`] borrows its database,
//! [`OwnedStatement`] keeps a `Database` handle alive, [`SharedStatement`]
//! keeps a `SharedDatabase` alive and locks it for every call.
use std::ffi::c_int;
use std::ptr::NonNull;
use std::rc::Rc;
use std::sync::Arc;

use zova_sys as sys;

use crate::error::{Error, Result};
use crate::handle::{c_string, read_buffer, utf8, Call, Handle};
use crate::shared::{lock, SharedHandle};

/// Result of [`Statement::step`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Step {
    /// A row is available.
    Row,
    /// The statement has finished.
    Done,
}

/// Storage class of a column value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ColumnType {
    Integer,
    Float,
    Text,
    Blob,
    Null,
}

impl ColumnType {
    /// The type for a raw `zova_column_type` (1..=5).
    pub fn from_raw(raw: i32) -> Option<ColumnType> {
        match raw {
            sys::ZOVA_COLUMN_INTEGER => Some(ColumnType::Integer),
            sys::ZOVA_COLUMN_FLOAT => Some(ColumnType::Float),
            sys::ZOVA_COLUMN_TEXT => Some(ColumnType::Text),
            sys::ZOVA_COLUMN_BLOB => Some(ColumnType::Blob),
            sys::ZOVA_COLUMN_NULL => Some(ColumnType::Null),
            _ => None,
        }
    }

    /// The raw `zova_column_type`.
    pub fn raw(self) -> i32 {
        match self {
            ColumnType::Integer => sys::ZOVA_COLUMN_INTEGER,
            ColumnType::Float => sys::ZOVA_COLUMN_FLOAT,
            ColumnType::Text => sys::ZOVA_COLUMN_TEXT,
            ColumnType::Blob => sys::ZOVA_COLUMN_BLOB,
            ColumnType::Null => sys::ZOVA_COLUMN_NULL,
        }
    }
}

/// 1-based parameter index: 0 or above `i32::MAX` is INVALID_ARGUMENT with no message.
fn parameter_index(index: usize) -> Result<c_int> {
    match c_int::try_from(index) {
        Ok(index) if index >= 1 => Ok(index),
        _ => Err(Error::invalid_argument()),
    }
}

/// 0-based column index: above `i32::MAX` is INVALID_ARGUMENT with no message.
fn column_index(index: usize) -> Result<c_int> {
    c_int::try_from(index).map_err(|_| Error::invalid_argument())
}

/// One statement call: the statement pointer and the (locked) handle whose
/// last-error message explains a failure.
pub(crate) struct StatementRef<'a> {
    pub(crate) db: &'a Handle,
    pub(crate) statement: *mut sys::zova_statement,
}

impl StatementRef<'_> {
    pub(crate) fn finalize(&self) {
        // SAFETY: live statement; finalize always succeeds (docs/c-api.md §0.2 item 9).
        unsafe { sys::zova_statement_finalize(self.statement) };
    }

    fn step(&self) -> Result<Step> {
        let request = |out_result| sys::zova_statement_step_request { statement: self.statement, out_result };
        // SAFETY: valid request.
        let out = unsafe { self.db.fetch(0, sys::zova_statement_step, request) }?;
        Ok(if out == sys::ZOVA_STEP_ROW { Step::Row } else { Step::Done })
    }

    fn reset(&self) -> Result<()> {
        // SAFETY: live statement.
        self.db.check(unsafe { sys::zova_statement_reset(self.statement) })
    }

    fn clear_bindings(&self) -> Result<()> {
        // SAFETY: live statement.
        self.db.check(unsafe { sys::zova_statement_clear_bindings(self.statement) })
    }

    /// Binds parameter `index` (1-based) with the request `request` builds from the C index.
    ///
    /// # Safety
    /// `request` must build a request that is valid for `call`.
    unsafe fn bind<Req>(&self, call: Call<Req>, index: usize, request: impl FnOnce(c_int) -> Req) -> Result<()> {
        let index = parameter_index(index)?;
        self.db.check(call(&request(index)))
    }

    fn bind_null(&self, index: usize) -> Result<()> {
        let request = |index| sys::zova_statement_bind_null_request { statement: self.statement, index };
        // SAFETY: valid request.
        unsafe { self.bind(sys::zova_statement_bind_null, index, request) }
    }

    fn bind_i64(&self, index: usize, value: i64) -> Result<()> {
        let request = |index| sys::zova_statement_bind_int64_request { statement: self.statement, index, value };
        // SAFETY: valid request.
        unsafe { self.bind(sys::zova_statement_bind_int64, index, request) }
    }

    fn bind_f64(&self, index: usize, value: f64) -> Result<()> {
        let request = |index| sys::zova_statement_bind_double_request { statement: self.statement, index, value };
        // SAFETY: valid request.
        unsafe { self.bind(sys::zova_statement_bind_double, index, request) }
    }

    fn bind_text(&self, index: usize, value: &str) -> Result<()> {
        let (data, len) = (value.as_ptr(), value.len());
        let request = |index| sys::zova_statement_bind_text_request { statement: self.statement, index, data, len };
        // SAFETY: valid request; the library copies the text.
        unsafe { self.bind(sys::zova_statement_bind_text, index, request) }
    }

    fn bind_blob(&self, index: usize, value: &[u8]) -> Result<()> {
        let (data, len) = (value.as_ptr(), value.len());
        let request = |index| sys::zova_statement_bind_blob_request { statement: self.statement, index, data, len };
        // SAFETY: valid request; the library copies the bytes.
        unsafe { self.bind(sys::zova_statement_bind_blob, index, request) }
    }

    fn parameter_count(&self) -> Result<usize> {
        let request = |out_count| sys::zova_statement_parameter_count_request { statement: self.statement, out_count };
        // SAFETY: valid request.
        let out = unsafe { self.db.fetch(0, sys::zova_statement_parameter_count, request) }?;
        Ok(usize::try_from(out).unwrap_or(0))
    }

    fn parameter_index(&self, name: &str) -> Result<Option<usize>> {
        let name = c_string(name, "parameter name")?;
        let request =
            |out_index| sys::zova_statement_parameter_index_request { statement: self.statement, name: name.as_ptr(), out_index };
        // SAFETY: valid request.
        let out = unsafe { self.db.fetch(0, sys::zova_statement_parameter_index, request) }?;
        Ok(usize::try_from(out).ok().filter(|index| *index > 0))
    }

    fn column_count(&self) -> Result<usize> {
        let request = |out_count| sys::zova_statement_column_count_request { statement: self.statement, out_count };
        // SAFETY: valid request.
        let out = unsafe { self.db.fetch(0, sys::zova_statement_column_count, request) }?;
        Ok(usize::try_from(out).unwrap_or(0))
    }

    fn column_name(&self, index: usize) -> Result<String> {
        let index = column_index(index)?;
        let request = |out_name| sys::zova_statement_column_name_request { statement: self.statement, index, out_name };
        // SAFETY: library-owned (data, len) or empty.
        let read = |text: &sys::zova_text| unsafe { utf8(text.data, text.len) };
        // SAFETY: valid request.
        unsafe { self.db.fetch_owned(sys::zova_statement_column_name, request, read, sys::zova_text_free) }
    }

    fn column_type(&self, index: usize) -> Result<ColumnType> {
        let index = column_index(index)?;
        let request = |out_type| sys::zova_statement_column_type_request { statement: self.statement, index, out_type };
        // SAFETY: valid request.
        let out = unsafe { self.db.fetch(0, sys::zova_statement_column_type, request) }?;
        Ok(ColumnType::from_raw(out).unwrap_or(ColumnType::Null))
    }

    fn column_i64(&self, index: usize) -> Result<i64> {
        let index = column_index(index)?;
        let request = |out_value| sys::zova_statement_column_int64_request { statement: self.statement, index, out_value };
        // SAFETY: valid request.
        unsafe { self.db.fetch(0, sys::zova_statement_column_int64, request) }
    }

    fn column_f64(&self, index: usize) -> Result<f64> {
        let index = column_index(index)?;
        let request = |out_value| sys::zova_statement_column_double_request { statement: self.statement, index, out_value };
        // SAFETY: valid request.
        unsafe { self.db.fetch(0.0, sys::zova_statement_column_double, request) }
    }

    fn column_text(&self, index: usize) -> Result<Option<String>> {
        let index = column_index(index)?;
        let request = |out_text| sys::zova_statement_column_text_request { statement: self.statement, index, out_text };
        // data == NULL means SQL NULL (docs/c-api.md §0.2 item 2).
        let read = |text: &sys::zova_text| match text.data.is_null() {
            true => Ok(None),
            // SAFETY: library-owned (data, len).
            false => unsafe { utf8(text.data, text.len) }.map(Some),
        };
        // SAFETY: valid request.
        unsafe { self.db.fetch_owned(sys::zova_statement_column_text, request, read, sys::zova_text_free) }
    }

    fn column_blob(&self, index: usize) -> Result<Option<Vec<u8>>> {
        let column = column_index(index)?;
        let request = |out_buffer| sys::zova_statement_column_blob_request { statement: self.statement, index: column, out_buffer };
        let read = |buffer: &sys::zova_buffer| Ok((read_buffer(buffer)?, buffer.data.is_null() || buffer.len == 0));
        // SAFETY: valid request.
        let (data, was_empty) =
            unsafe { self.db.fetch_owned(sys::zova_statement_column_blob, request, read, sys::zova_buffer_free) }?;
        // {NULL, 0} is both SQL NULL and an empty blob: the column type decides.
        if was_empty && self.column_type(index)? == ColumnType::Null {
            return Ok(None);
        }
        Ok(Some(data))
    }
}

macro_rules! statement_methods {
    () => {
        /// Finalizes the statement (the same as dropping it).
        pub fn close(self) {}

        /// Runs the statement to its next row ([`Step::Row`]) or to the end ([`Step::Done`]).
        pub fn step(&mut self) -> Result<Step> {
            self.with(|s| s.step())
        }

        /// Rewinds the statement; bindings are kept. Returns the error of a failed last step.
        pub fn reset(&mut self) -> Result<()> {
            self.with(|s| s.reset())
        }

        /// Sets every parameter to NULL.
        pub fn clear_bindings(&mut self) -> Result<()> {
            self.with(|s| s.clear_bindings())
        }

        /// Binds NULL to the 1-based parameter `index`.
        pub fn bind_null(&mut self, index: usize) -> Result<()> {
            self.with(|s| s.bind_null(index))
        }

        /// Binds an integer to the 1-based parameter `index`.
        pub fn bind_i64(&mut self, index: usize, value: i64) -> Result<()> {
            self.with(|s| s.bind_i64(index, value))
        }

        /// Binds a float to the 1-based parameter `index`.
        pub fn bind_f64(&mut self, index: usize, value: f64) -> Result<()> {
            self.with(|s| s.bind_f64(index, value))
        }

        /// Binds text to the 1-based parameter `index`; `""` is an empty TEXT, not NULL.
        pub fn bind_text(&mut self, index: usize, value: &str) -> Result<()> {
            self.with(|s| s.bind_text(index, value))
        }

        /// Binds a blob to the 1-based parameter `index`; `&[]` is an empty BLOB, not NULL.
        pub fn bind_blob(&mut self, index: usize, value: &[u8]) -> Result<()> {
            self.with(|s| s.bind_blob(index, value))
        }

        /// Number of SQL parameters.
        pub fn parameter_count(&self) -> Result<usize> {
            self.with(|s| s.parameter_count())
        }

        /// 1-based index of a named parameter (`:name`, `@name`, `$name`), `None` if missing.
        pub fn parameter_index(&self, name: &str) -> Result<Option<usize>> {
            self.with(|s| s.parameter_index(name))
        }

        /// Number of result columns.
        pub fn column_count(&self) -> Result<usize> {
            self.with(|s| s.column_count())
        }

        /// Name of the 0-based result column `index` (out of range: MISUSE).
        pub fn column_name(&self, index: usize) -> Result<String> {
            self.with(|s| s.column_name(index))
        }

        /// Type of column `index` in the current row.
        pub fn column_type(&self, index: usize) -> Result<ColumnType> {
            self.with(|s| s.column_type(index))
        }

        /// Column `index` of the current row as an integer.
        pub fn column_i64(&self, index: usize) -> Result<i64> {
            self.with(|s| s.column_i64(index))
        }

        /// Column `index` of the current row as a float.
        pub fn column_f64(&self, index: usize) -> Result<f64> {
            self.with(|s| s.column_f64(index))
        }

        /// Column `index` as text; `None` only for SQL NULL.
        pub fn column_text(&self, index: usize) -> Result<Option<String>> {
            self.with(|s| s.column_text(index))
        }

        /// Column `index` as bytes; `None` only for SQL NULL, `Some(vec![])` for an empty blob.
        pub fn column_blob(&self, index: usize) -> Result<Option<Vec<u8>>> {
            self.with(|s| s.column_blob(index))
        }
    };
}

/// Finalize on drop, and `Debug` as `$name { statement }`.
macro_rules! statement_traits {
    ($ty:ty, $name:literal) => {
        impl Drop for $ty {
            fn drop(&mut self) {
                self.with(|s| s.finalize());
            }
        }

        impl std::fmt::Debug for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct($name).field("statement", &self.statement).finish()
            }
        }
    };
}

/// A statement borrowed from a [`crate::Database`] (or a [`crate::SharedDatabaseGuard`]).
/// Finalized on drop.
pub struct Statement<'db> {
    db: &'db Handle,
    statement: NonNull<sys::zova_statement>,
}

impl<'db> Statement<'db> {
    pub(crate) fn new(db: &'db Handle, sql: &str) -> Result<Statement<'db>> {
        Ok(Statement { db, statement: db.prepare_raw(sql)? })
    }

    fn with<R>(&self, call: impl FnOnce(StatementRef<'_>) -> R) -> R {
        call(StatementRef { db: self.db, statement: self.statement.as_ptr() })
    }

    statement_methods!();
}
statement_traits!(Statement<'_>, "Statement");

/// A statement that keeps its `Database` handle alive (`Database::prepare_owned`).
/// Finalized on drop; the handle closes when its last owner is gone.
pub struct OwnedStatement {
    statement: NonNull<sys::zova_statement>,
    db: Rc<Handle>,
}

impl OwnedStatement {
    pub(crate) fn new(db: Rc<Handle>, sql: &str) -> Result<OwnedStatement> {
        let statement = db.prepare_raw(sql)?;
        Ok(OwnedStatement { statement, db })
    }

    fn with<R>(&self, call: impl FnOnce(StatementRef<'_>) -> R) -> R {
        call(StatementRef { db: &self.db, statement: self.statement.as_ptr() })
    }

    statement_methods!();
}
statement_traits!(OwnedStatement, "OwnedStatement");

/// A statement of a [`crate::SharedDatabase`]: `Send + Sync`, locks the database for every call.
pub struct SharedStatement {
    statement: NonNull<sys::zova_statement>,
    db: Arc<SharedHandle>,
}

// SAFETY: every use of the statement pointer happens while the database's
// lock is held, and the C library allows a statement on any thread.
unsafe impl Send for SharedStatement {}
unsafe impl Sync for SharedStatement {}

impl SharedStatement {
    pub(crate) fn new(db: Arc<SharedHandle>, sql: &str) -> Result<SharedStatement> {
        let statement = lock(&db).prepare_raw(sql)?;
        Ok(SharedStatement { statement, db })
    }

    fn with<R>(&self, call: impl FnOnce(StatementRef<'_>) -> R) -> R {
        let guard = lock(&self.db);
        call(StatementRef { db: &guard, statement: self.statement.as_ptr() })
    }

    statement_methods!();
}
statement_traits!(SharedStatement, "SharedStatement");

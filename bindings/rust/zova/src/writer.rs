//! Streaming object writers (docs/python.md §2.3 `ObjectWriter`, docs/rust.md §4.3; docs/c-api.md §4.10).
//!
//! `finish` and `cancel` close the writer whatever their outcome: the native
//! writer is taken out first and destroyed afterwards (destroy cancels an
//! unfinished writer). Later calls fail with `OBJECT_WRITER_CLOSED`
//! ("object writer is closed"). Dropping an unfinished writer cancels it.
use std::io;
use std::ptr::NonNull;
use std::rc::Rc;
use std::sync::Arc;

use zova_sys as sys;

use crate::error::{Error, Result};
use crate::handle::Handle;
use crate::object::ObjectId;
use crate::shared::{lock, SharedHandle};

type RawWriter = NonNull<sys::zova_object_writer>;

fn write_raw(db: &Handle, writer: RawWriter, data: &[u8]) -> Result<()> {
    let request = sys::zova_object_writer_write_request { writer: writer.as_ptr(), data: data.as_ptr(), len: data.len() };
    // SAFETY: valid request; the library copies the bytes.
    db.check(unsafe { sys::zova_object_writer_write(&request) })
}

fn finish_raw(db: &Handle, writer: RawWriter) -> Result<ObjectId> {
    let request = |out_id| sys::zova_object_writer_finish_request { writer: writer.as_ptr(), out_id };
    // SAFETY: valid request.
    let result = unsafe { db.fetch(Default::default(), sys::zova_object_writer_finish, request) }.map(ObjectId::from_raw);
    destroy_raw(writer);
    result
}

fn cancel_raw(db: &Handle, writer: RawWriter) -> Result<()> {
    let request = sys::zova_object_writer_cancel_request { writer: writer.as_ptr() };
    // SAFETY: valid request.
    let result = db.check(unsafe { sys::zova_object_writer_cancel(&request) });
    destroy_raw(writer);
    result
}

fn destroy_raw(writer: RawWriter) {
    // SAFETY: live writer, never used again.
    unsafe { sys::zova_object_writer_destroy(writer.as_ptr()) };
}

macro_rules! writer_methods {
    () => {
        /// Appends bytes to the object being written.
        pub fn write(&mut self, data: &[u8]) -> Result<()> {
            let writer = self.writer.ok_or_else(Error::writer_closed)?;
            self.with(|db| write_raw(db, writer, data))
        }

        /// Stores the object and returns its id (OK also when it already existed).
        /// The writer is closed afterwards, even if this fails.
        pub fn finish(&mut self) -> Result<ObjectId> {
            let writer = self.writer.take().ok_or_else(Error::writer_closed)?;
            self.with(|db| finish_raw(db, writer))
        }

        /// Discards everything written; the writer is closed afterwards.
        pub fn cancel(&mut self) -> Result<()> {
            let writer = self.writer.take().ok_or_else(Error::writer_closed)?;
            self.with(|db| cancel_raw(db, writer))
        }

        /// Destroys the writer (cancelling it if unfinished). Idempotent.
        pub fn close(&mut self) {
            if let Some(writer) = self.writer.take() {
                self.with(|_| destroy_raw(writer));
            }
        }

        /// True after `finish`, `cancel` or `close`.
        pub fn is_closed(&self) -> bool {
            self.writer.is_none()
        }
    };
}

macro_rules! writer_traits {
    ($ty:ty) => {
        /// `std::io::Write` over [`write`](Self::write), so `io::copy` can stream into an object.
        impl io::Write for $ty {
            fn write(&mut self, data: &[u8]) -> io::Result<usize> {
                let writer = self.writer.ok_or_else(Error::writer_closed)?;
                self.with(|db| write_raw(db, writer, data))?;
                Ok(data.len())
            }

            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }

        impl std::fmt::Debug for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($ty)).field("closed", &self.writer.is_none()).finish()
            }
        }

        impl Drop for $ty {
            fn drop(&mut self) {
                self.close();
            }
        }
    };
}

/// A writer borrowed from a [`crate::Database`] (`Database::object_writer`).
pub struct ObjectWriter<'db> {
    db: &'db Handle,
    writer: Option<RawWriter>,
}

impl<'db> ObjectWriter<'db> {
    pub(crate) fn new(db: &'db Handle) -> Result<ObjectWriter<'db>> {
        Ok(ObjectWriter { db, writer: Some(db.writer_create()?) })
    }

    fn with<R>(&self, call: impl FnOnce(&Handle) -> R) -> R {
        call(self.db)
    }

    writer_methods!();
}
writer_traits!(ObjectWriter<'_>);

/// A writer that keeps its `Database` handle alive (`Database::object_writer_owned`).
pub struct OwnedObjectWriter {
    writer: Option<RawWriter>,
    db: Rc<Handle>,
}

impl OwnedObjectWriter {
    pub(crate) fn new(db: Rc<Handle>) -> Result<OwnedObjectWriter> {
        Ok(OwnedObjectWriter { writer: Some(db.writer_create()?), db })
    }

    fn with<R>(&self, call: impl FnOnce(&Handle) -> R) -> R {
        call(&self.db)
    }

    writer_methods!();
}
writer_traits!(OwnedObjectWriter);

/// A writer of a [`crate::SharedDatabase`]: `Send + Sync`, locks the database for every call.
pub struct SharedObjectWriter {
    writer: Option<RawWriter>,
    db: Arc<SharedHandle>,
}

// SAFETY: the writer pointer is only used while the database's lock is held,
// and the C library allows a writer on any thread.
unsafe impl Send for SharedObjectWriter {}
unsafe impl Sync for SharedObjectWriter {}

impl SharedObjectWriter {
    pub(crate) fn new(db: Arc<SharedHandle>) -> Result<SharedObjectWriter> {
        let writer = lock(&db).writer_create()?;
        Ok(SharedObjectWriter { writer: Some(writer), db })
    }

    fn with<R>(&self, call: impl FnOnce(&Handle) -> R) -> R {
        call(&lock(&self.db))
    }

    writer_methods!();
}
writer_traits!(SharedObjectWriter);

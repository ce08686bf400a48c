//! `SharedDatabase`: a `Clone + Send + Sync` database (docs/rust.md §4.3).
//! The handle sits in an `Arc` next to a Rust `Mutex`; each call holds the lock
//! for the C call and the copy of its error message, so messages never mix
//! between threads. `with_exclusive`/`transaction*` hold it across a whole
//! closure.
//!
//! The lock is re-entrant: a thread that already holds it (inside
//! `with_exclusive` or a transaction) may still call the `SharedDatabase`, a
//! `SharedStatement` or a `SharedObjectWriter`, or drop one, without
//! deadlocking; those calls simply join the exclusive section.
//!
//! What holds the lock (`Locked`, and so `SharedDatabaseGuard`) is neither
//! `Send` nor `Sync`: calls through it take no lock, so only the thread that
//! locked may make them. Shared with other threads (say through
//! `std::thread::scope`), their calls would interleave between another call
//! and the copy of its message, which the next call replaces or frees
//! (docs/c-api.md §5.5).
use std::cell::Cell;
use std::marker::PhantomData;
use std::ops::Deref;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::database::{self, OpenOptions};
use crate::error::{Error, Result};
use crate::handle::{self, Handle};
use crate::statement::{SharedStatement, Statement};
use crate::writer::{ObjectWriter, SharedObjectWriter};
use crate::Database;

/// A handle shared between threads, with a re-entrant lock.
pub(crate) struct SharedHandle {
    handle: Handle,
    mutex: Mutex<()>,
    /// Token of the thread holding `mutex`, 0 when free.
    owner: AtomicUsize,
}

// SAFETY: the C library serializes calls on one handle itself (docs/c-api.md §5.7);
// every Rust access goes through `lock`, so calls and error-message copies are
// also serialized among threads.
unsafe impl Sync for SharedHandle {}

thread_local! {
    static THREAD_TOKEN: u8 = const { 0 };
}

/// A non-zero value unique to the current thread while it lives.
fn thread_token() -> usize {
    THREAD_TOKEN.with(|token| token as *const u8 as usize)
}

/// Proof that the current thread holds a `SharedHandle`'s lock.
pub(crate) struct Locked<'a> {
    shared: &'a SharedHandle,
    /// `None` when the thread already held the lock (re-entrant use).
    guard: Option<MutexGuard<'a, ()>>,
    /// Not `Sync` (and, through the guard type, not `Send`): see the module comment.
    _this_thread: PhantomData<Cell<()>>,
}

impl Deref for Locked<'_> {
    type Target = Handle;

    fn deref(&self) -> &Handle {
        &self.shared.handle
    }
}

impl Drop for Locked<'_> {
    fn drop(&mut self) {
        if self.guard.is_some() {
            self.shared.owner.store(0, Ordering::Relaxed);
        }
    }
}

/// Locks a shared handle (re-entrant). A panic in another thread while it held
/// the lock leaves the C handle intact, so poisoning is ignored.
pub(crate) fn lock(shared: &SharedHandle) -> Locked<'_> {
    let me = thread_token();
    // Only this thread ever stores its own token, so seeing it means we hold the lock.
    if shared.owner.load(Ordering::Relaxed) == me {
        return Locked { shared, guard: None, _this_thread: PhantomData };
    }
    let guard = shared.mutex.lock().unwrap_or_else(PoisonError::into_inner);
    shared.owner.store(me, Ordering::Relaxed);
    Locked { shared, guard: Some(guard), _this_thread: PhantomData }
}

/// A database handle usable from many threads: every method takes `&self`,
/// clones share one connection, and calls are serialized.
#[derive(Clone)]
pub struct SharedDatabase {
    handle: Arc<SharedHandle>,
}

impl SharedDatabase {
    fn wrap(handle: Handle) -> SharedDatabase {
        SharedDatabase {
            handle: Arc::new(SharedHandle { handle, mutex: Mutex::new(()), owner: AtomicUsize::new(0) }),
        }
    }

    /// Creates a new `.zova` file (fails if it exists).
    pub fn create(path: impl AsRef<Path>) -> Result<SharedDatabase> {
        Ok(Self::wrap(handle::open(path.as_ref(), true, None)?))
    }

    /// Opens an existing `.zova` file for reading and writing.
    pub fn open(path: impl AsRef<Path>) -> Result<SharedDatabase> {
        Ok(Self::wrap(handle::open(path.as_ref(), false, None)?))
    }

    /// Opens an existing `.zova` file with options.
    pub fn open_with_options(path: impl AsRef<Path>, options: OpenOptions) -> Result<SharedDatabase> {
        Ok(Self::wrap(handle::open(path.as_ref(), false, Some(options))?))
    }

    /// Converts a plain SQLite file into a new `.zova` file.
    pub fn convert_sqlite_to_zova(source: impl AsRef<Path>, destination: impl AsRef<Path>) -> Result<()> {
        Database::convert_sqlite_to_zova(source, destination)
    }

    fn with<R>(&self, call: impl FnOnce(&Handle) -> R) -> R {
        call(&lock(&self.handle))
    }

    /// Compiles one SQL statement; the statement is `Send + Sync` and keeps the database alive.
    pub fn prepare(&self, sql: &str) -> Result<SharedStatement> {
        SharedStatement::new(Arc::clone(&self.handle), sql)
    }

    /// Starts a streaming object writer that is `Send` and keeps the database alive.
    pub fn object_writer(&self) -> Result<SharedObjectWriter> {
        SharedObjectWriter::new(Arc::clone(&self.handle))
    }

    /// Runs `body` with the database locked: no other thread's call interleaves.
    /// Calls on this `SharedDatabase` (or its statements and writers) from inside
    /// `body` on the same thread are allowed and run within the locked section.
    pub fn with_exclusive<R>(&self, body: impl FnOnce(&SharedDatabaseGuard<'_>) -> R) -> R {
        let guard = SharedDatabaseGuard { handle: lock(&self.handle) };
        body(&guard)
    }

    /// `BEGIN`, `body`, `COMMIT` with the database locked throughout. An error from
    /// `body` or from `COMMIT` rolls back and is returned.
    pub fn transaction<T, E: From<Error>>(
        &self,
        body: impl FnOnce(&SharedDatabaseGuard<'_>) -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E> {
        self.with_exclusive(|guard| run_transaction(guard, false, body))
    }

    /// As [`transaction`](Self::transaction) with `BEGIN IMMEDIATE`.
    pub fn transaction_immediate<T, E: From<Error>>(
        &self,
        body: impl FnOnce(&SharedDatabaseGuard<'_>) -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E> {
        self.with_exclusive(|guard| run_transaction(guard, true, body))
    }

    database_methods!();
}

impl From<Database> for SharedDatabase {
    /// Moves a `Database`'s handle into a `SharedDatabase`. Panics if owned
    /// statements or writers of that database still exist; see
    /// [`Database::into_shared`] for the fallible form.
    fn from(database: Database) -> SharedDatabase {
        database.into_shared().unwrap_or_else(|_| panic!("Database still has owned statements or writers"))
    }
}

impl Database {
    /// Turns this database into a [`SharedDatabase`]; gives it back if owned
    /// statements or writers still share its handle.
    pub fn into_shared(self) -> std::result::Result<SharedDatabase, Database> {
        match self.into_handle() {
            Ok(handle) => Ok(SharedDatabase::wrap(handle)),
            Err(database) => Err(database),
        }
    }
}

fn run_transaction<T, E: From<Error>>(
    guard: &SharedDatabaseGuard<'_>,
    immediate: bool,
    body: impl FnOnce(&SharedDatabaseGuard<'_>) -> std::result::Result<T, E>,
) -> std::result::Result<T, E> {
    if immediate {
        guard.handle.begin_immediate()?;
    } else {
        guard.handle.begin()?;
    }
    // A panic in `body` must not leave the shared connection inside a transaction.
    struct RollbackOnPanic<'h>(&'h Handle);
    impl Drop for RollbackOnPanic<'_> {
        fn drop(&mut self) {
            if std::thread::panicking() {
                let _ = self.0.rollback();
            }
        }
    }
    let _rollback_on_panic = RollbackOnPanic(&guard.handle);
    let result = body(guard).and_then(|value| guard.handle.commit().map(|()| value).map_err(E::from));
    if result.is_err() {
        // Nothing to undo if COMMIT already ended the transaction; ignore that error.
        let _ = guard.handle.rollback();
    }
    result
}

/// The locked database inside [`SharedDatabase::with_exclusive`] and the
/// transaction helpers. Statements and writers from it borrow the guard and
/// run without further locking.
///
/// Only the locking thread may use the guard: it is not `Sync`, so other
/// threads cannot call through it (they call the `SharedDatabase`, and wait).
///
/// ```compile_fail,E0277
/// # let path = std::env::temp_dir().join("never-created.zova");
/// let db = zova::SharedDatabase::open(&path).unwrap();
/// db.with_exclusive(|guard| {
///     std::thread::scope(|scope| {
///         scope.spawn(|| guard.exec("SELECT 1"));
///     });
/// });
/// ```
pub struct SharedDatabaseGuard<'a> {
    handle: Locked<'a>,
}

impl SharedDatabaseGuard<'_> {
    fn with<R>(&self, call: impl FnOnce(&Handle) -> R) -> R {
        call(&self.handle)
    }

    /// Compiles one SQL statement, borrowing the guard.
    pub fn prepare(&self, sql: &str) -> Result<Statement<'_>> {
        Statement::new(&self.handle, sql)
    }

    /// Starts a streaming object writer, borrowing the guard.
    pub fn object_writer(&self) -> Result<ObjectWriter<'_>> {
        ObjectWriter::new(&self.handle)
    }

    /// Runs `body` inside `SAVEPOINT name`; see [`Database::with_savepoint`].
    pub fn with_savepoint<T, E: From<Error>>(
        &self,
        name: &str,
        body: impl FnOnce(&Self) -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E> {
        database::with_savepoint(self, |guard: &Self| &*guard.handle, name, body)
    }

    database_methods!();
}

impl std::fmt::Debug for SharedDatabase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedDatabase").field("handle", &lock(&self.handle).raw()).finish()
    }
}

impl std::fmt::Debug for SharedDatabaseGuard<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedDatabaseGuard").field("handle", &self.handle.raw()).finish()
    }
}

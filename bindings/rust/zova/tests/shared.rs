//! `SharedDatabase` across threads (docs/rust.md §4.3 "SharedDatabase"; docs/c-api.md §5.7).
mod common;

use std::sync::Arc;
use std::thread;

use common::{status_of, TempDir};
use zova::{Database, Error, SharedDatabase, SharedDatabaseGuard, SharedObjectWriter, SharedStatement, Status, Step};

fn assert_send_sync<T: Send + Sync>() {}
fn assert_send<T: Send>() {}

#[test]
fn shared_types_are_send_and_sync_section_4_3() {
    assert_send_sync::<SharedDatabase>();
    assert_send_sync::<SharedStatement>();
    assert_send_sync::<SharedObjectWriter>();
    assert_send::<SharedDatabase>();
    assert_send_sync::<Error>();
}

fn shared(dir: &TempDir) -> SharedDatabase {
    let db = SharedDatabase::create(dir.path("shared.zova")).unwrap();
    // Hundreds of autocommit writes: skip fsync so the test measures locking, not the disk.
    db.exec("PRAGMA synchronous = OFF").unwrap();
    db.exec("CREATE TABLE log(thread INTEGER NOT NULL, n INTEGER NOT NULL); CREATE TABLE counter(v INTEGER); \
             INSERT INTO counter VALUES (0)")
        .unwrap();
    db
}

fn scalar(db: &SharedDatabase, sql: &str) -> i64 {
    let mut statement = db.prepare(sql).unwrap();
    assert_eq!(statement.step().unwrap(), Step::Row);
    statement.column_i64(0).unwrap()
}

#[test]
fn clones_insert_from_eight_threads_section_4_3() {
    let dir = TempDir::new();
    let db = shared(&dir);
    let handles: Vec<_> = (0..8)
        .map(|thread_id| {
            let db = db.clone();
            thread::spawn(move || {
                // Half the rows through exec, half through a statement owned by this thread.
                let mut insert = db.prepare("INSERT INTO log(thread, n) VALUES (?1, ?2)").unwrap();
                for n in 0..50 {
                    if n % 2 == 0 {
                        db.exec(&format!("INSERT INTO log(thread, n) VALUES ({thread_id}, {n})")).unwrap();
                    } else {
                        insert.reset().unwrap();
                        insert.bind_i64(1, thread_id).unwrap();
                        insert.bind_i64(2, n).unwrap();
                        assert_eq!(insert.step().unwrap(), Step::Done);
                    }
                }
            })
        })
        .collect();
    for handle in handles {
        handle.join().unwrap();
    }
    assert_eq!(scalar(&db, "SELECT count(*) FROM log"), 400);
    assert_eq!(scalar(&db, "SELECT count(DISTINCT thread) FROM log"), 8);
}

#[test]
fn transactions_are_atomic_across_threads_section_4_3() {
    let dir = TempDir::new();
    let db = shared(&dir);
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let db = db.clone();
            thread::spawn(move || {
                for _ in 0..25 {
                    // Read-modify-write: lost updates would show if calls interleaved.
                    db.transaction(|tx: &SharedDatabaseGuard<'_>| {
                        let mut read = tx.prepare("SELECT v FROM counter")?;
                        assert_eq!(read.step()?, Step::Row);
                        let value = read.column_i64(0)?;
                        drop(read);
                        thread::yield_now();
                        tx.exec(&format!("UPDATE counter SET v = {}", value + 1))
                    })
                    .unwrap();
                }
            })
        })
        .collect();
    for handle in handles {
        handle.join().unwrap();
    }
    assert_eq!(scalar(&db, "SELECT v FROM counter"), 100);
}

#[test]
fn transaction_rolls_back_on_error_section_4_3() {
    let dir = TempDir::new();
    let db = shared(&dir);
    let result: Result<(), Error> = db.transaction(|tx| {
        tx.exec("INSERT INTO log VALUES (1, 1)")?;
        tx.exec("INSERT INTO log VALUES (NULL, 1)") // NOT NULL violation
    });
    assert_eq!(status_of(result), Status::Constraint);
    assert_eq!(scalar(&db, "SELECT count(*) FROM log"), 0);
    // The connection is usable and outside any transaction afterwards.
    db.begin().unwrap();
    db.rollback().unwrap();
    let value = db
        .transaction_immediate(|tx| {
            tx.exec("INSERT INTO log VALUES (2, 2)")?;
            tx.with_savepoint("inner", |tx| tx.exec("INSERT INTO log VALUES (3, 3)"))?;
            tx.last_insert_rowid()
        })
        .unwrap();
    assert_eq!(value, 2);
    assert_eq!(scalar(&db, "SELECT count(*) FROM log"), 2);
    // A custom error type converts from zova::Error.
    #[derive(Debug, PartialEq)]
    enum AppError {
        Zova(Status),
        Rejected,
    }
    impl From<Error> for AppError {
        fn from(error: Error) -> Self {
            AppError::Zova(error.status())
        }
    }
    let rejected = db.transaction(|tx| {
        tx.exec("INSERT INTO log VALUES (9, 9)")?;
        Err::<(), _>(AppError::Rejected)
    });
    assert_eq!(rejected, Err(AppError::Rejected));
    assert_eq!(scalar(&db, "SELECT count(*) FROM log WHERE thread = 9"), 0);
    // BEGIN inside the closure fails; the transaction is still rolled back.
    assert_eq!(db.transaction(|tx| tx.begin()).map_err(|e: Error| e.status()), Err(Status::SqliteError));
    db.begin().unwrap();
    db.rollback().unwrap();
}

#[test]
fn error_messages_stay_with_their_thread_c_abi_5_5() {
    let dir = TempDir::new();
    let db = shared(&dir);
    let handles: Vec<_> = (0..6)
        .map(|thread_id| {
            let db = db.clone();
            thread::spawn(move || {
                for round in 0..30 {
                    let table = format!("missing_{thread_id}_{round}");
                    let error = db.exec(&format!("SELECT * FROM {table}")).unwrap_err();
                    assert_eq!(error.status(), Status::SqliteError);
                    assert!(error.message().unwrap().contains(&table), "{error} should name {table}");
                    db.exec("SELECT 1").unwrap();
                }
            })
        })
        .collect();
    for handle in handles {
        handle.join().unwrap();
    }
}

#[test]
fn statements_move_and_share_between_threads_section_4_3() {
    let dir = TempDir::new();
    let db = shared(&dir);
    db.exec("INSERT INTO log VALUES (1, 10), (2, 20), (3, 30)").unwrap();
    let mut statement = db.prepare("SELECT n FROM log ORDER BY n").unwrap();
    let sum = thread::spawn(move || {
        let mut sum = 0;
        while statement.step().unwrap() == Step::Row {
            sum += statement.column_i64(0).unwrap();
        }
        sum
    })
    .join()
    .unwrap();
    assert_eq!(sum, 60);
    // One statement read from several threads at once (docs/c-api.md §5.7: 8 threads on column_name).
    let statement = Arc::new(db.prepare("SELECT thread, n FROM log").unwrap());
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let statement = Arc::clone(&statement);
            thread::spawn(move || {
                for _ in 0..100 {
                    assert_eq!(statement.column_count().unwrap(), 2);
                    assert_eq!(statement.column_name(1).unwrap(), "n");
                }
            })
        })
        .collect();
    for handle in handles {
        handle.join().unwrap();
    }
    // Dropping the SharedDatabase first leaves the statement working.
    drop(db);
    let mut statement = Arc::try_unwrap(statement).unwrap();
    assert_eq!(statement.step().unwrap(), Step::Row);
}

#[test]
fn with_exclusive_and_conversion_from_database_section_4_3() {
    let dir = TempDir::new();
    let db = Database::create(dir.path("plain.zova")).unwrap();
    db.exec("CREATE TABLE t(x)").unwrap();
    let owned = db.prepare_owned("SELECT count(*) FROM t").unwrap();
    let db = db.into_shared().expect_err("an owned statement still shares the handle");
    drop(owned);
    let shared: SharedDatabase = db.into_shared().unwrap();
    let rows = shared.with_exclusive(|guard| {
        guard.exec("INSERT INTO t VALUES (1), (2)").unwrap();
        let mut query = guard.prepare("SELECT count(*) FROM t").unwrap();
        query.step().unwrap();
        (query.column_i64(0).unwrap(), guard.changes().unwrap())
    });
    assert_eq!(rows, (2, 2));
    let shared2 = SharedDatabase::open(dir.path("plain.zova")).unwrap();
    assert_eq!(scalar(&shared2, "SELECT count(*) FROM t"), 2);
}

#[test]
fn shared_handles_are_reentrant_inside_a_transaction_section_4_3() {
    let dir = TempDir::new();
    let db = shared(&dir);
    let mut insert = db.prepare("INSERT INTO log VALUES (?1, 0)").unwrap();
    let result: Result<(), Error> = db.transaction(|tx| {
        tx.exec("INSERT INTO log VALUES (1, 0)")?;
        // The same thread may use the SharedDatabase and its statements here:
        // no deadlock, and the work joins the transaction.
        db.exec("INSERT INTO log VALUES (2, 0)")?;
        insert.bind_i64(1, 3)?;
        insert.step()?;
        let probe = db.prepare("SELECT count(*) FROM log")?;
        drop(probe);
        Err(Error::InvalidUtf8Text)
    });
    assert_eq!(result, Err(Error::InvalidUtf8Text));
    insert.reset().unwrap();
    assert_eq!(scalar(&db, "SELECT count(*) FROM log"), 0, "all three inserts were rolled back");
    // Another thread still waits for the lock while the transaction runs.
    let other = db.clone();
    db.with_exclusive(|guard| {
        let waiter = thread::spawn(move || other.exec("INSERT INTO log VALUES (4, 0)"));
        thread::sleep(std::time::Duration::from_millis(50));
        guard.begin().unwrap();
        guard.exec("INSERT INTO log VALUES (5, 0)").unwrap();
        guard.commit().unwrap();
        assert!(!waiter.is_finished(), "the other thread must wait for the lock");
        waiter
    })
    .join()
    .unwrap()
    .unwrap();
    assert_eq!(scalar(&db, "SELECT count(*) FROM log"), 2);
}

#[test]
fn a_panicking_transaction_rolls_back_section_4_3() {
    let dir = TempDir::new();
    let db = shared(&dir);
    let worker = db.clone();
    let outcome = thread::spawn(move || {
        worker
            .transaction(|tx| {
                tx.exec("INSERT INTO log VALUES (1, 1)")?;
                if tx.changes()? == 1 {
                    panic!("boom");
                }
                Ok::<_, Error>(())
            })
            .unwrap();
    })
    .join();
    assert!(outcome.is_err(), "the worker panicked");
    // The lock is free again, the insert is gone and no transaction is open.
    assert_eq!(scalar(&db, "SELECT count(*) FROM log"), 0);
    db.begin().unwrap();
    db.commit().unwrap();
}

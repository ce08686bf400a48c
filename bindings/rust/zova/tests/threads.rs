//! Handles shared between threads while they are closed, and the messages of
//! concurrent failing calls (docs/c-api.md §5.5, §5.7; docs/rust.md §4.3).
//!
//! What the types allow: only `SharedDatabase`, `SharedStatement` and
//! `SharedObjectWriter` cross threads (`Database` and its borrowed or owned
//! children are `!Send`, and `SharedDatabaseGuard` is `!Sync`, see its doc
//! test). A `SharedDatabase` has no close: the handle closes when the last
//! clone, statement or writer is dropped, so no call can be in flight. A
//! statement's `close` consumes it and `step` takes `&mut self`, a writer's
//! `write` and `finish` take `&mut self`: to finalize or finish while other
//! threads step or write, the threads share it behind a `Mutex`, as here.
mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;

use common::TempDir;
use zova::{object_id, Database, ObjectId, SharedDatabase, SharedObjectWriter, SharedStatement, Status, Step};

fn shared(dir: &TempDir, name: &str) -> SharedDatabase {
    let db = SharedDatabase::create(dir.path(name)).unwrap();
    // Thousands of autocommit writes: skip fsync so the tests measure locking, not the disk.
    db.exec("PRAGMA synchronous = OFF").unwrap();
    db
}

/// Spins until `counter` reaches `at_least`, yielding the core.
fn wait_for(counter: &AtomicUsize, at_least: usize) {
    while counter.load(Ordering::Relaxed) < at_least {
        thread::yield_now();
    }
}

/// 4 threads loop put_object/get_object on clones while the opening thread
/// drops its clone: their calls keep working, and the handle closes only after
/// the last of them (the file then reopens with every object).
#[test]
fn dropping_a_clone_while_threads_loop_object_calls_c_abi_5_7() {
    let dir = TempDir::new();
    for round in 0..30 {
        let name = format!("drop-{round}.zova");
        let db = shared(&dir, &name);
        let seed = db.put_object(b"seed").unwrap();
        let calls = Arc::new(AtomicUsize::new(0));
        let workers: Vec<_> = (0..4)
            .map(|t| {
                let (db, calls) = (db.clone(), Arc::clone(&calls));
                thread::spawn(move || {
                    for i in 0..40 {
                        if t % 2 == 0 {
                            db.put_object(format!("object {round} {t} {i}").as_bytes()).unwrap();
                        } else {
                            assert_eq!(db.get_object(&seed).unwrap(), b"seed");
                        }
                        calls.fetch_add(1, Ordering::Relaxed);
                    }
                })
            })
            .collect();
        wait_for(&calls, 10);
        drop(db);
        for worker in workers {
            worker.join().unwrap();
        }
        let reopened = Database::open(dir.path(&name)).unwrap();
        let mut count = reopened.prepare("SELECT count(*) FROM _zova_objects").unwrap();
        assert_eq!(count.step().unwrap(), Step::Row);
        assert_eq!(count.column_i64(0).unwrap(), 1 + 2 * 40);
    }
}

/// One thread steps a statement while another finalizes it (taking it out of
/// the `Mutex` they share and dropping it) and two more use the database; the
/// stepper then finds the statement gone. 8 threads also read one
/// `&SharedStatement` at once before it is closed.
#[test]
fn statement_finalized_while_another_thread_steps_c_abi_5_7() {
    let dir = TempDir::new();
    let db = shared(&dir, "statements.zova");
    db.exec("CREATE TABLE t(v INTEGER); \
             INSERT INTO t WITH RECURSIVE n(v) AS (SELECT 1 UNION ALL SELECT v + 1 FROM n WHERE v < 50) SELECT v FROM n")
        .unwrap();
    let seed = db.put_object(b"seed").unwrap();
    for round in 0..200 {
        let statement = Arc::new(Mutex::new(Some(db.prepare("SELECT v FROM t").unwrap())));
        let steps = Arc::new(AtomicUsize::new(0));
        let stepper = {
            let (statement, steps) = (Arc::clone(&statement), Arc::clone(&steps));
            thread::spawn(move || loop {
                let mut slot = statement.lock().unwrap();
                let Some(statement) = slot.as_mut() else { return };
                match statement.step().unwrap() {
                    Step::Row => assert!((1..=50).contains(&statement.column_i64(0).unwrap())),
                    Step::Done => statement.reset().unwrap(),
                }
                steps.fetch_add(1, Ordering::Relaxed);
            })
        };
        let readers: Vec<_> = (0..2)
            .map(|_| {
                let db = db.clone();
                thread::spawn(move || {
                    for _ in 0..5 {
                        assert_eq!(db.get_object(&seed).unwrap(), b"seed");
                    }
                })
            })
            .collect();
        wait_for(&steps, round % 7);
        let taken: Option<SharedStatement> = statement.lock().unwrap().take();
        drop(taken.expect("only this thread takes the statement"));
        stepper.join().unwrap();
        for reader in readers {
            reader.join().unwrap();
        }
    }

    let statement = db.prepare("SELECT 1 AS first, 2 AS second").unwrap();
    thread::scope(|scope| {
        for _ in 0..8 {
            scope.spawn(|| {
                for i in 0..200 {
                    assert_eq!(statement.column_count().unwrap(), 2);
                    assert_eq!(statement.column_name(i % 2).unwrap(), ["first", "second"][i % 2]);
                }
            });
        }
    });
    statement.close();
    assert_eq!(db.get_object(&seed).unwrap(), b"seed");
}

/// A third thread finishes a writer while two others write to it: each write
/// lands before the finish (and is in the object) or fails with
/// OBJECT_WRITER_CLOSED "object writer is closed".
#[test]
fn writer_finished_while_two_threads_write_c_abi_5_7() {
    let dir = TempDir::new();
    let db = shared(&dir, "writer.zova");
    let piece = b"zova".repeat(256);
    for round in 0..50 {
        let writer = Arc::new(Mutex::new(db.object_writer().unwrap()));
        let (written, attempts) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let writers: Vec<_> = (0..2)
            .map(|_| {
                let (writer, written, attempts, piece) =
                    (Arc::clone(&writer), Arc::clone(&written), Arc::clone(&attempts), piece.clone());
                thread::spawn(move || loop {
                    let result = writer.lock().unwrap().write(&piece);
                    attempts.fetch_add(1, Ordering::Relaxed);
                    match result {
                        Ok(()) => written.fetch_add(1, Ordering::Relaxed),
                        Err(error) => {
                            assert_eq!(error.status(), Status::ObjectWriterClosed, "{error}");
                            assert_eq!(error.message(), Some("object writer is closed"));
                            return;
                        }
                    };
                })
            })
            .collect();
        let finisher = {
            let (writer, attempts) = (Arc::clone(&writer), Arc::clone(&attempts));
            thread::spawn(move || {
                wait_for(&attempts, round % 5);
                writer.lock().unwrap().finish().unwrap()
            })
        };
        let id: ObjectId = finisher.join().unwrap();
        for handle in writers {
            handle.join().unwrap();
        }
        let expected = piece.repeat(written.load(Ordering::Relaxed));
        assert_eq!(id, object_id(&expected).unwrap(), "round {round}: the object is the pieces written before finish");
        assert_eq!(db.object_size(&id).unwrap(), expected.len() as u64);
        let mut writer: SharedObjectWriter = Arc::try_unwrap(writer).unwrap().into_inner().unwrap();
        assert_eq!(writer.finish().unwrap_err().status(), Status::ObjectWriterClosed);
    }
}

/// 8 threads mix failing get_object (missing ids) and succeeding put_object on
/// clones of one database: every failure carries its own message, the
/// ObjectNotFound text, never none (a put's success clears the handle's
/// message) or another call's.
#[test]
fn each_failure_carries_its_own_message_c_abi_5_5() {
    let dir = TempDir::new();
    let db = shared(&dir, "messages.zova");
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let db = db.clone();
            thread::spawn(move || {
                for i in 0..400 {
                    if t % 2 == 1 {
                        db.put_object(format!("object {t} {i}").as_bytes()).unwrap();
                        continue;
                    }
                    let missing = object_id(format!("missing {t} {i}").as_bytes()).unwrap();
                    let error = db.get_object(&missing).unwrap_err();
                    assert_eq!(error.status(), Status::ObjectNotFound, "{error}");
                    assert_eq!(error.message(), Some("ObjectNotFound"), "thread {t} call {i}");
                }
            })
        })
        .collect();
    for handle in threads {
        handle.join().unwrap();
    }
}

//! Records through the safe API: lifecycle, SQL, statements, transactions,
//! savepoints, operational copies and errors (docs/rust.md §4.3; docs/c-api.md §7.2-§7.5).
mod common;

use common::{count, error_of, status_of, TempDir};
use zova::{ColumnType, Database, Error, OpenOptions, Status, Step};

fn people(dir: &TempDir) -> Database {
    let db = Database::create(dir.path("people.zova")).unwrap();
    db.exec("CREATE TABLE people(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, score REAL, photo BLOB)")
        .unwrap();
    db
}

#[test]
fn create_then_reopen_keeps_rows_section_4_3() {
    let dir = TempDir::new();
    let path = dir.path("a.zova");
    {
        let db = Database::create(&path).unwrap();
        db.exec("CREATE TABLE t(x INTEGER); INSERT INTO t VALUES (1), (2), (3)").unwrap();
    }
    let db = Database::open(&path).unwrap();
    assert_eq!(count(&db, "SELECT sum(x) FROM t"), 6);
    let db2 = Database::open_with_options(&path, OpenOptions { read_only: true, busy_timeout_ms: 100 }).unwrap();
    assert_eq!(count(&db2, "SELECT count(*) FROM t"), 3);
}

#[test]
fn lifecycle_statuses_c_abi_7_2() {
    let dir = TempDir::new();
    // Suffix check first: NOT_ZOVA_PATH with an owned message.
    let error = error_of(Database::create(dir.path("a.sqlite")));
    assert_eq!(error.status(), Status::NotZovaPath);
    assert!(error.message().is_some_and(|m| !m.is_empty()), "{error:?}");
    assert!(error.to_string().starts_with("ZOVA_NOT_ZOVA_PATH: "), "{error}");
    // Existing destination, missing parent, missing file.
    let path = dir.path("a.zova");
    drop(Database::create(&path).unwrap());
    assert_eq!(status_of(Database::create(&path)), Status::DestinationExists);
    assert_eq!(status_of(Database::create(dir.path("missing/a.zova"))), Status::CantOpen);
    assert_eq!(status_of(Database::open(dir.path("nothere.zova"))), Status::NotZovaDatabase);
    assert_eq!(status_of(Database::open(dir.path("missing/nothere.zova"))), Status::CantOpen);
    // A plain file with the right suffix is not a Zova database.
    std::fs::write(dir.path("junk.zova"), b"not sqlite at all, just some bytes").unwrap();
    assert_eq!(status_of(Database::open(dir.path("junk.zova"))), Status::NotZovaDatabase);
    // Busy timeout above i32::MAX is INVALID_ARGUMENT.
    let options = OpenOptions { read_only: false, busy_timeout_ms: u32::MAX };
    assert_eq!(status_of(Database::open_with_options(&path, options)), Status::InvalidArgument);
}

#[test]
fn binding_level_path_errors_section_4_3() {
    let dir = TempDir::new();
    let nul = dir.path("a\0b.zova");
    assert_eq!(error_of(Database::create(&nul)), Error::InteriorNul { context: "path" });
    assert_eq!(error_of(Database::create(&nul)).to_string(), "path contains an interior NUL byte");
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let bad = dir.dir().join(std::ffi::OsStr::from_bytes(b"\xff\xfe.zova"));
        assert_eq!(error_of(Database::create(bad)), Error::NonUtf8Path);
    }
}

#[test]
fn read_only_handle_rejects_writes_c_abi_7_3() {
    let dir = TempDir::new();
    let path = dir.path("ro.zova");
    Database::create(&path).unwrap().exec("CREATE TABLE t(x)").unwrap();
    let db = Database::open_with_options(&path, OpenOptions { read_only: true, busy_timeout_ms: 0 }).unwrap();
    let error = error_of(db.exec("INSERT INTO t VALUES (1)"));
    assert_eq!(error.status(), Status::ReadOnly);
    assert!(error.message().unwrap().contains("readonly"), "{error}");
}

#[test]
fn sql_errors_carry_sqlite_messages_c_abi_5_5() {
    let dir = TempDir::new();
    let db = people(&dir);
    let error = error_of(db.exec("SELEC 1"));
    assert_eq!(error.status(), Status::SqliteError);
    assert!(error.message().unwrap().contains("syntax"), "{error}");
    assert_eq!(error.to_string(), format!("ZOVA_SQLITE_ERROR: {}", error.message().unwrap()));
    let error = error_of(db.exec("SELECT * FROM no_such_table"));
    assert!(error.message().unwrap().contains("no_such_table"), "{error}");
    // The copied message survives later successful calls.
    db.exec("SELECT 1").unwrap();
    assert!(error.message().unwrap().contains("no_such_table"));
    assert_eq!(error_of(db.exec("SELECT 1\0")), Error::InteriorNul { context: "sql" });
    db.exec("INSERT INTO people(name) VALUES ('ada')").unwrap();
    assert_eq!(status_of(db.exec("INSERT INTO people(name) VALUES ('ada')")), Status::Constraint);
}

#[test]
fn status_names_and_codes_section_4_3() {
    let codes = [1, 2, 10, 11, 12, 13, 14, 15, 16, 17, 30, 31, 32, 33, 34, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 70, 71,
                 72, 73, 74, 75];
    for code in codes {
        let status = Status::from_raw(code);
        assert!(!matches!(status, Status::Unknown(_)), "{code} has a named variant");
        assert_eq!(status.raw(), code);
        assert!(status.name().starts_with("ZOVA_"), "{}", status.name());
    }
    assert_eq!(Status::ObjectNotFound.name(), "ZOVA_OBJECT_NOT_FOUND");
    assert_eq!(Status::VectorInvalid.raw(), 75);
    assert_eq!(Status::from_raw(0), Status::Unknown(0));
    assert_eq!(Status::Unknown(0).name(), "ZOVA_OK");
    assert_eq!(Status::from_raw(999).raw(), 999);
    assert_eq!(Status::ZovaNameConflict.to_string(), "ZOVA_ZOVA_NAME_CONFLICT");
    assert_eq!(zova::abi_version(), "0.17.0");
    assert_eq!(zova::abi_version_numbers(), (0, 17, 0));
}

#[test]
fn statement_binds_and_columns_section_4_3() {
    let dir = TempDir::new();
    let db = people(&dir);
    let total_before = db.total_changes().unwrap();
    let mut insert = db.prepare("INSERT INTO people(name, score, photo) VALUES (:name, ?2, ?3)").unwrap();
    assert_eq!(insert.parameter_count().unwrap(), 3);
    assert_eq!(insert.parameter_index(":name").unwrap(), Some(1));
    assert_eq!(insert.parameter_index(":missing").unwrap(), None);
    assert_eq!(error_of(insert.parameter_index("a\0")), Error::InteriorNul { context: "parameter name" });
    insert.bind_text(1, "ada").unwrap();
    insert.bind_f64(2, 1.5).unwrap();
    insert.bind_blob(3, b"\x00\x01\xff").unwrap();
    assert_eq!(insert.step().unwrap(), Step::Done);
    assert_eq!(db.last_insert_rowid().unwrap(), 1);
    assert_eq!(db.changes().unwrap(), 1);
    insert.reset().unwrap();
    // docs/c-api.md §0.2 item 1: empty text and empty blob are values, not NULL.
    insert.bind_text(1, "").unwrap();
    insert.bind_null(2).unwrap();
    insert.bind_blob(3, &[]).unwrap();
    assert_eq!(insert.step().unwrap(), Step::Done);
    insert.reset().unwrap();
    insert.clear_bindings().unwrap();
    insert.bind_text(1, "grace").unwrap();
    insert.bind_i64(2, 7).unwrap();
    assert_eq!(insert.step().unwrap(), Step::Done);
    drop(insert);
    // total_changes also counts Zova's own statements (docs/c-api.md §5.11): compare deltas.
    assert_eq!(db.total_changes().unwrap() - total_before, 3);

    let mut query = db.prepare("SELECT id, name, score, photo FROM people ORDER BY id").unwrap();
    assert_eq!(query.column_count().unwrap(), 4);
    let names: Vec<String> = (0..4).map(|i| query.column_name(i).unwrap()).collect();
    assert_eq!(names, ["id", "name", "score", "photo"]);
    assert_eq!(status_of(query.column_name(4)), Status::Misuse);
    assert_eq!(query.step().unwrap(), Step::Row);
    assert_eq!(query.column_type(0).unwrap(), ColumnType::Integer);
    assert_eq!(query.column_type(2).unwrap(), ColumnType::Float);
    assert_eq!(query.column_type(3).unwrap(), ColumnType::Blob);
    assert_eq!(query.column_text(1).unwrap().as_deref(), Some("ada"));
    assert_eq!(query.column_f64(2).unwrap(), 1.5);
    assert_eq!(query.column_blob(3).unwrap(), Some(vec![0, 1, 255]));
    assert_eq!(query.step().unwrap(), Step::Row);
    assert_eq!(query.column_type(1).unwrap(), ColumnType::Text);
    assert_eq!(query.column_text(1).unwrap(), Some(String::new()));
    assert_eq!(query.column_type(2).unwrap(), ColumnType::Null);
    assert_eq!(query.column_text(2).unwrap(), None);
    assert_eq!(query.column_blob(2).unwrap(), None);
    assert_eq!(query.column_blob(3).unwrap(), Some(Vec::new()));
    assert_eq!(query.step().unwrap(), Step::Row);
    assert_eq!(query.column_i64(0).unwrap(), 3);
    assert_eq!(query.column_i64(2).unwrap(), 7);
    assert_eq!(query.column_type(3).unwrap(), ColumnType::Null);
    assert_eq!(query.step().unwrap(), Step::Done);
}

#[test]
fn statement_argument_checks_c_abi_7_5() {
    let dir = TempDir::new();
    let db = people(&dir);
    let mut statement = db.prepare("SELECT ?1").unwrap();
    // Binding-level checks: INVALID_ARGUMENT with no message.
    let error = error_of(statement.bind_i64(0, 1));
    assert_eq!(error, Error::Zova { status: Status::InvalidArgument, status_name: "ZOVA_INVALID_ARGUMENT".into(), message: None });
    assert_eq!(error.to_string(), "ZOVA_INVALID_ARGUMENT");
    assert_eq!(status_of(statement.bind_i64(usize::MAX, 1)), Status::InvalidArgument);
    assert_eq!(status_of(statement.column_i64(usize::MAX)), Status::InvalidArgument);
    // Index past the parameter count: SQLite's range error.
    assert_eq!(status_of(statement.bind_i64(2, 1)), Status::SqliteError);
    // Empty SQL and compile errors.
    assert_eq!(status_of(db.prepare("")), Status::InvalidArgument);
    assert_eq!(status_of(db.prepare("   -- only a comment")), Status::InvalidArgument);
    let error = error_of(db.prepare("SELECT FROM WHERE"));
    assert_eq!(error.status(), Status::SqliteError);
    assert!(error.message().unwrap().contains("syntax"), "{error}");
}

#[test]
fn reset_reports_the_failed_step_once_c_abi_0_2_item_9() {
    let dir = TempDir::new();
    let db = people(&dir);
    db.exec("INSERT INTO people(name) VALUES ('ada')").unwrap();
    let mut insert = db.prepare("INSERT INTO people(name) VALUES ('ada')").unwrap();
    assert_eq!(status_of(insert.step()), Status::Constraint);
    assert_eq!(status_of(insert.reset()), Status::Constraint);
    insert.reset().unwrap();
}

#[test]
fn transactions_commit_and_roll_back_c_abi_7_3() {
    let dir = TempDir::new();
    let db = people(&dir);
    db.begin().unwrap();
    db.exec("INSERT INTO people(name) VALUES ('ada')").unwrap();
    assert_eq!(status_of(db.begin()), Status::SqliteError);
    db.commit().unwrap();
    db.begin_immediate().unwrap();
    db.exec("INSERT INTO people(name) VALUES ('grace')").unwrap();
    db.rollback().unwrap();
    assert_eq!(count(&db, "SELECT count(*) FROM people"), 1);
    assert_eq!(status_of(db.commit()), Status::SqliteError);
    assert_eq!(status_of(db.rollback()), Status::SqliteError);
    db.vacuum().unwrap();
    db.begin().unwrap();
    assert_eq!(status_of(db.vacuum()), Status::SqliteError);
    db.rollback().unwrap();
    db.set_busy_timeout(250).unwrap();
    assert_eq!(status_of(db.set_busy_timeout(u32::MAX)), Status::InvalidArgument);
}

#[test]
fn savepoints_and_with_savepoint_c_abi_7_3() {
    let dir = TempDir::new();
    let db = people(&dir);
    db.savepoint("outer").unwrap();
    db.exec("INSERT INTO people(name) VALUES ('ada')").unwrap();
    db.savepoint("inner").unwrap();
    db.exec("INSERT INTO people(name) VALUES ('grace')").unwrap();
    db.rollback_to_savepoint("inner").unwrap();
    db.release_savepoint("inner").unwrap();
    db.release_savepoint("outer").unwrap();
    assert_eq!(count(&db, "SELECT count(*) FROM people"), 1);
    for bad in ["", "1abc", "has space", "_zova_x", "_ZOVA_x", &"a".repeat(65)] {
        assert_eq!(status_of(db.savepoint(bad)), Status::InvalidArgument, "{bad:?}");
    }
    assert_eq!(error_of(db.savepoint("a\0b")), Error::InteriorNul { context: "savepoint name" });
    let error = error_of(db.release_savepoint("missing_sp"));
    assert_eq!(error.status(), Status::SqliteError);
    assert!(error.message().unwrap().contains("no such savepoint"), "{error}");

    // with_savepoint: Ok releases, Err rolls back (nested too).
    let value = db
        .with_savepoint("sp", |db| {
            db.exec("INSERT INTO people(name) VALUES ('linus')")?;
            let inner: Result<(), Error> = db.with_savepoint("nested", |db| {
                db.exec("INSERT INTO people(name) VALUES ('nested')")?;
                db.exec("INSERT INTO people(name) VALUES ('ada')") // UNIQUE violation
            });
            assert_eq!(status_of(inner), Status::Constraint);
            Ok::<_, Error>(42)
        })
        .unwrap();
    assert_eq!(value, 42);
    assert_eq!(count(&db, "SELECT count(*) FROM people WHERE name IN ('linus', 'nested')"), 1);
    let failed = db.with_savepoint("sp", |db| {
        db.exec("INSERT INTO people(name) VALUES ('gone')")?;
        Err::<(), Error>(Error::InvalidUtf8Text)
    });
    assert_eq!(failed, Err(Error::InvalidUtf8Text));
    assert_eq!(count(&db, "SELECT count(*) FROM people WHERE name = 'gone'"), 0);
    assert_eq!(status_of(db.with_savepoint("bad name", |_| Ok::<_, Error>(()))), Status::InvalidArgument);
}

#[test]
fn owned_statement_keeps_the_handle_alive_section_2_5() {
    let dir = TempDir::new();
    let db = people(&dir);
    db.exec("INSERT INTO people(name) VALUES ('ada'), ('grace')").unwrap();
    let mut statement = db.prepare_owned("SELECT name FROM people ORDER BY id").unwrap();
    drop(db);
    assert_eq!(statement.step().unwrap(), Step::Row);
    assert_eq!(statement.column_text(0).unwrap().as_deref(), Some("ada"));
    assert_eq!(statement.step().unwrap(), Step::Row);
    assert_eq!(statement.step().unwrap(), Step::Done);
}

#[test]
fn second_handle_sees_busy_c_abi_7_3() {
    let dir = TempDir::new();
    let db = people(&dir);
    let other = Database::open(dir.path("people.zova")).unwrap();
    db.begin_immediate().unwrap();
    let status = status_of(other.begin_immediate());
    assert!(matches!(status, Status::Busy | Status::Locked), "{status:?}");
    db.commit().unwrap();
    other.begin_immediate().unwrap();
    other.rollback().unwrap();
}

//! Operational copies through the safe API: backup, compact, restore and
//! conversion (docs/rust.md §4.3 "Lifecycle"; docs/c-api.md §7.4, §5.12).
mod common;

use common::{count, error_of, status_of, TempDir};
use zova::{BackupOptions, CompactOptions, Database, RestoreOptions, Status};

fn people(dir: &TempDir) -> Database {
    let db = Database::create(dir.path("people.zova")).unwrap();
    db.exec("CREATE TABLE people(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)").unwrap();
    db
}

#[test]
fn backup_compact_restore_section_4_3() {
    let dir = TempDir::new();
    let db = people(&dir);
    db.exec("INSERT INTO people(name) VALUES ('ada'), ('grace')").unwrap();
    db.backup_to(dir.path("backup.zova"), BackupOptions::default()).unwrap();
    db.backup_to(dir.path("fast.zova"), BackupOptions { verify: false }).unwrap();
    assert_eq!(status_of(db.backup_to(dir.path("backup.zova"), BackupOptions::default())), Status::DestinationExists);
    assert_eq!(status_of(db.backup_to(dir.path("backup.db"), BackupOptions::default())), Status::NotZovaPath);
    db.compact_to(dir.path("compact.zova"), CompactOptions::default()).unwrap();
    zova::restore_backup(dir.path("backup.zova"), dir.path("restored.zova"), RestoreOptions::default()).unwrap();
    assert_eq!(
        status_of(zova::restore_backup(dir.path("backup.zova"), dir.path("restored.zova"), RestoreOptions { verify: false })),
        Status::DestinationExists
    );
    let error = error_of(zova::restore_backup(dir.path("none.zova"), dir.path("x.zova"), RestoreOptions::default()));
    assert_eq!(error.status(), Status::NotZovaDatabase);
    assert!(error.message().is_some());
    for copy in ["backup.zova", "fast.zova", "compact.zova", "restored.zova"] {
        let copy = Database::open(dir.path(copy)).unwrap();
        assert_eq!(count(&copy, "SELECT count(*) FROM people"), 2);
    }
    assert!(BackupOptions::default().verify && CompactOptions::default().verify && RestoreOptions::default().verify);
}

#[test]
fn convert_sqlite_to_zova_c_abi_7_4() {
    let dir = TempDir::new();
    let db = people(&dir);
    // An empty file is an empty SQLite database; ATTACH fills it with a plain table.
    let plain = dir.path("plain.sqlite");
    std::fs::write(&plain, b"").unwrap();
    db.exec(&format!("ATTACH DATABASE '{}' AS plain", plain.display())).unwrap();
    db.exec("CREATE TABLE plain.notes(body TEXT); INSERT INTO plain.notes VALUES ('hello'); DETACH DATABASE plain")
        .unwrap();
    Database::convert_sqlite_to_zova(&plain, dir.path("converted.zova")).unwrap();
    let converted = Database::open(dir.path("converted.zova")).unwrap();
    assert_eq!(count(&converted, "SELECT count(*) FROM notes"), 1);
    // A .zova source has _zova_ tables: name conflict. Existing destination: 33.
    assert_eq!(
        status_of(Database::convert_sqlite_to_zova(dir.path("people.zova"), dir.path("again.zova"))),
        Status::ZovaNameConflict
    );
    assert_eq!(
        status_of(Database::convert_sqlite_to_zova(&plain, dir.path("converted.zova"))),
        Status::DestinationExists
    );
    assert_eq!(
        status_of(Database::convert_sqlite_to_zova(dir.path("missing.sqlite"), dir.path("n.zova"))),
        Status::CantOpen
    );
}

package zova

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// populate stores a record, an object and a vector.
func populate(t *testing.T, db *DB) ObjectID {
	t.Helper()
	must(t, db.Exec("create table notes(body text); insert into notes values ('hello')"))
	id, err := db.PutObject(pseudoRandom(100_000, 42))
	must(t, err)
	must(t, db.CreateVectorCollection("v", VectorCollectionOptions{Dimensions: 2, Metric: VectorMetricL2}))
	must(t, db.PutVector("v", "a", []float32{1, 2}))
	return id
}

// checkCopy opens a copy and checks the populated content.
func checkCopy(t *testing.T, path string, id ObjectID) {
	t.Helper()
	db, err := OpenWithOptions(path, OpenOptions{ReadOnly: true})
	must(t, err)
	defer db.Close()
	if n := countRows(t, db, "notes"); n != 1 {
		t.Fatalf("%s: %d notes", path, n)
	}
	data, err := db.GetObject(id)
	must(t, err)
	if !bytes.Equal(data, pseudoRandom(100_000, 42)) {
		t.Fatalf("%s: object differs", path)
	}
	v, err := db.GetVector("v", "a")
	must(t, err)
	if v.Values[1] != 2 {
		t.Fatalf("%s: vector %+v", path, v)
	}
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// docs/c-api.md §7.4 / docs/cli.md §1.7: backup, compact, restore.
func TestBackupCompactRestore(t *testing.T) {
	db, _ := testDB(t)
	id := populate(t, db)
	dir := t.TempDir()
	backup := filepath.Join(dir, "backup.zova")
	compact := filepath.Join(dir, "compact.zova")
	restored := filepath.Join(dir, "restored.zova")

	must(t, db.BackupTo(backup))
	checkCopy(t, backup, id)
	must(t, db.CompactTo(compact, CompactOptions{NoVerify: true}))
	checkCopy(t, compact, id)
	must(t, RestoreBackup(backup, restored))
	checkCopy(t, restored, id)
	must(t, db.BackupTo(filepath.Join(dir, "nv.zova"), BackupOptions{NoVerify: true}))
	must(t, RestoreBackup(backup, filepath.Join(dir, "r2.zova"), RestoreOptions{NoVerify: true}))

	// Never overwrite, suffix checked, missing directory.
	wantStatus(t, db.BackupTo(backup), StatusDestinationExists, "")
	wantStatus(t, db.CompactTo(backup), StatusDestinationExists, "")
	wantStatus(t, RestoreBackup(backup, restored), StatusDestinationExists, "")
	wantStatus(t, db.BackupTo(filepath.Join(dir, "b.db")), StatusNotZovaPath, "")
	wantStatus(t, db.CompactTo(filepath.Join(dir, "b.db")), StatusNotZovaPath, "")
	wantStatus(t, RestoreBackup(filepath.Join(dir, "x.db"), filepath.Join(dir, "y.zova")), StatusNotZovaPath, "")
	wantStatus(t, db.BackupTo(filepath.Join(dir, "no", "b.zova")), StatusCantOpen, "")
	err := RestoreBackup(filepath.Join(dir, "missing.zova"), filepath.Join(dir, "y.zova"))
	zerr := wantStatus(t, err, StatusNotZovaDatabase, "")
	if zerr.Message == "" {
		t.Fatal("restore failure without a message")
	}
	if exists(filepath.Join(dir, "y.zova")) {
		t.Fatal("failed restore left a destination")
	}

	// Binding-level checks.
	wantStatus(t, db.BackupTo(filepath.Join(dir, "o.zova"), BackupOptions{}, BackupOptions{}), StatusInvalidArgument,
		"BackupTo accepts at most one options value")
	wantStatus(t, db.CompactTo(filepath.Join(dir, "o.zova"), CompactOptions{}, CompactOptions{}), StatusInvalidArgument,
		"CompactTo accepts at most one options value")
	wantStatus(t, RestoreBackup(backup, filepath.Join(dir, "o.zova"), RestoreOptions{}, RestoreOptions{}), StatusInvalidArgument,
		"RestoreBackup accepts at most one options value")
	wantStatus(t, db.BackupTo("a\x00.zova"), StatusInvalidArgument, "destination path contains NUL byte")
	wantStatus(t, RestoreBackup("a\x00.zova", "b.zova"), StatusInvalidArgument, "source path contains NUL byte")

	// Compact inside a transaction fails (VACUUM INTO), leaving nothing.
	must(t, db.Begin())
	wantStatus(t, db.CompactTo(filepath.Join(dir, "intx.zova")), StatusSQLiteError, "")
	must(t, db.Rollback())
	if exists(filepath.Join(dir, "intx.zova")) {
		t.Fatal("failed compact left a destination")
	}
}

// docs/cli.md §1.7 (observed): verification catches a corrupt chunk and
// deletes the destination; NoVerify copies it.
func TestBackupVerificationFailure(t *testing.T) {
	db, _ := testDB(t)
	populate(t, db)
	must(t, db.Exec("update _zova_chunks set data = zeroblob(size_bytes) where rowid = (select min(rowid) from _zova_chunks)"))
	dir := t.TempDir()
	dest := filepath.Join(dir, "bad.zova")
	wantStatus(t, db.BackupTo(dest), StatusObjectCorrupt, "")
	if exists(dest) {
		t.Fatal("failed backup left its destination")
	}
	wantStatus(t, db.CompactTo(dest), StatusObjectCorrupt, "")
	if exists(dest) {
		t.Fatal("failed compact left its destination")
	}
	must(t, db.BackupTo(dest, BackupOptions{NoVerify: true}))
	wantStatus(t, RestoreBackup(dest, filepath.Join(dir, "r.zova")), StatusObjectCorrupt, "")
	if exists(filepath.Join(dir, "r.zova")) {
		t.Fatal("failed restore left its destination")
	}
}

// docs/c-api.md §7.4: converting a plain SQLite database.
func TestConvertSqliteToZova(t *testing.T) {
	db, zovaPath := testDB(t)
	dir := t.TempDir()
	plain := filepath.Join(dir, "plain.db")
	// Make a plain SQLite file through ATTACH on a Zova handle (an empty file
	// is an empty SQLite database; Zova handles do not create files).
	must(t, os.WriteFile(plain, nil, 0o644))
	must(t, db.Exec("attach database '"+plain+"' as p; create table p.items(id integer primary key, name text); "+
		"insert into p.items(name) values ('a'), ('b'); detach database p"))
	dest := filepath.Join(dir, "converted.zova")
	must(t, ConvertSqliteToZova(plain, dest))
	converted, err := Open(dest)
	must(t, err)
	if n := countRows(t, converted, "items"); n != 2 {
		t.Fatalf("%d items", n)
	}
	_, err = converted.PutObject([]byte("objects work after conversion"))
	must(t, err)
	must(t, converted.Close())

	wantStatus(t, ConvertSqliteToZova(plain, dest), StatusDestinationExists, "")
	wantStatus(t, ConvertSqliteToZova(plain, filepath.Join(dir, "c.db")), StatusNotZovaPath, "")
	wantStatus(t, ConvertSqliteToZova(filepath.Join(dir, "missing.db"), filepath.Join(dir, "m.zova")), StatusCantOpen, "")
	err = ConvertSqliteToZova(zovaPath, filepath.Join(dir, "again.zova"))
	zerr := wantStatus(t, err, StatusZovaNameConflict, "")
	if zerr.Message == "" {
		t.Fatal("convert failure without a message")
	}
	junk := filepath.Join(dir, "junk.db")
	must(t, os.WriteFile(junk, bytes.Repeat([]byte("junk"), 1024), 0o644))
	wantStatus(t, ConvertSqliteToZova(junk, filepath.Join(dir, "j.zova")), StatusSQLiteError, "")
	for _, name := range []string{"again.zova", "j.zova", "m.zova"} {
		if exists(filepath.Join(dir, name)) {
			t.Fatalf("failed convert left %s", name)
		}
	}
	wantStatus(t, ConvertSqliteToZova(plain, "x\x00.zova"), StatusInvalidArgument, "destination path contains NUL byte")
}

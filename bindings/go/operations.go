package zova

// operations.go owns operational copies and conversion (cli-and-bindings §3.2):
// BackupTo, CompactTo, RestoreBackup and ConvertSqliteToZova.

/*
#include <stdlib.h>
#include "zova.h"
*/
import "C"

// BackupOptions are the options of DB.BackupTo.
type BackupOptions struct{ NoVerify bool }

// CompactOptions are the options of DB.CompactTo.
type CompactOptions struct{ NoVerify bool }

// RestoreOptions are the options of RestoreBackup.
type RestoreOptions struct{ NoVerify bool }

// BackupTo writes a consistent copy of the database to a new file
// (never overwritten) and verifies it unless options say NoVerify.
func (db *DB) BackupTo(destination string, options ...BackupOptions) error {
	if len(options) > 1 {
		return invalidArgument("BackupTo accepts at most one options value")
	}
	if err := checkString(destination, "destination path"); err != nil {
		return err
	}
	handle, err := db.lock()
	if err != nil {
		return err
	}
	defer db.mu.Unlock()
	m := db.mem()
	defer m.free()
	req := cnew[C.zova_database_backup_request](&m)
	req.db = handle
	req.destination_path = m.str(destination)
	if len(options) == 1 && options[0].NoVerify {
		req.flags = C.ZOVA_BACKUP_NO_VERIFY
	}
	return db.check(C.zova_database_backup(req))
}

// CompactTo writes a vacuumed copy of the database to a new file (never
// overwritten) and verifies it unless options say NoVerify.
func (db *DB) CompactTo(destination string, options ...CompactOptions) error {
	if len(options) > 1 {
		return invalidArgument("CompactTo accepts at most one options value")
	}
	if err := checkString(destination, "destination path"); err != nil {
		return err
	}
	handle, err := db.lock()
	if err != nil {
		return err
	}
	defer db.mu.Unlock()
	m := db.mem()
	defer m.free()
	req := cnew[C.zova_database_compact_request](&m)
	req.db = handle
	req.destination_path = m.str(destination)
	if len(options) == 1 && options[0].NoVerify {
		req.flags = C.ZOVA_COMPACT_NO_VERIFY
	}
	return db.check(C.zova_database_compact(req))
}

// RestoreBackup copies a backup to a new file (never overwritten), verifying
// the source and the copy unless options say NoVerify.
func RestoreBackup(source, destination string, options ...RestoreOptions) error {
	if len(options) > 1 {
		return invalidArgument("RestoreBackup accepts at most one options value")
	}
	if err := checkString(source, "source path"); err != nil {
		return err
	}
	if err := checkString(destination, "destination path"); err != nil {
		return err
	}
	var m cmem
	defer m.free()
	req := cnew[C.zova_database_restore_request](&m)
	msg := cnew[C.zova_message](&m)
	req.source_path = m.str(source)
	req.destination_path = m.str(destination)
	if len(options) == 1 && options[0].NoVerify {
		req.flags = C.ZOVA_RESTORE_NO_VERIFY
	}
	req.out_error_message = msg
	status := Status(C.zova_database_restore(req))
	message := takeMessage(msg)
	if status != StatusOK {
		return newError(status, message)
	}
	return nil
}

// ConvertSqliteToZova copies a plain SQLite database into a new .zova file.
func ConvertSqliteToZova(source, destination string) error {
	if err := checkString(source, "source path"); err != nil {
		return err
	}
	if err := checkString(destination, "destination path"); err != nil {
		return err
	}
	var m cmem
	defer m.free()
	req := cnew[C.zova_convert_sqlite_to_zova_request](&m)
	msg := cnew[C.zova_message](&m)
	req.source_path = m.str(source)
	req.dest_path = m.str(destination)
	req.out_error_message = msg
	status := Status(C.zova_convert_sqlite_to_zova(req))
	message := takeMessage(msg)
	if status != StatusOK {
		return newError(status, message)
	}
	return nil
}

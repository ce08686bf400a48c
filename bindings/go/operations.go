package zova

// operations.go owns operational copies and conversion (docs/go.md §3.2):
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

// noVerifyOption is BackupOptions, CompactOptions or RestoreOptions.
type noVerifyOption interface{ ~struct{ NoVerify bool } }

// copyArgs validates the arguments of an operational copy named what (at most
// one options value, then the paths; a copy of the open database passes ""
// as its source) and returns its request flags: noVerify when the options say
// NoVerify.
func copyArgs[O noVerifyOption](what string, options []O, noVerify C.uint32_t, source, destination string) (C.uint32_t, error) {
	if len(options) > 1 {
		return 0, invalidArgument(what + " accepts at most one options value")
	}
	if err := checkPaths(source, destination); err != nil {
		return 0, err
	}
	if len(options) == 1 && struct{ NoVerify bool }(options[0]).NoVerify {
		return noVerify, nil
	}
	return 0, nil
}

func checkPaths(source, destination string) error {
	if err := checkString(source, "source path"); err != nil {
		return err
	}
	return checkString(destination, "destination path")
}

// BackupTo writes a consistent copy of the database to a new file
// (never overwritten) and verifies it unless options say NoVerify.
func (db *DB) BackupTo(destination string, options ...BackupOptions) error {
	flags, err := copyArgs("BackupTo", options, C.ZOVA_BACKUP_NO_VERIFY, "", destination)
	if err != nil {
		return err
	}
	return call(db, func(m *cmem, h *C.zova_database, req *C.zova_database_backup_request) C.zova_status {
		req.db, req.destination_path, req.flags = h, m.str(destination), flags
		return C.zova_database_backup(req)
	})
}

// CompactTo writes a vacuumed copy of the database to a new file (never
// overwritten) and verifies it unless options say NoVerify.
func (db *DB) CompactTo(destination string, options ...CompactOptions) error {
	flags, err := copyArgs("CompactTo", options, C.ZOVA_COMPACT_NO_VERIFY, "", destination)
	if err != nil {
		return err
	}
	return call(db, func(m *cmem, h *C.zova_database, req *C.zova_database_compact_request) C.zova_status {
		req.db, req.destination_path, req.flags = h, m.str(destination), flags
		return C.zova_database_compact(req)
	})
}

// RestoreBackup copies a backup to a new file (never overwritten), verifying
// the source and the copy unless options say NoVerify.
func RestoreBackup(source, destination string, options ...RestoreOptions) error {
	flags, err := copyArgs("RestoreBackup", options, C.ZOVA_RESTORE_NO_VERIFY, source, destination)
	if err != nil {
		return err
	}
	return callWithMessage(func(m *cmem, req *C.zova_database_restore_request, msg *C.zova_message) C.zova_status {
		req.source_path, req.destination_path, req.flags, req.out_error_message = m.str(source), m.str(destination), flags, msg
		return C.zova_database_restore(req)
	})
}

// ConvertSqliteToZova copies a plain SQLite database into a new .zova file.
func ConvertSqliteToZova(source, destination string) error {
	if err := checkPaths(source, destination); err != nil {
		return err
	}
	return callWithMessage(func(m *cmem, req *C.zova_convert_sqlite_to_zova_request, msg *C.zova_message) C.zova_status {
		req.source_path, req.dest_path, req.out_error_message = m.str(source), m.str(destination), msg
		return C.zova_convert_sqlite_to_zova(req)
	})
}

//! ABI checks: struct layout against tests/abi_layout.json (docs/c-api.md §3.2, §3.3,
//! measured from the upstream header) and the function list against
//! include/zova.h (docs/c-api.md §4).
extern crate std;

use super::*;
use core::mem::{align_of, offset_of, size_of};
use std::collections::BTreeMap;
use std::string::{String, ToString};
use std::vec::Vec;

const LAYOUT_JSON: &str = include_str!("../../../../tests/abi_layout.json");
const HEADER: &str = include_str!("../../../../include/zova.h");
const LIB_RS: &str = include_str!("lib.rs");

type Layout = BTreeMap<String, (usize, BTreeMap<String, usize>)>;

/// Reads the fixed shape of abi_layout.json: {"name": {"size": N, "fields": {"f": N, ...}}, ...}.
fn expected_layout() -> Layout {
    let mut layout = Layout::new();
    let mut current: Option<String> = None;
    let mut in_fields = false;
    for line in LAYOUT_JSON.lines().map(str::trim) {
        let key = line.split('"').nth(1).map(ToString::to_string);
        let number = line.rsplit(':').next().and_then(|v| v.trim().trim_end_matches(',').parse::<usize>().ok());
        if let (true, false, Some(name)) = (line.ends_with('{'), in_fields, key.clone().filter(|k| k != "fields")) {
            layout.insert(name.clone(), (0, BTreeMap::new()));
            current = Some(name);
        } else if key.as_deref() == Some("fields") {
            in_fields = true;
        } else if line.starts_with('}') {
            if in_fields {
                in_fields = false;
            } else {
                current = None;
            }
        } else if let (Some(name), Some(key), Some(number)) = (&current, key, number) {
            let entry = layout.get_mut(name).unwrap();
            if in_fields {
                entry.1.insert(key, number);
            } else if key == "size" {
                entry.0 = number;
            }
        }
    }
    layout
}

macro_rules! actual_layout {
    ($($name:ident { $($field:ident),* },)*) => {{
        let mut layout = Layout::new();
        $(
            let mut fields = BTreeMap::new();
            $( fields.insert(stringify!($field).to_string(), offset_of!($name, $field)); )*
            layout.insert(stringify!($name).to_string(), (size_of::<$name>(), fields));
        )*
        layout
    }};
}

#[test]
fn struct_layout_matches_c_abi_section_3() {
    let expected = expected_layout();
    assert_eq!(expected.len(), 77, "abi_layout.json lists the 77 upstream structs");
    let mut actual = actual_layout!(
        zova_object_id { bytes },
        zova_object_chunk_id { bytes },
        zova_buffer { data, len },
        zova_message { data, len },
        zova_text { data, len },
        zova_object_manifest_chunk { index, hash, offset, size_bytes },
        zova_object_manifest { object_id, size_bytes, chunk_count, chunker, chunks, chunks_len },
        zova_vector_collection_options { dimensions, metric },
        zova_vector { id, id_len, values, values_len },
        zova_vector_search_result { id, id_len, distance },
        zova_vector_search_results { items, len },
        zova_vector_collection_info { name, name_len, dimensions, metric, vector_count },
        zova_vector_collection_list { items, len },
        zova_vector_input { id, values, values_len },
        zova_database_open_request { path, out_db, out_error_message },
        zova_database_open_options_request { path, flags, busy_timeout_ms, out_db, out_error_message },
        zova_convert_sqlite_to_zova_request { source_path, dest_path, out_error_message },
        zova_database_backup_request { db, destination_path, flags },
        zova_database_compact_request { db, destination_path, flags },
        zova_database_restore_request { source_path, destination_path, flags, out_error_message },
        zova_database_exec_request { db, sql },
        zova_database_simple_request { db },
        zova_database_savepoint_request { db, name },
        zova_database_busy_timeout_request { db, milliseconds },
        zova_database_last_insert_rowid_request { db, out_rowid },
        zova_database_changes_request { db, out_changes },
        zova_database_total_changes_request { db, out_total_changes },
        zova_database_prepare_request { db, sql, out_statement },
        zova_statement_step_request { statement, out_result },
        zova_statement_bind_null_request { statement, index },
        zova_statement_bind_int64_request { statement, index, value },
        zova_statement_bind_double_request { statement, index, value },
        zova_statement_bind_text_request { statement, index, data, len },
        zova_statement_bind_blob_request { statement, index, data, len },
        zova_statement_parameter_count_request { statement, out_count },
        zova_statement_parameter_index_request { statement, name, out_index },
        zova_statement_column_count_request { statement, out_count },
        zova_statement_column_name_request { statement, index, out_name },
        zova_statement_column_type_request { statement, index, out_type },
        zova_statement_column_int64_request { statement, index, out_value },
        zova_statement_column_double_request { statement, index, out_value },
        zova_statement_column_text_request { statement, index, out_text },
        zova_statement_column_blob_request { statement, index, out_buffer },
        zova_object_put_request { db, data, len, out_id },
        zova_object_get_request { db, id, out_buffer },
        zova_object_read_range_request { db, id, offset, buffer, buffer_len, out_copied },
        zova_object_exists_request { db, id, out_exists },
        zova_object_size_request { db, id, out_size },
        zova_object_chunk_count_request { db, id, out_count },
        zova_object_delete_request { db, id },
        zova_object_manifest_get_request { db, id, out_manifest },
        zova_object_chunk_get_request { db, hash, out_buffer },
        zova_object_chunk_put_request { db, expected_hash, data, len },
        zova_object_chunk_delete_request { db, hash, out_deleted },
        zova_object_assemble_from_chunks_request { db, id, size_bytes, chunks, chunk_count },
        zova_object_writer_create_request { db, out_writer },
        zova_object_writer_write_request { writer, data, len },
        zova_object_writer_finish_request { writer, out_id },
        zova_object_writer_cancel_request { writer },
        zova_vector_collection_create_request { db, name, options },
        zova_vector_collection_exists_request { db, name, out_exists },
        zova_vector_put_request { db, collection_name, vector_id, values, values_len },
        zova_vector_get_request { db, collection_name, vector_id, out_vector },
        zova_vector_exists_request { db, collection_name, vector_id, out_exists },
        zova_vector_delete_request { db, collection_name, vector_id },
        zova_vector_search_request { db, collection_name, query, query_len, limit, out_results },
        zova_vector_search_in_request { db, collection_name, query, query_len, candidate_ids, candidate_count, limit, out_results },
        zova_vector_collection_info_get_request { db, name, out_info },
        zova_vector_collections_list_request { db, out_list },
        zova_vector_put_many_request { db, collection_name, vectors, vectors_len },
        zova_vector_collection_delete_request { db, name },
        zova_vector_search_within_request { db, collection_name, query, query_len, max_distance, limit, out_results },
        zova_vector_search_in_within_request { db, collection_name, query, query_len, candidate_ids, candidate_count, max_distance, limit, out_results },
        zova_vector_search_by_id_request { db, collection_name, source_vector_id, limit, out_results },
        zova_vector_search_by_id_in_request { db, collection_name, source_vector_id, candidate_ids, candidate_count, limit, out_results },
        zova_vector_search_by_id_within_request { db, collection_name, source_vector_id, max_distance, limit, out_results },
        zova_vector_search_by_id_in_within_request { db, collection_name, source_vector_id, candidate_ids, candidate_count, max_distance, limit, out_results },
        zova_object_put_many_request { db, data, lens, count, out_ids },
        zova_vector_search_batch_request { db, collection_name, queries, query_count, query_len, flags, candidate_ids, candidate_count, max_distance, exclude_ids, limit, out_results },
    );
    let addition = actual.remove("zova_object_put_many_request").expect("addition declared");
    assert_eq!(addition.0, 40);
    let batch = actual.remove("zova_vector_search_batch_request").expect("addition declared");
    assert_eq!(batch.0, 96);
    assert_eq!(actual.len(), 77);
    for (name, want) in &expected {
        let got = actual.get(name).unwrap_or_else(|| panic!("{name} is not declared"));
        assert_eq!(got, want, "layout of {name}");
    }
    assert_eq!(size_of::<zova_status>(), 4);
    assert_eq!(align_of::<zova_object_manifest>(), 8);
}

/// C text with its `/* */` and `//` comments removed (newlines inside a block
/// comment are kept, so each declaration stays on its own line).
fn strip_c_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        let block = rest.find("/*");
        let line = rest.find("//");
        match (block, line) {
            (Some(b), Some(l)) if l < b => {
                out.push_str(&rest[..l]);
                rest = &rest[rest[l..].find('\n').map_or(rest.len(), |e| l + e)..];
            }
            (Some(b), _) => {
                out.push_str(&rest[..b]);
                let end = rest[b + 2..].find("*/").map_or(rest.len(), |e| b + 2 + e + 2);
                out.extend(rest[b..end].chars().filter(|&c| c == '\n'));
                rest = &rest[end..];
            }
            (None, Some(l)) => {
                out.push_str(&rest[..l]);
                rest = &rest[rest[l..].find('\n').map_or(rest.len(), |e| l + e)..];
            }
            (None, None) => {
                out.push_str(rest);
                rest = "";
            }
        }
    }
    out
}

/// Names of the functions the header declares: a declaration starts in column 0
/// and ends with `);` on the same line, once comments are removed.
fn header_functions() -> Vec<String> {
    functions_declared_in(HEADER)
}

fn functions_declared_in(header: &str) -> Vec<String> {
    strip_c_comments(header)
        .lines()
        .map(str::trim_end)
        .filter(|line| !line.starts_with([' ', '\t']) && line.ends_with(");"))
        .filter_map(|line| {
            let before_paren = &line[..line.find('(')?];
            let name = before_paren.rsplit([' ', '*']).next()?;
            name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_').then(|| name.to_string())
        })
        .collect()
}

#[test]
fn header_parser_ignores_comments() {
    let header = "/* zova_status zova_in_block(void);\n\
                  zova_status zova_in_block_line_two(int x);\n*/\n\
                  zova_status zova_kept(const zova_database_open_request *request); /* trailing */\n\
                  // zova_status zova_in_line_comment(void);\n\
                  /** Doc, // not a line comment. */\n\
                  zova_status zova_after_doc(void); // trailing\n\
                  zova_status zova_split(int a, /* first */\n    int b);\n";
    assert_eq!(functions_declared_in(header), ["zova_kept", "zova_after_doc"]);
}

#[test]
fn every_header_function_is_declared_c_abi_section_4() {
    let functions = header_functions();
    assert_eq!(functions.len(), 103, "91 upstream functions, zova_object_put_many, 5 cancellation functions, zova_vector_search_batch, 5 zova_vector_index_* functions");
    for name in &functions {
        assert!(LIB_RS.contains(&std::format!("pub fn {name}(")), "{name} is not declared");
    }
    assert_eq!(LIB_RS.matches("    pub fn zova_").count(), 103);
}

#[test]
fn enum_and_flag_values_match_c_abi_section_2() {
    assert_eq!((ZOVA_OK, ZOVA_INVALID_ARGUMENT, ZOVA_OUT_OF_MEMORY), (0, 1, 2));
    assert_eq!((ZOVA_BUSY, ZOVA_SQLITE_ERROR, ZOVA_NOT_ZOVA_PATH, ZOVA_ZOVA_NAME_CONFLICT), (10, 17, 30, 34));
    assert_eq!((ZOVA_OBJECT_NOT_FOUND, ZOVA_OBJECT_WRITER_CLOSED), (50, 59));
    assert_eq!((ZOVA_VECTOR_COLLECTION_EXISTS, ZOVA_VECTOR_INVALID), (70, 75));
    assert_eq!((ZOVA_STEP_ROW, ZOVA_STEP_DONE), (1, 2));
    assert_eq!((ZOVA_COLUMN_INTEGER, ZOVA_COLUMN_NULL), (1, 5));
    assert_eq!((ZOVA_VECTOR_METRIC_COSINE, ZOVA_VECTOR_METRIC_L2, ZOVA_VECTOR_METRIC_DOT), (0, 1, 2));
    assert_eq!([ZOVA_OPEN_READ_ONLY, ZOVA_BACKUP_NO_VERIFY, ZOVA_COMPACT_NO_VERIFY, ZOVA_RESTORE_NO_VERIFY], [1u32; 4]);
}

#[test]
fn linked_library_reports_abi_0_17_0_c_abi_section_4_1() {
    // SAFETY: pure functions returning static data.
    unsafe {
        assert_eq!((zova_abi_version_major(), zova_abi_version_minor(), zova_abi_version_patch()), (0, 17, 0));
        let version = core::ffi::CStr::from_ptr(zova_abi_version_string());
        assert_eq!(version.to_str().unwrap(), "0.17.0");
        let name = core::ffi::CStr::from_ptr(zova_status_name(ZOVA_OBJECT_NOT_FOUND));
        assert_eq!(name.to_str().unwrap(), "ZOVA_OBJECT_NOT_FOUND");
        // docs/c-api.md §5.8: close(NULL) is INVALID_ARGUMENT; free functions are NULL-safe.
        assert_eq!(zova_database_close(core::ptr::null_mut()), ZOVA_INVALID_ARGUMENT);
        zova_buffer_free(core::ptr::null_mut());
        let mut buffer = zova_buffer::default();
        zova_buffer_free(&mut buffer);
        assert!(buffer.data.is_null() && buffer.len == 0);
    }
}

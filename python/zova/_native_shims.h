/*
 * _native_shims.h - scalar-argument wrappers over the statement functions of
 * the C ABI, compiled only into the Python extension zova._native. They build
 * the request struct on the C stack so the hot path of Statement (bind, step,
 * column reads) is one cffi call with plain arguments. Each shim calls the
 * public zova_* function; nothing here bypasses the ABI.
 */
static int zv_py_step(zova_statement *s) {
    zova_step_result result = ZOVA_STEP_DONE;
    zova_statement_step_request request = {s, &result};
    zova_status status = zova_statement_step(&request);
    return status == ZOVA_OK ? (int)result : -(int)status;
}
static int zv_py_bind_null(zova_statement *s, int index) {
    zova_statement_bind_null_request request = {s, index};
    return zova_statement_bind_null(&request);
}
static int zv_py_bind_int64(zova_statement *s, int index, int64_t value) {
    zova_statement_bind_int64_request request = {s, index, value};
    return zova_statement_bind_int64(&request);
}
static int zv_py_bind_double(zova_statement *s, int index, double value) {
    zova_statement_bind_double_request request = {s, index, value};
    return zova_statement_bind_double(&request);
}
static int zv_py_bind_text(zova_statement *s, int index, const char *data, size_t len) {
    zova_statement_bind_text_request request = {s, index, (const uint8_t *)data, len};
    return zova_statement_bind_text(&request);
}
static int zv_py_bind_blob(zova_statement *s, int index, const char *data, size_t len) {
    zova_statement_bind_blob_request request = {s, index, (const uint8_t *)data, len};
    return zova_statement_bind_blob(&request);
}
static int zv_py_column_count(zova_statement *s) {
    int count = 0;
    zova_statement_column_count_request request = {s, &count};
    zova_statement_column_count(&request);
    return count;
}
static int zv_py_column_type(zova_statement *s, int index) {
    zova_column_type type = ZOVA_COLUMN_NULL;
    zova_statement_column_type_request request = {s, index, &type};
    zova_statement_column_type(&request);
    return (int)type;
}
static int64_t zv_py_column_int64(zova_statement *s, int index) {
    int64_t value = 0;
    zova_statement_column_int64_request request = {s, index, &value};
    zova_statement_column_int64(&request);
    return value;
}
static double zv_py_column_double(zova_statement *s, int index) {
    double value = 0.0;
    zova_statement_column_double_request request = {s, index, &value};
    zova_statement_column_double(&request);
    return value;
}
static int zv_py_column_text(zova_statement *s, int index, zova_text *out) {
    zova_statement_column_text_request request = {s, index, out};
    return zova_statement_column_text(&request);
}
static int zv_py_column_blob(zova_statement *s, int index, zova_buffer *out) {
    zova_statement_column_blob_request request = {s, index, out};
    return zova_statement_column_blob(&request);
}

/*
 * object_read.c - verified object reads (docs/file-format.md §3, docs/c-api.md
 * §4.9): a whole object (get, and the checks of put, assembly and the writer)
 * or a byte range of one, every byte returned checked against the hashes.
 *
 * A range read finds its first chunk by a binary search over the manifest's
 * stored offsets (they grow with chunk_index), then reads only the rows and
 * chunks the range overlaps, checking each row it reads (index, contiguous
 * offset from the end of the row before the first, size, the chunk row's
 * size) and each chunk's bytes against their hash: O(log chunks + bytes). A read of the whole object checks every row
 * and the object's own hash instead of each chunk's (a chunk whose bytes do
 * not match its hash cannot produce the object's hash).
 *
 * The calling thread steps the SQL and copies the chunks into the output, so
 * a bound cancel token (docs/c-api.md §4.15) stops it as any statement; for
 * large reads a second thread hashes what has been copied meanwhile (the
 * verifier below), which is most of the work: SHA-256 and SQLite's reads of
 * the chunk pages take about as long as each other.
 */
#define _GNU_SOURCE /* MADV_HUGEPAGE, MADV_POPULATE_WRITE (Linux) */
#include "zova_internal.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* Held on its row while a read runs (see zv_object_read). */
static const char SQL_OBJECT_PIN[] = "select 1 from _zova_objects where object_id = ?1";
static const char SQL_MANIFEST_OFFSET[] =
    "select offset, size_bytes from _zova_object_chunks where object_id = ?1 and chunk_index = ?2";
/* Manifest rows from a chunk index on, with the stored chunk's size and bytes
 * (NULL when the chunk row is missing). */
static const char SQL_MANIFEST_READ[] =
    "select m.chunk_index, m.chunk_hash, m.offset, m.size_bytes, c.size_bytes, c.data from _zova_object_chunks m "
    "left join _zova_chunks c on c.chunk_hash = m.chunk_hash where m.object_id = ?1 and m.chunk_index >= ?2 "
    "order by m.chunk_index";
static const char SQL_MANIFEST_COUNT[] = "select count(*) from _zova_object_chunks where object_id = ?1";

const uint8_t zv_empty_sha256[32] = {0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4,
                                     0xc8, 0x99, 0x6f, 0xb9, 0x24, 0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b,
                                     0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55};

static int zv_column_is_int(sqlite3_stmt *stmt, int column) {
    return sqlite3_column_type(stmt, column) == SQLITE_INTEGER;
}

int zv_manifest_row_valid(sqlite3_stmt *stmt, uint64_t index, uint64_t running, uint64_t size) {
    int64_t chunk_size = sqlite3_column_int64(stmt, 3);
    return zv_column_is_int(stmt, 0) && (uint64_t)sqlite3_column_int64(stmt, 0) == index &&
           sqlite3_column_type(stmt, 1) == SQLITE_BLOB && sqlite3_column_bytes(stmt, 1) == 32 &&
           zv_column_is_int(stmt, 2) && (uint64_t)sqlite3_column_int64(stmt, 2) == running &&
           zv_column_is_int(stmt, 3) && chunk_size > 0 && chunk_size <= ZV_CHUNK_MAX &&
           running <= size && (uint64_t)chunk_size <= size - running && sqlite3_column_type(stmt, 4) != SQLITE_NULL &&
           sqlite3_column_int64(stmt, 4) == chunk_size;
}

/* ---- the verifier: hashing on a second thread ---- */

/* Reads of at least this much hash on a second thread; a smaller one would
 * spend more on starting it than it saves. */
#define ZV_VERIFY_THREAD_MIN (256u << 10)
/* How far the copies may run ahead of the hashing: 1024 chunks (8 MiB on
 * average) of the output, nothing copied. A sleeping thread is woken once
 * ZV_VERIFY_WAKE jobs wait (or at the end), not for each chunk. */
#define ZV_VERIFY_RING 1024
#define ZV_VERIFY_WAKE 32

typedef struct zv_verify_job {
    const uint8_t *data; /* in the output buffer, which stays put */
    size_t len;
    uint8_t hash[32]; /* the chunk's, unless the verifier hashes the object stream */
} zv_verify_job;

/* Checks the chunks copied into the output: each against its hash, or (a
 * whole read) all of them, in order, into the object's hash. The owner
 * pushes jobs; the thread, when there is one, takes them in order. */
typedef struct zv_verifier {
    zv_sha256_ctx *object_hash; /* NULL: check each chunk's hash */
    uint8_t *out_end;           /* the end of the output */
    uint8_t *populated;         /* the thread's: the output before it is faulted in (or being copied) */
    uint8_t *copied;            /* under lock: the end of the last chunk pushed */
    pthread_mutex_t lock;
    pthread_cond_t changed;
    /* Under lock once the thread runs: */
    uint64_t pushed, done;
    int stop;        /* the owner wants the thread to end now */
    int failed;      /* a chunk did not match its hash */
    int sleeping[2]; /* [0] the thread, [1] the owner, waits on changed */
    pthread_t thread;
    int threaded;
    zv_verify_job jobs[ZV_VERIFY_RING];
} zv_verifier;

/* Returns 0 when the job's chunk does not match its hash. */
static int zv_verify_one(zv_verifier *v, const zv_verify_job *job) {
    if (v->object_hash) {
        zv_sha256_update(v->object_hash, job->data, job->len);
        return 1;
    }
    return zv_chunk_bytes_match(job->hash, job->data, job->len);
}

/* With nothing to hash, the thread faults in the next ZV_POPULATE_STEP of
 * the output ahead of the copies (Linux MADV_POPULATE_WRITE, which maps
 * missing pages and never changes a byte), so that the copying thread, the
 * busier one, finds it mapped: zeroing fresh pages is a large part of a big
 * read. Returns 0 when there is nothing left to fault in. Under lock. */
#define ZV_POPULATE_STEP (2u << 20)

static int zv_verifier_populate(zv_verifier *v) {
#ifdef MADV_POPULATE_WRITE
    uint8_t *from = v->populated > v->copied ? v->populated : v->copied;
    size_t n;
    uintptr_t start;
    if (from >= v->out_end) return 0;
    n = (size_t)(v->out_end - from) < ZV_POPULATE_STEP ? (size_t)(v->out_end - from) : ZV_POPULATE_STEP;
    v->populated = from + n;
    start = (uintptr_t)from & ~(uintptr_t)4095;
    pthread_mutex_unlock(&v->lock);
    (void)madvise((void *)start, (uintptr_t)from + n - start, MADV_POPULATE_WRITE);
    pthread_mutex_lock(&v->lock);
    return 1;
#else
    (void)v;
    return 0;
#endif
}

static void *zv_verifier_run(void *arg) {
    zv_verifier *v = (zv_verifier *)arg;
    pthread_mutex_lock(&v->lock);
    for (;;) {
        uint64_t from = v->done, to = v->pushed, k;
        int ok = 1;
        if (v->stop) break;
        if (from == to && zv_verifier_populate(v)) continue;
        if (from == to) {
            v->sleeping[0] = 1;
            pthread_cond_wait(&v->changed, &v->lock);
            v->sleeping[0] = 0;
            continue;
        }
        pthread_mutex_unlock(&v->lock);
        for (k = from; k < to && ok; k++) ok = zv_verify_one(v, &v->jobs[k % ZV_VERIFY_RING]);
        pthread_mutex_lock(&v->lock);
        if (!ok) v->failed = 1;
        v->done = to;
        if (v->sleeping[1]) pthread_cond_signal(&v->changed);
    }
    pthread_mutex_unlock(&v->lock);
    return NULL;
}

/* A verifier for a read of len bytes into out: with a thread when it is
 * large and one starts, else one that checks each job at once. */
static void zv_verifier_open(zv_verifier *v, zv_sha256_ctx *object_hash, uint8_t *out, size_t len) {
    v->object_hash = object_hash;
    v->out_end = out + len;
    v->populated = v->copied = out;
    v->pushed = v->done = 0;
    v->stop = v->failed = 0;
    v->sleeping[0] = v->sleeping[1] = 0;
    v->threaded = 0;
    if (len < ZV_VERIFY_THREAD_MIN || pthread_mutex_init(&v->lock, NULL) != 0) return;
    if (pthread_cond_init(&v->changed, NULL) != 0) {
        pthread_mutex_destroy(&v->lock);
        return;
    }
    v->threaded = zv_thread_start(&v->thread, zv_verifier_run, v);
    if (!v->threaded) {
        pthread_cond_destroy(&v->changed);
        pthread_mutex_destroy(&v->lock);
    }
}

/* Queues the check of data[0..len) (with the chunk's hash unless the object
 * stream is hashed); returns 0 once a check failed. */
static int zv_verifier_push(zv_verifier *v, const uint8_t *data, size_t len, const uint8_t *hash) {
    zv_verify_job *job;
    int ok;
    if (!v->threaded) {
        zv_verify_job inline_job;
        inline_job.data = data;
        inline_job.len = len;
        if (hash) memcpy(inline_job.hash, hash, 32);
        if (!zv_verify_one(v, &inline_job)) v->failed = 1;
        return !v->failed;
    }
    pthread_mutex_lock(&v->lock);
    while (v->pushed - v->done == ZV_VERIFY_RING && !v->failed) {
        v->sleeping[1] = 1;
        pthread_cond_wait(&v->changed, &v->lock);
        v->sleeping[1] = 0;
    }
    ok = !v->failed;
    if (ok) {
        job = &v->jobs[v->pushed % ZV_VERIFY_RING];
        job->data = data;
        job->len = len;
        if (hash) memcpy(job->hash, hash, 32);
        v->copied = (uint8_t *)data + len;
        v->pushed++;
        if (v->sleeping[0] && v->pushed - v->done >= ZV_VERIFY_WAKE) pthread_cond_signal(&v->changed);
    }
    pthread_mutex_unlock(&v->lock);
    return ok;
}

/* Ends the verifier: after every queued check when drain is set (then
 * returns 0 if one failed), else at once. */
static int zv_verifier_close(zv_verifier *v, int drain) {
    int failed;
    if (!v->threaded) return !v->failed;
    pthread_mutex_lock(&v->lock);
    if (v->sleeping[0]) pthread_cond_signal(&v->changed);
    while (drain && v->done < v->pushed && !v->failed) {
        v->sleeping[1] = 1;
        pthread_cond_wait(&v->changed, &v->lock);
        v->sleeping[1] = 0;
    }
    v->stop = 1;
    failed = v->failed;
    pthread_cond_signal(&v->changed);
    pthread_mutex_unlock(&v->lock);
    pthread_join(v->thread, NULL);
    pthread_cond_destroy(&v->changed);
    pthread_mutex_destroy(&v->lock);
    v->threaded = 0;
    return !failed;
}

/* ---- locating and reading ---- */

/* Row index's stored offset and size (54 when absent or not integers). */
static zova_status zv_manifest_probe(zova_database *db, const uint8_t id[32], uint64_t index, int64_t *out_offset,
                                     int64_t *out_size) {
    zova_status status = ZOVA_OK;
    sqlite3_stmt *stmt = zv_stmt(db, SQL_MANIFEST_OFFSET, &status);
    int rc;
    if (!stmt) return status;
    sqlite3_bind_blob(stmt, 1, id, 32, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 2, (sqlite3_int64)index);
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE || (rc == SQLITE_ROW && (!zv_column_is_int(stmt, 0) || !zv_column_is_int(stmt, 1)))) {
        status = ZOVA_OBJECT_CORRUPT;
    } else if (rc != SQLITE_ROW) {
        status = zv_sqlite_fail(db, rc);
    } else {
        *out_offset = sqlite3_column_int64(stmt, 0);
        *out_size = sqlite3_column_int64(stmt, 1);
    }
    zv_stmt_release(stmt);
    return status;
}

/* The manifest row holding byte offset (0 < offset < size): the last row
 * whose stored offset is at most offset, by binary search over [0, count),
 * and where that row must start: the end of the row before it (offset plus
 * size), so that a damaged offset in the row found is caught too. The rows
 * probed only guide the search; the read checks the rows it uses, so a
 * damaged manifest gives 54, never bytes from the wrong place. */
static zova_status zv_manifest_locate(zova_database *db, const uint8_t id[32], uint64_t count, uint64_t offset,
                                      uint64_t *out_index, uint64_t *out_start) {
    uint64_t lo = 0, hi = count;
    int64_t row_offset = 0, row_size = 0;
    zova_status status = ZOVA_OK;
    while (hi - lo > 1 && status == ZOVA_OK) {
        uint64_t mid = lo + (hi - lo) / 2;
        status = zv_manifest_probe(db, id, mid, &row_offset, &row_size);
        if (row_offset >= 0 && (uint64_t)row_offset <= offset) lo = mid;
        else hi = mid;
    }
    *out_index = lo;
    *out_start = 0;
    if (status != ZOVA_OK || lo == 0) return status;
    status = zv_manifest_probe(db, id, lo - 1, &row_offset, &row_size);
    if (status != ZOVA_OK) return status;
    if (row_offset < 0 || row_size <= 0 || row_size > ZV_CHUNK_MAX) return ZOVA_OBJECT_CORRUPT;
    *out_start = (uint64_t)row_offset + (uint64_t)row_size;
    return ZOVA_OK;
}

/* The stored bytes of the current SQL_MANIFEST_READ row (chunk_size bytes,
 * checked by zv_manifest_row_valid), or NULL with *status set. */
static const uint8_t *zv_manifest_row_data(zova_database *db, sqlite3_stmt *stmt, int64_t chunk_size,
                                           zova_status *status) {
    const uint8_t *data = (const uint8_t *)sqlite3_column_blob(stmt, 5);
    if (data && sqlite3_column_bytes(stmt, 5) == chunk_size) return data;
    *status = !data && sqlite3_errcode(db->sql) == SQLITE_NOMEM ? ZOVA_OUT_OF_MEMORY : ZOVA_OBJECT_CORRUPT;
    return NULL;
}

zova_status zv_object_read(zova_database *db, const uint8_t id[32], uint64_t size, uint64_t chunk_count,
                           uint64_t offset, uint8_t *out, size_t len) {
    int whole = offset == 0 && len == size;
    zova_status status = ZOVA_OK;
    sqlite3_stmt *stmt, *pin;
    zv_sha256_ctx object_hash;
    zv_verifier verifier;
    uint64_t index = 0, running = 0, end = offset + len;
    int rc = SQLITE_ROW, checked;

    if (chunk_count == 0) {
        if (size != 0 || memcmp(id, zv_empty_sha256, 32) != 0) return ZOVA_OBJECT_CORRUPT;
        return ZOVA_OK;
    }
    if (chunk_count > size) return ZOVA_OBJECT_CORRUPT;
    /* The object row, held on its row until the end: while a statement is
     * active, the probes of the search and the read share one read
     * transaction (one snapshot, one file lock) instead of taking one each. */
    pin = zv_stmt(db, SQL_OBJECT_PIN, &status);
    if (!pin) return status;
    sqlite3_bind_blob(pin, 1, id, 32, SQLITE_STATIC);
    rc = sqlite3_step(pin);
    if (rc != SQLITE_ROW) status = rc == SQLITE_DONE ? ZOVA_OBJECT_NOT_FOUND : zv_sqlite_fail(db, rc);
    if (status == ZOVA_OK && offset > 0) status = zv_manifest_locate(db, id, chunk_count, offset, &index, &running);
    if (status == ZOVA_OK && running > offset) status = ZOVA_OBJECT_CORRUPT;
    stmt = status == ZOVA_OK ? zv_stmt(db, SQL_MANIFEST_READ, &status) : NULL;
    if (!stmt) {
        zv_stmt_release(pin);
        return status;
    }
    if (whole) zv_sha256_init(&object_hash);
    zv_verifier_open(&verifier, whole ? &object_hash : NULL, out, len);
    sqlite3_bind_blob(stmt, 1, id, 32, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 2, (sqlite3_int64)index);
    while (running < end && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        int64_t chunk_size = sqlite3_column_int64(stmt, 3);
        const uint8_t *data;
        uint64_t start, from, to;
        /* Each row starts where the one before ends; the first one read
         * holds the first byte of the range. */
        if (!zv_manifest_row_valid(stmt, index, running, size) || running + (uint64_t)chunk_size <= offset) {
            status = ZOVA_OBJECT_CORRUPT;
            break;
        }
        start = running;
        running += (uint64_t)chunk_size;
        index++;
        data = zv_manifest_row_data(db, stmt, chunk_size, &status);
        if (!data) break;
        from = offset > start ? offset - start : 0;
        to = end < running ? (uint64_t)chunk_size - (running - end) : (uint64_t)chunk_size;
        memcpy(out + (start + from - offset), data + from, (size_t)(to - from));
        if (whole || (from == 0 && to == (uint64_t)chunk_size)) {
            /* The whole chunk is in the output now: hash it there. */
            checked = zv_verifier_push(&verifier, out + (start - offset), (size_t)chunk_size,
                                       whole ? NULL : (const uint8_t *)sqlite3_column_blob(stmt, 1));
        } else {
            checked = zv_chunk_bytes_match((const uint8_t *)sqlite3_column_blob(stmt, 1), data, (size_t)chunk_size);
        }
        if (!checked) {
            status = ZOVA_OBJECT_CORRUPT;
            break;
        }
    }
    if (status == ZOVA_OK && whole && running == end) {
        /* Every manifest row must be accounted for. */
        rc = sqlite3_step(stmt);
        if (rc == SQLITE_ROW) status = ZOVA_OBJECT_CORRUPT;
    }
    if (status == ZOVA_OK && rc != SQLITE_ROW && rc != SQLITE_DONE) status = zv_sqlite_fail(db, rc);
    zv_stmt_release(stmt);
    zv_stmt_release(pin);
    checked = zv_verifier_close(&verifier, status == ZOVA_OK);
    if (status != ZOVA_OK) return status;
    if (!checked || running < end) return ZOVA_OBJECT_CORRUPT; /* a bad chunk, or a short copy */
    if (whole) {
        uint8_t digest[32];
        if (index != chunk_count || running != size) return ZOVA_OBJECT_CORRUPT;
        zv_sha256_final(&object_hash, digest);
        if (memcmp(digest, id, 32) != 0) return ZOVA_OBJECT_CORRUPT;
    }
    return ZOVA_OK;
}

/* Outputs this large ask for transparent huge pages: faulting in a fresh
 * buffer 4 KiB at a time costs the reading thread about a fifth of a get. */
#define ZV_HUGE_PAGES_MIN (8u << 20)
#define ZV_HUGE_PAGE (2u << 20)

void zv_advise_huge_pages(void *data, size_t len) {
    uintptr_t from = ((uintptr_t)data + ZV_HUGE_PAGE - 1) & ~(uintptr_t)(ZV_HUGE_PAGE - 1);
    uintptr_t to = ((uintptr_t)data + len) & ~(uintptr_t)(ZV_HUGE_PAGE - 1);
    if (len < ZV_HUGE_PAGES_MIN || to <= from) return;
#ifdef MADV_HUGEPAGE
    (void)madvise((void *)from, to - from, MADV_HUGEPAGE);
#endif
}

/* Sizes up to this are allocated on the object row's word; a larger claim is
 * first checked against the manifest rows that exist. */
#define ZV_CLAIM_CHECK_ABOVE (64u << 20)

zova_status zv_object_claim_check(zova_database *db, const uint8_t id[32], uint64_t size, uint64_t count) {
    zova_status status = ZOVA_OK;
    sqlite3_stmt *stmt;
    int rc;
    /* Every chunk holds at most ZV_CHUNK_MAX bytes (docs/file-format.md §2). */
    if (count > UINT64_MAX / ZV_CHUNK_MAX || size > count * ZV_CHUNK_MAX) return ZOVA_OBJECT_CORRUPT;
    if (size <= ZV_CLAIM_CHECK_ABOVE) return ZOVA_OK;
    stmt = zv_stmt(db, SQL_MANIFEST_COUNT, &status);
    if (!stmt) return status;
    sqlite3_bind_blob(stmt, 1, id, 32, SQLITE_STATIC);
    rc = sqlite3_step(stmt);
    if (rc != SQLITE_ROW) status = zv_sqlite_fail(db, rc);
    else if ((uint64_t)sqlite3_column_int64(stmt, 0) != count) status = ZOVA_OBJECT_CORRUPT;
    zv_stmt_release(stmt);
    return status;
}

zova_status zv_object_load(zova_database *db, const uint8_t id[32], uint8_t **out_data, size_t *out_len) {
    uint64_t size = 0, count = 0;
    uint8_t *data = NULL;
    zova_status status = zv_object_meta(db, id, &size, &count);
    if (status == ZOVA_OK) status = zv_object_claim_check(db, id, size, count);
    if (status != ZOVA_OK) return status;
    if (size > (uint64_t)SIZE_MAX) return ZOVA_OBJECT_TOO_LARGE;
    if (size > 0) {
        data = (uint8_t *)malloc((size_t)size);
        if (!data) return ZOVA_OUT_OF_MEMORY;
        zv_advise_huge_pages(data, (size_t)size);
    }
    status = zv_object_read(db, id, size, count, 0, data, (size_t)size);
    if (status != ZOVA_OK) {
        free(data);
        return status;
    }
    *out_data = data;
    *out_len = (size_t)size;
    return ZOVA_OK;
}

zova_status zv_object_verify(zova_database *db, const uint8_t id[32]) {
    uint8_t *data = NULL;
    size_t len = 0;
    zova_status status = zv_object_load(db, id, &data, &len);
    free(data);
    return status;
}

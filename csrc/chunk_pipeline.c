/*
 * chunk_pipeline.c - stores a stream of object bytes as chunk rows on two
 * threads: a cutter thread cuts the stream into FastCDC-v1 chunks and hashes
 * each chunk, and the object, while the calling thread inserts the chunks
 * already cut, up to ZV_CUT_RING rounds behind. Large puts stream the
 * caller's bytes (through a spool view) and stop the cutter when stored. The
 * object writer keeps one cutter from its first write to its end: it cuts
 * the staging spool as writes extend it, between calls too, so a flush finds
 * part of its cutting done. The chunk rows themselves are chunk_store.c's.
 * A put_many batch of small objects gets a simpler helper (zv_put_batch, at the
 * end): each object copied, cut and hashed ahead of the inserts.
 *
 * Cutting plus the two SHA-256 streams (interleaved on the SHA extensions)
 * is the larger half of the work (here about 0.4 s per 256 MiB against 0.3 s
 * of inserts); leaving chunk hashes to the inserting thread when it waits was
 * measured slower. Without a second thread the calling thread cuts each
 * round itself when it runs out.
 */
#define _GNU_SOURCE /* sync_file_range */
#include "zova_internal.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Chunks cut per round, and the rounds the cutter may be ahead: 8 rounds of
 * 256 chunks of 8 KiB on average hold 16 MiB of stream in 74 KiB. */
#define ZV_CUT_ROUND 256
#define ZV_CUT_RING 8
/* Less than this left to cut is cut by the calling thread (when it needs the
 * chunks): starting a thread would cost more. */
#define ZV_CUTTER_THREAD_MIN (1u << 20)

/* A put reads the caller's bytes, which another thread may change during the
 * call (Python releases the GIL): its cutter copies each chunk into the
 * round before hashing it, and the inserts store that copy, so the stored
 * bytes are exactly the hashed ones. Such rounds end after ZV_COPY_ROUND_FILL
 * bytes: the copies of all ZV_CUT_RING rounds take 1 MiB. (The writer's
 * cutter reads its private staging spool and copies nothing.) */
#define ZV_COPY_ROUND_FILL (64u << 10)
#define ZV_COPY_ROUND_BYTES (ZV_COPY_ROUND_FILL + ZV_CHUNK_MAX)

typedef struct zv_cut_round {
    size_t count;
    uint32_t sizes[ZV_CUT_ROUND];
    uint8_t hashes[ZV_CUT_ROUND][32];
    uint8_t *copy; /* ZV_COPY_ROUND_BYTES: the round's bytes, for a put; else NULL */
    size_t copy_len;
} zv_cut_round;

struct zv_cutter {
    zv_spool *source;
    zv_sha256_ctx *object_hash;
    /* The thread's while it cuts a round; the owner's under lock when not busy. */
    zv_spool_reader reader;
    pthread_mutex_t lock;
    pthread_cond_t changed;
    /* Under lock: */
    zv_spool_extent extent; /* what the owner lets it read */
    int final;              /* the stream ends at extent.size */
    uint64_t cut, inserted; /* rounds; rounds[k % ZV_CUT_RING] holds round k */
    int busy;               /* the thread is cutting a round */
    int stop;               /* the thread must end */
    pthread_t thread;
    int threaded;
    zv_cut_round rounds[ZV_CUT_RING];
};

/* Whether another chunk can be cut of size bytes (under lock when not busy,
 * or by the cutting thread): all of them when final, else only chunks that
 * 64 KiB of stream follow, so boundaries never depend on where the stream was
 * split. */
static int zv_cutter_can_cut(const zv_cutter *cutter, uint64_t size, int final) {
    uint64_t left = size - cutter->reader.offset;
    if (zv_spool_reader_failed(&cutter->reader)) return 0;
    return left >= ZV_CHUNK_MAX || (final && left > 0);
}

/* Cuts the next chunks into round, hashing each and appending it to the
 * object hash (without lock: busy is set). */
static void zv_cut_one_round(zv_cutter *cutter, zv_cut_round *round, int final) {
    zv_spool_reader *reader = &cutter->reader;
    round->count = 0;
    round->copy_len = 0;
    while (round->count < ZV_CUT_ROUND && (!round->copy || round->copy_len < ZV_COPY_ROUND_FILL) &&
           zv_cutter_can_cut(cutter, reader->extent.size, final)) {
        uint64_t left = reader->extent.size - reader->offset;
        size_t window_len = left < ZV_CHUNK_MAX ? (size_t)left : ZV_CHUNK_MAX;
        const uint8_t *window;
        size_t n;
        if (!zv_spool_peek(reader, window_len, &window)) break;
        n = zv_fastcdc_cut(window, window_len);
        if (round->copy) { /* hash (and later store) the copy, not the caller's bytes */
            memcpy(round->copy + round->copy_len, window, n);
            window = round->copy + round->copy_len;
            round->copy_len += n;
        }
        zv_sha256_dual(cutter->object_hash, window, n, round->hashes[round->count]);
        round->sizes[round->count++] = (uint32_t)n;
        reader->offset += n;
    }
}

/* Under lock, with a free slot and something to cut: cuts one round. */
static void zv_cutter_step(zv_cutter *cutter) {
    zv_cut_round *round = &cutter->rounds[cutter->cut % ZV_CUT_RING];
    int final = cutter->final;
    cutter->reader.extent = cutter->extent;
    cutter->busy = 1;
    pthread_mutex_unlock(&cutter->lock);
    zv_cut_one_round(cutter, round, final);
    pthread_mutex_lock(&cutter->lock);
    cutter->busy = 0;
    if (round->count > 0) cutter->cut++;
    pthread_cond_broadcast(&cutter->changed);
}

static void *zv_cutter_run(void *arg) {
    zv_cutter *cutter = (zv_cutter *)arg;
    pthread_mutex_lock(&cutter->lock);
    while (!cutter->stop) {
        int room = cutter->cut - cutter->inserted < ZV_CUT_RING;
        if (room && zv_cutter_can_cut(cutter, cutter->extent.size, cutter->final))
            zv_cutter_step(cutter);
        else
            pthread_cond_wait(&cutter->changed, &cutter->lock);
    }
    pthread_mutex_unlock(&cutter->lock);
    return NULL;
}

/* Stops the thread, if there is one, and waits for it. */
static void zv_cutter_stop(zv_cutter *cutter) {
    if (!cutter->threaded) return;
    pthread_mutex_lock(&cutter->lock);
    cutter->stop = 1;
    pthread_cond_broadcast(&cutter->changed);
    pthread_mutex_unlock(&cutter->lock);
    pthread_join(cutter->thread, NULL);
    cutter->threaded = 0;
    cutter->stop = 0;
}

zv_cutter *zv_cutter_new(zv_spool *source, zv_sha256_ctx *object_hash, zova_status *status) {
    zv_cutter *cutter = (zv_cutter *)calloc(1, sizeof(*cutter));
    *status = ZOVA_OUT_OF_MEMORY;
    if (!cutter) return NULL;
    if (pthread_mutex_init(&cutter->lock, NULL) != 0) {
        free(cutter);
        return NULL;
    }
    if (pthread_cond_init(&cutter->changed, NULL) != 0) {
        pthread_mutex_destroy(&cutter->lock);
        free(cutter);
        return NULL;
    }
    cutter->source = source;
    cutter->object_hash = object_hash;
    *status = zv_spool_reader_open(&cutter->reader, source);
    cutter->extent = cutter->reader.extent;
    return cutter;
}

void zv_cutter_extend(zv_cutter *cutter, int final) {
    pthread_mutex_lock(&cutter->lock);
    cutter->extent = zv_spool_readable(cutter->source);
    cutter->final = final;
    if (!cutter->threaded && cutter->extent.size - cutter->reader.offset >= ZV_CUTTER_THREAD_MIN)
        cutter->threaded = zv_thread_start(&cutter->thread, zv_cutter_run, cutter);
    pthread_cond_broadcast(&cutter->changed);
    pthread_mutex_unlock(&cutter->lock);
}

/* The next cut round for the inserts, NULL once everything the cutter may
 * read is cut and inserted. */
static zv_cut_round *zv_cutter_next(zv_cutter *cutter) {
    zv_cut_round *round = NULL;
    pthread_mutex_lock(&cutter->lock);
    for (;;) {
        if (cutter->cut > cutter->inserted) {
            round = &cutter->rounds[cutter->inserted % ZV_CUT_RING];
            break;
        }
        if (!cutter->busy) {
            if (!zv_cutter_can_cut(cutter, cutter->extent.size, cutter->final)) break;
            if (!cutter->threaded) {
                zv_cutter_step(cutter);
                continue;
            }
        }
        pthread_cond_wait(&cutter->changed, &cutter->lock);
    }
    pthread_mutex_unlock(&cutter->lock);
    return round;
}

/* Gives a round's slot back to the cutter. */
static void zv_cutter_release(zv_cutter *cutter) {
    pthread_mutex_lock(&cutter->lock);
    cutter->inserted++;
    pthread_cond_broadcast(&cutter->changed);
    pthread_mutex_unlock(&cutter->lock);
}

void zv_cutter_restart(zv_cutter *cutter) {
    zv_cutter_stop(cutter);
    cutter->cut = cutter->inserted = 0;
    cutter->final = 0;
    cutter->extent = zv_spool_readable(cutter->source);
    zv_spool_reader_rewind(&cutter->reader, cutter->extent);
}

uint64_t zv_cutter_offset(const zv_cutter *cutter) { return cutter->reader.offset; }

void zv_cutter_free(zv_cutter *cutter) {
    if (!cutter) return;
    zv_cutter_stop(cutter);
    pthread_cond_destroy(&cutter->changed);
    pthread_mutex_destroy(&cutter->lock);
    zv_cutter_abandon(cutter);
}

void zv_cutter_abandon(zv_cutter *cutter) {
    size_t i;
    if (!cutter) return;
    zv_spool_reader_free(&cutter->reader);
    for (i = 0; i < ZV_CUT_RING; i++) free(cutter->rounds[i].copy);
    free(cutter);
}

/* Makes the cutter copy what it cuts (a put's cutter, before it starts). */
static zova_status zv_cutter_copy_rounds(zv_cutter *cutter) {
    size_t i;
    for (i = 0; i < ZV_CUT_RING; i++) {
        cutter->rounds[i].copy = (uint8_t *)malloc(ZV_COPY_ROUND_BYTES);
        if (!cutter->rounds[i].copy) return ZOVA_OUT_OF_MEMORY;
    }
    return ZOVA_OK;
}

/* Inserting hundreds of MiB leaves that much dirty in the page cache for the
 * commit's fsync to write at once. Asking the kernel to start writing back
 * the database file (and its WAL) every ZV_WRITEBACK_STEP bytes lets the disk
 * work while the CPUs cut, hash and insert; the commit then waits for the
 * tail only. Pure scheduling: the kernel may write those pages at any time
 * anyway. Linux only, unix VFS only; elsewhere a no-op.
 *
 * It must use SQLite's own descriptors: opening and closing another one on
 * the file would drop the POSIX locks SQLite holds on it. They are read from
 * the head of SQLite's unixFile and used only when fstat shows the very file
 * (so a different layout can never point it at anything else). */
#define ZV_WRITEBACK_STEP (16u << 20)

typedef struct zv_writeback {
    int fds[2];       /* SQLite's descriptors of the database and WAL files, or -1 */
    uint64_t pending; /* bytes inserted since the last request */
} zv_writeback;

/* The head of struct unixFile in sqlite3.c (the unix VFS's sqlite3_file). */
typedef struct zv_unix_file_head {
    const sqlite3_io_methods *methods;
    sqlite3_vfs *vfs;
    void *inode;
    int fd;
} zv_unix_file_head;

/* SQLite's descriptor of path (the main file or its WAL, as file_op asks),
 * or -1; path is a file name, never NULL or empty (zv_writeback_open, and the
 * copies' write-back in operations.c). */
int zv_sqlite_fd(sqlite3 *sql, int file_op, const char *path) {
    sqlite3_vfs *vfs = NULL;
    sqlite3_file *file = NULL;
    struct stat wanted, found;
    int fd;
    if (sqlite3_file_control(sql, "main", SQLITE_FCNTL_VFS_POINTER, &vfs) != SQLITE_OK || !vfs ||
        !vfs->zName || strncmp(vfs->zName, "unix", 4) != 0)
        return -1;
    if (sqlite3_file_control(sql, "main", file_op, &file) != SQLITE_OK || !file || !file->pMethods) return -1;
    fd = ((const zv_unix_file_head *)file)->fd;
    if (fd < 0 || stat(path, &wanted) != 0 || fstat(fd, &found) != 0) return -1;
    return wanted.st_dev == found.st_dev && wanted.st_ino == found.st_ino ? fd : -1;
}

static void zv_writeback_open(zv_writeback *writeback, zova_database *db) {
    const char *path = sqlite3_db_filename(db->sql, "main");
    writeback->fds[0] = writeback->fds[1] = -1;
    writeback->pending = 0;
#ifdef SYNC_FILE_RANGE_WRITE
    if (path && *path) {
        writeback->fds[0] = zv_sqlite_fd(db->sql, SQLITE_FCNTL_FILE_POINTER, path);
        writeback->fds[1] = zv_sqlite_fd(db->sql, SQLITE_FCNTL_JOURNAL_POINTER, sqlite3_filename_wal(path));
    }
#else
    (void)path;
#endif
}

static void zv_writeback_note(zv_writeback *writeback, uint64_t inserted) {
    writeback->pending += inserted;
    if (writeback->pending < ZV_WRITEBACK_STEP) return;
    writeback->pending = 0;
#ifdef SYNC_FILE_RANGE_WRITE
    {
        int i;
        for (i = 0; i < 2; i++)
            if (writeback->fds[i] >= 0) (void)sync_file_range(writeback->fds[i], 0, 0, SYNC_FILE_RANGE_WRITE);
    }
#endif
}

/* Inserts one cut round; a failed read leaves the status OK and is reported
 * when the reader closes. */
static zova_status zv_insert_round(zova_database *db, zv_spool_reader *inserting, const zv_cut_round *round,
                                   int repair, zv_spool *entries, uint64_t *count, zv_writeback *writeback) {
    zova_status status = ZOVA_OK;
    size_t i;
    size_t copied = 0;
    for (i = 0; i < round->count && status == ZOVA_OK; i++) {
        const uint8_t *data;
        if (round->copy) {
            data = round->copy + copied;
            copied += round->sizes[i];
        } else if (!zv_spool_read(inserting, round->sizes[i], &data)) {
            break;
        }
        status = zv_chunk_store_entry(db, round->hashes[i], data, round->sizes[i], repair, entries);
        if (status == ZOVA_OK) (*count)++;
        zv_writeback_note(writeback, round->sizes[i]);
    }
    return status;
}

zova_status zv_cutter_store(zv_cutter *cutter, zova_database *db, int repair, zv_spool *entries, uint64_t *count) {
    zv_spool_reader inserting;
    zv_writeback writeback;
    zv_cut_round *round;
    zova_status status = zv_spool_reader_open(&inserting, cutter->source);
    zv_writeback_open(&writeback, db);
    while (status == ZOVA_OK && !zv_spool_reader_failed(&inserting) && (round = zv_cutter_next(cutter)) != NULL) {
        status = zv_insert_round(db, &inserting, round, repair, entries, count, &writeback);
        zv_cutter_release(cutter);
    }
    status = zv_spool_reader_close(&inserting, status);
    /* A cutter whose reads failed cuts no more: it is idle, its failure is ours. */
    if (status == ZOVA_OK) status = zv_spool_reader_status(&cutter->reader, status);
    return status;
}

zova_status zv_chunks_store_view(zova_database *db, const uint8_t *data, size_t len, zv_sha256_ctx *object_hash,
                                 zv_spool *entries, uint64_t *count) {
    zv_spool source;
    zova_status status;
    zv_cutter *cutter;
    zv_spool_view(&source, db, data, len);
    cutter = zv_cutter_new(&source, object_hash, &status);
    if (status == ZOVA_OK) status = zv_cutter_copy_rounds(cutter);
    if (status == ZOVA_OK) {
        zv_cutter_extend(cutter, 1);
        status = zv_cutter_store(cutter, db, 1, entries, count);
    }
    zv_cutter_free(cutter);
    return status;
}

/* ---- a batch of small objects: copied, cut and hashed ahead ----
 *
 * zova_object_put_many's objects of up to ZV_CHUNK_MAX bytes are copied into
 * a ring slot, cut and hashed (each chunk, and the object: its id) on a
 * second thread up to ZV_PUT_BATCH_RING objects ahead of the inserting thread,
 * which stores the copies: the stored bytes are the hashed ones even if the
 * caller changes its buffers meanwhile, and each byte is hashed once. */
#define ZV_PUT_BATCH_RING 32
/* Smaller batches are prepared by the calling thread, one object at a time. */
#define ZV_PUT_BATCH_THREAD_MIN 16

struct zv_put_batch {
    const uint8_t *const *data;
    const size_t *lens;
    size_t count;
    uint8_t *copies; /* ZV_PUT_BATCH_RING * ZV_CHUNK_MAX */
    pthread_mutex_t lock;
    pthread_cond_t changed;
    /* Under lock once the thread runs: */
    size_t prepared, taken; /* objects; slots[k % ZV_PUT_BATCH_RING] holds object k */
    int stop;
    int sleeping[2]; /* [0] the thread, [1] the owner */
    pthread_t thread;
    int threaded;
    zv_prepared slots[ZV_PUT_BATCH_RING];
};

/* Prepares object k into its slot (without lock). */
static void zv_put_batch_prepare(zv_put_batch *batch, size_t k) {
    zv_prepared *p = &batch->slots[k % ZV_PUT_BATCH_RING];
    size_t len = batch->lens[k], offset = 0;
    zv_sha256_ctx object_hash;
    p->len = len;
    p->chunks = 0;
    if (len > ZV_CHUNK_MAX) {
        p->copy = NULL;
        return;
    }
    p->copy = batch->copies + (k % ZV_PUT_BATCH_RING) * (size_t)ZV_CHUNK_MAX;
    if (len > 0) memcpy(p->copy, batch->data[k], len);
    zv_sha256_init(&object_hash);
    while (offset < len) {
        size_t n = zv_fastcdc_cut(p->copy + offset, len - offset);
        if (n == len) zv_sha256(p->copy, n, p->hashes[0]); /* one chunk: its hash is the object's */
        else zv_sha256_dual(&object_hash, p->copy + offset, n, p->hashes[p->chunks]);
        p->sizes[p->chunks++] = (uint32_t)n;
        offset += n;
    }
    if (p->chunks == 1) memcpy(p->id, p->hashes[0], 32);
    else zv_sha256_final(&object_hash, p->id);
}

static void *zv_put_batch_run(void *arg) {
    zv_put_batch *batch = (zv_put_batch *)arg;
    pthread_mutex_lock(&batch->lock);
    while (!batch->stop && batch->prepared < batch->count) {
        size_t k = batch->prepared;
        if (k - batch->taken == ZV_PUT_BATCH_RING) {
            batch->sleeping[0] = 1;
            pthread_cond_wait(&batch->changed, &batch->lock);
            batch->sleeping[0] = 0;
            continue;
        }
        pthread_mutex_unlock(&batch->lock);
        zv_put_batch_prepare(batch, k);
        pthread_mutex_lock(&batch->lock);
        batch->prepared = k + 1;
        if (batch->sleeping[1]) pthread_cond_signal(&batch->changed);
    }
    pthread_mutex_unlock(&batch->lock);
    return NULL;
}

zv_put_batch *zv_put_batch_new(const uint8_t *const *data, const size_t *lens, size_t count) {
    zv_put_batch *batch = (zv_put_batch *)calloc(1, sizeof(*batch));
    if (!batch) return NULL;
    batch->copies = (uint8_t *)malloc((size_t)ZV_PUT_BATCH_RING * ZV_CHUNK_MAX);
    if (!batch->copies) {
        free(batch);
        return NULL;
    }
    batch->data = data;
    batch->lens = lens;
    batch->count = count;
    if (count < ZV_PUT_BATCH_THREAD_MIN) return batch;
    if (pthread_mutex_init(&batch->lock, NULL) != 0) return batch;
    if (pthread_cond_init(&batch->changed, NULL) != 0) {
        pthread_mutex_destroy(&batch->lock);
        return batch;
    }
    batch->threaded = zv_thread_start(&batch->thread, zv_put_batch_run, batch);
    if (!batch->threaded) {
        pthread_cond_destroy(&batch->changed);
        pthread_mutex_destroy(&batch->lock);
    }
    return batch;
}

const zv_prepared *zv_put_batch_next(zv_put_batch *batch) {
    size_t k = batch->taken;
    if (!batch->threaded) {
        zv_put_batch_prepare(batch, k);
        return &batch->slots[k % ZV_PUT_BATCH_RING];
    }
    pthread_mutex_lock(&batch->lock);
    while (batch->prepared <= k) {
        batch->sleeping[1] = 1;
        pthread_cond_wait(&batch->changed, &batch->lock);
        batch->sleeping[1] = 0;
    }
    pthread_mutex_unlock(&batch->lock);
    return &batch->slots[k % ZV_PUT_BATCH_RING];
}

void zv_put_batch_release(zv_put_batch *batch) {
    if (!batch->threaded) {
        batch->taken++;
        return;
    }
    pthread_mutex_lock(&batch->lock);
    batch->taken++;
    /* A thread waiting for room is woken once half the ring is free, not for
     * each slot: a wake-up per object would cost more than preparing it. */
    if (batch->sleeping[0] && batch->prepared - batch->taken <= ZV_PUT_BATCH_RING / 2)
        pthread_cond_signal(&batch->changed);
    pthread_mutex_unlock(&batch->lock);
}

void zv_put_batch_free(zv_put_batch *batch) {
    if (!batch) return;
    if (batch->threaded) {
        pthread_mutex_lock(&batch->lock);
        batch->stop = 1;
        pthread_cond_signal(&batch->changed);
        pthread_mutex_unlock(&batch->lock);
        pthread_join(batch->thread, NULL);
        pthread_cond_destroy(&batch->changed);
        pthread_mutex_destroy(&batch->lock);
    }
    free(batch->copies);
    free(batch);
}

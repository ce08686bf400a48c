/*
 * chunk_pipeline.c - stores a stream of object bytes as chunk rows on two
 * threads: a second thread cuts the stream into FastCDC-v1 chunks and hashes
 * each chunk, and the object, while the calling thread inserts the chunks
 * already cut, up to ZV_CUT_RING rounds behind. Large puts stream the
 * caller's bytes (through a spool view), the object writer its staging spool.
 *
 * The work is split so that neither thread waits for long: cutting plus the
 * two SHA-256 streams (interleaved on the SHA extensions) cost about what the
 * inserts cost. Without a second thread the calling thread cuts each round
 * itself when it runs out.
 */
#define _GNU_SOURCE /* sync_file_range */
#include "zova_internal.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Chunks cut per round, and the rounds the cutting thread may be ahead. */
#define ZV_CUT_ROUND 256
#define ZV_CUT_RING 4

typedef struct zv_cut_round {
    size_t count; /* < ZV_CUT_ROUND: the last round */
    uint32_t sizes[ZV_CUT_ROUND];
    uint8_t hashes[ZV_CUT_ROUND][32];
} zv_cut_round;

typedef struct zv_cutter {
    zv_spool_reader reader;
    zv_sha256_ctx *object_hash;
    int final;
    pthread_mutex_t lock;
    pthread_cond_t changed;
    uint64_t cut, inserted; /* rounds; rounds[k % ZV_CUT_RING] holds round k */
    int done;               /* the last round is cut */
    int stop;               /* the inserts are over: cut no more */
    pthread_t thread;
    int threaded;
    zv_cut_round rounds[ZV_CUT_RING];
} zv_cutter;

/* Cuts the next chunks (all of the stream when final, else only chunks that
 * 64 KiB of stream follow, so boundaries never depend on where it was split),
 * hashing each and appending it to the object hash. */
static void zv_cut_one_round(zv_cutter *cutter, zv_cut_round *round) {
    zv_spool_reader *reader = &cutter->reader;
    round->count = 0;
    while (round->count < ZV_CUT_ROUND) {
        uint64_t left = zv_spool_size(reader->spool) - reader->offset;
        size_t window_len = left < ZV_CHUNK_MAX ? (size_t)left : ZV_CHUNK_MAX;
        const uint8_t *window;
        size_t n;
        if (left == 0 || (window_len < ZV_CHUNK_MAX && !cutter->final)) break;
        if (!zv_spool_peek(reader, window_len, &window)) break;
        n = zv_fastcdc_cut(window, window_len);
        zv_sha256_dual(cutter->object_hash, window, n, round->hashes[round->count]);
        round->sizes[round->count++] = (uint32_t)n;
        reader->offset += n;
    }
}

/* Cuts the next round into a free slot; 0 once there is nothing more to cut. */
static int zv_cutter_step(zv_cutter *cutter) {
    zv_cut_round *round;
    pthread_mutex_lock(&cutter->lock);
    while (!cutter->done && !cutter->stop && cutter->cut - cutter->inserted == ZV_CUT_RING)
        pthread_cond_wait(&cutter->changed, &cutter->lock);
    if (cutter->done || cutter->stop) {
        pthread_mutex_unlock(&cutter->lock);
        return 0;
    }
    round = &cutter->rounds[cutter->cut % ZV_CUT_RING];
    pthread_mutex_unlock(&cutter->lock);
    zv_cut_one_round(cutter, round);
    pthread_mutex_lock(&cutter->lock);
    cutter->cut++;
    cutter->done = round->count < ZV_CUT_ROUND;
    pthread_cond_signal(&cutter->changed);
    pthread_mutex_unlock(&cutter->lock);
    return 1;
}

static void *zv_cutter_run(void *arg) {
    while (zv_cutter_step((zv_cutter *)arg)) {
    }
    return NULL;
}

/* The next cut round for the inserts, NULL after the last one. */
static zv_cut_round *zv_cutter_next(zv_cutter *cutter) {
    zv_cut_round *round = NULL;
    if (!cutter->threaded && cutter->cut == cutter->inserted) zv_cutter_step(cutter);
    pthread_mutex_lock(&cutter->lock);
    while (!cutter->done && cutter->cut == cutter->inserted) pthread_cond_wait(&cutter->changed, &cutter->lock);
    if (cutter->cut > cutter->inserted) round = &cutter->rounds[cutter->inserted % ZV_CUT_RING];
    pthread_mutex_unlock(&cutter->lock);
    return round;
}

/* Gives a round's slot back to the cutting thread. */
static void zv_cutter_release(zv_cutter *cutter) {
    pthread_mutex_lock(&cutter->lock);
    cutter->inserted++;
    pthread_cond_signal(&cutter->changed);
    pthread_mutex_unlock(&cutter->lock);
}

/* Tells the thread to cut no more (it may be rounds ahead) and waits for it. */
static void zv_cutter_finish(zv_cutter *cutter) {
    pthread_mutex_lock(&cutter->lock);
    cutter->stop = 1;
    pthread_cond_signal(&cutter->changed);
    pthread_mutex_unlock(&cutter->lock);
    if (cutter->threaded) pthread_join(cutter->thread, NULL);
}

static zv_cutter *zv_cutter_new(zv_spool *source, int final, zv_sha256_ctx *object_hash, zova_status *status) {
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
    *status = zv_spool_reader_open(&cutter->reader, source);
    cutter->object_hash = object_hash;
    cutter->final = final;
    return cutter;
}

static void zv_cutter_free(zv_cutter *cutter) {
    pthread_cond_destroy(&cutter->changed);
    pthread_mutex_destroy(&cutter->lock);
    free(cutter);
}

/* Inserting hundreds of MiB leaves that much dirty in the page cache for the
 * commit's fsync to write at once. Asking the kernel to start writing back
 * the database file (and its WAL) every ZV_WRITEBACK_STEP bytes lets the disk
 * work while the CPUs cut, hash and insert; the commit then waits for the
 * tail only. Pure scheduling: the kernel may write those pages at any time
 * anyway. Linux only; elsewhere, and for files that cannot be opened, a
 * no-op. */
#define ZV_WRITEBACK_STEP (16u << 20)

typedef struct zv_writeback {
    int fds[2];
    uint64_t pending; /* bytes inserted since the last request */
} zv_writeback;

static void zv_writeback_open(zv_writeback *writeback, zova_database *db) {
    const char *path = sqlite3_db_filename(db->sql, "main");
    writeback->fds[0] = writeback->fds[1] = -1;
    writeback->pending = 0;
#ifdef SYNC_FILE_RANGE_WRITE
    if (path && *path) {
        const char *wal = sqlite3_filename_wal(path);
        writeback->fds[0] = open(path, O_RDONLY | O_CLOEXEC);
        if (wal && *wal) writeback->fds[1] = open(wal, O_RDONLY | O_CLOEXEC);
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

static void zv_writeback_close(zv_writeback *writeback) {
    int i;
    for (i = 0; i < 2; i++)
        if (writeback->fds[i] >= 0) close(writeback->fds[i]);
}

/* Inserts one cut round; a failed read leaves the status OK and is reported
 * when the reader closes. */
static zova_status zv_insert_round(zova_database *db, zv_spool_reader *inserting, const zv_cut_round *round,
                                   int repair, zv_spool *entries, uint64_t *count, zv_writeback *writeback) {
    zova_status status = ZOVA_OK;
    size_t i;
    for (i = 0; i < round->count && status == ZOVA_OK; i++) {
        const uint8_t *data;
        if (!zv_spool_read(inserting, round->sizes[i], &data)) break;
        status = zv_chunk_store_entry(db, round->hashes[i], data, round->sizes[i], repair, entries);
        if (status == ZOVA_OK) (*count)++;
        zv_writeback_note(writeback, round->sizes[i]);
    }
    return status;
}

zova_status zv_chunks_store(zova_database *db, zv_spool *source, int final, int repair, zv_sha256_ctx *object_hash,
                            zv_spool *entries, uint64_t *count, uint64_t *out_cut_end) {
    zv_spool_reader inserting;
    zv_writeback writeback;
    zv_cut_round *round;
    zova_status status;
    zv_cutter *cutter = zv_cutter_new(source, final, object_hash, &status);
    if (!cutter) return status;
    if (status == ZOVA_OK) status = zv_spool_reader_open(&inserting, source);
    else memset(&inserting, 0, sizeof(inserting));
    if (status == ZOVA_OK) {
        zv_writeback_open(&writeback, db);
        cutter->threaded = pthread_create(&cutter->thread, NULL, zv_cutter_run, cutter) == 0;
        while (status == ZOVA_OK && !inserting.failure && (round = zv_cutter_next(cutter)) != NULL) {
            status = zv_insert_round(db, &inserting, round, repair, entries, count, &writeback);
            zv_cutter_release(cutter);
        }
        zv_cutter_finish(cutter);
        zv_writeback_close(&writeback);
    }
    if (out_cut_end) *out_cut_end = cutter->reader.offset;
    status = zv_spool_reader_close(&inserting, status);
    status = zv_spool_reader_close(&cutter->reader, status);
    zv_cutter_free(cutter);
    return status;
}

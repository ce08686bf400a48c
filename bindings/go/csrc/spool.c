/*
 * spool.c - append-only scratch storage with a memory footprint that does not
 * grow with its content: the first ZV_SPOOL_MEMORY bytes stay in a buffer, the
 * rest goes to an unnamed temporary file beside the database (or in the
 * temporary directory), written through a buffer of the same size and read
 * back sequentially. The object writer stages its stream and its manifest in
 * spools, and large puts their manifest, so neither needs memory in proportion
 * to the object (issue 3: streaming writes need O(64 KiB)).
 *
 * A reader hands out pointers to up to ZV_SPOOL_RECORD_MAX contiguous bytes
 * at a time, from the memory part or from its own buffer of file bytes.
 */
#define _GNU_SOURCE /* O_TMPFILE, mkostemp, pread/pwrite */
#include "zova_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void zv_spool_init(zv_spool *spool, zova_database *db) {
    memset(spool, 0, sizeof(*spool));
    spool->db = db;
    spool->fd = -1;
}

uint64_t zv_spool_size(const zv_spool *spool) {
    return spool->memory_len + spool->file_len + spool->write_len;
}

static zova_status zv_spool_io_fail(zv_spool *spool, const char *what) {
    char message[160];
    snprintf(message, sizeof(message), "object spool file: %s failed: %s", what, strerror(errno));
    return zv_fail_message(spool->db, ZOVA_SQLITE_ERROR, message);
}

/* An unnamed file in dir: O_TMPFILE where the file system has it, otherwise
 * a named file unlinked at once. -1 when dir does not take one. */
static int zv_spool_open_in(const char *dir) {
    char path[4096];
    int fd = -1;
#ifdef O_TMPFILE
    fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd >= 0) return fd;
#endif
    if (snprintf(path, sizeof(path), "%s/.zova-spool-XXXXXX", dir) >= (int)sizeof(path)) return -1;
    fd = mkostemp(path, O_CLOEXEC);
    if (fd >= 0) unlink(path);
    return fd;
}

/* The database's directory first (same file system as the data it stages),
 * then $TMPDIR, then /tmp. */
static zova_status zv_spool_open_file(zv_spool *spool) {
    const char *db_path = sqlite3_db_filename(spool->db->sql, "main");
    const char *tmpdir = getenv("TMPDIR");
    const char *slash = db_path ? strrchr(db_path, '/') : NULL;
    if (slash && (size_t)(slash - db_path) < 4096) {
        char dir[4096];
        size_t len = slash == db_path ? 1 : (size_t)(slash - db_path);
        memcpy(dir, db_path, len);
        dir[len] = '\0';
        spool->fd = zv_spool_open_in(dir);
    }
    if (spool->fd < 0 && tmpdir && *tmpdir) spool->fd = zv_spool_open_in(tmpdir);
    if (spool->fd < 0) spool->fd = zv_spool_open_in("/tmp");
    if (spool->fd < 0) return zv_spool_io_fail(spool, "creating a temporary file");
    return ZOVA_OK;
}

static zova_status zv_spool_pwrite(zv_spool *spool, const uint8_t *data, size_t len, uint64_t offset) {
    while (len > 0) {
        ssize_t n = pwrite(spool->fd, data, len, (off_t)offset);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return zv_spool_io_fail(spool, "writing");
        data += n;
        len -= (size_t)n;
        offset += (uint64_t)n;
    }
    return ZOVA_OK;
}

zova_status zv_spool_sync(zv_spool *spool) {
    zova_status status;
    if (spool->write_len == 0) return ZOVA_OK;
    status = zv_spool_pwrite(spool, spool->write_buffer, spool->write_len, spool->file_len);
    if (status != ZOVA_OK) return status;
    spool->file_len += spool->write_len;
    spool->write_len = 0;
    return ZOVA_OK;
}

zova_status zv_spool_append(zv_spool *spool, const void *data, size_t len) {
    if (len == 0) return ZOVA_OK;
    if (spool->fd < 0 && spool->memory_len + len <= ZV_SPOOL_MEMORY) {
        if (!spool->memory) {
            spool->memory = (uint8_t *)malloc(ZV_SPOOL_MEMORY);
            if (!spool->memory) return ZOVA_OUT_OF_MEMORY;
        }
        memcpy(spool->memory + spool->memory_len, data, len);
        spool->memory_len += len;
        return ZOVA_OK;
    }
    if (spool->fd < 0) {
        zova_status status;
        if (!spool->write_buffer) {
            spool->write_buffer = (uint8_t *)malloc(ZV_SPOOL_MEMORY);
            if (!spool->write_buffer) return ZOVA_OUT_OF_MEMORY;
        }
        status = zv_spool_open_file(spool);
        if (status != ZOVA_OK) return status;
    }
    if (spool->write_len + len > ZV_SPOOL_MEMORY) {
        zova_status status = zv_spool_sync(spool);
        if (status != ZOVA_OK) return status;
        if (len > ZV_SPOOL_MEMORY) {
            status = zv_spool_pwrite(spool, (const uint8_t *)data, len, spool->file_len);
            if (status == ZOVA_OK) spool->file_len += len;
            return status;
        }
    }
    memcpy(spool->write_buffer + spool->write_len, data, len);
    spool->write_len += len;
    return ZOVA_OK;
}

/* Truncating only moves the end: the file keeps its pages, and later appends
 * overwrite them in place, which costs less than freeing and allocating them
 * again (and ext4 writes a file that was truncated to 0 out to disk when it
 * is closed). Appending at most ZV_SPOOL_MEMORY bytes right after truncating
 * a spool that held content to 0 cannot fail: they go to the memory part
 * (allocated, as the content was there) or to the write buffer (allocated
 * with the file). */
void zv_spool_truncate(zv_spool *spool, uint64_t size) {
    if (size >= zv_spool_size(spool)) return;
    if (size <= spool->memory_len) {
        spool->memory_len = (size_t)size;
        spool->write_len = 0;
        spool->file_len = 0;
    } else if (size <= spool->memory_len + spool->file_len) {
        spool->write_len = 0;
        spool->file_len = size - spool->memory_len;
    } else {
        spool->write_len = (size_t)(size - spool->memory_len - spool->file_len);
    }
}

void zv_spool_view(zv_spool *spool, zova_database *db, const uint8_t *data, size_t len) {
    zv_spool_init(spool, db);
    spool->memory = (uint8_t *)data; /* only ever read */
    spool->memory_len = len;
}

void zv_spool_free(zv_spool *spool) {
    if (spool->fd >= 0) close(spool->fd);
    free(spool->memory);
    free(spool->write_buffer);
    zv_spool_init(spool, spool->db);
}

/* ---- reading back ---- */

#define ZV_SPOOL_READ_BUFFER (4 * ZV_SPOOL_RECORD_MAX)

zv_spool_extent zv_spool_readable(const zv_spool *spool) {
    zv_spool_extent extent;
    extent.memory_len = spool->memory_len;
    extent.fd = spool->fd;
    extent.size = spool->memory_len + spool->file_len;
    return extent;
}

zova_status zv_spool_reader_open(zv_spool_reader *reader, zv_spool *spool) {
    zova_status status = zv_spool_sync(spool);
    memset(reader, 0, sizeof(*reader));
    reader->spool = spool;
    reader->extent = zv_spool_readable(spool);
    return status;
}

void zv_spool_reader_rewind(zv_spool_reader *reader, zv_spool_extent extent) {
    reader->offset = 0;
    reader->buffer_len = 0;
    reader->failure = NULL;
    reader->failure_errno = 0;
    reader->extent = extent;
}

static int zv_spool_read_failed(zv_spool_reader *reader, const char *what, int error) {
    reader->failure = what;
    reader->failure_errno = error;
    return 0;
}

/* Copies content [offset, offset + len) out of the memory part and the file. */
static int zv_spool_fill(zv_spool_reader *reader, uint64_t offset, size_t len) {
    const zv_spool_extent *extent = &reader->extent;
    size_t got = 0;
    if (offset < extent->memory_len) {
        got = extent->memory_len - (size_t)offset < len ? extent->memory_len - (size_t)offset : len;
        memcpy(reader->buffer, reader->spool->memory + offset, got);
    }
    while (got < len) {
        uint64_t file_offset = offset + got - extent->memory_len;
        ssize_t n = pread(extent->fd, reader->buffer + got, len - got, (off_t)file_offset);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return zv_spool_read_failed(reader, "reading", n < 0 ? errno : EIO);
        got += (size_t)n;
    }
    reader->buffer_offset = offset;
    reader->buffer_len = len;
    return 1;
}

int zv_spool_peek(zv_spool_reader *reader, size_t len, const uint8_t **out) {
    uint64_t offset = reader->offset, size = reader->extent.size;
    if (reader->failure) return 0;
    if (len > ZV_SPOOL_RECORD_MAX || offset + len > size) return zv_spool_read_failed(reader, "reading past its end", 0);
    if (offset + len <= reader->extent.memory_len) {
        *out = reader->spool->memory + offset;
        return 1;
    }
    if (!reader->buffer || offset < reader->buffer_offset ||
        offset + len > reader->buffer_offset + reader->buffer_len) {
        uint64_t want = size - offset < ZV_SPOOL_READ_BUFFER ? size - offset : ZV_SPOOL_READ_BUFFER;
        if (!reader->buffer) {
            reader->buffer = (uint8_t *)malloc(ZV_SPOOL_READ_BUFFER);
            if (!reader->buffer) return zv_spool_read_failed(reader, NULL, ENOMEM);
        }
        if (!zv_spool_fill(reader, offset, (size_t)want)) return 0;
    }
    *out = reader->buffer + (offset - reader->buffer_offset);
    return 1;
}

int zv_spool_read(zv_spool_reader *reader, size_t len, const uint8_t **out) {
    if (!zv_spool_peek(reader, len, out)) return 0;
    reader->offset += len;
    return 1;
}

int zv_spool_reader_failed(const zv_spool_reader *reader) { return reader->failure || reader->failure_errno; }

zova_status zv_spool_reader_status(zv_spool_reader *reader, zova_status status) {
    if (status != ZOVA_OK) return status;
    if (reader->failure_errno == ENOMEM && !reader->failure) return ZOVA_OUT_OF_MEMORY;
    if (!reader->failure) return ZOVA_OK;
    errno = reader->failure_errno;
    return zv_spool_io_fail(reader->spool, reader->failure);
}

void zv_spool_reader_free(zv_spool_reader *reader) {
    free(reader->buffer);
    reader->buffer = NULL;
}

zova_status zv_spool_reader_close(zv_spool_reader *reader, zova_status status) {
    zv_spool_reader_free(reader);
    return zv_spool_reader_status(reader, status);
}

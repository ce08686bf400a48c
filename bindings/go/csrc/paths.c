/*
 * paths.c - the file-system rules of docs/c-api.md §5.10: the .zova suffix, whether a
 * destination may be created, exclusive creation, and cleanup of a failed copy.
 */
#define _POSIX_C_SOURCE 200809L
#include "zova_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int zv_has_zova_suffix(const char *path) {
    size_t len = strlen(path);
    return len >= 5 && memcmp(path + len - 5, ".zova", 5) == 0;
}

zova_status zv_destination_available(const char *path) {
    struct stat st;
    if (lstat(path, &st) == 0) return ZOVA_DESTINATION_EXISTS;
    if (errno != ENOENT) return ZOVA_CANT_OPEN;
    {
        /* Missing parent directory is CANT_OPEN. */
        const char *slash = strrchr(path, '/');
        if (slash && slash != path) {
            char *parent = zv_strndup(path, (size_t)(slash - path));
            int ok;
            if (!parent) return ZOVA_OUT_OF_MEMORY;
            ok = stat(parent, &st) == 0 && S_ISDIR(st.st_mode);
            free(parent);
            if (!ok) return ZOVA_CANT_OPEN;
        }
    }
    return ZOVA_OK;
}

zova_status zv_create_exclusive(const char *path) {
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) return errno == EEXIST ? ZOVA_DESTINATION_EXISTS : ZOVA_CANT_OPEN;
    close(fd);
    return ZOVA_OK;
}

void zv_remove_database_files(const char *path) {
    static const char *const suffixes[] = {"", "-journal", "-wal", "-shm"};
    size_t len = strlen(path), i;
    char *name = (char *)malloc(len + 16);
    if (!name) {
        unlink(path);
        return;
    }
    for (i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
        memcpy(name, path, len);
        strcpy(name + len, suffixes[i]);
        unlink(name);
    }
    free(name);
}

/*
 * chunker.c - FastCDC-v1, the content-defined chunker of docs/file-format.md §3.1:
 * the SplitMix64 gear table and the cut-point search. Stateless: callers keep
 * the unchunked remainder (a stream cuts only once 64 KiB are buffered, or at
 * its end, so streaming and one-shot chunking agree).
 */
#include "zova_internal.h"

#define ZV_MASK_S 0x0003590703530000ULL
#define ZV_MASK_L 0x0000d90003530000ULL

static uint64_t zv_gear[256];
static pthread_once_t zv_gear_once = PTHREAD_ONCE_INIT;

static void zv_gear_build(void) {
    uint64_t state = 0x5a4f56415f464344ULL; /* "ZOVA_FCD" */
    int i;
    for (i = 0; i < 256; i++) {
        uint64_t z;
        state += 0x9e3779b97f4a7c15ULL;
        z = state;
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        zv_gear[i] = z ^ (z >> 31);
    }
}

size_t zv_fastcdc_cut(const uint8_t *data, size_t n) {
    const uint64_t *gear;
    size_t limit, normal_end, end;
    uint64_t fp = 0;
    if (n <= ZV_CHUNK_MIN) return n;
    pthread_once(&zv_gear_once, zv_gear_build);
    gear = zv_gear;
    limit = n < ZV_CHUNK_MAX ? n : ZV_CHUNK_MAX;
    normal_end = limit < ZV_CHUNK_AVG ? limit : ZV_CHUNK_AVG;
    for (end = ZV_CHUNK_MIN + 1; end <= normal_end; end++) {
        fp = (fp << 1) + gear[data[end - 1]];
        if (!(fp & ZV_MASK_S)) return end;
    }
    for (; end <= limit; end++) {
        fp = (fp << 1) + gear[data[end - 1]];
        if (!(fp & ZV_MASK_L)) return end;
    }
    return limit;
}

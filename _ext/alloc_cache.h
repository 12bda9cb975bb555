/* A bounded caching allocator for NumPy's array buffers, installed through NumPy's
 * memory-handler API (PyDataMem_Handler, NumPy >= 1.22) by minigrad._C.alloc.
 *
 * Why: the first write to a freshly mapped page is a page fault (per 4 KiB page; per 2 MiB
 * with transparent huge pages), and for a memory-bound kernel faulting in its output costs
 * about as much as the kernel itself. glibc maps blocks above its mmap threshold afresh on
 * every malloc (always so above 32 MiB) and gives its heap top back to the OS when a large
 * free leaves it above the trim threshold. A training step asks for the same buffer sizes
 * every step, so a freed block is kept and handed to the next request of its size class with
 * its pages still mapped: no fault, no kernel zeroing.
 *
 * Blocks of MG_CACHE_MIN bytes or more are mmap'ed, rounded up to a size class (8 classes per
 * power of two: at most 12.5% more address space than asked for, and pages nobody touches
 * cost no memory). Smaller blocks come from malloc, as NumPy's own handler does. The cache
 * keeps at most `limit` bytes of free blocks; a free that would exceed it unmaps the least
 * recently freed blocks first. Every block carries a tag in the 16 bytes before its data, so
 * free and realloc never rely on the size NumPy passes. One mutex guards the cache (Python
 * threads allocate and free concurrently; OpenMP kernels never allocate).
 */
#ifndef MINIGRAD_ALLOC_CACHE_H
#define MINIGRAD_ALLOC_CACHE_H
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <numpy/ndarraytypes.h>

#define MG_CACHE_MIN_LOG2 17                   /* 128 KiB: glibc's default mmap threshold */
#define MG_CACHE_MIN ((size_t)1 << MG_CACHE_MIN_LOG2)
#define MG_CLASSES_LOG2 3                      /* 8 size classes per power of two */
#define MG_NBINS 256                           /* classes up to 2^48 bytes */
#define MG_CACHE_MAX ((size_t)1 << (MG_CACHE_MIN_LOG2 + (MG_NBINS >> MG_CLASSES_LOG2) - 1))
#define MG_HUGE_MIN ((size_t)4 << 20)          /* madvise(MADV_HUGEPAGE) from 4 MiB, as NumPy */
#define MG_KIND_SMALL ((size_t)0x6d67736d616c6cULL)   /* "mgsmall" */
#define MG_KIND_LARGE ((size_t)0x6d676c61726765ULL)   /* "mglarge" */

typedef struct { size_t size, kind; } mg_tag;  /* requested bytes; which path made the block */

typedef struct mg_block {                      /* the start of a large block's mapping */
    struct mg_block *bin_prev, *bin_next;      /* free blocks of one size class */
    struct mg_block *lru_prev, *lru_next;      /* all free blocks, most recently freed first */
    size_t map_len, cap;                       /* bytes mapped; bytes usable from the data */
    mg_tag tag;                                /* right before the data: 64-byte aligned data */
} mg_block;
_Static_assert(sizeof(mg_block) == 64, "the data must follow the header at a 64-byte offset");

typedef struct {
    size_t allocated, allocated_peak, cached, cached_blocks, limit;
    unsigned long long hits, misses, evictions;
} mg_stats_t;

static pthread_mutex_t mg_lock = PTHREAD_MUTEX_INITIALIZER;
static int mg_enabled = 1;
static mg_block *mg_bins[MG_NBINS];
static mg_block *mg_lru_head, *mg_lru_tail;
static mg_stats_t mg_stats;

/* Size class of n >= MG_CACHE_MIN: its bin and its capacity (the class's upper bound). */
static int mg_class(size_t n, size_t *cap) {
    int k = 63 - __builtin_clzll((unsigned long long)n);
    size_t step = (size_t)1 << (k - MG_CLASSES_LOG2);
    size_t sub = (n - ((size_t)1 << k) + step - 1) / step;   /* 0..8; 8 is the next power's 0 */
    *cap = ((size_t)1 << k) + sub * step;
    return ((k - MG_CACHE_MIN_LOG2) << MG_CLASSES_LOG2) + (int)sub;
}

static void *mg_data(mg_block *b) { return (void *)(b + 1); }

/* ---- the free-block lists; callers hold mg_lock ---- */
static void mg_unlink(mg_block *b, int bin) {
    if (b->bin_prev) b->bin_prev->bin_next = b->bin_next; else mg_bins[bin] = b->bin_next;
    if (b->bin_next) b->bin_next->bin_prev = b->bin_prev;
    if (b->lru_prev) b->lru_prev->lru_next = b->lru_next; else mg_lru_head = b->lru_next;
    if (b->lru_next) b->lru_next->lru_prev = b->lru_prev; else mg_lru_tail = b->lru_prev;
    mg_stats.cached -= b->cap;
    mg_stats.cached_blocks--;
}

static void mg_push(mg_block *b, int bin) {
    b->bin_prev = NULL;
    b->bin_next = mg_bins[bin];
    if (b->bin_next) b->bin_next->bin_prev = b;
    mg_bins[bin] = b;
    b->lru_prev = NULL;
    b->lru_next = mg_lru_head;
    if (mg_lru_head) mg_lru_head->lru_prev = b; else mg_lru_tail = b;
    mg_lru_head = b;
    mg_stats.cached += b->cap;
    mg_stats.cached_blocks++;
}

/* Detach least recently freed blocks until `room` more bytes fit under the limit; returns
 * them as a list (through bin_next) to be unmapped after the lock is released. */
static mg_block *mg_evict_for(size_t room) {
    mg_block *out = NULL;
    while (mg_lru_tail && mg_stats.cached + room > mg_stats.limit) {
        mg_block *b = mg_lru_tail;
        size_t cap;
        mg_unlink(b, mg_class(b->cap, &cap));
        b->bin_next = out;
        out = b;
        mg_stats.evictions++;
    }
    return out;
}

static void mg_unmap_list(mg_block *b) {
    while (b) {
        mg_block *next = b->bin_next;
        munmap(b, b->map_len);
        b = next;
    }
}

/* ---- the two paths ---- */
static void *mg_small_alloc(size_t n, int zero) {
    if (n > SIZE_MAX / 2) return NULL;
    mg_tag *t = zero ? (mg_tag *)calloc(1, n + sizeof(mg_tag)) : (mg_tag *)malloc(n + sizeof(mg_tag));
    if (!t) return NULL;
    t->size = n;
    t->kind = MG_KIND_SMALL;
    return t + 1;
}

static mg_block *mg_map(size_t cap) {
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t len = (sizeof(mg_block) + cap + page - 1) / page * page;
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return NULL;
#ifdef MADV_HUGEPAGE
    if (cap >= MG_HUGE_MIN) madvise(p, len, MADV_HUGEPAGE);
#endif
    mg_block *b = (mg_block *)p;
    b->map_len = len;
    b->cap = cap;
    return b;
}

static void mg_empty_cache(void);

static void *mg_large_alloc(size_t n, int zero) {
    size_t cap;
    int bin = mg_class(n, &cap);
    mg_block *b = NULL;
    pthread_mutex_lock(&mg_lock);
    if (mg_bins[bin]) {
        b = mg_bins[bin];
        mg_unlink(b, bin);
        mg_stats.hits++;
    } else {
        mg_stats.misses++;
    }
    mg_stats.allocated += cap;
    if (mg_stats.allocated > mg_stats.allocated_peak) mg_stats.allocated_peak = mg_stats.allocated;
    pthread_mutex_unlock(&mg_lock);
    if (b) {
        if (zero) memset(mg_data(b), 0, n);   /* a fresh mapping is zero already; a reused one not */
    } else {
        b = mg_map(cap);
        if (!b) {                             /* out of address space or memory: give back the cache, retry */
            mg_empty_cache();
            b = mg_map(cap);
        }
        if (!b) {
            pthread_mutex_lock(&mg_lock);
            mg_stats.allocated -= cap;
            pthread_mutex_unlock(&mg_lock);
            return NULL;
        }
    }
    b->tag.size = n;
    b->tag.kind = MG_KIND_LARGE;
    return mg_data(b);
}

static void mg_large_free(mg_block *b) {
    size_t cap;
    int bin = mg_class(b->cap, &cap);
    mg_block *unmap = b;
    pthread_mutex_lock(&mg_lock);
    mg_stats.allocated -= b->cap;
    if (__atomic_load_n(&mg_enabled, __ATOMIC_RELAXED) && b->cap <= mg_stats.limit) {
        unmap = mg_evict_for(b->cap);
        mg_push(b, bin);
    } else {
        b->bin_next = NULL;
    }
    pthread_mutex_unlock(&mg_lock);
    mg_unmap_list(unmap);
}

static mg_tag *mg_tag_of(void *p) {
    mg_tag *t = (mg_tag *)p - 1;
    if (t->kind != MG_KIND_SMALL && t->kind != MG_KIND_LARGE) {
        fprintf(stderr, "minigrad caching allocator: %p was not allocated by it (or its header was "
                        "overwritten)\n", p);
        abort();
    }
    return t;
}

static mg_block *mg_block_of(mg_tag *t) { return (mg_block *)((char *)t - offsetof(mg_block, tag)); }

/* ---- NumPy's PyDataMemAllocator interface ---- */
/* Switched off, every block takes the malloc path, as with NumPy's own handler. */
static int mg_cacheable(size_t n) {
    return n >= MG_CACHE_MIN && n < MG_CACHE_MAX && __atomic_load_n(&mg_enabled, __ATOMIC_RELAXED);
}

static void *mg_malloc(void *ctx, size_t n) {
    (void)ctx;
    return mg_cacheable(n) ? mg_large_alloc(n, 0) : mg_small_alloc(n, 0);
}

static void *mg_calloc(void *ctx, size_t nelem, size_t elsize) {
    (void)ctx;
    size_t n;
    if (__builtin_mul_overflow(nelem, elsize, &n)) return NULL;
    return mg_cacheable(n) ? mg_large_alloc(n, 1) : mg_small_alloc(n, 1);
}

static void mg_free(void *ctx, void *p, size_t size) {
    (void)ctx;
    (void)size;   /* the tag knows */
    if (!p) return;
    mg_tag *t = mg_tag_of(p);
    if (t->kind == MG_KIND_SMALL) free(t);
    else mg_large_free(mg_block_of(t));
}

static void *mg_realloc(void *ctx, void *p, size_t n) {
    if (!p) return mg_malloc(ctx, n);
    mg_tag *t = mg_tag_of(p);
    if (t->kind == MG_KIND_SMALL && n < MG_CACHE_MIN) {
        if (n > SIZE_MAX / 2) return NULL;
        mg_tag *r = (mg_tag *)realloc(t, n + sizeof(mg_tag));
        if (!r) return NULL;
        r->size = n;
        return r + 1;
    }
    if (t->kind == MG_KIND_LARGE && n <= mg_block_of(t)->cap && n >= mg_block_of(t)->cap / 2) {
        t->size = n;   /* fits, and not so loosely that most of the block would be wasted */
        return p;
    }
    void *q = mg_malloc(ctx, n);
    if (!q) return NULL;
    memcpy(q, p, t->size < n ? t->size : n);
    mg_free(ctx, p, t->size);
    return q;
}

static PyDataMem_Handler mg_handler = {
    "minigrad_caching_allocator",
    1,
    {NULL, mg_malloc, mg_calloc, mg_realloc, mg_free},
};

/* ---- control, from minigrad._C.alloc ---- */
static void mg_empty_cache(void) {
    pthread_mutex_lock(&mg_lock);
    mg_block *list = NULL;
    while (mg_lru_tail) {
        mg_block *b = mg_lru_tail;
        size_t cap;
        mg_unlink(b, mg_class(b->cap, &cap));
        b->bin_next = list;
        list = b;
    }
    pthread_mutex_unlock(&mg_lock);
    mg_unmap_list(list);
}

static void mg_set_limit(size_t limit) {
    pthread_mutex_lock(&mg_lock);
    mg_stats.limit = limit;
    mg_block *list = mg_evict_for(0);
    pthread_mutex_unlock(&mg_lock);
    mg_unmap_list(list);
}

static void mg_set_enabled(int on) {
    __atomic_store_n(&mg_enabled, on, __ATOMIC_RELAXED);
    if (!on) mg_empty_cache();
}

static mg_stats_t mg_get_stats(void) {
    pthread_mutex_lock(&mg_lock);
    mg_stats_t s = mg_stats;
    pthread_mutex_unlock(&mg_lock);
    return s;
}

static void mg_lock_for_fork(void) { pthread_mutex_lock(&mg_lock); }
static void mg_unlock_after_fork(void) { pthread_mutex_unlock(&mg_lock); }

/* A child forked while another thread held the lock must not inherit it locked. */
static void mg_init(size_t limit) {
    mg_stats.limit = limit;
    pthread_atfork(mg_lock_for_fork, mg_unlock_after_fork, mg_unlock_after_fork);
}

#endif

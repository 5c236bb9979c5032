// Small C helpers Swift cannot express: cache prefetch hints for the snapshot walk, glibc
// allocator settings (malloc.h is not in Swift's Glibc module), and O_DIRECT (only
// defined by glibc's fcntl.h under _GNU_SOURCE).
#ifndef TUSK_SHIMS_H
#define TUSK_SHIMS_H

/// Asks the CPU to start loading the cache line holding `p` (a hint: never faults).
static inline void tusk_prefetch(const void *p) { __builtin_prefetch(p, 0, 3); }

/// Tells the CPU this thread is spinning on a lock held by another (x86 `pause`).
static inline void tusk_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

#if defined(__linux__)
#include <malloc.h>
#endif
#if defined(M_MMAP_THRESHOLD)
/// Fixes glibc's mmap threshold (which also stops its dynamic adjustment): blocks of at
/// least `bytes` get their own mapping and go back to the system when freed. Returns 1 on
/// success.
static inline int tusk_set_mmap_threshold(int bytes) { return mallopt(M_MMAP_THRESHOLD, bytes); }
#else
static inline int tusk_set_mmap_threshold(int bytes) { (void)bytes; return 0; }
#endif

#if defined(__linux__)
#include <fcntl.h>
#endif
/// The open(2) flag for I/O that bypasses the page cache, or 0 where there is none.
static inline int tusk_o_direct(void) {
#if defined(__O_DIRECT)
    return __O_DIRECT;
#elif defined(O_DIRECT)
    return O_DIRECT;
#else
    return 0;
#endif
}

#endif

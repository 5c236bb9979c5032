// Small C helpers Swift cannot express: cache prefetch hints for the snapshot walk, and
// glibc allocator settings (malloc.h is not in Swift's Glibc module).
#ifndef TUSK_SHIMS_H
#define TUSK_SHIMS_H

/// Asks the CPU to start loading the cache line holding `p` (a hint: never faults).
static inline void tusk_prefetch(const void *p) { __builtin_prefetch(p, 0, 3); }

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

#endif

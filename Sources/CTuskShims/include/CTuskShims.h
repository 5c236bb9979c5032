// Small C helpers Swift cannot express: cache prefetch hints for the snapshot walk.
#ifndef TUSK_SHIMS_H
#define TUSK_SHIMS_H

/// Asks the CPU to start loading the cache line holding `p` (a hint: never faults).
static inline void tusk_prefetch(const void *p) { __builtin_prefetch(p, 0, 3); }

#endif

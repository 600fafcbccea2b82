#ifndef PRESIDIO_CKERNELS_H
#define PRESIDIO_CKERNELS_H

#include <stddef.h>
#include <stdint.h>

// CPU kernels of the event log, each behind a run-time CPU check so that one binary runs on any
// CPU of its architecture, and a build needs no architecture flags (no unsafeFlags): the
// functions carry their own target attributes. Callers use the portable Swift paths when a
// kernel is not available.

/// 1 when `presidio_crc32c_hw` may be called: SSE 4.2 on x86-64, the ARMv8 CRC extension on arm64.
int presidio_crc32c_hw_available(void);

/// CRC-32C (Castagnoli) of `count` bytes, continuing from `seed` (0 to start), with the usual
/// pre- and post-inversion: the same value as the portable table version.
uint32_t presidio_crc32c_hw(uint32_t seed, const void *data, size_t count);

/// 1 when the SHA-256 kernels may be called (x86-64 with the SHA extensions, SSSE3 and SSE 4.1).
int presidio_sha256_ni_available(void);

/// One 64-byte block into a SHA-256 state held as two 16-byte vectors in the layout
/// `sha256rnds2` uses: (F, E, B, A) then (H, G, D, C), 32 bytes at `state`.
void presidio_sha256_ni_compress(void *state, const void *block);

/// One block into each of two states, interleaved so the CPU overlaps the two dependency chains.
void presidio_sha256_ni_compress2(void *state_x, const void *block_x, void *state_y, const void *block_y);

#endif

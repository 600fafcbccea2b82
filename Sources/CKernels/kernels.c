#include "ckernels.h"

#include <string.h>

#if defined(__x86_64__) || defined(_M_X64)

#include <cpuid.h>
#include <immintrin.h>

int presidio_crc32c_hw_available(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    return (c >> 20) & 1;  // SSE 4.2
}

__attribute__((target("sse4.2")))
uint32_t presidio_crc32c_hw(uint32_t seed, const void *data, size_t count) {
    const unsigned char *p = (const unsigned char *)data;
    uint64_t crc = (uint32_t)~seed;
    size_t i = 0;
    for (; i + 8 <= count; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        crc = _mm_crc32_u64(crc, w);
    }
    uint32_t c32 = (uint32_t)crc;
    for (; i < count; i++) c32 = _mm_crc32_u8(c32, p[i]);
    return ~c32;
}

int presidio_sha256_ni_available(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    int ssse3 = (c >> 9) & 1, sse41 = (c >> 19) & 1;
    if (__get_cpuid_max(0, 0) < 7) return 0;
    __cpuid_count(7, 0, a, b, c, d);
    int sha = (b >> 29) & 1;
    return ssse3 && sse41 && sha;
}

static const uint32_t K[64] __attribute__((aligned(16))) = {
    0x428A2F98, 0x71374491, 0xB5C0FBCF, 0xE9B5DBA5, 0x3956C25B, 0x59F111F1, 0x923F82A4, 0xAB1C5ED5,
    0xD807AA98, 0x12835B01, 0x243185BE, 0x550C7DC3, 0x72BE5D74, 0x80DEB1FE, 0x9BDC06A7, 0xC19BF174,
    0xE49B69C1, 0xEFBE4786, 0x0FC19DC6, 0x240CA1CC, 0x2DE92C6F, 0x4A7484AA, 0x5CB0A9DC, 0x76F988DA,
    0x983E5152, 0xA831C66D, 0xB00327C8, 0xBF597FC7, 0xC6E00BF3, 0xD5A79147, 0x06CA6351, 0x14292967,
    0x27B70A85, 0x2E1B2138, 0x4D2C6DFC, 0x53380D13, 0x650A7354, 0x766A0ABB, 0x81C2C92E, 0x92722C85,
    0xA2BFE8A1, 0xA81A664B, 0xC24B8B70, 0xC76C51A3, 0xD192E819, 0xD6990624, 0xF40E3585, 0x106AA070,
    0x19A4C116, 0x1E376C08, 0x2748774C, 0x34B0BCB5, 0x391C0CB3, 0x4ED8AA4A, 0x5B9CCA4F, 0x682E6FF3,
    0x748F82EE, 0x78A5636F, 0x84C87814, 0x8CC70208, 0x90BEFFFA, 0xA4506CEB, 0xBEF9A3F7, 0xC67178F2,
};

#define SHA_TARGET __attribute__((target("sha,sse4.1,ssse3"), always_inline)) static inline

/// Four rounds with message words `w` (already byte-swapped) and constants K[4k…4k+3].
#define ROUNDS(w, k)                                                                   \
    do {                                                                               \
        __m128i m = _mm_add_epi32((w), _mm_load_si128((const __m128i *)(K + 4 * (k)))); \
        s1 = _mm_sha256rnds2_epu32(s1, s0, m);                                         \
        s0 = _mm_sha256rnds2_epu32(s0, s1, _mm_shuffle_epi32(m, 0x0E));                \
    } while (0)

/// The next four schedule words from the previous sixteen (w0 … w3, oldest first).
#define SCHEDULE(w0, w1, w2, w3) \
    (w0) = _mm_sha256msg2_epu32(_mm_add_epi32(_mm_sha256msg1_epu32((w0), (w1)), _mm_alignr_epi8((w3), (w2), 4)), (w3))

SHA_TARGET void compress(__m128i *state, const unsigned char *block) {
    const __m128i mask = _mm_set_epi64x(0x0C0D0E0F08090A0BULL, 0x0405060700010203ULL);
    __m128i s0 = _mm_loadu_si128(state), s1 = _mm_loadu_si128(state + 1);
    const __m128i a0 = s0, a1 = s1;
    __m128i w0 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(block + 0)), mask);
    __m128i w1 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(block + 16)), mask);
    __m128i w2 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(block + 32)), mask);
    __m128i w3 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(block + 48)), mask);
    ROUNDS(w0, 0);
    ROUNDS(w1, 1);
    ROUNDS(w2, 2);
    ROUNDS(w3, 3);
    for (int k = 4; k < 16; k += 4) {
        SCHEDULE(w0, w1, w2, w3);
        ROUNDS(w0, k);
        SCHEDULE(w1, w2, w3, w0);
        ROUNDS(w1, k + 1);
        SCHEDULE(w2, w3, w0, w1);
        ROUNDS(w2, k + 2);
        SCHEDULE(w3, w0, w1, w2);
        ROUNDS(w3, k + 3);
    }
    _mm_storeu_si128(state, _mm_add_epi32(s0, a0));
    _mm_storeu_si128(state + 1, _mm_add_epi32(s1, a1));
}

__attribute__((target("sha,sse4.1,ssse3")))
void presidio_sha256_ni_compress(void *state, const void *block) {
    compress((__m128i *)state, (const unsigned char *)block);
}

__attribute__((target("sha,sse4.1,ssse3")))
void presidio_sha256_ni_compress2(void *state_x, const void *block_x, void *state_y, const void *block_y) {
    // Both inlined into one function: the compiler and the CPU interleave the two chains.
    compress((__m128i *)state_x, (const unsigned char *)block_x);
    compress((__m128i *)state_y, (const unsigned char *)block_y);
}

#elif defined(__aarch64__)

#include <arm_acle.h>
#if defined(__linux__)
#include <asm/hwcap.h>
#include <sys/auxv.h>
#endif

int presidio_crc32c_hw_available(void) {
#if defined(__linux__)
    return (getauxval(AT_HWCAP) & HWCAP_CRC32) != 0;
#elif defined(__APPLE__)
    return 1;  // every Apple arm64 CPU has the CRC extension
#else
    return 0;
#endif
}

__attribute__((target("crc")))
uint32_t presidio_crc32c_hw(uint32_t seed, const void *data, size_t count) {
    const unsigned char *p = (const unsigned char *)data;
    uint32_t crc = ~seed;
    size_t i = 0;
    for (; i + 8 <= count; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        crc = __crc32cd(crc, w);
    }
    for (; i < count; i++) crc = __crc32cb(crc, p[i]);
    return ~crc;
}

int presidio_sha256_ni_available(void) { return 0; }
void presidio_sha256_ni_compress(void *state, const void *block) { (void)state; (void)block; }
void presidio_sha256_ni_compress2(void *sx, const void *bx, void *sy, const void *by) { (void)sx; (void)bx; (void)sy; (void)by; }

#else

int presidio_crc32c_hw_available(void) { return 0; }
uint32_t presidio_crc32c_hw(uint32_t seed, const void *data, size_t count) { (void)data; (void)count; return seed; }
int presidio_sha256_ni_available(void) { return 0; }
void presidio_sha256_ni_compress(void *state, const void *block) { (void)state; (void)block; }
void presidio_sha256_ni_compress2(void *sx, const void *bx, void *sy, const void *by) { (void)sx; (void)bx; (void)sy; (void)by; }

#endif

/* CRC-32 (zip's polynomial, bit-reflected) by carry-less multiplication:
 * 64 bytes at a time are folded into four 128-bit accumulators, which are
 * folded into one and reduced to 32 bits (Barrett reduction), after Intel's
 * "Fast CRC Computation for Generic Polynomials Using PCLMULQDQ". zlib's
 * table-driven CRC reads about 4 GB/s on one core, too slow to check every
 * shard of an activation cache as it streams from disk; this reads several
 * times faster. The constants are powers of x modulo the polynomial. */
#include "CLoupeKernels.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define TARGET __attribute__((target("pclmul,sse4.1")))
#define TARGET512 __attribute__((target("pclmul,sse4.1,avx512f,vpclmulqdq")))

/* Folding by d bits multiplies the low half by x^(d+32) and the high half
 * by x^(d-32) mod P, bit-reflected (dev/crc32_constants.py prints them). */
#define K2080 0x011542778aLL
#define K2016 0x01322d1430LL

/* x^(128+32), x^(128-32): one 128-bit lane onto the next. */
TARGET static inline __m128i fold16(__m128i x, __m128i next) {
    const __m128i k = _mm_set_epi64x(0x00ccaa009eLL, 0x01751997d0LL);
    return _mm_xor_si128(_mm_xor_si128(_mm_clmulepi64_si128(x, k, 0x00), _mm_clmulepi64_si128(x, k, 0x11)), next);
}

/* Four lanes of 16 bytes (in file order), then the rest of the 16-byte
 * blocks, reduced to the 32-bit CRC. */
TARGET static unsigned crc32_finish(__m128i a, __m128i b, __m128i c, __m128i d, const unsigned char *p, long n) {
    const __m128i fold128 = _mm_set_epi64x(0x00ccaa009eLL, 0x01751997d0LL);
    const __m128i fold64 = _mm_set_epi64x(0, 0x0163cd6124LL);
    const __m128i barrett = _mm_set_epi64x(0x01f7011641LL, 0x01db710641LL);
    const __m128i low32 = _mm_setr_epi32(~0, 0, ~0, 0);
    __m128i x = fold16(fold16(fold16(a, b), c), d);
    for (; n >= 16; p += 16, n -= 16) x = fold16(x, _mm_loadu_si128((const __m128i *)p));
    /* 128 bits to 64, then Barrett reduction to 32. */
    x = _mm_xor_si128(_mm_srli_si128(x, 8), _mm_clmulepi64_si128(x, fold128, 0x10));
    x = _mm_xor_si128(_mm_srli_si128(x, 4), _mm_clmulepi64_si128(_mm_and_si128(x, low32), fold64, 0x00));
    __m128i t = _mm_clmulepi64_si128(_mm_and_si128(x, low32), barrett, 0x10);
    t = _mm_clmulepi64_si128(_mm_and_si128(t, low32), barrett, 0x00);
    return (unsigned)_mm_extract_epi32(_mm_xor_si128(x, t), 1);
}

/* 64 bytes a round in four 128-bit accumulators; n >= 64, a multiple of 16. */
TARGET static unsigned crc32_fold_x86(unsigned crc, const unsigned char *p, long n) {
    /* x^(512+32), x^(512-32): each accumulator onto the block 64 bytes on. */
    const __m128i fold512 = _mm_set_epi64x(0x01c6e41596LL, 0x0154442bd4LL);
    __m128i a = _mm_xor_si128(_mm_loadu_si128((const __m128i *)p), _mm_cvtsi32_si128((int)crc));
    __m128i b = _mm_loadu_si128((const __m128i *)(p + 16));
    __m128i c = _mm_loadu_si128((const __m128i *)(p + 32));
    __m128i d = _mm_loadu_si128((const __m128i *)(p + 48));
    p += 64; n -= 64;
    for (; n >= 64; p += 64, n -= 64) {
        a = _mm_xor_si128(_mm_xor_si128(_mm_clmulepi64_si128(a, fold512, 0x00), _mm_clmulepi64_si128(a, fold512, 0x11)),
                          _mm_loadu_si128((const __m128i *)p));
        b = _mm_xor_si128(_mm_xor_si128(_mm_clmulepi64_si128(b, fold512, 0x00), _mm_clmulepi64_si128(b, fold512, 0x11)),
                          _mm_loadu_si128((const __m128i *)(p + 16)));
        c = _mm_xor_si128(_mm_xor_si128(_mm_clmulepi64_si128(c, fold512, 0x00), _mm_clmulepi64_si128(c, fold512, 0x11)),
                          _mm_loadu_si128((const __m128i *)(p + 32)));
        d = _mm_xor_si128(_mm_xor_si128(_mm_clmulepi64_si128(d, fold512, 0x00), _mm_clmulepi64_si128(d, fold512, 0x11)),
                          _mm_loadu_si128((const __m128i *)(p + 48)));
    }
    return crc32_finish(a, b, c, d, p, n);
}

/* The same with 512-bit registers: 256 bytes a round in four accumulators
 * of four lanes each; n >= 256, a multiple of 16. */
TARGET512 static unsigned crc32_fold_avx512(unsigned crc, const unsigned char *p, long n) {
    const __m512i fold2048 = _mm512_set_epi64(K2016, K2080, K2016, K2080, K2016, K2080, K2016, K2080);
    const __m512i fold512 = _mm512_set_epi64(0x01c6e41596LL, 0x0154442bd4LL, 0x01c6e41596LL, 0x0154442bd4LL,
                                             0x01c6e41596LL, 0x0154442bd4LL, 0x01c6e41596LL, 0x0154442bd4LL);
#define FOLD(z, k, next) _mm512_ternarylogic_epi64(_mm512_clmulepi64_epi128(z, k, 0x00), _mm512_clmulepi64_epi128(z, k, 0x11), next, 0x96)
    __m512i z0 = _mm512_xor_si512(_mm512_loadu_si512(p), _mm512_castsi128_si512(_mm_cvtsi32_si128((int)crc)));
    __m512i z1 = _mm512_loadu_si512(p + 64), z2 = _mm512_loadu_si512(p + 128), z3 = _mm512_loadu_si512(p + 192);
    p += 256; n -= 256;
    for (; n >= 256; p += 256, n -= 256) {
        z0 = FOLD(z0, fold2048, _mm512_loadu_si512(p));
        z1 = FOLD(z1, fold2048, _mm512_loadu_si512(p + 64));
        z2 = FOLD(z2, fold2048, _mm512_loadu_si512(p + 128));
        z3 = FOLD(z3, fold2048, _mm512_loadu_si512(p + 192));
    }
    __m512i z = FOLD(FOLD(FOLD(z0, fold512, z1), fold512, z2), fold512, z3);
    for (; n >= 64; p += 64, n -= 64) z = FOLD(z, fold512, _mm512_loadu_si512(p));
#undef FOLD
    return crc32_finish(_mm512_extracti32x4_epi32(z, 0), _mm512_extracti32x4_epi32(z, 1), _mm512_extracti32x4_epi32(z, 2),
                        _mm512_extracti32x4_epi32(z, 3), p, n);
}
#endif

long loupe_crc32_fold(unsigned *crc, const void *bytes, long count) {
#if defined(__x86_64__)
    static int isa = -1;   /* 0: none, 1: PCLMUL, 2: VPCLMULQDQ with AVX-512 */
    if (isa < 0) {
        int pclmul = __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1");
        isa = pclmul && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("vpclmulqdq") ? 2 : pclmul;
    }
    long n = count & ~15L;
    if (!isa || n < 64) return 0;
    if (isa == 2 && n >= 256) *crc = ~crc32_fold_avx512(~*crc, (const unsigned char *)bytes, n);
    else *crc = ~crc32_fold_x86(~*crc, (const unsigned char *)bytes, n);
    return n;
#else
    (void)crc; (void)bytes; (void)count;
    return 0;
#endif
}

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

TARGET static unsigned crc32_fold_x86(unsigned crc, const unsigned char *p, long n) {
    /* x^(512+32), x^(512-32); x^(128+32), x^(128-32); x^64 mod P; P and mu. */
    const __m128i fold512 = _mm_set_epi64x(0x01c6e41596LL, 0x0154442bd4LL);
    const __m128i fold128 = _mm_set_epi64x(0x00ccaa009eLL, 0x01751997d0LL);
    const __m128i fold64 = _mm_set_epi64x(0, 0x0163cd6124LL);
    const __m128i barrett = _mm_set_epi64x(0x01f7011641LL, 0x01db710641LL);
    const __m128i low32 = _mm_setr_epi32(~0, 0, ~0, 0);

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
    /* Four accumulators into one, then the remaining 16-byte blocks. */
    __m128i x = a;
    const __m128i next[3] = { b, c, d };
    for (int i = 0; i < 3; i++)
        x = _mm_xor_si128(_mm_xor_si128(_mm_clmulepi64_si128(x, fold128, 0x00), _mm_clmulepi64_si128(x, fold128, 0x11)), next[i]);
    for (; n >= 16; p += 16, n -= 16)
        x = _mm_xor_si128(_mm_xor_si128(_mm_clmulepi64_si128(x, fold128, 0x00), _mm_clmulepi64_si128(x, fold128, 0x11)),
                          _mm_loadu_si128((const __m128i *)p));
    /* 128 bits to 64, then Barrett reduction to 32. */
    x = _mm_xor_si128(_mm_srli_si128(x, 8), _mm_clmulepi64_si128(x, fold128, 0x10));
    x = _mm_xor_si128(_mm_srli_si128(x, 4), _mm_clmulepi64_si128(_mm_and_si128(x, low32), fold64, 0x00));
    __m128i t = _mm_clmulepi64_si128(_mm_and_si128(x, low32), barrett, 0x10);
    t = _mm_clmulepi64_si128(_mm_and_si128(t, low32), barrett, 0x00);
    return (unsigned)_mm_extract_epi32(_mm_xor_si128(x, t), 1);
}
#endif

long loupe_crc32_fold(unsigned *crc, const void *bytes, long count) {
#if defined(__x86_64__)
    static int usable = -1;
    if (usable < 0) usable = __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1");
    long n = count & ~15L;
    if (!usable || n < 64) return 0;
    *crc = ~crc32_fold_x86(~*crc, (const unsigned char *)bytes, n);
    return n;
#else
    (void)crc; (void)bytes; (void)count;
    return 0;
#endif
}

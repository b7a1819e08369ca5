/* Peak arithmetic of one core for the two ways a matrix product can
 * multiply-add: fp32 FMA (what sgemm uses) and the AVX512_BF16 dot product
 * (two bf16 products added into each fp32 lane, what a bf16 GEMM with fp32
 * accumulation would use). Independent accumulators keep the units busy, so
 * the figures are throughput, not latency. Whether a bf16 path can beat
 * fp32 on a CPU is decided by the ratio of the two: on some cores the bf16
 * dot product issues at a fraction of the FMA rate. */
#include <time.h>
#include "CLoupeKernels.h"

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>

static double seconds_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

#define ACCUMULATORS 16

__attribute__((target("avx512f")))
static float fma_loop(long n) {
    __m512 acc[ACCUMULATORS];
    for (int i = 0; i < ACCUMULATORS; i++) acc[i] = _mm512_setzero_ps();
    __m512 x = _mm512_set1_ps(1e-7f), y = _mm512_set1_ps(1e-7f);
    for (long k = 0; k < n; k++) {
        for (int i = 0; i < ACCUMULATORS; i++) acc[i] = _mm512_fmadd_ps(x, y, acc[i]);
        __asm__ volatile("" : "+v"(x));
    }
    __m512 s = acc[0];
    for (int i = 1; i < ACCUMULATORS; i++) s = _mm512_add_ps(s, acc[i]);
    return _mm512_reduce_add_ps(s);
}

__attribute__((target("avx512f,avx512bf16")))
static float bf16_loop(long n) {
    __m512 acc[ACCUMULATORS];
    for (int i = 0; i < ACCUMULATORS; i++) acc[i] = _mm512_setzero_ps();
    __m512i ones = _mm512_set1_epi16(0x3380);  /* bf16 6e-8 */
    __m512bh x = (__m512bh)ones, y = (__m512bh)ones;
    for (long k = 0; k < n; k++) {
        for (int i = 0; i < ACCUMULATORS; i++) acc[i] = _mm512_dpbf16_ps(acc[i], x, y);
        __asm__ volatile("" : "+v"(x));
    }
    __m512 s = acc[0];
    for (int i = 1; i < ACCUMULATORS; i++) s = _mm512_add_ps(s, acc[i]);
    return _mm512_reduce_add_ps(s);
}

volatile float loupe_throughput_sink;

double loupe_core_gflops(int kind, long iterations) {
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx512f")) return 0;
    if (kind == 1 && !__builtin_cpu_supports("avx512bf16")) return 0;
    double start = seconds_now();
    loupe_throughput_sink = kind == 1 ? bf16_loop(iterations) : fma_loop(iterations);
    double elapsed = seconds_now() - start;
    /* 16 lanes; an FMA is 2 flops per lane, a bf16 dot product 4. */
    double flops = (double)iterations * ACCUMULATORS * 16 * (kind == 1 ? 4 : 2);
    return flops / elapsed / 1e9;
}
#else
double loupe_core_gflops(int kind, long iterations) { (void)kind; (void)iterations; return 0; }
#endif

#include "CLoupeKernels.h"

#define SUFFIX base
#define TARGET
#include "kernels_impl.h"
#undef SUFFIX
#undef TARGET

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#define LOUPE_X86 1
#define SUFFIX avx2
#define TARGET __attribute__((target("avx2,fma")))
#include "kernels_impl.h"
#undef SUFFIX
#undef TARGET
#define SUFFIX avx512
#define TARGET __attribute__((target("avx512f,avx512dq,avx2,fma")))
#include "kernels_impl.h"
#undef SUFFIX
#undef TARGET
#endif

typedef enum { ISA_UNKNOWN = 0, ISA_BASE, ISA_AVX2, ISA_AVX512 } isa_t;
static isa_t chosen = ISA_UNKNOWN;

static isa_t isa(void) {
    /* A benign race: every thread computes the same answer. */
    if (chosen == ISA_UNKNOWN) {
        isa_t pick = ISA_BASE;
#ifdef LOUPE_X86
        __builtin_cpu_init();
        if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq")) pick = ISA_AVX512;
        else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) pick = ISA_AVX2;
#endif
        chosen = pick;
    }
    return chosen;
}

void loupe_bias_activation(float *x, long rows, long width, const float *bias, int activation) {
    switch (isa()) {
#ifdef LOUPE_X86
    case ISA_AVX512: bias_activation_avx512(x, rows, width, bias, activation); return;
    case ISA_AVX2: bias_activation_avx2(x, rows, width, bias, activation); return;
#endif
    default: bias_activation_base(x, rows, width, bias, activation); return;
    }
}

void loupe_softmax_row(float *row, long count) {
    switch (isa()) {
#ifdef LOUPE_X86
    case ISA_AVX512: softmax_row_avx512(row, count); return;
    case ISA_AVX2: softmax_row_avx2(row, count); return;
#endif
    default: softmax_row_base(row, count); return;
    }
}

void loupe_steer_accumulate(const float *a, long lda, const float *b, const float *c,
                            const float *alpha, const float *beta, const float *gamma,
                            long n, long count, float *scratch, float *acc) {
    switch (isa()) {
#ifdef LOUPE_X86
    case ISA_AVX512: steer_accumulate_avx512(a, lda, b, c, alpha, beta, gamma, n, count, scratch, acc); return;
    case ISA_AVX2: steer_accumulate_avx2(a, lda, b, c, alpha, beta, gamma, n, count, scratch, acc); return;
#endif
    default: steer_accumulate_base(a, lda, b, c, alpha, beta, gamma, n, count, scratch, acc); return;
    }
}

const char *loupe_kernels_isa(void) {
    switch (isa()) {
    case ISA_AVX512: return "avx512";
    case ISA_AVX2: return "avx2";
    default: return "baseline";
    }
}

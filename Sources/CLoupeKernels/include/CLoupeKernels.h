#ifndef LOUPE_CKERNELS_H
#define LOUPE_CKERNELS_H

/* Element-wise kernels whose speed depends on wide vector units. They are
 * compiled several times for different instruction sets (AVX-512, AVX2+FMA,
 * baseline) and the widest one the CPU supports is picked at run time, so
 * one binary runs everywhere and still uses what the machine has. */

/* x[r][i] = act(x[r][i] + bias[i]) for r in [0, rows); bias may be NULL.
 * activation: 0 = GELU with the error function, 1 = x * sigmoid(1.702 x),
 * 2 = GELU's tanh approximation. */
void loupe_bias_activation(float *x, long rows, long width, const float *bias, int activation);

/* Softmax of one row in place, max-subtracted. */
void loupe_softmax_row(float *row, long count);

/* Steering in closed form: for each of n cases i, the logits over V words are
 * l[j] = alpha[i] * a[i*lda + j] + beta[i] * b[j] + gamma[i] * c[j];
 * acc[j] += softmax(l)[j] is added up over the cases. scratch holds V floats.
 * One call is one steered unit over all images; callers run units in parallel. */
void loupe_steer_accumulate(const float *a, long lda, const float *b, const float *c,
                            const float *alpha, const float *beta, const float *gamma,
                            long n, long count, float *scratch, float *acc);

/* Advances the CRC-32 (zip's) `*crc` over the longest prefix of `bytes`
 * it can fold with carry-less multiplication (a multiple of 16 bytes, at
 * least 64) and returns that prefix's length; 0 when the CPU lacks the
 * instructions or `count` is short. The caller finishes the rest. */
long loupe_crc32_fold(unsigned *crc, const void *bytes, long count);

/* The instruction set the kernels run with: "avx512", "avx2" or "baseline". */
const char *loupe_kernels_isa(void);

/* The OpenBLAS core in use ("Cooperlake", "Haswell", ...), and the one the
 * library picked itself when Loupe replaced it as too weak for this CPU
 * ("Prescott"), else "". */
const char *loupe_blas_core(void);
const char *loupe_blas_replaced_core(void);

/* Cores this process may use: affinity mask and cgroup CPU quota. */
int loupe_usable_cores(void);

/* One core's multiply-add rate in GFLOP/s over `iterations` rounds of 16
 * independent AVX-512 operations: kind 0 fp32 FMA, kind 1 AVX512_BF16 dot
 * product (fp32 accumulation). 0 when the CPU lacks the instructions. */
double loupe_core_gflops(int kind, long iterations);

#endif

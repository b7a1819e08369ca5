/* Body of the element-wise kernels, included once per instruction set with
 * SUFFIX and TARGET defined. Loops are branch-free so the compiler turns
 * them into vector code for the target. */
#include <stdint.h>
#include <string.h>

#define CAT2(a, b) a##b
#define CAT(a, b) CAT2(a, b)

/* e^x: Cody-Waite reduction by ln 2 and a degree-6 polynomial; the integer
 * part is rounded with the 1.5*2^23 trick and placed in the exponent bits. */
TARGET static inline float CAT(exp_, SUFFIX)(float x) {
    x = x < -87.3f ? -87.3f : (x > 88.3f ? 88.3f : x);
    const float magic = 12582912.0f;
    float shifted = x * 1.44269504088896341f + magic;
    float n = shifted - magic;
    float r = x - n * 0.693359375f;
    r = r - n * -2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    float y = p * r * r + r + 1.0f;
    uint32_t bits;
    memcpy(&bits, &shifted, 4);
    bits = (bits - 0x4B3FFF81u) << 23;
    float scale;
    memcpy(&scale, &bits, 4);
    return y * scale;
}

/* x * Phi(x) = 0.5 x (1 + erf(x / sqrt 2)), erf by Abramowitz & Stegun
 * 7.1.26 (|error| < 1.5e-7), computing 1 + erf directly for negative x so
 * the tail keeps its relative accuracy. */
TARGET static inline float CAT(gelu_, SUFFIX)(float v) {
    float z = v * 0.70710678118654752f;
    float az = z < 0 ? -z : z;
    float t = 1.0f / (1.0f + 0.3275911f * az);
    float p = 1.061405429f;
    p = p * t - 1.453152027f;
    p = p * t + 1.421413741f;
    p = p * t - 0.284496736f;
    p = p * t + 0.254829592f;
    float q = p * t * CAT(exp_, SUFFIX)(-az * az);
    float one_plus_erf = z < 0 ? q : 2.0f - q;
    return 0.5f * v * one_plus_erf;
}

TARGET static inline float CAT(quick_gelu_, SUFFIX)(float v) {
    return v / (1.0f + CAT(exp_, SUFFIX)(-1.702f * v));
}

/* 0.5 v (1 + tanh u) with u = sqrt(2/pi) (v + 0.044715 v^3), written as
 * v / (1 + e^(-2u)), which is the same function and needs one exponential. */
TARGET static inline float CAT(gelu_tanh_, SUFFIX)(float v) {
    float u = 0.7978845608028654f * (v + 0.044715f * v * v * v);
    return v / (1.0f + CAT(exp_, SUFFIX)(-2.0f * u));
}

TARGET static void CAT(bias_activation_, SUFFIX)(float *x, long rows, long width, const float *bias, int activation) {
    for (long r = 0; r < rows; r++) {
        float *row = x + r * width;
        if (bias) {
            for (long i = 0; i < width; i++) row[i] += bias[i];
        }
        if (activation == 0) {
            for (long i = 0; i < width; i++) row[i] = CAT(gelu_, SUFFIX)(row[i]);
        } else if (activation == 2) {
            for (long i = 0; i < width; i++) row[i] = CAT(gelu_tanh_, SUFFIX)(row[i]);
        } else {
            for (long i = 0; i < width; i++) row[i] = CAT(quick_gelu_, SUFFIX)(row[i]);
        }
    }
}

/* The maximum and the sum are reduced in SOFTMAX_LANES independent partial
 * results, so both loops vectorise (a single running value cannot be
 * reassociated); the exponentials and the scaling are element-wise. */
#define SOFTMAX_LANES 16
TARGET static void CAT(softmax_row_, SUFFIX)(float *row, long count) {
    long body = count - count % SOFTMAX_LANES;
    float mx = row[0];
    if (body > 0) {
        float m[SOFTMAX_LANES];
        for (int l = 0; l < SOFTMAX_LANES; l++) m[l] = row[l];
        for (long i = SOFTMAX_LANES; i < body; i += SOFTMAX_LANES)
            for (int l = 0; l < SOFTMAX_LANES; l++) m[l] = row[i + l] > m[l] ? row[i + l] : m[l];
        for (int l = 0; l < SOFTMAX_LANES; l++) mx = m[l] > mx ? m[l] : mx;
    }
    for (long i = body; i < count; i++) mx = row[i] > mx ? row[i] : mx;
    for (long i = 0; i < count; i++) row[i] = CAT(exp_, SUFFIX)(row[i] - mx);
    float s[SOFTMAX_LANES] = {0};
    for (long i = 0; i < body; i += SOFTMAX_LANES)
        for (int l = 0; l < SOFTMAX_LANES; l++) s[l] += row[i + l];
    float sum = 0;
    for (int l = 0; l < SOFTMAX_LANES; l++) sum += s[l];
    for (long i = body; i < count; i++) sum += row[i];
    float inv = 1.0f / sum;
    for (long i = 0; i < count; i++) row[i] *= inv;
}

/* See loupe_steer_accumulate. Three passes over the row (max, exp and sum,
 * accumulate) with LANES independent partial results, so the reductions
 * vectorise without reassociating a single running value. */
#define LANES 16
TARGET static void CAT(steer_accumulate_, SUFFIX)(const float *a, long lda, const float *b, const float *c,
                                                  const float *alpha, const float *beta, const float *gamma,
                                                  long n, long count, float *scratch, float *acc) {
    long body = count - count % LANES;
    for (long i = 0; i < n; i++) {
        const float *row = a + i * lda;
        const float al = alpha[i], be = beta[i], ga = gamma[i];
        float mx[LANES];
        for (int k = 0; k < LANES; k++) mx[k] = -3.0e38f;
        for (long j = 0; j < body; j += LANES) {
            for (int k = 0; k < LANES; k++) {
                float l = al * row[j + k] + be * b[j + k] + ga * c[j + k];
                scratch[j + k] = l;
                mx[k] = l > mx[k] ? l : mx[k];
            }
        }
        float peak = -3.0e38f;
        for (long j = body; j < count; j++) {
            float l = al * row[j] + be * b[j] + ga * c[j];
            scratch[j] = l;
            peak = l > peak ? l : peak;
        }
        for (int k = 0; k < LANES; k++) peak = mx[k] > peak ? mx[k] : peak;
        float sums[LANES];
        for (int k = 0; k < LANES; k++) sums[k] = 0;
        for (long j = 0; j < body; j += LANES) {
            for (int k = 0; k < LANES; k++) {
                float e = CAT(exp_, SUFFIX)(scratch[j + k] - peak);
                scratch[j + k] = e;
                sums[k] += e;
            }
        }
        float total = 0;
        for (long j = body; j < count; j++) {
            float e = CAT(exp_, SUFFIX)(scratch[j] - peak);
            scratch[j] = e;
            total += e;
        }
        for (int k = 0; k < LANES; k++) total += sums[k];
        const float inv = 1.0f / total;
        for (long j = 0; j < count; j++) acc[j] += scratch[j] * inv;
    }
}
#undef LANES

#undef CAT
#undef CAT2

/* Probes of the machine's limits for the benchmark report: FMA throughput per thread.
 * Independent accumulators hide the FMA latency, so the loop runs at the issue rate. */
#ifndef MINIGRAD_PROBE_KERNELS_H
#define MINIGRAD_PROBE_KERNELS_H
#include <immintrin.h>

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
__attribute__((target("avx2,fma")))
static double probe_fma_avx2(long iters) {
    /* 12 chains x 8 floats x 2 flops per FMA. */
    __m256 acc[12];
    const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
    for (int k = 0; k < 12; k++) acc[k] = _mm256_set1_ps((float)k);
    for (long i = 0; i < iters; i++) {
        #pragma GCC unroll 12
        for (int k = 0; k < 12; k++) acc[k] = _mm256_fmadd_ps(acc[k], a, b);
    }
    float out[8], s = 0;
    for (int k = 1; k < 12; k++) acc[0] = _mm256_add_ps(acc[0], acc[k]);
    _mm256_storeu_ps(out, acc[0]);
    for (int k = 0; k < 8; k++) s += out[k];
    return (double)s;   /* returned so the loop cannot be optimised away */
}
#define PROBE_HAVE_AVX2 1
#else
#define PROBE_HAVE_AVX2 0
static double probe_fma_avx2(long iters) { (void)iters; return 0.0; }
#endif

static double probe_fma_scalar(long iters) {
    double acc[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    for (long i = 0; i < iters; i++)
        for (int k = 0; k < 8; k++) acc[k] = acc[k] * 0.999999 + 1e-7;
    double s = 0;
    for (int k = 0; k < 8; k++) s += acc[k];
    return s;
}
#endif

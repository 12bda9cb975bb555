/* counter_rng.h — a counter-based random stream for kernels (RReLU, dropout, ...).
 *
 * Element i of a random op gets its number from (seed, counter = offset + i) alone, so the
 * values never depend on how many threads split the work or in which order they run.
 * Python reserves a range of counters with `minigrad.random.next_offset(n)` -> (seed, offset)
 * and `minigrad.manual_seed(s)` resets the stream.
 *
 * API (all static inline, branch-free, no state; GCC vectorises loops that call them):
 *   uint64_t mg_rng_key(uint64_t seed)                  mix a user seed into a key (once per call)
 *   uint64_t mg_rng_bits(uint64_t key, uint64_t counter) 64 random bits for one counter
 *   double   mg_uniform_key(uint64_t key, uint64_t counter)  uniform in [0, 1), 52 random bits
 *   double   mg_uniform(uint64_t seed, uint64_t counter)     the same from the raw seed
 *                                                       (= mg_uniform_key(mg_rng_key(seed), counter))
 * In a loop, compute the key once and call mg_uniform_key.
 *
 * The hash is SplitMix64's output function (Steele, Lea, Flood 2014; the finaliser of
 * java.util.SplittableRandom) applied to key + (counter + 1) * golden gamma. Pre-mixing the
 * seed into the key keeps nearby seeds (s, s+1) from producing shifted copies of one stream.
 * Streams pass as uniform for the uses here (slopes, keep-masks); not for cryptography.
 */
#ifndef MINIGRAD_COUNTER_RNG_H
#define MINIGRAD_COUNTER_RNG_H
#include <stdint.h>
#include <string.h>

#define MG_RNG_GAMMA 0x9E3779B97F4A7C15ULL

static inline uint64_t mg_rng_mix64(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static inline uint64_t mg_rng_key(uint64_t seed) {
    return mg_rng_mix64(seed + MG_RNG_GAMMA);
}

static inline uint64_t mg_rng_bits(uint64_t key, uint64_t counter) {
    return mg_rng_mix64(key + (counter + 1) * MG_RNG_GAMMA);
}

static inline double mg_uniform_key(uint64_t key, uint64_t counter) {
    /* NOTE: build a double in [1, 2) from the top 52 bits and subtract 1 (exact). This avoids a
     * uint64 -> double conversion, which AVX2 cannot vectorise. */
    uint64_t bits = (mg_rng_bits(key, counter) >> 12) | 0x3FF0000000000000ULL;
    double d;
    memcpy(&d, &bits, sizeof d);
    return d - 1.0;
}

static inline double mg_uniform(uint64_t seed, uint64_t counter) {
    return mg_uniform_key(mg_rng_key(seed), counter);
}

#endif

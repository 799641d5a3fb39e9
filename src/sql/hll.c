/* HyperLogLog of COUNT_DISTINCT (see hll.h). All arithmetic is on uint32_t
 * so that it wraps as Java's int does. */
#include "sql/hll.h"

#include <math.h>

#define MURMUR_M 0x5bd1e995u
#define MURMUR_R 24

int32_t sl_hll_hash_long(int64_t v)
{
    uint64_t data = (uint64_t)v;
    uint32_t h = 0;
    uint32_t k = (uint32_t)data * MURMUR_M;
    k ^= k >> MURMUR_R;
    h ^= k * MURMUR_M;
    k = (uint32_t)(data >> 32) * MURMUR_M;
    k ^= k >> MURMUR_R;
    h *= MURMUR_M;
    h ^= k * MURMUR_M;
    h ^= h >> 13;
    h *= MURMUR_M;
    h ^= h >> 15;
    return (int32_t)h;
}

int32_t sl_hll_hash_bytes(const unsigned char *data, size_t len)
{
    /* Java reads the bytes as signed: sign extension matters in the tail */
    uint32_t h = (uint32_t)-1 ^ (uint32_t)len;
    size_t len4 = len >> 2;
    for (size_t i = 0; i < len4; i++) {
        const unsigned char *p = data + 4 * i;
        uint32_t k = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
        k *= MURMUR_M;
        k ^= k >> MURMUR_R;
        k *= MURMUR_M;
        h *= MURMUR_M;
        h ^= k;
    }
    size_t left = len - 4 * len4;
    if (left) {
        if (left >= 3)
            h ^= (uint32_t)(int32_t)(signed char)data[len - 3] << 16;
        if (left >= 2)
            h ^= (uint32_t)(int32_t)(signed char)data[len - 2] << 8;
        h ^= (uint32_t)(int32_t)(signed char)data[len - 1];
        h *= MURMUR_M;
    }
    h ^= h >> 13;
    h *= MURMUR_M;
    h ^= h >> 15;
    return (int32_t)h;
}

void sl_hll_position(int32_t hash, uint32_t *index, uint32_t *rank)
{
    uint32_t x = (uint32_t)hash;
    *index = x >> (32 - SL_HLL_LOG2M);
    /* never 0: the low bits stand in for the ones shifted out */
    uint32_t w = (x << SL_HLL_LOG2M) | ((1u << (SL_HLL_LOG2M - 1)) + 1);
    *rank = (uint32_t)__builtin_clz(w) + 1;
}

int64_t sl_hll_cardinality(const int32_t *entries, size_t n)
{
    const int m = SL_HLL_REGISTERS;
    /* the sum runs over every register in index order, as stream-lib's
     * loop does, so that the floating-point result is the same */
    double register_sum = 0, zeros = 0;
    size_t next = 0;
    for (int j = 0; j < m; j++) {
        uint32_t val = 0;
        if (next < n && (uint32_t)entries[next] >> 5 == (uint32_t)j)
            val = (uint32_t)entries[next++] & 31u;
        register_sum += 1.0 / (double)(1u << val);
        if (val == 0)
            zeros++;
    }
    double alpha_mm = (0.7213 / (1 + 1.079 / m)) * m * m;
    double estimate = alpha_mm * (1 / register_sum);
    /* Java's Math.round: floor(x + 0.5) */
    if (estimate <= (5.0 / 2.0) * m)
        return (int64_t)floor(m * log(m / zeros) + 0.5);
    return (int64_t)floor(estimate + 0.5);
}

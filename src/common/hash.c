/* Hash functions. sl_hash_bytes mixes eight bytes at a time (multiply,
 * xor-shift) and ends with a 64-bit finaliser: no alignment assumptions,
 * good enough for open addressing. sl_murmur2 is Kafka's partitioner. */
#include "common/hash.h"

#include <string.h>

uint64_t sl_hash_u64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    x ^= x >> 33;
    return x;
}

uint64_t sl_hash_bytes(const void *data, size_t len, uint64_t seed)
{
    /* eight bytes per multiply: a store key is hashed on every get and put */
    const unsigned char *p = data;
    uint64_t h = 0xcbf29ce484222325ull ^ seed ^ (len * 0x9e3779b97f4a7c15ull);
    while (len >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = (h ^ (w * 0xff51afd7ed558ccdull)) * 0xc4ceb9fe1a85ec53ull;
        h ^= h >> 29;
        p += 8;
        len -= 8;
    }
    if (len) {
        uint64_t w = 0;
        memcpy(&w, p, len);
        h = (h ^ (w * 0xff51afd7ed558ccdull)) * 0xc4ceb9fe1a85ec53ull;
    }
    return sl_hash_u64(h);
}

int32_t sl_murmur2(const void *data, size_t len)
{
    const unsigned char *p = data;
    const uint32_t m = 0x5bd1e995;
    const int r = 24;
    uint32_t h = 0x9747b28cu ^ (uint32_t)len;
    size_t n4 = len / 4;
    for (size_t i = 0; i < n4; i++) {
        uint32_t k = (uint32_t)p[4 * i] | ((uint32_t)p[4 * i + 1] << 8) |
                     ((uint32_t)p[4 * i + 2] << 16) | ((uint32_t)p[4 * i + 3] << 24);
        k *= m;
        k ^= k >> r;
        k *= m;
        h *= m;
        h ^= k;
    }
    size_t rest = len & 3, base = len & ~(size_t)3;
    switch (rest) {
    case 3: h ^= (uint32_t)p[base + 2] << 16; /* fall through */
    case 2: h ^= (uint32_t)p[base + 1] << 8;  /* fall through */
    case 1:
        h ^= p[base];
        h *= m;
    }
    h ^= h >> 13;
    h *= m;
    h ^= h >> 15;
    return (int32_t)h;
}

int32_t sl_kafka_partition(const void *key, size_t len, int32_t partitions)
{
    return (int32_t)(((uint32_t)sl_murmur2(key, len) & 0x7fffffff) % (uint32_t)partitions);
}

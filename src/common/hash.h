/* Hashing: a fast 64-bit hash for in-memory tables, and Kafka's murmur2 so
 * that keys land on the partitions the Java client would choose. */
#ifndef SL_HASH_H
#define SL_HASH_H

#include <stddef.h>
#include <stdint.h>

uint64_t sl_hash_u64(uint64_t x);
uint64_t sl_hash_bytes(const void *data, size_t len, uint64_t seed);
/* Kafka's murmur2 (seed 0x9747b28c), as org.apache.kafka.common.utils.Utils */
int32_t sl_murmur2(const void *data, size_t len);
/* partition for a key as the Java DefaultPartitioner picks it */
int32_t sl_kafka_partition(const void *key, size_t len, int32_t partitions);

#endif

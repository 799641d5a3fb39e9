/* HyperLogLog as ksqlDB's COUNT_DISTINCT computes it: 2^14 registers of the
 * rank of a 32-bit MurmurHash 2 (seed -1; a Java long hashed as two ints),
 * and the estimate with linear counting while the registers are mostly
 * empty. ksqlDB's count is this estimate, not the exact number of distinct
 * values: two values that share a register count once, and Sluice gives
 * the same number.
 *
 * Registers are kept sparse by the caller (only the non-zero ones, in index
 * order): a group with a handful of distinct values needs a handful of
 * entries, not 16384. */
#ifndef SL_HLL_H
#define SL_HLL_H

#include <stddef.h>
#include <stdint.h>

#define SL_HLL_LOG2M 14
#define SL_HLL_REGISTERS (1 << SL_HLL_LOG2M)

/* MurmurHash 2 of a Java long (Integer values are widened to long first) */
int32_t sl_hll_hash_long(int64_t v);
/* MurmurHash 2 of bytes (a Java String's bytes, in UTF-8) */
int32_t sl_hll_hash_bytes(const unsigned char *data, size_t len);

/* the register a hash updates and the rank it offers it (1..19) */
void sl_hll_position(int32_t hash, uint32_t *index, uint32_t *rank);

/* the estimate from the non-zero registers: entries[i] = index << 5 | rank,
 * in increasing index order */
int64_t sl_hll_cardinality(const int32_t *entries, size_t n);

#endif

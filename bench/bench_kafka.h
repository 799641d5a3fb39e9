/* Small helpers shared by the benchmark programs (nexmark, pipe): setting
 * librdkafka properties, creating topics, clocks and the stop flag.
 *
 * These are command-line tools: a configuration mistake is reported and
 * the program exits, so the helpers do not return errors for it. */
#ifndef BENCH_KAFKA_H
#define BENCH_KAFKA_H

#include <librdkafka/rdkafka.h>
#include <signal.h>
#include <stdint.h>

/* Set by SIGINT/SIGTERM; the programs' loops finish what they hold and exit. */
extern volatile sig_atomic_t bench_stop_requested;
void bench_install_stop_handlers(void);

/* Sets key=value on conf or exits with librdkafka's message. */
void bench_conf_set(rd_kafka_conf_t *conf, const char *key, const char *value);

/* Applies "key=value" (as given with -X on the command line) or exits. */
void bench_conf_set_pair(rd_kafka_conf_t *conf, const char *pair);

/* Creates each topic with `partitions` partitions (replication 1) unless it
 * exists. Returns 0, or -1 after printing why. */
int bench_create_topics(rd_kafka_t *rk, const char *const *topics, int count, int partitions);

int64_t bench_monotonic_ns(void);
int64_t bench_wall_ms(void);

#endif

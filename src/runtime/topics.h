/* Topic preparation for `sluice run` and `sluice test --bootstrap` (see
 * topics.c). */
#ifndef SL_TOPICS_H
#define SL_TOPICS_H

#include <stddef.h>

#include "config/config.h"
#include "runtime/kafka_driver.h"

/* Creates missing sink, repartition, changelog and processing log topics
 * and checks the existing ones. Returns 0, or 1 with a message logged. */
int sl_kafka_prepare_topics(const sl_driver_options *opts);

/* "<application.id>_processing_log" */
void sl_processing_log_topic(const sl_config *config, char *out, size_t n);

#endif

/* The memory budget: figures derived from the batch size, the memory.*
 * keys overriding them, the librdkafka settings they become, and the sum
 * of the parts /status shows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "runtime/memory_budget.h"

static sl_config *parse(const char *text)
{
    sl_error err = {0};
    sl_config *c = sl_config_parse(text, "t", &err);
    assert_non_null(c);
    return c;
}

/* the value of librdkafka property name among a client's settings, or NULL */
static const char *setting(const sl_memory_budget *b, sl_budget_client client, const char *name, char *buf,
                           size_t len)
{
    const char *k;
    for (int i = 0; sl_memory_budget_setting(b, client, i, &k, buf, len); i++)
        if (!strcmp(k, name))
            return buf;
    return NULL;
}

static void test_follows_the_batch(void **state)
{
    (void)state;
    sl_memory_budget small, big;
    sl_config *c = parse("application.id=a\nbatch.max.records=10000\n");
    sl_memory_budget_of(c, &small);
    sl_config_destroy(c);
    c = parse("application.id=a\nbatch.max.records=40000\n");
    sl_memory_budget_of(c, &big);
    sl_config_destroy(c);
    /* two batches ahead, far below librdkafka's 100,000 messages and 64 MB */
    assert_int_equal(small.prefetch_records, 2 * 10000);
    assert_int_equal(big.prefetch_records, 2 * 40000);
    assert_true(small.prefetch_kbytes < 65536);
    assert_true(big.prefetch_kbytes > small.prefetch_kbytes);
    assert_true(big.producer_kbytes >= small.producer_kbytes);
    assert_true(small.producer_kbytes < 1048576);
}

static void test_limits_of_the_derived_figures(void **state)
{
    (void)state;
    sl_memory_budget b;
    /* one record a batch (sluice test --bootstrap) still prefetches */
    sl_config *c = parse("application.id=a\nbatch.max.records=1\n");
    sl_memory_budget_of(c, &b);
    sl_config_destroy(c);
    assert_int_equal(b.prefetch_records, 1000);
    assert_true(b.prefetch_kbytes >= 1024);
    assert_int_equal(b.producer_kbytes, 16 * 1024);
    /* a huge batch is capped at librdkafka's own defaults */
    c = parse("application.id=a\nbatch.max.records=10000000\n");
    sl_memory_budget_of(c, &b);
    sl_config_destroy(c);
    assert_int_equal(b.prefetch_records, 100000);
    assert_int_equal(b.prefetch_kbytes, 50000);
    assert_int_equal(b.producer_kbytes, 1024 * 1024);
}

static void test_keys_override(void **state)
{
    (void)state;
    sl_memory_budget b;
    sl_config *c = parse("application.id=a\nmemory.prefetch.records=500\nmemory.prefetch.kbytes=8192\n"
                         "memory.producer.kbytes=4096\n");
    sl_memory_budget_of(c, &b);
    sl_config_destroy(c);
    assert_int_equal(b.prefetch_records, 500);
    assert_int_equal(b.prefetch_kbytes, 8192);
    assert_int_equal(b.producer_kbytes, 4096);
    char buf[32];
    assert_string_equal(setting(&b, SL_BUDGET_CONSUMER, "queued.min.messages", buf, sizeof buf), "500");
    assert_string_equal(setting(&b, SL_BUDGET_CONSUMER, "queued.max.messages.kbytes", buf, sizeof buf), "8192");
    /* librdkafka sizes fetch.max.bytes from the budget itself; set here, a
     * user's larger message.max.bytes would stop the start */
    assert_null(setting(&b, SL_BUDGET_CONSUMER, "fetch.max.bytes", buf, sizeof buf));
    assert_string_equal(setting(&b, SL_BUDGET_PRODUCER, "queue.buffering.max.kbytes", buf, sizeof buf), "4096");
    /* each client gets only its own */
    assert_null(setting(&b, SL_BUDGET_PRODUCER, "queued.min.messages", buf, sizeof buf));
    assert_null(setting(&b, SL_BUDGET_CONSUMER, "queue.buffering.max.kbytes", buf, sizeof buf));
}

static void test_bad_values_refused(void **state)
{
    (void)state;
    sl_error err = {0};
    assert_null(sl_config_parse("application.id=a\nmemory.prefetch.records=lots\n", "t", &err));
    assert_non_null(strstr(err.msg, "memory.prefetch.records"));
}

static void test_parts_total(void **state)
{
    (void)state;
    sl_memory_parts p = {.fetch_budget = 1000, .fetch_in_use = 10, .producer_budget = 2000, .producer_in_use = 20,
                         .state = 300, .batch_arenas = 4000, .rss = 999999};
    /* budgets are limits and rss is the comparison: neither is a part */
    assert_int_equal(sl_memory_parts_total(&p), 10 + 20 + 300 + 4000);
}

/* shaped as librdkafka 2.0.2 writes them: every partition of a
 * forwarded consumer queue reports the whole queue; "-1" is the
 * unassigned partition of a topic */
static void test_stats_documents(void **state)
{
    (void)state;
    const char *consumer = "{\"type\":\"consumer\",\"topics\":{"
                           "\"bids\":{\"partitions\":{\"0\":{\"fetchq_size\":5000},\"1\":{\"fetchq_size\":5000},"
                           "\"-1\":{\"fetchq_size\":99999}}},"
                           "\"auctions\":{\"partitions\":{\"0\":{\"fetchq_size\":4000}}}}}";
    assert_int_equal(sl_memory_stats_fetch_bytes(consumer), 5000);
    assert_int_equal(sl_memory_stats_fetch_bytes("{\"type\":\"consumer\",\"topics\":{}}"), 0);
    assert_int_equal(sl_memory_stats_fetch_bytes("{\"type\":\"consumer\"}"), -1);
    assert_int_equal(sl_memory_stats_fetch_bytes("not json"), -1);
    assert_int_equal(sl_memory_stats_producer_bytes("{\"type\":\"producer\",\"msg_size\":123456}"), 123456);
    assert_int_equal(sl_memory_stats_producer_bytes("{\"type\":\"producer\"}"), -1);
    assert_int_equal(sl_memory_stats_producer_bytes(""), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_follows_the_batch),
        cmocka_unit_test(test_limits_of_the_derived_figures),
        cmocka_unit_test(test_keys_override),
        cmocka_unit_test(test_bad_values_refused),
        cmocka_unit_test(test_parts_total),
        cmocka_unit_test(test_stats_documents),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

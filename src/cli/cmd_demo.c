/* sluice demo [--duration SECONDS]: everything in one process. librdkafka's
 * in-process mock cluster stands in for Kafka; a generator thread produces
 * sensor readings; the same worker as `sluice run` runs config/demo.sql;
 * a printer thread shows the output topic as it changes. The mock cluster
 * has no transactions, so the demo runs at_least_once and says so. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "cli/commands.h"
#include "cli/diag.h"
#include "cli/signals.h"
#include "common/log.h"
#include "config/config.h"
#include "ops/topology.h"
#include "runtime/kafka_driver.h"
#include "runtime/kafka_errors.h"

#define DEMO_PARTITIONS 3

typedef struct demo {
    rd_kafka_t *mock_rk;
    const char *bootstrap;
    const char *sink_topic;
    int duration;
    volatile int printer_stop; /* set once the driver has stopped */
} demo;

static void *generate(void *arg)
{
    demo *d = arg;
    static const char *sites[] = {"north", "south", "east", "west"};
    unsigned seed = (unsigned)time(NULL);
    char key[32], val[256];
    for (long i = 0; !sl_stop_requested; i++) {
        int s = (int)(rand_r(&seed) % 12);
        double temp = 15 + (rand_r(&seed) % 2500) / 100.0 + (s == 3 ? 8 : 0);
        int hum = 30 + (int)(rand_r(&seed) % 60);
        snprintf(key, sizeof key, "sensor-%d", s);
        int n = snprintf(val, sizeof val, "{\"site\":\"%s\",\"temp\":%.2f,\"humidity\":%d}", sites[s % 4], temp, hum);
        rd_kafka_producev(d->mock_rk, RD_KAFKA_V_TOPIC("readings"), RD_KAFKA_V_KEY(key, strlen(key)),
                          RD_KAFKA_V_VALUE(val, (size_t)n), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
        rd_kafka_poll(d->mock_rk, 0);
        usleep(50000);
    }
    return NULL;
}

static void *print_results(void *arg)
{
    demo *d = arg;
    char errstr[256];
    rd_kafka_conf_t *c = sl_kafka_conf_new();
    rd_kafka_conf_set(c, "bootstrap.servers", d->bootstrap, errstr, sizeof errstr);
    rd_kafka_conf_set(c, "group.id", "sluice-demo-printer", errstr, sizeof errstr);
    rd_kafka_conf_set(c, "auto.offset.reset", "earliest", errstr, sizeof errstr);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, errstr, sizeof errstr);
    if (!rk)
        return NULL;
    rd_kafka_poll_set_consumer(rk);
    /* assigned, not subscribed: no group to join, so results show at once */
    rd_kafka_topic_partition_list_t *t = rd_kafka_topic_partition_list_new(DEMO_PARTITIONS);
    for (int p = 0; p < DEMO_PARTITIONS; p++)
        rd_kafka_topic_partition_list_add(t, d->sink_topic, p)->offset = RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_assign(rk, t);
    rd_kafka_topic_partition_list_destroy(t);
    /* after the driver stopped (its last batch flushed), what is left is
     * shown until a second passes with nothing new */
    int idle_ms = 0;
    while (!d->printer_stop || idle_ms < 1000) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 200);
        if (!m) {
            if (d->printer_stop)
                idle_ms += 200;
            continue;
        }
        idle_ms = 0;
        if (!m->err)
            printf("%s  %.*s -> %.*s\n", d->sink_topic, (int)m->key_len, (const char *)m->key, (int)m->len,
                   (const char *)m->payload);
        fflush(stdout);
        rd_kafka_message_destroy(m);
    }
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return NULL;
}

static void *timer(void *arg)
{
    demo *d = arg;
    for (int i = 0; i < d->duration * 10 && !sl_stop_requested; i++)
        usleep(100000);
    sl_stop_requested = 1;
    return NULL;
}

static char *find_demo_sql(const char **path)
{
    static char buf[4096];
    const char *candidates[] = {"config/demo.sql", NULL, "/etc/sluice/demo.sql"};
    char exe[2048];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = 0;
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = 0;
            snprintf(buf, sizeof buf, "%s/../config/demo.sql", exe);
            candidates[1] = buf;
        }
    }
    for (int i = 0; i < 3; i++) {
        if (!candidates[i])
            continue;
        char *text = sl_read_file(candidates[i], NULL);
        if (text) {
            *path = candidates[i];
            return text;
        }
    }
    return NULL;
}

int sl_cmd_demo(int argc, char **argv)
{
    demo d = {.duration = 0};
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--duration") && i + 1 < argc)
            d.duration = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: sluice demo [--duration SECONDS]\n");
            return 2;
        }
    }
    const char *sql_path = NULL;
    char *sql = find_demo_sql(&sql_path);
    if (!sql) {
        fprintf(stderr, "sluice demo: cannot find config/demo.sql\n");
        return 2;
    }
    sl_error err = {0};
    sl_topology *topo = sl_topology_compile(sql, sql_path, NULL, &err);
    if (!topo) {
        sl_diag_print(stderr, &err, sql);
        free(sql);
        return 2;
    }
    for (int i = 0; i < sl_topology_topic_count(topo); i++)
        if (sl_topology_topic(topo, i)->is_sink)
            d.sink_topic = sl_topology_topic(topo, i)->name;
    printf("Sluice demo: an in-process Kafka (librdkafka's mock cluster) with generated sensor readings.\n"
           "Note: the mock cluster has no transactions, so the demo runs at_least_once;\n"
           "exactly-once is shown by the integration tests against a real broker (scripts/test).\n"
           "Query: %s. Output topic %s below%s.\n\n",
           sql_path, d.sink_topic, d.duration ? "" : "; Ctrl-C stops");
    fflush(stdout);

    char errstr[256];
    rd_kafka_conf_t *mc = sl_kafka_conf_new();
    rd_kafka_conf_set(mc, "test.mock.num.brokers", "1", errstr, sizeof errstr);
    rd_kafka_conf_set(mc, "linger.ms", "5", errstr, sizeof errstr);
    d.mock_rk = rd_kafka_new(RD_KAFKA_PRODUCER, mc, errstr, sizeof errstr);
    if (!d.mock_rk) {
        fprintf(stderr, "sluice demo: cannot start the mock cluster: %s\n", errstr);
        return 1;
    }
    rd_kafka_mock_cluster_t *cluster = rd_kafka_handle_mock_cluster(d.mock_rk);
    d.bootstrap = rd_kafka_mock_cluster_bootstraps(cluster);
    for (int i = 0; i < sl_topology_topic_count(topo); i++)
        rd_kafka_mock_topic_create(cluster, sl_topology_topic(topo, i)->name, DEMO_PARTITIONS, 1);

    sl_config *cfg = sl_config_parse("application.id=sluice-demo\nprocessing.guarantee=at_least_once\n"
                                     "commit.interval.ms=200\nlog.level=warn\n",
                                     "demo", &err);
    sl_log_set_level(SL_LOG_WARN);
    sl_install_stop_handlers();
    pthread_t gen, printer, tim;
    pthread_create(&gen, NULL, generate, &d);
    pthread_create(&printer, NULL, print_results, &d);
    if (d.duration)
        pthread_create(&tim, NULL, timer, &d);
    sl_driver_options o = {.config = cfg, .topology = topo, .bootstrap = d.bootstrap, .exactly_once = false,
                           .stop = &sl_stop_requested};
    sl_driver_stats stats = {0};
    o.stats = &stats;
    int rc = sl_kafka_run(&o);
    sl_stop_requested = 1;
    d.printer_stop = 1;
    pthread_join(gen, NULL);
    pthread_join(printer, NULL);
    if (d.duration)
        pthread_join(tim, NULL);
    printf("\nDemo stopped: %lld reading(s) in, %lld result(s) out.\n", (long long)stats.records_in,
           (long long)stats.records_out);
    rd_kafka_destroy(d.mock_rk);
    sl_config_destroy(cfg);
    sl_topology_destroy(topo);
    free(sql);
    return rc;
}

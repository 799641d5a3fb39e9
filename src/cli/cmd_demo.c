/* sluice demo [--duration SECONDS] [--plain] [--sql]: everything in one
 * process, from any directory. librdkafka's in-process mock cluster stands
 * in for Kafka; a generator thread writes a small table of sensors, then a
 * stream of their readings; the same worker as `sluice run` runs the
 * demo's queries (config/demo.sql, compiled into the binary); a printer
 * thread reads every result topic and shows it (demo_view.h: a screen
 * redrawn in place on a terminal, plain lines otherwise). The mock cluster
 * has no transactions, so the demo runs at_least_once and says so. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "cli/commands.h"
#include "cli/demo_view.h"
#include "cli/diag.h"
#include "cli/signals.h"
#include "common/log.h"
#include "config/config.h"
#include "ops/topology.h"
#include "runtime/kafka_driver.h"
#include "runtime/kafka_errors.h"

/* config/demo.sql, generated at build time (cmake/embed_text.cmake) */
extern const char sl_demo_sql[];

#define DEMO_PARTITIONS 3
#define NSENSORS 12

typedef struct demo {
    rd_kafka_t *mock_rk;
    const char *bootstrap;
    const sl_topology *topo;
    sl_demo_view *view;
    int duration;
    int64_t started_ms;
    _Atomic long generated;  /* readings written */
    volatile int printer_stop; /* set once the driver has stopped */
} demo;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *const sites[] = {"north", "south", "east", "west"};
static const struct {
    const char *room;
    double level, limit; /* usual temperature, and the most it may read */
} sensor_spec[NSENSORS] = {
    {"boiler room", 33, 36}, {"server room", 24, 27}, {"lab 1", 22, 30},     {"cold store", 4, 8},
    {"kitchen", 26, 35},     {"warehouse", 18, 30},   {"office A", 22, 28},  {"office B", 23, 28},
    {"roof", 28, 38},        {"cellar", 14, 20},      {"lobby", 21, 30},     {"garage", 16, 32},
};

static void produce(demo *d, const char *topic, const char *key, const char *val, int64_t ts)
{
    while (rd_kafka_producev(d->mock_rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY(key, strlen(key)),
                             RD_KAFKA_V_VALUE((void *)val, strlen(val)), RD_KAFKA_V_TIMESTAMP(ts),
                             RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR__QUEUE_FULL)
        rd_kafka_poll(d->mock_rk, 10);
    rd_kafka_poll(d->mock_rk, 0);
}

/* The sensors first (a minute older than any reading, so that the join
 * meets them: it takes its sides in timestamp order), then a reading every
 * 50 ms: each sensor's temperature wanders around its room's usual level,
 * now and then past its limit. */
static void *generate(void *arg)
{
    demo *d = arg;
    char key[32], val[256];
    double temp[NSENSORS];
    int64_t t0 = now_ms();
    for (int i = 0; i < NSENSORS; i++) {
        temp[i] = sensor_spec[i].level;
        snprintf(key, sizeof key, "sensor-%d", i);
        snprintf(val, sizeof val, "{\"site\":\"%s\",\"room\":\"%s\",\"max_temp\":%.1f}", sites[i % 4],
                 sensor_spec[i].room, sensor_spec[i].limit);
        produce(d, "sensors", key, val, t0 - 60000);
    }
    rd_kafka_flush(d->mock_rk, 5000);
    unsigned seed = (unsigned)t0;
    while (!sl_stop_requested) {
        int s = (int)(rand_r(&seed) % NSENSORS);
        double noise = (rand_r(&seed) % 2001) / 1000.0 - 1.0; /* -1 .. 1 */
        temp[s] += 0.3 * (sensor_spec[s].level - temp[s]) + 4 * noise;
        snprintf(key, sizeof key, "sensor-%d", s);
        snprintf(val, sizeof val, "{\"site\":\"%s\",\"temp\":%.1f,\"humidity\":%d}", sites[s % 4], temp[s],
                 35 + (int)(rand_r(&seed) % 40));
        produce(d, "readings", key, val, now_ms());
        atomic_fetch_add(&d->generated, 1);
        usleep(50000);
    }
    return NULL;
}

static void status_line(demo *d, char *out, size_t n, bool stopped)
{
    long secs = (long)((now_ms() - d->started_ms) / 1000);
    int64_t results = sl_demo_view_count(d->view);
    char tail[160];
    if (stopped)
        snprintf(tail, sizeof tail, "stopped");
    else if (!results && secs < 10)
        snprintf(tail, sizeof tail, "joining the consumer group (the mock cluster holds a first join 3 s)");
    else if (d->duration)
        snprintf(tail, sizeof tail, "stops in %ld s, or Ctrl-C", d->duration > secs ? d->duration - secs : 0);
    else
        snprintf(tail, sizeof tail, "Ctrl-C stops");
    snprintf(out, n, "%ld s  |  %ld readings generated  |  %lld results  |  %s", secs,
             atomic_load(&d->generated), (long long)results, tail);
}

/* Reads every result topic from the start (assigned, not subscribed: no
 * group to join, so results show at once) into the view. */
static void *print_results(void *arg)
{
    demo *d = arg;
    char errstr[256], status[512];
    rd_kafka_conf_t *c = sl_kafka_conf_new();
    rd_kafka_conf_set(c, "bootstrap.servers", d->bootstrap, errstr, sizeof errstr);
    rd_kafka_conf_set(c, "group.id", "sluice-demo-printer", errstr, sizeof errstr);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, errstr, sizeof errstr);
    if (!rk)
        return NULL;
    rd_kafka_poll_set_consumer(rk);
    rd_kafka_topic_partition_list_t *t = rd_kafka_topic_partition_list_new(16);
    for (int i = 0; i < sl_topology_topic_count(d->topo); i++) {
        const sl_topic_info *ti = sl_topology_topic(d->topo, i);
        if (ti->is_sink)
            for (int p = 0; p < DEMO_PARTITIONS; p++)
                rd_kafka_topic_partition_list_add(t, ti->name, p)->offset = RD_KAFKA_OFFSET_BEGINNING;
    }
    rd_kafka_assign(rk, t);
    rd_kafka_topic_partition_list_destroy(t);
    /* after the driver stopped (its last batch flushed), what is left is
     * shown until a second passes with nothing new */
    int idle_ms = 0;
    int64_t drawn = 0;
    while (!d->printer_stop || idle_ms < 1000) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
        if (m) {
            idle_ms = 0;
            if (!m->err)
                sl_demo_view_record(d->view, rd_kafka_topic_name(m->rkt), m->key, m->key_len, m->payload, m->len);
            rd_kafka_message_destroy(m);
        } else if (d->printer_stop) {
            idle_ms += 100;
        }
        if (now_ms() - drawn >= 250) {
            status_line(d, status, sizeof status, false);
            sl_demo_view_draw(d->view, status);
            drawn = now_ms();
        }
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

/* a panel per query result topic, captioned from the SQL's comments */
static void add_panel(void *ctx, const char *name, const char *caption)
{
    demo *d = ctx;
    for (int i = 0; i < sl_topology_topic_count(d->topo); i++) {
        const sl_topic_info *t = sl_topology_topic(d->topo, i);
        /* a sink's topic is named after its stream or table by default */
        if (t->is_sink && !strcasecmp(t->name, name))
            sl_demo_view_add_panel(d->view, t->name, caption);
    }
}

#define USAGE "usage: sluice demo [--duration SECONDS] [--plain] [--sql]\n"

int sl_cmd_demo(int argc, char **argv)
{
    demo d = {.duration = 0};
    bool plain = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--duration") && i + 1 < argc) {
            char *end;
            long v = strtol(argv[++i], &end, 10);
            if (*end || v < 0 || v > 1000000) {
                fprintf(stderr, USAGE);
                return 2;
            }
            d.duration = (int)v;
        } else if (!strcmp(argv[i], "--plain")) {
            plain = true;
        } else if (!strcmp(argv[i], "--sql")) {
            fputs(sl_demo_sql, stdout);
            return 0;
        } else {
            fprintf(stderr, USAGE);
            return 2;
        }
    }
    const char *term = getenv("TERM");
    bool live = !plain && isatty(STDOUT_FILENO) && !(term && !strcmp(term, "dumb"));
    /* on a live screen, warnings on the same terminal would tear it */
    sl_log_set_level(live ? SL_LOG_ERROR : SL_LOG_WARN);

    sl_error err = {0};
    sl_topology *topo = sl_topology_compile(sl_demo_sql, "demo.sql (built in)", NULL, &err);
    if (!topo) {
        sl_diag_print(stderr, &err, sl_demo_sql);
        return 2;
    }
    d.topo = topo;
    d.view = sl_demo_view_new(stdout, live);
    if (!live) {
        printf("Sluice demo: streaming SQL on an in-process Kafka (librdkafka's mock cluster) with generated "
               "sensor data.\n"
               "Note: the mock cluster has no transactions, so the demo runs at_least_once;\n"
               "exactly-once is shown by the integration tests against a real broker (scripts/test).\n"
               "Queries: `sluice demo --sql`. Results, one line each: TOPIC  KEY -> VALUE%s.\n",
               d.duration ? "" : "; Ctrl-C stops");
    }
    sl_demo_captions(sl_demo_sql, add_panel, &d);
    if (!live) {
        putchar('\n');
        fflush(stdout);
    }

    char errstr[256];
    rd_kafka_conf_t *mc = sl_kafka_conf_new();
    rd_kafka_conf_set(mc, "test.mock.num.brokers", "1", errstr, sizeof errstr);
    rd_kafka_conf_set(mc, "linger.ms", "5", errstr, sizeof errstr);
    rd_kafka_conf_set(mc, "partitioner", "murmur2_random", errstr, sizeof errstr);
    d.mock_rk = rd_kafka_new(RD_KAFKA_PRODUCER, mc, errstr, sizeof errstr);
    if (!d.mock_rk) {
        fprintf(stderr, "sluice demo: cannot start the mock cluster: %s\n", errstr);
        sl_demo_view_destroy(d.view);
        sl_topology_destroy(topo);
        return 1;
    }
    rd_kafka_mock_cluster_t *cluster = rd_kafka_handle_mock_cluster(d.mock_rk);
    d.bootstrap = rd_kafka_mock_cluster_bootstraps(cluster);
    for (int i = 0; i < sl_topology_topic_count(topo); i++)
        rd_kafka_mock_topic_create(cluster, sl_topology_topic(topo, i)->name, DEMO_PARTITIONS, 1);

    sl_config *cfg = sl_config_parse("application.id=sluice-demo\nprocessing.guarantee=at_least_once\n"
                                     "commit.interval.ms=200\n",
                                     "demo", &err);
    sl_install_stop_handlers();
    d.started_ms = now_ms();
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
    char status[512];
    status_line(&d, status, sizeof status, true);
    sl_demo_view_draw(d.view, status);
    printf("\nDemo stopped: %ld reading(s) generated, %lld result(s) shown.\n", atomic_load(&d.generated),
           (long long)sl_demo_view_count(d.view));
    rd_kafka_destroy(d.mock_rk);
    sl_demo_view_destroy(d.view);
    sl_config_destroy(cfg);
    sl_topology_destroy(topo);
    return rc;
}

/* The Nexmark event model: which event number is a person, an auction or a
 * bid, which ids it refers to, and its JSON encoding.
 *
 * Every event is a pure function of (seed, event number): its random draws
 * come from a generator seeded by both, so a run is reproducible and events
 * can be made in any order or by several producers. The proportions, id
 * ranges and hot ratios are Nexmark's standard defaults (see
 * nexmark_model.c). Nothing here knows about Kafka. */
#ifndef NX_NEXMARK_MODEL_H
#define NX_NEXMARK_MODEL_H

#include <stddef.h>
#include <stdint.h>

typedef enum nx_event_kind { NX_PERSON, NX_AUCTION, NX_BID } nx_event_kind;

typedef struct nx_model_config {
    uint64_t seed;
    int64_t base_time_ms;   /* nominal event time of event 0 */
    double event_rate;      /* events per second of event time */
    int64_t max_delay_ms;   /* out-of-orderness: an event's time lags its nominal time by 0..max */
} nx_model_config;

typedef struct nx_event {
    nx_event_kind kind;
    int64_t key;           /* person id, auction id, or the auction a bid is for */
    int64_t event_time_ms; /* also the record timestamp */
} nx_event;

/* A JSON object needs at most this many bytes (auction: about 500 on average). */
#define NX_MAX_EVENT_JSON 2048

/* Fills *ev and writes event `number` as a JSON object into buf (at least
 * NX_MAX_EVENT_JSON bytes, not NUL-terminated). Returns its length. The
 * event time is the model's (nominal time less a random delay) when
 * time_override_ms is NX_MODEL_TIME, else time_override_ms (live runs
 * stamp events with the wall clock at sending). */
#define NX_MODEL_TIME INT64_MIN
size_t nx_event_make(const nx_model_config *cfg, uint64_t number, int64_t time_override_ms, nx_event *ev,
                     char *buf);

/* Which kind event `number` is, without making it. */
nx_event_kind nx_event_kind_of(uint64_t number);

#endif

/* The Nexmark event model (see nexmark_model.h).
 *
 * Nexmark's standard generator, as the Beam and Flink benchmarks configure
 * it by default, described here in its own words:
 *   - events come in epochs of 50: 1 person, 3 auctions, 46 bids;
 *   - person and auction ids are dense, starting at 1000; the n-th person
 *     or auction of the stream has id 1000 + n;
 *   - a bid is for a "hot" auction with probability 1/2 (hot auction ratio
 *     2: one draw in two picks the hot one), and by a hot bidder with
 *     probability 3/4 (ratio 4); an auction has a hot seller with
 *     probability 3/4 (ratio 4). The hot auction/person is the newest one
 *     rounded down to a multiple of 100, so the hot set moves slowly;
 *   - otherwise a bid picks one of the last 100 auctions (or up to 10 not
 *     created yet: the auction id lead), a person one of the last 1000
 *     people (or up to 10 ahead);
 *   - prices are 100 * 10^(6u) cents for u uniform in [0,1);
 *   - an "extra" string pads records to average sizes of 100 (bid),
 *     500 (auction) and 200 (person) bytes of field payload;
 *   - event n's nominal time is base + n / rate; its actual time lags that
 *     by a uniform 0..max_delay_ms (4 s by default), which is the
 *     out-of-orderness a watermark of "time - 4 s" allows.
 * Random draws use splitmix64 seeded by (seed, event number): cheap, good
 * enough for a workload, and independent of the order events are made in.
 * Strings are lowercase letters only, so JSON needs no escaping. */
#include "nexmark_model.h"

#include <math.h>
#include <string.h>

enum {
    PERSON_PROPORTION = 1,
    AUCTION_PROPORTION = 3,
    BID_PROPORTION = 46,
    TOTAL_PROPORTION = PERSON_PROPORTION + AUCTION_PROPORTION + BID_PROPORTION,
    FIRST_PERSON_ID = 1000,
    FIRST_AUCTION_ID = 1000,
    FIRST_CATEGORY_ID = 10,
    NUM_CATEGORIES = 5,
    NUM_ACTIVE_PEOPLE = 1000,
    NUM_IN_FLIGHT_AUCTIONS = 100,
    PERSON_ID_LEAD = 10,
    AUCTION_ID_LEAD = 10,
    HOT_AUCTION_RATIO = 2,
    HOT_BIDDER_RATIO = 4,
    HOT_SELLER_RATIO = 4,
    HOT_GROUP = 100, /* ids rounded down to a multiple of this are the hot ones */
    AVG_BID_BYTES = 100,
    AVG_AUCTION_BYTES = 500,
    AVG_PERSON_BYTES = 200,
};

static const char *const FIRST_NAMES[] = {"peter", "paul", "luke", "john", "saul", "vicky",
                                          "kate", "julie", "sarah", "deiter", "walter"};
static const char *const LAST_NAMES[] = {"shultz", "abrams", "spencer", "white", "bartels",
                                         "walton", "smith", "jones", "noris"};
static const char *const CITIES[] = {"phoenix", "los angeles", "san francisco", "boise", "portland",
                                     "bend", "redmond", "seattle", "kent", "cheyenne"};
static const char *const STATES[] = {"az", "ca", "id", "or", "wa", "wy"};
static const char *const HOT_CHANNELS[] = {"Google", "Facebook", "Baidu", "Apple"};
#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

typedef struct rng {
    uint64_t state;
} rng;

static uint64_t rng_next(rng *r)
{
    uint64_t z = (r->state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* uniform in [0, n); the modulo bias is irrelevant for these small n */
static int64_t rng_below(rng *r, int64_t n)
{
    return n > 0 ? (int64_t)(rng_next(r) % (uint64_t)n) : 0;
}

static double rng_unit(rng *r)
{
    return (double)(rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

/* ---- which ids exist at event n ---- */

nx_event_kind nx_event_kind_of(uint64_t number)
{
    uint64_t offset = number % TOTAL_PROPORTION;
    if (offset < PERSON_PROPORTION)
        return NX_PERSON;
    if (offset < PERSON_PROPORTION + AUCTION_PROPORTION)
        return NX_AUCTION;
    return NX_BID;
}

/* 0-based id of the newest person created at or before event n */
static int64_t newest_person(uint64_t n)
{
    int64_t epoch = (int64_t)(n / TOTAL_PROPORTION);
    int64_t offset = (int64_t)(n % TOTAL_PROPORTION);
    if (offset >= PERSON_PROPORTION)
        offset = PERSON_PROPORTION - 1;
    return epoch * PERSON_PROPORTION + offset;
}

/* 0-based id of the newest auction created at or before event n (-1 before any) */
static int64_t newest_auction(uint64_t n)
{
    int64_t epoch = (int64_t)(n / TOTAL_PROPORTION);
    int64_t offset = (int64_t)(n % TOTAL_PROPORTION);
    if (offset < PERSON_PROPORTION) {
        epoch--;
        offset = AUCTION_PROPORTION - 1;
    } else if (offset >= PERSON_PROPORTION + AUCTION_PROPORTION) {
        offset = AUCTION_PROPORTION - 1;
    } else {
        offset -= PERSON_PROPORTION;
    }
    return epoch * AUCTION_PROPORTION + offset;
}

/* one of the recently active people, or a few not created yet */
static int64_t pick_person(uint64_t n, rng *r)
{
    int64_t people = newest_person(n) + 1;
    int64_t active = people < NUM_ACTIVE_PEOPLE ? people : NUM_ACTIVE_PEOPLE;
    return people - active + rng_below(r, active + PERSON_ID_LEAD);
}

/* one of the auctions still in flight, or a few not created yet */
static int64_t pick_auction(uint64_t n, rng *r)
{
    int64_t newest = newest_auction(n);
    int64_t oldest = newest - NUM_IN_FLIGHT_AUCTIONS > 0 ? newest - NUM_IN_FLIGHT_AUCTIONS : 0;
    return oldest + rng_below(r, newest - oldest + 1 + AUCTION_ID_LEAD);
}

static int64_t pick_price(rng *r)
{
    return (int64_t)llround(pow(10.0, rng_unit(r) * 6.0) * 100.0);
}

/* ---- JSON writing: append-only cursor, no escaping needed ---- */

#define PUT_LIT(p, s) (memcpy((p), (s), sizeof(s) - 1), (p) += sizeof(s) - 1)

static char *put_str(char *p, const char *s)
{
    size_t n = strlen(s);
    memcpy(p, s, n);
    return p + n;
}

static char *put_i64(char *p, int64_t v)
{
    char digits[24];
    int n = 0;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        digits[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *p++ = '-';
    while (n)
        *p++ = digits[--n];
    return p;
}

/* n random lowercase letters, eight per draw */
static char *put_letters(char *p, rng *r, int64_t n)
{
    while (n > 0) {
        uint64_t bits = rng_next(r);
        for (int i = 0; i < 8 && n > 0; i++, n--, bits >>= 8)
            *p++ = (char)('a' + (bits & 0xff) % 26);
    }
    return p;
}

/* pads a record whose fields take `payload` bytes to `average` on average
 * (uniformly 80%..120% of what is missing) */
static char *put_extra(char *p, rng *r, int64_t payload, int64_t average)
{
    if (payload >= average)
        return p;
    int64_t missing = average - payload;
    int64_t spread = missing / 5;
    return put_letters(p, r, missing - spread + rng_below(r, 2 * spread + 1));
}

/* ---- the three kinds ---- */

static size_t make_person(uint64_t n, int64_t t, rng *r, nx_event *ev, char *buf)
{
    int64_t id = newest_person(n) + FIRST_PERSON_ID;
    const char *first = FIRST_NAMES[rng_below(r, COUNT_OF(FIRST_NAMES))];
    const char *last = LAST_NAMES[rng_below(r, COUNT_OF(LAST_NAMES))];
    const char *city = CITIES[rng_below(r, COUNT_OF(CITIES))];
    const char *state = STATES[rng_below(r, COUNT_OF(STATES))];
    char *p = buf;
    PUT_LIT(p, "{\"id\":");
    p = put_i64(p, id);
    PUT_LIT(p, ",\"name\":\"");
    char *field = p;
    p = put_str(p, first);
    *p++ = ' ';
    p = put_str(p, last);
    int64_t payload = 8 + (p - field);
    PUT_LIT(p, "\",\"emailAddress\":\"");
    field = p;
    p = put_letters(p, r, 7);
    *p++ = '@';
    p = put_letters(p, r, 5);
    PUT_LIT(p, ".com");
    payload += p - field;
    PUT_LIT(p, "\",\"creditCard\":\"");
    field = p;
    for (int group = 0; group < 4; group++) {
        if (group)
            *p++ = ' ';
        p = put_i64(p, 1000 + rng_below(r, 9000));
    }
    payload += p - field;
    PUT_LIT(p, "\",\"city\":\"");
    p = put_str(p, city);
    PUT_LIT(p, "\",\"state\":\"");
    p = put_str(p, state);
    payload += (int64_t)(strlen(city) + strlen(state));
    PUT_LIT(p, "\",\"dateTime\":");
    p = put_i64(p, t);
    PUT_LIT(p, ",\"extra\":\"");
    p = put_extra(p, r, payload, AVG_PERSON_BYTES);
    PUT_LIT(p, "\"}");
    ev->kind = NX_PERSON;
    ev->key = id;
    return (size_t)(p - buf);
}

static size_t make_auction(const nx_model_config *cfg, uint64_t n, int64_t t, rng *r, nx_event *ev, char *buf)
{
    int64_t id = newest_auction(n) + FIRST_AUCTION_ID;
    int64_t seller = rng_below(r, HOT_SELLER_RATIO) > 0 ? (newest_person(n) / HOT_GROUP) * HOT_GROUP
                                                         : pick_person(n, r);
    seller += FIRST_PERSON_ID;
    int64_t category = FIRST_CATEGORY_ID + rng_below(r, NUM_CATEGORIES);
    int64_t initial_bid = pick_price(r);
    int64_t reserve = initial_bid + pick_price(r);
    /* auctions last about as long as it takes the stream to create the
     * next NUM_IN_FLIGHT_AUCTIONS of them, so that many are open at once */
    double events_per_flight = (double)NUM_IN_FLIGHT_AUCTIONS * TOTAL_PROPORTION / AUCTION_PROPORTION;
    int64_t horizon_ms = (int64_t)(events_per_flight * 1000.0 / cfg->event_rate);
    int64_t expires = t + 1 + rng_below(r, horizon_ms * 2 > 1 ? horizon_ms * 2 : 1);
    char *p = buf;
    PUT_LIT(p, "{\"id\":");
    p = put_i64(p, id);
    PUT_LIT(p, ",\"itemName\":\"");
    p = put_letters(p, r, 20);
    PUT_LIT(p, "\",\"description\":\"");
    p = put_letters(p, r, 100);
    PUT_LIT(p, "\",\"initialBid\":");
    p = put_i64(p, initial_bid);
    PUT_LIT(p, ",\"reserve\":");
    p = put_i64(p, reserve);
    PUT_LIT(p, ",\"dateTime\":");
    p = put_i64(p, t);
    PUT_LIT(p, ",\"expires\":");
    p = put_i64(p, expires);
    PUT_LIT(p, ",\"seller\":");
    p = put_i64(p, seller);
    PUT_LIT(p, ",\"category\":");
    p = put_i64(p, category);
    PUT_LIT(p, ",\"extra\":\"");
    p = put_extra(p, r, 8 + 20 + 100 + 8 * 6, AVG_AUCTION_BYTES);
    PUT_LIT(p, "\"}");
    ev->kind = NX_AUCTION;
    ev->key = id;
    return (size_t)(p - buf);
}

static size_t make_bid(uint64_t n, int64_t t, rng *r, nx_event *ev, char *buf)
{
    int64_t auction = rng_below(r, HOT_AUCTION_RATIO) > 0 ? (newest_auction(n) / HOT_GROUP) * HOT_GROUP
                                                           : pick_auction(n, r);
    auction += FIRST_AUCTION_ID;
    int64_t bidder = rng_below(r, HOT_BIDDER_RATIO) > 0 ? (newest_person(n) / HOT_GROUP) * HOT_GROUP + 1
                                                         : pick_person(n, r);
    bidder += FIRST_PERSON_ID;
    int64_t price = pick_price(r);
    char *p = buf;
    PUT_LIT(p, "{\"auction\":");
    p = put_i64(p, auction);
    PUT_LIT(p, ",\"bidder\":");
    p = put_i64(p, bidder);
    PUT_LIT(p, ",\"price\":");
    p = put_i64(p, price);
    PUT_LIT(p, ",\"channel\":\"");
    if (rng_below(r, 2) > 0) { /* half the bids come through one of a few big channels */
        const char *channel = HOT_CHANNELS[rng_below(r, COUNT_OF(HOT_CHANNELS))];
        p = put_str(p, channel);
        PUT_LIT(p, "\",\"url\":\"https://www.nexmark.com/");
        p = put_str(p, channel);
        PUT_LIT(p, "/item.htm?query=1");
    } else {
        int64_t channel = rng_below(r, 10000);
        PUT_LIT(p, "channel-");
        p = put_i64(p, channel);
        PUT_LIT(p, "\",\"url\":\"https://www.nexmark.com/");
        p = put_letters(p, r, 5);
        *p++ = '/';
        p = put_letters(p, r, 5);
        PUT_LIT(p, "/item.htm?query=1&channel_id=");
        p = put_i64(p, channel);
    }
    PUT_LIT(p, "\",\"dateTime\":");
    p = put_i64(p, t);
    PUT_LIT(p, ",\"extra\":\"");
    p = put_extra(p, r, 8 * 4, AVG_BID_BYTES);
    PUT_LIT(p, "\"}");
    ev->kind = NX_BID;
    ev->key = auction;
    return (size_t)(p - buf);
}

size_t nx_event_make(const nx_model_config *cfg, uint64_t number, int64_t time_override_ms, nx_event *ev,
                     char *buf)
{
    rng r = {cfg->seed * 0x100000001B3ull ^ number};
    rng_next(&r); /* decorrelate neighbouring seeds */
    int64_t nominal = cfg->base_time_ms + (int64_t)((double)number * 1000.0 / cfg->event_rate);
    int64_t delay = cfg->max_delay_ms > 0 ? rng_below(&r, cfg->max_delay_ms + 1) : 0;
    int64_t t = time_override_ms == NX_MODEL_TIME ? nominal - delay : time_override_ms;
    ev->event_time_ms = t;
    switch (nx_event_kind_of(number)) {
    case NX_PERSON:
        return make_person(number, t, &r, ev, buf);
    case NX_AUCTION:
        return make_auction(cfg, number, t, &r, ev, buf);
    case NX_BID:
    default:
        return make_bid(number, t, &r, ev, buf);
    }
}

/* The source: a record's key (with a windowed source's window), value,
 * pseudo-columns and headers decoded into a row, or a processing-log entry
 * saying why not. */
#include "ops/source.h"

#include <stdio.h>
#include <string.h>

#include "serde/serde.h"
#include "serde/windowed_key.h"

static void fill_headers(const sl_source *src, const sl_record *in, sl_value *row, sl_arena *a)
{
    for (int i = src->nkey + src->nvalue; i < src->ncols; i++) {
        const sl_column *c = &src->cols[i];
        if (c->role == SL_COL_HEADER) {
            row[i] = sl_null(SL_BYTES);
            for (size_t h = in->nheaders; h-- > 0;)
                if (!strcmp(in->headers[h].key, c->header_key)) {
                    if (in->headers[h].value)
                        row[i] = sl_bytes(in->headers[h].value, (uint32_t)in->headers[h].value_len);
                    break;
                }
        } else {
            sl_value arr = sl_array_new(a, (uint32_t)in->nheaders);
            for (size_t h = 0; h < in->nheaders; h++) {
                sl_value st = sl_struct_new(a, 2);
                st.u.c.items[0] = sl_cstring(in->headers[h].key);
                st.u.c.items[1] = in->headers[h].value ? sl_bytes(in->headers[h].value, (uint32_t)in->headers[h].value_len)
                                                       : sl_null(SL_BYTES);
                arr.u.c.items[h] = st;
            }
            row[i] = arr;
        }
    }
}

/* the key columns and pseudo-columns of a record; false (logged) when
 * the key does not decode */
bool sl_source_decode_key(const sl_source *src, const sl_record *in, sl_value *row, sl_arena *a,
                          const sl_collector *out)
{
    sl_error err;
    sl_error_init(&err);
    size_t key_len = in->key ? in->key_len : 0;
    int64_t wstart = 0, wend = 0;
    if (src->window_kind && in->key &&
        !sl_windowed_key_split(in->key, key_len, src->window_kind == SL_WINDOW_SESSION, src->window_size_ms, &key_len, &wstart, &wend)) {
        out->processing_error(out->ctx, in, "Failed to deserialize windowed key: too short for its window");
        return false;
    }
    if (sl_serde_decode(src->key_serde, in->key, key_len, row, a, &err)) {
        char msg[600];
        snprintf(msg, sizeof msg, "Failed to deserialize key from topic: %s. %s", in->topic, err.msg);
        out->processing_error(out->ctx, in, msg);
        return false;
    }
    row[src->ncols] = sl_bigint(in->timestamp);
    row[src->ncols + 1] = sl_int(in->partition);
    row[src->ncols + 2] = sl_bigint(in->offset);
    if (src->window_kind) {
        row[src->ncols + 3] = sl_bigint(wstart);
        row[src->ncols + 4] = sl_bigint(wend);
    }
    return true;
}

bool sl_source_decode(const sl_source *src, const sl_record *in, sl_value *row, bool *deleted, sl_arena *a,
                      const sl_collector *out)
{
    if (!sl_source_decode_key(src, in, row, a, out))
        return false;
    sl_error err;
    sl_error_init(&err);
    *deleted = !in->value;
    if (*deleted) {
        for (int i = src->nkey; i < src->nkey + src->nvalue; i++)
            row[i] = sl_null(src->cols[i].type->kind);
    } else if (sl_serde_decode(src->value_serde, in->value, in->value_len, row + src->nkey, a, &err)) {
        char msg[600];
        snprintf(msg, sizeof msg, "Failed to deserialize value from topic: %s. %s", in->topic, err.msg);
        out->processing_error(out->ctx, in, msg);
        return false;
    }
    fill_headers(src, in, row, a);
    return true;
}

void sl_source_log_null_value(const sl_source *src, const sl_record *in, const sl_collector *out)
{
    /* dropped as ksqlDB drops it, but never silently */
    char msg[600];
    snprintf(msg, sizeof msg, "Record with a null value on stream %s dropped: a stream has no deletes", src->name);
    out->processing_error(out->ctx, in, msg);
}

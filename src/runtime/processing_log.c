/* Processing-log entries (see processing_log.h). The fields and their
 * nesting follow ksqlDB's reference (docs: processing log, "Log Schema"):
 * message.type 0 is DESERIALIZATION_ERROR (target, errorMessage,
 * recordB64, cause, topic), 1 RECORD_PROCESSING_ERROR (errorMessage,
 * record, cause); the other types' structs are present and null. */
#include "runtime/processing_log.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "common/base64.h"
#include "serde/json.h"

static void put_string(sl_strbuf *out, const char *s, size_t n)
{
    sl_json_write_string(out, s, n);
}

/* the value's bytes as text for a record-processing error: JSON and
 * DELIMITED values are text; anything with a NUL or invalid UTF-8 byte is
 * left out (null) rather than mangled */
static bool printable(const void *data, size_t n)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++)
        if (p[i] == 0 || p[i] >= 0xf8)
            return false;
    return true;
}

void sl_processing_log_entry(sl_strbuf *out, const char *query_id, const sl_record *src, const char *message,
                             int64_t now_ms)
{
    bool key_error = !strncmp(message, "Failed to deserialize key", 25);
    bool value_error = !strncmp(message, "Failed to deserialize value", 27);
    sl_strbuf_puts(out, "{\"logger\":");
    char logger[600];
    size_t ln = (size_t)snprintf(logger, sizeof logger, "processing%s%s", query_id ? "." : "", query_id ? query_id : "");
    if (ln >= sizeof logger)
        ln = sizeof logger - 1;
    put_string(out, logger, ln);
    sl_strbuf_printf(out, ",\"level\":\"ERROR\",\"time\":%lld,\"message\":{\"type\":%d,", (long long)now_ms,
                     key_error || value_error ? 0 : 1);
    if (key_error || value_error) {
        const void *bytes = key_error ? src->key : src->value;
        size_t n = bytes ? (key_error ? src->key_len : src->value_len) : 0;
        sl_strbuf_printf(out, "\"deserializationError\":{\"target\":\"%s\",\"errorMessage\":",
                         key_error ? "key" : "value");
        put_string(out, message, strlen(message));
        sl_strbuf_puts(out, ",\"recordB64\":");
        if (bytes) {
            sl_strbuf_putc(out, '"');
            sl_base64_encode(out, bytes, n);
            sl_strbuf_putc(out, '"');
        } else {
            sl_strbuf_puts(out, "null");
        }
        sl_strbuf_puts(out, ",\"cause\":[],\"topic\":");
        put_string(out, src->topic, strlen(src->topic));
        sl_strbuf_puts(out, "},\"recordProcessingError\":null");
    } else {
        sl_strbuf_puts(out, "\"deserializationError\":null,\"recordProcessingError\":{\"errorMessage\":");
        put_string(out, message, strlen(message));
        sl_strbuf_puts(out, ",\"record\":");
        if (src->value && printable(src->value, src->value_len))
            put_string(out, src->value, src->value_len);
        else
            sl_strbuf_puts(out, "null");
        sl_strbuf_puts(out, ",\"cause\":[]}");
    }
    sl_strbuf_puts(out, ",\"productionError\":null,\"serializationError\":null,\"kafkaStreamsThreadError\":null},"
                        "\"topic\":");
    put_string(out, src->topic, strlen(src->topic));
    sl_strbuf_printf(out, ",\"partition\":%d,\"offset\":%lld,\"timestamp\":%lld}", src->partition,
                     (long long)src->offset, (long long)src->timestamp);
}

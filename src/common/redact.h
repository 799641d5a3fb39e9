/* Secrets in messages. A configuration value is a secret when its key
 * looks like one (password, secret, key, token, credentials, JAAS and
 * OAuth configurations, a schema registry's basic.auth.user.info): such a
 * value must never reach a log line, an error or a page, whatever its
 * source (a file, --set, an environment variable, librdkafka's own
 * messages, which repeat some values). Every message that could hold a
 * configuration value goes through these. */
#ifndef SL_REDACT_H
#define SL_REDACT_H

#include <stdbool.h>
#include <stddef.h>

/* What a secret is shown as. */
#define SL_REDACTED "[redacted]"

/* Whether key's value is to be kept out of messages (case-insensitive;
 * with or without a kafka.* or ksql.* prefix). */
bool sl_secret_key(const char *key);
/* value, or SL_REDACTED when key's values are secrets. */
const char *sl_redacted(const char *key, const char *value);
/* Replaces, in text (NUL-terminated, size bytes available), every
 * occurrence of secret with SL_REDACTED; an empty secret changes nothing.
 * A text that would grow beyond size is cut short, never left holding the
 * secret. */
void sl_scrub(char *text, size_t size, const char *secret);

#endif

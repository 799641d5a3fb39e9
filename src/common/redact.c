/* Secrets in messages (see redact.h). The key patterns are substrings
 * rather than a list of known names, so that a setting Sluice has never
 * heard of (a new librdkafka property, a typo of a known one) is covered
 * too: a harmless value hidden by mistake costs little, a password shown
 * does not. */
#include "common/redact.h"

#include <ctype.h>
#include <string.h>

/* lower-case substrings of the keys whose values are secrets */
static const char *const secret_parts[] = {
    "password", "passwd", "secret", "key", "token", "credential",
    "jaas.config",        /* Kafka's SASL configuration, with its password */
    "oauthbearer.config", /* librdkafka's, may hold a client secret */
    "user.info",          /* schema registry basic.auth.user.info: user:password */
    "userinfo",
    NULL,
};

static bool contains_lower(const char *s, const char *part)
{
    size_t n = strlen(part);
    for (; *s; s++) {
        size_t i = 0;
        while (i < n && s[i] && tolower((unsigned char)s[i]) == part[i])
            i++;
        if (i == n)
            return true;
    }
    return false;
}

bool sl_secret_key(const char *key)
{
    if (!key)
        return false;
    for (int i = 0; secret_parts[i]; i++)
        if (contains_lower(key, secret_parts[i]))
            return true;
    return false;
}

const char *sl_redacted(const char *key, const char *value)
{
    return sl_secret_key(key) ? SL_REDACTED : value;
}

void sl_scrub(char *text, size_t size, const char *secret)
{
    if (!text || !secret || !*secret || !size)
        return;
    size_t sl = strlen(secret), rl = strlen(SL_REDACTED);
    char *p = text;
    while ((p = strstr(p, secret))) {
        size_t tail = strlen(p + sl) + 1; /* with the NUL */
        size_t at = (size_t)(p - text);
        if (at + rl + tail > size) {
            /* no room to say [redacted]: cut the text where the secret was */
            *p = 0;
            return;
        }
        memmove(p + rl, p + sl, tail);
        memcpy(p, SL_REDACTED, rl);
        p += rl;
    }
}

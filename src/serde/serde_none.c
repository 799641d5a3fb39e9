/* NONE format: no columns; the payload is ignored on read, absent on write. */
#include "serde/serde_int.h"

static sl_err_t none_decode(sl_serde *s, const void *data, size_t len, sl_value *cols, sl_arena *a, sl_error *err)
{
    return SL_OK;
}

static sl_err_t none_encode(sl_serde *s, const sl_value *cols, sl_strbuf *out, sl_error *err)
{
    return SL_OK;
}

static const sl_serde_vtable none_vt = {none_decode, none_encode, NULL};

sl_err_t sl_serde_none_init(sl_serde *s, sl_error *err)
{
    if (s->schema->nfields)
        return sl_error_set(err, SL_ERR_INVALID, "The 'NONE' format can only be used when no columns are defined. Got: %d",
                            s->schema->nfields);
    s->vt = &none_vt;
    return SL_OK;
}

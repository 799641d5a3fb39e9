/* Private contract between serde.c (dispatch) and each format's file. */
#ifndef SL_SERDE_INT_H
#define SL_SERDE_INT_H

#include "serde/serde.h"

typedef struct sl_serde_vtable {
    sl_err_t (*decode)(sl_serde *serde, const void *data, size_t len, sl_value *cols,
                       sl_arena *arena, sl_error *err);
    sl_err_t (*encode)(sl_serde *serde, const sl_value *cols, sl_strbuf *out, sl_error *err);
    void (*destroy)(sl_serde *serde); /* frees impl only */
} sl_serde_vtable;

struct sl_serde {
    const sl_serde_vtable *vt;
    sl_format format;
    const sl_type *schema; /* STRUCT of columns; borrowed */
    sl_serde_options opts;
    void *impl; /* format-private state, owned */
};

/* Each fills serde->vt and serde->impl, or returns an error. */
sl_err_t sl_serde_json_init(sl_serde *serde, sl_error *err);
sl_err_t sl_serde_delimited_init(sl_serde *serde, sl_error *err);
sl_err_t sl_serde_kafka_init(sl_serde *serde, sl_error *err);
sl_err_t sl_serde_none_init(sl_serde *serde, sl_error *err);
sl_err_t sl_serde_avro_init(sl_serde *serde, sl_error *err);
sl_err_t sl_serde_protobuf_init(sl_serde *serde, sl_error *err);

#endif

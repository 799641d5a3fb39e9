/* Placeholder until the json format lands: reports the format unsupported. */
#include "serde/serde_int.h"

sl_err_t sl_serde_json_init(sl_serde *serde, sl_error *err)
{
    (void)serde;
    return sl_error_set(err, SL_ERR_UNSUPPORTED, "format json is not implemented yet");
}

/* Placeholder until the none format lands: reports the format unsupported. */
#include "serde/serde_int.h"

sl_err_t sl_serde_none_init(sl_serde *serde, sl_error *err)
{
    (void)serde;
    return sl_error_set(err, SL_ERR_UNSUPPORTED, "format none is not implemented yet");
}

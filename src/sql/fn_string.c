/* string functions (placeholder table until the family lands). */
#include "sql/function.h"

const sl_function_def sl_fn_family_string[] = {
    {NULL, NULL},
};

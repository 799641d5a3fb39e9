/* Printing compile errors the way compilers do:
 *   FILE:LINE:COL: error: MESSAGE
 *      <the source line>
 *      <caret under the column> */
#ifndef SL_DIAG_H
#define SL_DIAG_H

#include <stdio.h>

#include "common/error.h"
#include "common/fileio.h"

/* source_text may be NULL (then only the first line is printed). */
void sl_diag_print(FILE *out, const sl_error *err, const char *source_text);

#endif

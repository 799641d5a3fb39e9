/* Reading small files whole. */
#ifndef SL_FILEIO_H
#define SL_FILEIO_H

#include <stddef.h>

/* Reads a whole file into a malloc'd NUL-terminated buffer (caller frees);
 * NULL on error (errno set). len may be NULL. */
char *sl_read_file(const char *path, size_t *len);

#endif

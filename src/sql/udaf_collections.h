/* The collection aggregates (udaf_collections.c), looked up by udaf.c. */
#ifndef SL_UDAF_COLLECTIONS_H
#define SL_UDAF_COLLECTIONS_H

#include "sql/udaf.h"

/* ended by an entry whose name is NULL */
extern const sl_udaf sl_udaf_collections[];

#endif

/* Calendar arithmetic shared by the date formats and the zoneinfo reader. */
#ifndef SL_CALENDAR_H
#define SL_CALENDAR_H

#include <stdint.h>

/* a / b rounded toward negative infinity (times before 1970 included) */
int64_t sl_floor_div(int64_t a, int64_t b);

/* days since 1970-01-01 of a proleptic Gregorian date, and back */
int64_t sl_days_from_civil(int64_t y, unsigned m, unsigned d);
void sl_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);

#endif

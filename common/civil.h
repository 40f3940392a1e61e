/* common/civil.h - dates of the proleptic Gregorian calendar as days since 1970-01-01, and back (portable:
 * arithmetic only, no libc clock and no time zone). The modules that read and write UTC times by hand
 * (docker/ times, the audit's --since, the Engine API's log times) share this one calendar. */
#ifndef WCTR_COMMON_CIVIL_H
#define WCTR_COMMON_CIVIL_H

#include <stdint.h>

/* Days since 1970-01-01 of y-m-d (m 1..12, d 1..31, not checked against the month's length): negative
 * before 1970 (Howard Hinnant's days_from_civil). */
int64_t wctr_days_from_civil(int64_t y, int m, int d);
/* The date of a day since 1970-01-01 (civil_from_days): the inverse of wctr_days_from_civil. */
void wctr_civil_from_days(int64_t days, int64_t *y, int *m, int *d);

#endif

/* common/clock.h - sleeping a little (portable; clock_win.c / clock_posix.c). For the rare places that
 * must wait for something that has no completion to wait on (a bounded shutdown); everything else uses
 * the I/O core's timers (common/ioc.h). */
#ifndef WCTR_COMMON_CLOCK_H
#define WCTR_COMMON_CLOCK_H

#include <stdint.h>

void wctr_sleep_ms(uint32_t ms);

#endif

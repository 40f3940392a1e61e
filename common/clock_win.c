/* common/clock_win.c - common/clock.h on Windows. */
#include <windows.h>

#include "common/clock.h"

void wctr_sleep_ms(uint32_t ms) { Sleep(ms); }

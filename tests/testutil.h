/* tests/testutil.h - what every test suite includes: cmocka and a few helpers. */
#ifndef WCTR_TESTS_TESTUTIL_H
#define WCTR_TESTS_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

/* CTest's SKIP_RETURN_CODE for every suite (cmake/WctrTest.cmake). */
#define WCTR_TEST_SKIP_EXIT 77

/* True when running under Wine (ntdll exports wine_get_version). Always false off Windows. */
bool wctr_test_under_wine(void);

/* For suites whose property Wine does not enforce (REFERENCE.md, Wine 8.0): under Wine, prints
 * "SKIPPED under Wine: <reason>" and exits WCTR_TEST_SKIP_EXIT so CTest reports the suite as skipped.
 * On Windows it returns and the suite runs. Call it first in main(). */
void wctr_test_require_windows(const char *reason);

/* A fresh unique name for pipes, services and folders of one test run: "<prefix>-<pid>-<time>-<counter>". */
void wctr_test_unique_name(const char *prefix, char *buf, size_t size);

#include <stdio.h>
/* A scratch file, read-write, removed when closed: tmpfile() where it is safe. Under Wine tmpfile() names
 * its files from a counter in the drive's root, so two suites running at once (ctest -j) can open the same
 * file; here the name is wctr_test_unique_name's, in the current folder. */
FILE *wctr_test_tmpfile(void);

#ifdef _WIN32
#include <wchar.h>
/* A path the build wrote into a test (a compile definition: "/work/.../build/mingw/x" when cross-built) as
 * Windows shows it: a POSIX absolute path gets Wine's Z: drive; '/' becomes '\'. */
void wctr_test_native_path(const char *built, wchar_t *out, size_t size);
#endif

#endif

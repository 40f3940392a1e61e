/* tests/compose/compose_test.h - what the compose suites share: an in-memory file system and environment
 * for compose_load's callbacks, and helpers that load a project or expect an exact failure. */
#ifndef WCTR_TESTS_COMPOSE_TEST_H
#define WCTR_TESTS_COMPOSE_TEST_H

#include <stddef.h>

#include "compose/compose.h"
#include "testutil.h"

/* The working directory every helper loads from, and the same spelled for POSIX paths. */
#define CT_DIR "C:\\proj"

/* Forgets every file, variable and read. Call at the start of each test. */
void ct_reset(void);
/* A file at an absolute path (copied). A path added twice keeps the later text. */
void ct_file(const char *path, const char *text);
/* A file of len bytes that may hold NULs. */
void ct_file_bytes(const char *path, const char *data, size_t len);
/* A process environment variable (value NULL unsets it). */
void ct_env(const char *name, const char *value);
/* Makes reading path fail with code (not ENOENT) and a message. */
void ct_file_error(const char *path, wctr_err code);
/* How many times path was read. */
int ct_reads(const char *path);

/* Options over the in-memory files: working_dir CT_DIR, no project name, credspec_dir
 * "C:\ProgramData\wctr\credentialspecs". */
compose_options ct_options(const char *const *files, size_t count);

/* Loads with opt; fails the test (printing the message) unless it succeeds. The caller frees the project.
 * Warnings are kept until the next ct_reset and can be read with ct_warnings. */
compose_project *ct_load(const compose_options *opt);
/* Loads with opt and expects exactly code and message. */
void ct_fail(const compose_options *opt, wctr_err code, const char *message);
const compose_warnings *ct_warnings(void);
/* True when a warning equals text. */
int ct_warned(const char *text);

/* One file C:\proj\compose.yml with text, loaded as "-f compose.yml". */
compose_project *ct_load_text(const char *text);
void ct_fail_text(const char *text, const char *message);

/* The rendered model (YAML or JSON), compared in full; prints both on a mismatch. */
void ct_expect_render(const compose_project *p, int json, const char *expected);

/* The service, which must exist. */
const compose_service *ct_service(const compose_project *p, const char *name);

#endif

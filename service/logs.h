/* service/logs.h - a container's output, kept as Docker's json-file driver keeps it (portable).
 *
 * File: <container dir>\container-log.json, rotated to container-log.json.1 at SVC_LOG_MAX_BYTES (so at
 * most twice that on disk). One entry per line of output, in the order written:
 *   {"log":"hello\r\n","stream":"stdout","time":"2026-12-07T07:14:33.123456789Z"}
 * Lines are split on LF, which stays at the end of "log"; a CR is kept as written. A line that does not end
 * within SVC_LOG_PARTIAL_MAX bytes is written as a partial entry (no LF), as Docker does at 16 KiB, and so
 * is what is left of a line when the container exits (svc_log_writer_flush). Strings are JSON-escaped
 * byte-exactly (a NUL is \u0000); a line that is not valid UTF-8 keeps Docker's lossy "log" (each invalid
 * byte shown as U+FFFD, what Docker's own encoder writes) and adds "raw": the line's exact bytes in base64,
 * which wctr's reader prefers - so `wctr logs` is byte-exact and binary-safe, and Docker's tools still read
 * the file.
 *
 * Writers and readers: one writer per running container (the manager serialises calls on it); any number
 * of readers, each reading a snapshot - the entries that existed when it was opened - in chunks, so that a
 * large log is served at file-read speed and a slow client is served at its own pace. */
#ifndef WCTR_SERVICE_LOGS_H
#define WCTR_SERVICE_LOGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

#define SVC_LOG_FILE "container-log.json"
#define SVC_LOG_MAX_BYTES (10u * 1024u * 1024u)
#define SVC_LOG_PARTIAL_MAX (16u * 1024u)

/* One log line (what `logs` and `logs -f` deliver): stream 1 stdout, 2 stderr; time as in the file. */
typedef void (*svc_log_line_fn)(void *ctx, int stream, const char *data, size_t len, const char *time);

/* "2026-12-07T07:14:33.123456789Z" (RFC 3339 with nanoseconds, UTC), Docker's timestamp form. */
void svc_log_time_now(char out[40]);

typedef struct svc_log_writer svc_log_writer;

/* Opens (appends to) path; max_bytes 0 means SVC_LOG_MAX_BYTES. */
wctr_err svc_log_writer_open(const char *path, uint64_t max_bytes, svc_log_writer **out, wctr_errmsg *e);
/* Adds a chunk of one stream. Every complete entry is written to the file and given to line (when not
 * NULL). A failed write (disk full) is logged once per burst and the entry still reaches line: a full
 * disk must not stop the container or its attached clients. */
void svc_log_writer_write(svc_log_writer *w, int stream, const char *data, size_t len, svc_log_line_fn line,
                          void *ctx);
/* Writes what is left of each stream's line as partial entries (at exit). */
void svc_log_writer_flush(svc_log_writer *w, svc_log_line_fn line, void *ctx);
void svc_log_writer_close(svc_log_writer *w); /* flushes nothing; accepts NULL */

/* Formats one entry (without the trailing LF) into a malloc'ed buffer; NULL when out of memory. For the
 * writer and for tests. */
char *svc_log_entry_format(int stream, const char *data, size_t len, const char *time, size_t *out_len);
/* Parses one entry line (without its LF). *data is malloc'ed (the exact bytes: "raw" when present), *len
 * its length, *stream 1 or 2, time copied into time_out. WCTR_EINVAL for a line that is not an entry. */
wctr_err svc_log_entry_parse(const char *line, size_t len, int *stream, char **data, size_t *data_len,
                             char time_out[40]);

typedef struct svc_log_reader svc_log_reader;

/* Opens the log at path (and path.1) for the last tail entries (tail < 0: all), up to what exists now. A
 * missing log is an empty one. */
wctr_err svc_log_reader_open(const char *path, int64_t tail, svc_log_reader **out, wctr_errmsg *e);
/* Delivers entries to line until about budget bytes of output were delivered or the snapshot's end;
 * *done is set at the end. A damaged entry is skipped (counted in svc_log_reader_skipped). */
wctr_err svc_log_reader_next(svc_log_reader *r, size_t budget, svc_log_line_fn line, void *ctx, bool *done);
uint64_t svc_log_reader_skipped(const svc_log_reader *r);
void svc_log_reader_close(svc_log_reader *r); /* accepts NULL */

#endif

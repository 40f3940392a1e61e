/* service/logs.h - a container's output, kept as Docker's json-file driver keeps it (portable).
 *
 * Files: <container dir>\container-log.json, rotated as Docker's json-file driver rotates it: when a write
 * would take it past max_bytes, container-log.json.N-2 becomes .N-1 (the oldest, .N-1, is dropped), ...,
 * .1 becomes .2, container-log.json becomes .1 and a new container-log.json starts (N = max_files; with 1
 * the file starts over). Each step is one rename, so a crash in the middle leaves complete files, at worst
 * with a gap in the numbers, which the reader skips; the rotation truncates nothing until
 * container-log.json is renamed (a failed rename keeps appending). An entry cut by a crash (no LF) is
 * terminated when the writer opens the file again, so it is skipped, never glued to the next one.
 * Compression (compress=true, Docker's json-file): after a rotation renamed container-log.json to .1, a job on
 * the pool (svc_log_options.defer, off the container's output path) gzips each rotated file still plain:
 * into .N.gz.tmp, synced, renamed to .N.gz, then .N removed (Docker's names: container-log.json.1.gz ...;
 * Docker writes .N.gz in place and removes .N after it). At every instant a whole copy of each file exists:
 * plain, or .gz, or both. A rotation due while a job runs waits for it (the file grows past max_bytes for
 * that long), so the job's files keep their numbers; the rotation moves each number in whichever forms it
 * has and removes the other form of the number it replaces. Opening a writer settles what a crash left: a .gz.tmp is removed (never
 * whole), a plain file beside its .gz is removed (the .gz is whole: it was renamed), and a plain rotated file
 * left alone is compressed (with compress=false it stays plain) - unless the previous run's compression
 * still runs (svc_log_gz), which the open then leaves to finish. Readers take either form.
 * One entry per line of output, in the order written:
 *   {"log":"hello\r\n","stream":"stdout","time":"2026-12-07T07:14:33.123456789Z"}
 * With attributes (the --log-opt labels=/env= names, spec_log_attrs, and tag=, svc_log_tag), as Docker writes them:
 *   {"log":"hello\n","stream":"stdout","attrs":{"app":"web"},"time":"..."}
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
#define SVC_LOG_MAX_FILES 2
#define SVC_LOG_PARTIAL_MAX (16u * 1024u)

/* One log line (what `logs` and `logs -f` deliver): stream 1 stdout, 2 stderr; time as in the file; details
 * the entry's attributes as `logs --details` shows them (Docker's form: sorted by key, "k=v,k2=v2", each
 * key and value URL-query-escaped), "" when it has none. */
typedef void (*svc_log_line_fn)(void *ctx, int stream, const char *data, size_t len, const char *time,
                                const char *details);

/* Runs fn(arg) later where it may block (the manager's blocking pool); false when it cannot (fn then never
 * runs). */
typedef bool (*svc_log_defer_fn)(void *ctx, void (*fn)(void *arg), void *arg);

/* The compression of one log's rotated files, shared by the writers of its successive runs: a writer never
 * renames, repairs or compresses files that the previous run's compression still works on. Owned by whoever
 * keeps the log (the container); a compression under way holds it until it ends. NULL when out of memory. */
typedef struct svc_log_gz svc_log_gz;
svc_log_gz *svc_log_gz_new(void);
void svc_log_gz_free(svc_log_gz *g); /* drops the owner's hold; accepts NULL */

/* How a container's log is kept (from its spec: spec_log_limits, spec_log_attrs, compress). */
typedef struct svc_log_options {
  uint64_t max_bytes; /* per file; 0: SVC_LOG_MAX_BYTES */
  int max_files;      /* files kept, container-log.json and .1 ... .max_files-1; 0: SVC_LOG_MAX_FILES */
  bool compress;      /* --log-opt compress=true (max_files > 1): rotated files gzip'ed, see "Compression" */
  svc_log_defer_fn defer; /* where the compression runs; NULL: at once, on the writer's thread (tests) */
  void *defer_ctx;
  svc_log_gz *gz;     /* the log's compression state (svc_log_gz_new); NULL: the writer's own */
  const char *const *attr_keys; /* attr_count attributes written in each entry (sorted, unique) */
  const char *const *attr_values;
  size_t attr_count;
} svc_log_options;

/* The json-file driver's --log-opt tag=TEMPLATE (moby's loggerutils.ParseLogTag): Go's text/template
 * (docker/template.h) over Docker's logger.Info - .ID (the first 12 characters), .FullID, .Name (no leading
 * '/'), .ImageID (12 characters, without "sha256:"), .ImageFullID, .ImageName and .DaemonName ("docker", as
 * dockerd names itself there); any other field is the engine's error. The result is each entry's attribute
 * "tag" (`logs --details`: tag=...); a template that gives "" adds no attribute, as Docker's. image_id may be
 * "" (wctr's records keep the image's name, not its id). */
typedef struct svc_log_tag_info {
  const char *id;         /* the container's full id */
  const char *name;
  const char *image_id;   /* "" when unknown */
  const char *image_name;
} svc_log_tag_info;
/* *out is malloc'ed. WCTR_EINVAL with Go's message for a template that does not parse or run, prefixed as
 * dockerd's start says it ("failed to initialize logging driver: template: log-tag:1: ..."); WCTR_ENOMEM. */
wctr_err svc_log_tag(const char *tpl, const svc_log_tag_info *info, char **out, wctr_errmsg *e);

/* Docker's --details text of attributes (above) into a malloc'ed string; NULL when out of memory. */
char *svc_log_details_format(const char *const *keys, const char *const *values, size_t count);

/* "2026-12-07T07:14:33.123456789Z" (RFC 3339 with nanoseconds, UTC), Docker's timestamp form. */
void svc_log_time_now(char out[40]);

typedef struct svc_log_writer svc_log_writer;

/* Opens (appends to) path; opts NULL: the defaults, no attributes. */
wctr_err svc_log_writer_open(const char *path, const svc_log_options *opts, svc_log_writer **out, wctr_errmsg *e);
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
 * its length, *stream 1 or 2, time copied into time_out; when details is not NULL, *details is the entry's
 * "attrs" as svc_log_details_format gives them (malloc'ed; NULL without). WCTR_EINVAL for a line that is not
 * an entry. */
wctr_err svc_log_entry_parse(const char *line, size_t len, int *stream, char **data, size_t *data_len,
                             char time_out[40], char **details);

typedef struct svc_log_reader svc_log_reader;

/* Opens the log at path and its rotations path.max_files-1 ... path.1 (0: SVC_LOG_MAX_FILES), oldest first,
 * for the last tail entries (tail < 0: all), up to what exists now. A missing file is an empty one. A
 * rotation is read plain when path.N exists (it is whole while it exists), else from path.N.gz, inflated
 * into a scratch copy beside it (WCTR_FILE_SCRATCH: path.N.gz.read-<16 hex>, gone when closed or when the
 * process ends) when the reader reaches it (or at open, for --tail's count), closed once read: wctrd's memory
 * stays bounded whatever the file's size. A .gz that does not inflate to its end gives the entries before the damage and
 * counts a skip. */
wctr_err svc_log_reader_open(const char *path, int max_files, int64_t tail, svc_log_reader **out, wctr_errmsg *e);
/* Delivers entries to line until about budget bytes of output were delivered or the snapshot's end;
 * *done is set at the end. A damaged entry is skipped (counted in svc_log_reader_skipped). */
wctr_err svc_log_reader_next(svc_log_reader *r, size_t budget, svc_log_line_fn line, void *ctx, bool *done);
uint64_t svc_log_reader_skipped(const svc_log_reader *r);
void svc_log_reader_close(svc_log_reader *r); /* accepts NULL */

#endif

/* common/ioc_win.h - the I/O core's handle-based parts (Windows only): overlapped I/O on the core's
 * completion port, handle waits (process exits), keyed sources (job notifications), and the stream
 * helpers every user of the core needs - a pipe pair for a child's stdio, a reader that delivers what a
 * handle produces, and a writer with a bounded queue.
 *
 * Packets on the port:
 *   completion key 0     the OVERLAPPED is the first member of a wctr_ioc_req; the worker calls
 *                        req->done(req, bytes, error) (error ERROR_SUCCESS or the Win32 code); a
 *                        packet with key 0 and no OVERLAPPED is a worker's quit packet;
 *   completion key 1     reserved: requests the core posts itself (wctr_ioc_post_req among them);
 *   any other key        a source registered with wctr_ioc_source_add (a job object associated with the
 *                        port posts its messages this way: bytes = the message, ov = the pid). Keys carry
 *                        a generation, never reused: a packet for a removed source is dropped, so a late
 *                        job message can never reach freed memory.
 * Stop does not wait for I/O on handles associated with wctr_ioc_associate (their owners finish it first);
 * it does cancel what readers and writers still have in flight (below).
 * Handle waits use RegisterWaitForSingleObject (WT_EXECUTEONLYONCE | WT_EXECUTEINWAITTHREAD) whose
 * callback only posts a packet: Windows serves up to 63 waits per wait thread, so a hundred containers
 * cost two threads, not a hundred. */
#ifndef WCTR_COMMON_IOC_WIN_H
#define WCTR_COMMON_IOC_WIN_H

#include <windows.h>

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"
#include "common/ioc.h"

typedef struct wctr_ioc_req wctr_ioc_req;
typedef void (*wctr_ioc_done_fn)(wctr_ioc_req *req, DWORD bytes, DWORD error);
struct wctr_ioc_req {
  OVERLAPPED ov; /* first member */
  wctr_ioc_done_fn done;
  void *data;
};

HANDLE wctr_ioc_port(const wctr_ioc *ioc);

/* Associates a handle opened with FILE_FLAG_OVERLAPPED with the port (completion key 0). */
wctr_err wctr_ioc_associate(wctr_ioc *ioc, HANDLE h, wctr_errmsg *e);

/* Queues req->done(req, bytes, error) to a worker as if an I/O had completed. The error travels in
 * req->ov.Internal, so req must not be in an I/O at the time. Stop waits for it. */
bool wctr_ioc_post_req(wctr_ioc *ioc, wctr_ioc_req *req, DWORD bytes, DWORD error);

/* --- handle waits ----------------------------------------------------------------------------------- */

typedef struct wctr_ioc_wait wctr_ioc_wait;
/* fn(arg) on a worker once h is signalled; once-semantics as timers (common/ioc.h). The caller keeps h
 * open until fn runs or the cancel returned true; the wait is unregistered before fn runs, so fn may
 * close h. *out is set before the wait can fire. Cancel may block briefly for a callback on Windows' wait
 * thread (ours only posts a packet). */
wctr_err wctr_ioc_wait_start(wctr_ioc *ioc, HANDLE h, wctr_ioc_fn fn, void *arg, wctr_ioc_wait **out,
                             wctr_errmsg *e);
bool wctr_ioc_wait_cancel(wctr_ioc_wait *w); /* accepts NULL (false) */
/* The Win32 call behind wctr_ioc_wait_start, a seam for tests (RegisterWaitForSingleObject by default):
 * a start whose exit cannot be watched must fail whole, never leave a container "running" for ever. */
extern BOOL(WINAPI *wctr_ioc_register_wait)(PHANDLE wait, HANDLE h, WAITORTIMERCALLBACK fn, PVOID ctx, ULONG ms,
                                            ULONG flags);

/* --- keyed sources (job notifications) -------------------------------------------------------------------- */

typedef void (*wctr_ioc_packet_fn)(void *ctx, DWORD bytes, ULONG_PTR data);
/* Registers fn/ctx; *key is what to hand Windows as the completion key (never 0 or 1, never reused).
 * One callback at a time per source: a packet that comes while another worker is in fn for the same
 * source is delivered next by that worker, in the order the port gave them (two packets taken from the
 * port at the same instant by two workers may swap). */
wctr_err wctr_ioc_source_add(wctr_ioc *ioc, wctr_ioc_packet_fn fn, void *ctx, ULONG_PTR *key, wctr_errmsg *e);
/* After it returns fn is never called for key again (packets still queued are dropped); a call in
 * progress on another worker is waited for, so the caller must not hold a lock that fn takes (unless it
 * is fn itself calling). An unknown or already removed key is ignored. */
void wctr_ioc_source_remove(wctr_ioc *ioc, ULONG_PTR key);
/* Sources registered and not removed (for tests: a runtime that forgets to remove its job's source makes
 * this grow with every run). */
size_t wctr_ioc_source_count(wctr_ioc *ioc);

/* --- stdio for child processes ------------------------------------------------------------------------ */

/* A byte-mode named pipe with a unique name: *ours is overlapped (associate it with the core and read or
 * write it with a reader / writer), *child is synchronous and inheritable, for a child's stdin
 * (child_reads) or stdout/stderr. Anonymous pipes (CreatePipe) cannot do overlapped I/O, hence names
 * (libuv does the same). Both ends refuse remote clients; the name is random, and the pipe has one
 * instance that is connected before this returns, so nobody else can open it (if somebody connects
 * first, the pair is made again under another name). The buffers are 64 KiB each way. */
wctr_err wctr_pipe_pair(bool child_reads, HANDLE *ours, HANDLE *child, wctr_errmsg *e);

/* --- reader: everything a handle produces, chunk by chunk ----------------------------------------------- */

typedef struct wctr_ioc_reader wctr_ioc_reader;
/* on_data(ctx, data, len) for each chunk read (on a worker, one at a time per reader, in order); then
 * on_end(ctx, error) exactly once when the handle reports end of file / broken pipe / a server pipe whose
 * client left (error 0) or fails, after which the reader is done and frees itself; the handle is closed
 * by the reader. Chunks are at most buffer_size bytes (1 B to 2 GiB); a message longer than that (message
 * pipes) comes as several chunks. On a byte-mode pipe the buffer is held only while data flows: the reader
 * waits for data with a read of 0 bytes (as libuv does), reads with the buffer while reads fill it, and
 * frees it when a read finds the pipe drained - an idle reader (a quiet container's stdout) costs no
 * buffer; on_end(ERROR_NOT_ENOUGH_MEMORY) when it cannot be had again. Files and message pipes keep
 * their buffer for the reader's life. The handle must be overlapped and not associated
 * with a port yet; it is associated here. If this fails, the caller still owns h. on_end never runs
 * inside this call. If the core stops first, the read is cancelled: on_end(ERROR_OPERATION_ABORTED). */
wctr_err wctr_ioc_reader_start(wctr_ioc *ioc, HANDLE h, size_t buffer_size,
                               void (*on_data)(void *ctx, const char *data, size_t len),
                               void (*on_end)(void *ctx, DWORD error), void *ctx, wctr_ioc_reader **out,
                               wctr_errmsg *e);
/* Cancels the pending read (CancelIoEx): on_end follows with ERROR_OPERATION_ABORTED (or 0 / an error if
 * the stream ended first; data already read is still delivered). Safe at any time before on_end
 * returned; not after. */
void wctr_ioc_reader_cancel(wctr_ioc_reader *r);

/* --- writer: a bounded queue of buffers written in order ------------------------------------------------ */

typedef struct wctr_ioc_writer wctr_ioc_writer;
typedef struct wctr_ioc_writer_options {
  size_t max_queued;     /* bytes not yet written at most (the write in flight included); 0: no bound */
  bool message_mode;     /* each buffer is one message (pipe message mode): never split or merged */
  /* optional: the queue went below low_water (or empty, for low_water 0) after it had been at or above
   * it, or after a write was refused with WCTR_ETOOBIG (on a worker) */
  void (*on_drain)(void *ctx);
  size_t low_water;
  void (*on_error)(void *ctx, DWORD error); /* optional: a write failed (the peer left); once */
  void *ctx;
  /* The handle is a SOCKET: written with ws2_32's WSASend (looked up in the ws2_32.dll that made it), not
   * WriteFile. Wine 8's overlapped WriteFile on a socket stops for good once the send buffer has filled under a
   * slow reader (it completes only when the peer closes); its WSASend does not. */
  bool socket;
} wctr_ioc_writer_options;

/* The handle must be overlapped; it is associated here unless already (pass associated true: then with
 * completion key 0 on this core's port). opt NULL: no bound, no callbacks. Callbacks run on a worker,
 * one at a time, never inside write or close. Every writer is closed by its owner before the core
 * stops (stop cancels a write still in flight, which reports on_error). */
wctr_err wctr_ioc_writer_start(wctr_ioc *ioc, HANDLE h, bool associated, const wctr_ioc_writer_options *opt,
                               wctr_ioc_writer **out, wctr_errmsg *e);
/* Queues len bytes (copied, or taken when take is true: then data must be malloc'ed and is freed by the
 * writer, whatever the result). WCTR_EPIPE once a write failed or the writer was closed; WCTR_ETOOBIG
 * when the bound would be exceeded (nothing queued: the caller decides - a subscriber that does not read
 * loses its stream); WCTR_ENOMEM. A write that fails on the way is reported by on_error, not here. In
 * byte mode len 0 queues nothing; in message mode it is an empty message, and a message over 1 GiB is
 * refused with WCTR_ETOOBIG. */
wctr_err wctr_ioc_writer_write(wctr_ioc_writer *w, const void *data, size_t len, bool take);
size_t wctr_ioc_writer_queued(const wctr_ioc_writer *w);
/* Stops: drain true writes out what is queued first (then closes the handle if close_handle); false
 * cancels at once. The writer frees itself when its last write completed; no callback after this: a
 * callback in progress on another worker is waited for, so do not hold a lock that on_drain/on_error take
 * (as wctr_ioc_source_remove); from the writer's own callback it is fine. Once per writer. */
void wctr_ioc_writer_close(wctr_ioc_writer *w, bool drain, bool close_handle);

#endif

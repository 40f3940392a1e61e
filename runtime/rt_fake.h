/* runtime/rt_fake.h - a portable runtime that runs nothing but does what it is told (runtime/runtime.h),
 * so the container manager runs natively under ASan/UBSan with its real locks, timers and pool.
 *
 * A container's command is its script: each argument is one instruction, run in order on the I/O core's
 * workers (an unknown instruction fails the start with WCTR_EINVAL, which is how tests make a start fail
 * for one container):
 *   out=TEXT      write TEXT to stdout (escapes: \n \r \t \\ \0 \xHH)
 *   err=TEXT      the same to stderr
 *   repeat=N:TEXT write TEXT N times to stdout, in chunks of up to 64 KiB
 *   sleep=MS      wait MS milliseconds (a timer)
 *   wait          wait until signalled: the stop signal ends it with code 0, the kill with RT_KILLED_EXIT_CODE
 *   ignore-stop   from now on the stop signal is ignored (only the kill ends it)
 *   cat           copy stdin to stdout until end of file
 *   oom           report the memory limit reached
 *   exit=N        end with code N (the end of the script is exit=0)
 *   whoami        write the process's user and "\n" (its -u, else the container's, else "FakeUser")
 *   pwd           write its working directory and "\n" (else "C:\")
 *   getenv=K      write the value of K and "\n" (an exec's own env first, then the container's); nothing when unset
 * pause (RT_METHODS_V3) holds the script where it is - no instruction runs, a sleep that ends meanwhile waits -
 * until resume; as HCS, pause refuses a run that has ended or is paused (WCTR_ESTATE), resume one that is not
 * paused.
 * exec (rt_methods.exec) runs a script the same way as a process of the running container, with its own
 * events, stdin and exit; it ends (RT_KILLED_EXIT_CODE) when the container's run ends. Its first word must be
 * an instruction: anything else fails as a missing program does (WCTR_ENOENT, "exec: \"X\": executable file
 * not found"), and the word "denied" as one that cannot be invoked (WCTR_EACCES, "access is denied"); "oom" is
 * ignored there.
 * A start of an id whose previous task is not released yet fails as the job runtime's does (WCTR_EEXIST, "a
 * job named wctr-<id> already exists"; counted as "start-conflict").
 * Images (prepare): "missing" is refused (WCTR_ENOENT, "No such image: missing"); "with-cmd" supplies the
 * command ["out=from-image\n"] and the user "ImageUser" when the spec has none; anything else is accepted.
 *
 * Process-wide state, reset by rt_fake_reset, for tests to observe and steer. */
#ifndef WCTR_RUNTIME_RT_FAKE_H
#define WCTR_RUNTIME_RT_FAKE_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"
#include "runtime/runtime.h"

wctr_err rt_fake_open(const rt_options *opt, rt_runtime **out, wctr_errmsg *e);

void rt_fake_reset(void);
/* available() answers this (true by default). */
void rt_fake_set_available(bool available, const char *why);
/* The next n starts fail with err and message (before anything exists). */
void rt_fake_fail_starts(int n, wctr_err err, const char *message);
/* Each start takes this long (on the pool) before it returns. */
void rt_fake_set_start_delay_ms(unsigned ms);
/* Each release takes this long before the task's id is free again. */
void rt_fake_set_release_delay_ms(unsigned ms);
/* Each signal takes this long (on the pool) before it returns (a process that holds up the stop signal). */
void rt_fake_set_signal_delay_ms(unsigned ms);
/* pause refuses every run (WCTR_ENOTSUP), as the job runtime and process isolation do. */
void rt_fake_refuse_pause(bool refuse);
/* A started process-isolated task reports path as its runtime state's StoragePath (the folder standing for the
 * volume the HCS runtime mounts); NULL or "": none, the default. */
void rt_fake_set_storage_path(const char *path);
/* mount_root (RT_METHODS_V4) of a container reports path as its root (the folder standing for the scratch the
 * HCS runtime mounts), whatever its isolation; NULL or "" (the default): refused (WCTR_ENOTSUP, "the fake
 * runtime has no root folder to mount"). A mount_root of an id whose task is live is refused (WCTR_ESTATE): the
 * manager promised a container that does not run. unmount_root always succeeds. */
void rt_fake_set_root_path(const char *path);
/* The mount_root and unmount_root calls so far, in order: "mount-root <id>;unmount-root <id>;" (cut at 2 KiB). */
void rt_fake_root_log(char *out, size_t size);
/* Counters: "start", "release", "remove", "cleanup", "sweep", "signal-stop", "signal-kill", "stdin-close",
 * "reattach", "start-conflict", "exec", "proc-release", "pause", "resume", "mount-root", "unmount-root". */
int rt_fake_count(const char *what);
/* Tasks started (or re-attached) and not yet released. */
int rt_fake_live_tasks(void);
/* A container that "outlived" a wctrd crash: reattach of this id adopts it and runs script (instructions as
 * above, separated by '|'). With alive false, reattach says it is gone with exit code `code`. */
void rt_fake_plant(const char *id, bool alive, const char *script, int code);
/* The id of the last task sweep() was told runs, joined by ',' (for tests of the recovery's sweep). */
const char *rt_fake_last_sweep_running(void);

#endif

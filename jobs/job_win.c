/* jobs/job_win.c - job objects by name, their limits, accounting and termination; the seam table. */
#include <windows.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acl/acl_win.h"
#include "common/log.h"
#include "common/wstr.h"
#include "jobs/jobs_sys.h"
#include "jobs/jobs_win.h"

/* --- the I/O rate functions, resolved at run time ------------------------------------------------------
 * Linking them would stop wctrd.exe from loading on a Windows (or Wine) whose kernel32 lacks them, for the
 * sake of two optional flags. They are looked up at each call: calls are rare (create and update of a
 * container with I/O limits), and there is no cache to keep thread-safe. */
typedef DWORD(WINAPI *set_io_rate_fn)(HANDLE, JOBOBJECT_IO_RATE_CONTROL_INFORMATION *);
typedef DWORD(WINAPI *query_io_rate_fn)(HANDLE, PCWSTR, JOBOBJECT_IO_RATE_CONTROL_INFORMATION **, ULONG *);
typedef VOID(WINAPI *free_memory_job_object_fn)(VOID *);

/* kernel32 is in every process, so GetModuleHandleW finds it without taking a reference. */
void (*jobs_kernel32_export(const char *name))(void) {
  HMODULE kernel32 = GetModuleHandleW(L"kernel32.dll");
  return kernel32 != NULL ? (void (*)(void))GetProcAddress(kernel32, name) : NULL;
}

static DWORD WINAPI set_io_rate_resolved(HANDLE job, JOBOBJECT_IO_RATE_CONTROL_INFORMATION *info) {
  set_io_rate_fn fn = (set_io_rate_fn)jobs_kernel32_export("SetIoRateControlInformationJobObject");
  if (fn == NULL) {
    SetLastError(ERROR_PROC_NOT_FOUND);
    return 0;
  }
  return fn(job, info);
}

static DWORD WINAPI query_io_rate_resolved(HANDLE job, PCWSTR volume, JOBOBJECT_IO_RATE_CONTROL_INFORMATION **blocks,
                                           ULONG *count) {
  query_io_rate_fn fn = (query_io_rate_fn)jobs_kernel32_export("QueryIoRateControlInformationJobObject");
  if (fn == NULL) {
    SetLastError(ERROR_PROC_NOT_FOUND);
    return 0;
  }
  return fn(job, volume, blocks, count);
}

static VOID WINAPI free_memory_job_object_resolved(VOID *buffer) {
  free_memory_job_object_fn fn = (free_memory_job_object_fn)jobs_kernel32_export("FreeMemoryJobObject");
  if (fn != NULL && buffer != NULL) fn(buffer);
}

jobs_syscalls jobs_sys = {
    .CreateJobObjectW = CreateJobObjectW,
    .OpenJobObjectW = OpenJobObjectW,
    .SetInformationJobObject = SetInformationJobObject,
    .QueryInformationJobObject = QueryInformationJobObject,
    .SetIoRateControlInformationJobObject = set_io_rate_resolved,
    .QueryIoRateControlInformationJobObject = query_io_rate_resolved,
    .FreeMemoryJobObject = free_memory_job_object_resolved,
    .AssignProcessToJobObject = AssignProcessToJobObject,
    .TerminateJobObject = TerminateJobObject,
    .UpdateProcThreadAttribute = UpdateProcThreadAttribute,
    .CreateProcessAsUserW = CreateProcessAsUserW,
    .LogonUserW = LogonUserW,
    .OpenProcessToken = OpenProcessToken,
    .CreateRestrictedToken = CreateRestrictedToken,
    .GetTokenInformation = GetTokenInformation,
    .SetTokenInformation = SetTokenInformation,
    .CreateRemoteThread = CreateRemoteThread,
    .IsProcessInJob = IsProcessInJob,
};

wctr_err jobs_fail_win32(wctr_errmsg *e, const char *call, DWORD code, const char *what, ...) {
  char context[384];
  char sysmsg[256];
  va_list ap;
  va_start(ap, what);
  vsnprintf(context, sizeof context, what, ap);
  va_end(ap);
  wctr_err err = wctr_log_win32(call, code, "%s", context);
  wctr_system_message(code, sysmsg, sizeof sysmsg);
  return wctr_fail(e, err, "%s: %s (error %lu)", context, sysmsg, (unsigned long)code);
}

/* What wctr needs on a job, and no more: no WRITE_DAC, no JOB_OBJECT_SET_SECURITY_ATTRIBUTES. */
#define JOB_ACCESS \
  (JOB_OBJECT_ASSIGN_PROCESS | JOB_OBJECT_SET_ATTRIBUTES | JOB_OBJECT_QUERY | JOB_OBJECT_TERMINATE | SYNCHRONIZE)

#define CPU_FLAGS (JOB_LIMIT_CPU_RATE | JOB_LIMIT_CPU_WEIGHT)
#define IO_FLAGS (JOB_LIMIT_IO_IOPS | JOB_LIMIT_IO_BANDWIDTH)
#define EXTENDED_FLAGS (JOB_LIMIT_MEMORY | JOB_LIMIT_PROCESSES)
#define ALL_FLAGS (EXTENDED_FLAGS | CPU_FLAGS | IO_FLAGS)

/* --- names ----------------------------------------------------------------------------------------- */

/* name -> L"Global\<name>" (malloc'ed). */
static wctr_err kernel_name(const char *name, wchar_t **out, wctr_errmsg *e) {
  static const wchar_t prefix[] = L"Global\\";
  *out = NULL;
  if (name == NULL || name[0] == '\0') return wctr_fail(e, WCTR_EINVAL, "a job needs a name");
  size_t len = strlen(name);
  if (len > JOB_NAME_MAX) return wctr_fail(e, WCTR_EINVAL, "job name is %zu bytes long; at most %d", len, JOB_NAME_MAX);
  if (strchr(name, '\\') != NULL) {
    return wctr_fail(e, WCTR_EINVAL, "job name \"%s\" contains a backslash, which Windows reads as a directory", name);
  }
  wchar_t *wide = wctr_utf8_to_wide(name);
  if (wide == NULL) return wctr_fail(e, WCTR_EINVAL, "job name is not valid UTF-8");
  size_t wlen = wcslen(wide);
  wchar_t *full = malloc((ARRAYSIZE(prefix) + wlen) * sizeof *full);
  if (full == NULL) {
    free(wide);
    return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  }
  memcpy(full, prefix, sizeof prefix - sizeof prefix[0]);
  memcpy(full + ARRAYSIZE(prefix) - 1, wide, (wlen + 1) * sizeof *full);
  free(wide);
  *out = full;
  return WCTR_OK;
}

static job_object *job_new(const char *name, HANDLE handle) {
  job_object *job = calloc(1, sizeof *job);
  if (job == NULL) return NULL;
  size_t len = strlen(name);
  job->name = malloc(len + 1);
  if (job->name == NULL) {
    free(job);
    return NULL;
  }
  memcpy(job->name, name, len + 1);
  job->handle = handle;
  return job;
}

/* --- limits --------------------------------------------------------------------------------------- */

static wctr_err check_limits(const job_limits *l, wctr_errmsg *e) {
  if ((l->flags & ~(unsigned)ALL_FLAGS) != 0) {
    return wctr_fail(e, WCTR_EINVAL, "job limits carry unknown flag bits 0x%x", l->flags & ~(unsigned)ALL_FLAGS);
  }
  if ((l->flags & CPU_FLAGS) == CPU_FLAGS) {
    return wctr_fail(e, WCTR_EINVAL, "a job takes one CPU rate control mode: a hard cap and a weight cannot both be set");
  }
  if ((l->flags & JOB_LIMIT_MEMORY) && l->job_memory_limit == 0) {
    return wctr_fail(e, WCTR_EINVAL, "the job memory limit must be above 0 bytes");
  }
  if ((l->flags & JOB_LIMIT_CPU_RATE) && (l->cpu_rate < 1 || l->cpu_rate > 10000)) {
    return wctr_fail(e, WCTR_EINVAL, "CPU rate %u is outside 1..10000", (unsigned)l->cpu_rate);
  }
  if ((l->flags & JOB_LIMIT_CPU_WEIGHT) && (l->cpu_weight < 1 || l->cpu_weight > 9)) {
    return wctr_fail(e, WCTR_EINVAL, "CPU weight %u is outside 1..9", (unsigned)l->cpu_weight);
  }
  if ((l->flags & JOB_LIMIT_PROCESSES) && l->active_process_limit == 0) {
    return wctr_fail(e, WCTR_EINVAL, "the process limit must be at least 1");
  }
  if ((l->flags & JOB_LIMIT_IO_IOPS) && l->io_max_iops <= 0) {
    return wctr_fail(e, WCTR_EINVAL, "the I/O operations limit must be above 0 per second");
  }
  if ((l->flags & JOB_LIMIT_IO_BANDWIDTH) && l->io_max_bandwidth <= 0) {
    return wctr_fail(e, WCTR_EINVAL, "the I/O bandwidth limit must be above 0 bytes per second");
  }
  return WCTR_OK;
}

/* JobObjectExtendedLimitInformation is written whole each time: wctr owns every flag in it. */
static wctr_err set_extended(job_object *job, const job_limits *l, wctr_errmsg *e) {
  JOBOBJECT_EXTENDED_LIMIT_INFORMATION x;
  char what[160];
  int n = snprintf(what, sizeof what, "kill on close");
  memset(&x, 0, sizeof x);
  x.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE | JOB_OBJECT_LIMIT_DIE_ON_UNHANDLED_EXCEPTION;
  if (l->flags & JOB_LIMIT_MEMORY) {
    x.BasicLimitInformation.LimitFlags |= JOB_OBJECT_LIMIT_JOB_MEMORY;
    x.JobMemoryLimit = (SIZE_T)l->job_memory_limit;
    n += snprintf(what + n, sizeof what - (size_t)n, ", memory %llu bytes", (unsigned long long)l->job_memory_limit);
  }
  if (l->flags & JOB_LIMIT_PROCESSES) {
    x.BasicLimitInformation.LimitFlags |= JOB_OBJECT_LIMIT_ACTIVE_PROCESS;
    x.BasicLimitInformation.ActiveProcessLimit = l->active_process_limit;
    snprintf(what + n, sizeof what - (size_t)n, ", at most %lu processes", (unsigned long)l->active_process_limit);
  }
  if (!jobs_sys.SetInformationJobObject(job->handle, JobObjectExtendedLimitInformation, &x, sizeof x)) {
    return jobs_fail_win32(e, "SetInformationJobObject", GetLastError(), "Windows refused the limits of job %s (%s)",
                           job->name, what);
  }
  job->applied = (job->applied & ~(unsigned)EXTENDED_FLAGS) | (l->flags & EXTENDED_FLAGS);
  return WCTR_OK;
}

/* flags 0 switches CPU rate control off. */
static wctr_err set_cpu(job_object *job, DWORD flags, DWORD value, unsigned applied_after, wctr_errmsg *e) {
  JOBOBJECT_CPU_RATE_CONTROL_INFORMATION c;
  char what[96];
  memset(&c, 0, sizeof c);
  c.ControlFlags = flags;
  if (flags & JOB_OBJECT_CPU_RATE_CONTROL_WEIGHT_BASED) {
    c.Weight = value;
    snprintf(what, sizeof what, "weight %lu of 9", (unsigned long)value);
  } else if (flags & JOB_OBJECT_CPU_RATE_CONTROL_HARD_CAP) {
    c.CpuRate = value;
    snprintf(what, sizeof what, "hard cap at %lu.%02lu%% of all CPUs", (unsigned long)value / 100,
             (unsigned long)value % 100);
  } else {
    snprintf(what, sizeof what, "switching the CPU limit off");
  }
  if (!jobs_sys.SetInformationJobObject(job->handle, JobObjectCpuRateControlInformation, &c, sizeof c)) {
    return jobs_fail_win32(e, "SetInformationJobObject", GetLastError(), "Windows refused the CPU limit of job %s (%s)",
                           job->name, what);
  }
  job->applied = (job->applied & ~(unsigned)CPU_FLAGS) | applied_after;
  return WCTR_OK;
}

/* iops and bandwidth 0 with enable FALSE switch I/O rate control off. */
static wctr_err set_io(job_object *job, BOOL enable, LONG64 iops, LONG64 bandwidth, unsigned applied_after,
                       wctr_errmsg *e) {
  JOBOBJECT_IO_RATE_CONTROL_INFORMATION io;
  memset(&io, 0, sizeof io);
  io.MaxIops = iops;
  io.MaxBandwidth = bandwidth;
  io.ControlFlags = enable ? JOB_OBJECT_IO_RATE_CONTROL_ENABLE : 0;
  if (jobs_sys.SetIoRateControlInformationJobObject(job->handle, &io) == 0) {
    DWORD code = GetLastError();
    if (code == ERROR_PROC_NOT_FOUND) {
      wctr_log(WCTR_LOG_ERROR, "kernel32 has no SetIoRateControlInformationJobObject - job %s", job->name);
      return wctr_fail(e, WCTR_ENOTSUP,
                       "I/O limits (--io-maxiops, --io-maxbandwidth) need SetIoRateControlInformationJobObject, "
                       "which this Windows does not have (Windows 10 / Server 2016 and later)");
    }
    return jobs_fail_win32(e, "SetIoRateControlInformationJobObject", code,
                           "Windows refused the I/O limits of job %s (%lld operations/s, %lld bytes/s%s)", job->name,
                           (long long)iops, (long long)bandwidth, enable ? "" : ", switching off");
  }
  job->applied = (job->applied & ~(unsigned)IO_FLAGS) | applied_after;
  return WCTR_OK;
}

/* Reads JobObjectCpuRateControlInformation. *known is FALSE when this Windows refuses the class
 * (ERROR_INVALID_PARAMETER: it has no CPU rate control, so no job on it can have one). */
static wctr_err query_cpu(job_object *job, JOBOBJECT_CPU_RATE_CONTROL_INFORMATION *c, BOOL *known, wctr_errmsg *e) {
  memset(c, 0, sizeof *c);
  *known = TRUE;
  if (!jobs_sys.QueryInformationJobObject(job->handle, JobObjectCpuRateControlInformation, c, sizeof *c, NULL)) {
    DWORD code = GetLastError();
    if (code == ERROR_INVALID_PARAMETER) {
      *known = FALSE;
      return WCTR_OK;
    }
    return jobs_fail_win32(e, "QueryInformationJobObject", code, "cannot read the CPU limit of job %s", job->name);
  }
  return WCTR_OK;
}

/* The first enabled I/O rate block of the job (VolumeName cleared: it points into memory freed here).
 * Returns ERROR_SUCCESS (then *found says whether there is one) or the failure's code. */
static DWORD query_io(job_object *job, JOBOBJECT_IO_RATE_CONTROL_INFORMATION *out, BOOL *found) {
  JOBOBJECT_IO_RATE_CONTROL_INFORMATION *blocks = NULL;
  ULONG count = 0;
  memset(out, 0, sizeof *out);
  *found = FALSE;
  if (jobs_sys.QueryIoRateControlInformationJobObject(job->handle, NULL, &blocks, &count) == 0) return GetLastError();
  for (ULONG i = 0; blocks != NULL && i < count && !*found; i++) {
    if (blocks[i].ControlFlags & JOB_OBJECT_IO_RATE_CONTROL_ENABLE) {
      *out = blocks[i];
      out->VolumeName = NULL;
      *found = TRUE;
    }
  }
  if (blocks != NULL) jobs_sys.FreeMemoryJobObject(blocks);
  return ERROR_SUCCESS;
}

/* Whether the job may have a CPU control to switch off (see job_apply_limits). */
static wctr_err cpu_control_present(job_object *job, BOOL *present, wctr_errmsg *e) {
  if (job->applied_known) {
    *present = (job->applied & CPU_FLAGS) != 0;
    return WCTR_OK;
  }
  JOBOBJECT_CPU_RATE_CONTROL_INFORMATION c;
  BOOL known;
  wctr_err err = query_cpu(job, &c, &known, e);
  *present = known && (c.ControlFlags & JOB_OBJECT_CPU_RATE_CONTROL_ENABLE) != 0;
  return err;
}

static BOOL io_control_present(job_object *job) {
  if (job->applied_known) return (job->applied & IO_FLAGS) != 0;
  JOBOBJECT_IO_RATE_CONTROL_INFORMATION io;
  BOOL found;
  DWORD code = query_io(job, &io, &found);
  if (code == ERROR_SUCCESS) return found;
  /* Without the functions there is no I/O rate control to switch off; when Windows cannot say, switching
   * off is the safe guess (an error then surfaces). */
  return code != ERROR_PROC_NOT_FOUND;
}

/* The steps of job_create (replace FALSE: only set what limits carries, on a job known to be bare) and
 * job_apply_limits (replace TRUE). */
static wctr_err apply(job_object *job, const job_limits *limits, BOOL replace, wctr_errmsg *e) {
  static const job_limits none;
  const job_limits *l = limits != NULL ? limits : &none;
  wctr_err err = check_limits(l, e);
  if (err != WCTR_OK) return err;
  err = set_extended(job, l, e);
  if (err != WCTR_OK) return err;

  if (l->flags & JOB_LIMIT_CPU_RATE) {
    err = set_cpu(job, JOB_OBJECT_CPU_RATE_CONTROL_ENABLE | JOB_OBJECT_CPU_RATE_CONTROL_HARD_CAP, l->cpu_rate,
                  JOB_LIMIT_CPU_RATE, e);
  } else if (l->flags & JOB_LIMIT_CPU_WEIGHT) {
    err = set_cpu(job, JOB_OBJECT_CPU_RATE_CONTROL_ENABLE | JOB_OBJECT_CPU_RATE_CONTROL_WEIGHT_BASED, l->cpu_weight,
                  JOB_LIMIT_CPU_WEIGHT, e);
  } else if (replace) {
    BOOL present = FALSE;
    err = cpu_control_present(job, &present, e);
    if (err == WCTR_OK && present) err = set_cpu(job, 0, 0, 0, e);
  }
  if (err != WCTR_OK) return err;

  if (l->flags & IO_FLAGS) {
    err = set_io(job, TRUE, (l->flags & JOB_LIMIT_IO_IOPS) ? l->io_max_iops : 0,
                 (l->flags & JOB_LIMIT_IO_BANDWIDTH) ? l->io_max_bandwidth : 0, l->flags & IO_FLAGS, e);
  } else if (replace && io_control_present(job)) {
    err = set_io(job, FALSE, 0, 0, 0, e);
  }
  if (err != WCTR_OK) return err;
  job->applied_known = TRUE;
  return WCTR_OK;
}

/* --- the contract --------------------------------------------------------------------------------- */

wctr_err job_create(const char *name, const job_limits *limits, job_object **out, wctr_errmsg *e) {
  wctr_err err = WCTR_OK;
  wchar_t *wname = NULL;
  acl_sa sa;
  job_object *job = NULL;
  memset(&sa, 0, sizeof sa);
  if (out == NULL) return wctr_fail(e, WCTR_EINVAL, "job_create needs an output");
  *out = NULL;
  err = kernel_name(name, &wname, e);
  if (err != WCTR_OK) goto done;
  if (limits != NULL) {
    err = check_limits(limits, e);
    if (err != WCTR_OK) goto done;
  }
  err = acl_sa_from_sddl(JOB_SDDL, &sa, e);
  if (err != WCTR_OK) goto done;
  job = job_new(name, NULL);
  if (job == NULL) {
    err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
    goto done;
  }
  job->handle = jobs_sys.CreateJobObjectW(&sa.sa, wname);
  DWORD code = GetLastError(); /* read at once: ERROR_ALREADY_EXISTS comes with a valid handle */
  if (job->handle == NULL) {
    if (code == ERROR_INVALID_HANDLE) {
      /* What Windows says when the name belongs to an object of another type. */
      err = wctr_fail(e, WCTR_EEXIST, "the name Global\\%s is taken by an object that is not a job", name);
    } else {
      err = jobs_fail_win32(e, "CreateJobObjectW", code, "cannot create job %s", name);
    }
    goto done;
  }
  if (code == ERROR_ALREADY_EXISTS) {
    /* The handle is to someone else's job: closing it leaves that job as it was. */
    err = wctr_fail(e, WCTR_EEXIST, "a job named %s already exists (is a container with this id still running?)",
                    name);
    goto done;
  }
  job->applied_known = TRUE;
  err = apply(job, limits, FALSE, e);

done:
  free(wname);
  acl_sa_free(&sa);
  if (err != WCTR_OK) {
    job_close(job); /* the only handle: the new job is destroyed with it */
    return err;
  }
  *out = job;
  return WCTR_OK;
}

wctr_err job_open(const char *name, job_object **out, wctr_errmsg *e) {
  wchar_t *wname = NULL;
  if (out == NULL) return wctr_fail(e, WCTR_EINVAL, "job_open needs an output");
  *out = NULL;
  wctr_err err = kernel_name(name, &wname, e);
  if (err != WCTR_OK) return err;
  HANDLE h = jobs_sys.OpenJobObjectW(JOB_ACCESS, FALSE, wname);
  DWORD code = GetLastError();
  free(wname);
  if (h == NULL) {
    /* No such job is an answer (a restarted wctrd asks about every container it knew), not a failure to log. */
    if (code == ERROR_FILE_NOT_FOUND) return wctr_fail(e, WCTR_ENOENT, "there is no job named %s", name);
    return jobs_fail_win32(e, "OpenJobObjectW", code, "cannot open job %s", name);
  }
  job_object *job = job_new(name, h);
  if (job == NULL) {
    CloseHandle(h);
    return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  }
  *out = job;
  return WCTR_OK;
}

typedef struct silo_unicode_string {
  USHORT Length;
  USHORT MaximumLength;
  PWSTR Buffer;
} silo_unicode_string;

typedef struct silo_object_attributes {
  ULONG Length;
  HANDLE RootDirectory;
  silo_unicode_string *ObjectName;
  ULONG Attributes;
  PVOID SecurityDescriptor;
  PVOID SecurityQualityOfService;
} silo_object_attributes;

typedef LONG(NTAPI *nt_open_job_fn)(HANDLE *, ACCESS_MASK, silo_object_attributes *);

wctr_err job_open_silo(const char *container_id, job_object **out, wctr_errmsg *e) {
  *out = NULL;
  /* The silo lives in the object manager's root (\Container_<id>), which the Win32 names (Global\...)
   * cannot reach: NtOpenJobObject takes the full path. */
  nt_open_job_fn open_job =
      (nt_open_job_fn)(void (*)(void))GetProcAddress(GetModuleHandleW(L"ntdll.dll"), "NtOpenJobObject");
  if (open_job == NULL) return wctr_fail(e, WCTR_ENOTSUP, "ntdll has no NtOpenJobObject");
  wchar_t path[128];
  _snwprintf(path, ARRAYSIZE(path), L"\\Container_%hs", container_id);
  path[ARRAYSIZE(path) - 1] = L'\0';
  silo_unicode_string name = {.Length = (USHORT)(wcslen(path) * sizeof(wchar_t)),
                              .MaximumLength = (USHORT)(wcslen(path) * sizeof(wchar_t)),
                              .Buffer = path};
  silo_object_attributes attrs = {.Length = sizeof attrs, .ObjectName = &name, .Attributes = 0x40 /* CASE_INSENSITIVE */};
  HANDLE h = NULL;
  LONG status = open_job(&h, JOB_ACCESS, &attrs);
  if (status < 0 || h == NULL) {
    return wctr_fail(e, WCTR_ENOENT, "the silo job \\Container_%.64s cannot be opened (NTSTATUS 0x%08lX)", container_id,
                     (unsigned long)status);
  }
  char label[96];
  snprintf(label, sizeof label, "Container_%.64s", container_id);
  job_object *job = job_new(label, h);
  if (job == NULL) {
    CloseHandle(h);
    return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  }
  *out = job;
  return WCTR_OK;
}

wctr_err job_set_process_limit(job_object *job, uint32_t limit, wctr_errmsg *e) {
  JOBOBJECT_EXTENDED_LIMIT_INFORMATION x;
  memset(&x, 0, sizeof x);
  if (!jobs_sys.QueryInformationJobObject(job->handle, JobObjectExtendedLimitInformation, &x, sizeof x, NULL)) {
    return jobs_fail_win32(e, "QueryInformationJobObject", GetLastError(), "cannot read the limits of job %s", job->name);
  }
  /* Only the process count changes: whatever else the job's creator set (HCS's memory limit) stays. */
  x.BasicLimitInformation.LimitFlags |= JOB_OBJECT_LIMIT_ACTIVE_PROCESS;
  x.BasicLimitInformation.ActiveProcessLimit = limit;
  if (!jobs_sys.SetInformationJobObject(job->handle, JobObjectExtendedLimitInformation, &x, sizeof x)) {
    return jobs_fail_win32(e, "SetInformationJobObject", GetLastError(), "cannot limit job %s to %u processes",
                           job->name, limit);
  }
  return WCTR_OK;
}

wctr_err job_apply_limits(job_object *job, const job_limits *limits, wctr_errmsg *e) {
  if (job == NULL || limits == NULL) return wctr_fail(e, WCTR_EINVAL, "job_apply_limits needs a job and limits");
  return apply(job, limits, TRUE, e);
}

wctr_err job_query_limits(job_object *job, job_limits *out, wctr_errmsg *e) {
  if (job == NULL || out == NULL) return wctr_fail(e, WCTR_EINVAL, "job_query_limits needs a job and an output");
  memset(out, 0, sizeof *out);
  JOBOBJECT_EXTENDED_LIMIT_INFORMATION x;
  memset(&x, 0, sizeof x);
  if (!jobs_sys.QueryInformationJobObject(job->handle, JobObjectExtendedLimitInformation, &x, sizeof x, NULL)) {
    return jobs_fail_win32(e, "QueryInformationJobObject", GetLastError(), "cannot read the limits of job %s", job->name);
  }
  if (x.BasicLimitInformation.LimitFlags & JOB_OBJECT_LIMIT_JOB_MEMORY) {
    out->flags |= JOB_LIMIT_MEMORY;
    out->job_memory_limit = x.JobMemoryLimit;
  }
  if (x.BasicLimitInformation.LimitFlags & JOB_OBJECT_LIMIT_ACTIVE_PROCESS) {
    out->flags |= JOB_LIMIT_PROCESSES;
    out->active_process_limit = x.BasicLimitInformation.ActiveProcessLimit;
  }

  JOBOBJECT_CPU_RATE_CONTROL_INFORMATION c;
  BOOL known;
  wctr_err err = query_cpu(job, &c, &known, e);
  if (err != WCTR_OK) return err;
  if (known && (c.ControlFlags & JOB_OBJECT_CPU_RATE_CONTROL_ENABLE)) {
    if (c.ControlFlags & JOB_OBJECT_CPU_RATE_CONTROL_WEIGHT_BASED) {
      out->flags |= JOB_LIMIT_CPU_WEIGHT;
      out->cpu_weight = c.Weight;
    } else if (c.ControlFlags & JOB_OBJECT_CPU_RATE_CONTROL_HARD_CAP) {
      out->flags |= JOB_LIMIT_CPU_RATE;
      out->cpu_rate = c.CpuRate;
    }
  }

  JOBOBJECT_IO_RATE_CONTROL_INFORMATION io;
  BOOL found;
  DWORD code = query_io(job, &io, &found);
  if (code == ERROR_SUCCESS && found) {
    if (io.MaxIops > 0) {
      out->flags |= JOB_LIMIT_IO_IOPS;
      out->io_max_iops = io.MaxIops;
    }
    if (io.MaxBandwidth > 0) {
      out->flags |= JOB_LIMIT_IO_BANDWIDTH;
      out->io_max_bandwidth = io.MaxBandwidth;
    }
  } else if (code != ERROR_SUCCESS && code != ERROR_PROC_NOT_FOUND) {
    wctr_log_win32("QueryIoRateControlInformationJobObject", code, "job %s", job->name);
    spec_warn(&out->warnings, "the I/O limits of job %s could not be read back (error %lu)", job->name,
                (unsigned long)code);
  }
  return WCTR_OK;
}

wctr_err job_query_stats(job_object *job, job_stats *out, wctr_errmsg *e) {
  if (job == NULL || out == NULL) return wctr_fail(e, WCTR_EINVAL, "job_query_stats needs a job and an output");
  memset(out, 0, sizeof *out);
  JOBOBJECT_BASIC_AND_IO_ACCOUNTING_INFORMATION acc;
  memset(&acc, 0, sizeof acc);
  if (!jobs_sys.QueryInformationJobObject(job->handle, JobObjectBasicAndIoAccountingInformation, &acc, sizeof acc,
                                          NULL)) {
    /* A Windows that refuses the combined class (Wine 8: ERROR_INVALID_FUNCTION) may still give the basic
     * one; the I/O counters then stay 0. */
    DWORD code = GetLastError();
    if (code != ERROR_INVALID_FUNCTION && code != ERROR_INVALID_PARAMETER && code != ERROR_NOT_SUPPORTED) {
      return jobs_fail_win32(e, "QueryInformationJobObject", code, "cannot read the accounting of job %s", job->name);
    }
    if (!jobs_sys.QueryInformationJobObject(job->handle, JobObjectBasicAccountingInformation, &acc.BasicInfo,
                                            sizeof acc.BasicInfo, NULL)) {
      return jobs_fail_win32(e, "QueryInformationJobObject", GetLastError(), "cannot read the accounting of job %s",
                             job->name);
    }
  }
  JOBOBJECT_EXTENDED_LIMIT_INFORMATION x;
  memset(&x, 0, sizeof x);
  if (!jobs_sys.QueryInformationJobObject(job->handle, JobObjectExtendedLimitInformation, &x, sizeof x, NULL)) {
    return jobs_fail_win32(e, "QueryInformationJobObject", GetLastError(), "cannot read the peak memory of job %s",
                           job->name);
  }
  out->user_time_100ns = (uint64_t)acc.BasicInfo.TotalUserTime.QuadPart;
  out->kernel_time_100ns = (uint64_t)acc.BasicInfo.TotalKernelTime.QuadPart;
  out->read_operations = acc.IoInfo.ReadOperationCount;
  out->write_operations = acc.IoInfo.WriteOperationCount;
  out->read_bytes = acc.IoInfo.ReadTransferCount;
  out->write_bytes = acc.IoInfo.WriteTransferCount;
  out->active_processes = acc.BasicInfo.ActiveProcesses;
  out->total_processes = acc.BasicInfo.TotalProcesses;
  out->terminated_processes = acc.BasicInfo.TotalTerminatedProcesses;
  out->peak_job_memory = x.PeakJobMemoryUsed;
  JOB_MEMORY_USAGE_INFORMATION usage;
  memset(&usage, 0, sizeof usage);
  /* Optional (see jobs_sys.h): a refusal leaves job_memory at 0, "not reported". */
  if (jobs_sys.QueryInformationJobObject(job->handle, JOB_INFO_CLASS_MEMORY_USAGE, &usage, sizeof usage, NULL)) {
    out->job_memory = usage.JobMemory;
  }
  return WCTR_OK;
}

wctr_err job_list_pids(job_object *job, uint32_t **pids, size_t *count, wctr_errmsg *e) {
  if (job == NULL || pids == NULL || count == NULL) return wctr_fail(e, WCTR_EINVAL, "job_list_pids needs a job and outputs");
  *pids = NULL;
  *count = 0;
  /* Small to start with (a container has few processes); the loop grows it to what Windows reports, and
   * again if processes start between two calls. */
  DWORD capacity = 8;
  for (int attempt = 0; attempt < 8; attempt++) {
    size_t size = offsetof(JOBOBJECT_BASIC_PROCESS_ID_LIST, ProcessIdList) + (size_t)capacity * sizeof(ULONG_PTR);
    JOBOBJECT_BASIC_PROCESS_ID_LIST *list = calloc(1, size);
    if (list == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
    BOOL ok = jobs_sys.QueryInformationJobObject(job->handle, JobObjectBasicProcessIdList, list, (DWORD)size, NULL);
    DWORD code = ok ? ERROR_SUCCESS : GetLastError();
    if (!ok && code != ERROR_MORE_DATA) {
      free(list);
      return jobs_fail_win32(e, "QueryInformationJobObject", code, "cannot list the processes of job %s", job->name);
    }
    if (code == ERROR_MORE_DATA || list->NumberOfProcessIdsInList < list->NumberOfAssignedProcesses) {
      DWORD wanted = list->NumberOfAssignedProcesses + 8;
      capacity = wanted > capacity * 2 ? wanted : capacity * 2;
      free(list);
      continue;
    }
    DWORD n = list->NumberOfProcessIdsInList;
    if (n > 0) {
      *pids = malloc(n * sizeof **pids);
      if (*pids == NULL) {
        free(list);
        return wctr_fail(e, WCTR_ENOMEM, "out of memory");
      }
      for (DWORD i = 0; i < n; i++) (*pids)[i] = (uint32_t)list->ProcessIdList[i];
    }
    *count = n;
    free(list);
    return WCTR_OK;
  }
  return wctr_fail(e, WCTR_EBUSY, "the processes of job %s kept changing while they were listed", job->name);
}

wctr_err job_terminate(job_object *job, uint32_t exit_code, wctr_errmsg *e) {
  if (job == NULL) return wctr_fail(e, WCTR_EINVAL, "job_terminate needs a job");
  if (!jobs_sys.TerminateJobObject(job->handle, exit_code)) {
    return jobs_fail_win32(e, "TerminateJobObject", GetLastError(), "cannot terminate job %s", job->name);
  }
  return WCTR_OK;
}

void job_close(job_object *job) {
  if (job == NULL) return;
  if (job->handle != NULL) CloseHandle(job->handle);
  free(job->name);
  free(job);
}

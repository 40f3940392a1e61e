/* jobs/jobs_sys.h - the system-call seam of the jobs module (Windows only), and the job-object
 * declarations mingw-w64 lacks.
 *
 * Every Win32 call whose arguments a test must see (the exact limit structures, the identity chosen, the
 * creation flags and attribute lists of a container's process) or whose failure a test must provoke goes
 * through jobs_sys. Tests replace entries one by one (saving the original to wrap it); the product never
 * changes them. Entries keep the Win32 signatures and error conventions (FALSE or NULL plus
 * SetLastError), so a wrapper can forward to the real call unchanged. */
#ifndef WCTR_JOBS_JOBS_SYS_H
#define WCTR_JOBS_JOBS_SYS_H

#include <windows.h>

#include <stddef.h>

/* --- I/O rate control (jobapi2.h, Windows 10 / Server 2016; not in mingw-w64) -------------------------
 * Layout as documented for JOBOBJECT_IO_RATE_CONTROL_INFORMATION ("MaxIops, MaxBandwidth, ReservationIops,
 * VolumeName, BaseIoSize, ControlFlags"; learn.microsoft.com, jobapi2.h). On x64 that is 40 bytes with
 * VolumeName at offset 24; the static asserts below pin it. (hcsshim's Go mirror puts BaseIoSize before
 * VolumeName; the C header is the authority.) */
typedef struct JOBOBJECT_IO_RATE_CONTROL_INFORMATION {
  LONG64 MaxIops;         /* I/O operations per second, 0 = no limit */
  LONG64 MaxBandwidth;    /* bytes per second, 0 = no limit */
  LONG64 ReservationIops; /* a floor the system tries to keep for the job; wctr sets none */
  PCWSTR VolumeName;      /* NT device name of one volume; NULL = the policy applies to each volume */
  ULONG BaseIoSize;       /* normalisation unit of an I/O, bytes; 0 = the system's default */
  ULONG ControlFlags;     /* JOB_OBJECT_IO_RATE_CONTROL_FLAGS */
} JOBOBJECT_IO_RATE_CONTROL_INFORMATION;

_Static_assert(sizeof(void *) != 8 || sizeof(JOBOBJECT_IO_RATE_CONTROL_INFORMATION) == 40,
               "JOBOBJECT_IO_RATE_CONTROL_INFORMATION must be 40 bytes on x64");
_Static_assert(sizeof(void *) != 8 || offsetof(JOBOBJECT_IO_RATE_CONTROL_INFORMATION, VolumeName) == 24,
               "VolumeName must follow the three LONG64 fields");

/* JOB_OBJECT_IO_RATE_CONTROL_FLAGS (jobapi2.h). */
#ifndef JOB_OBJECT_IO_RATE_CONTROL_ENABLE
#define JOB_OBJECT_IO_RATE_CONTROL_ENABLE 0x1
#define JOB_OBJECT_IO_RATE_CONTROL_STANDALONE_VOLUME 0x2
#define JOB_OBJECT_IO_RATE_CONTROL_FORCE_UNIT_ACCESS_ALL 0x4
#define JOB_OBJECT_IO_RATE_CONTROL_FORCE_UNIT_ACCESS_ON_SOFT_CAP 0x8
#endif

/* JobObjectMemoryUsageInformation (class 28) and its structure are not in the SDK's documentation;
 * hcsshim (Microsoft's container shim) reads a job container's current commit with it. Windows that do
 * not know the class refuse it, and wctr then reports the current commit as unknown (0). */
#define JOB_INFO_CLASS_MEMORY_USAGE ((JOBOBJECTINFOCLASS)28)
typedef struct JOB_MEMORY_USAGE_INFORMATION {
  ULONG64 JobMemory;
  ULONG64 PeakJobMemoryUsed;
} JOB_MEMORY_USAGE_INFORMATION;

/* mingw-w64 already declares JOBOBJECT_CPU_RATE_CONTROL_INFORMATION { ControlFlags; union { CpuRate;
 * Weight; } } and the JOB_OBJECT_CPU_RATE_CONTROL_* flags (winnt.h), matching the SDK. */

typedef struct jobs_syscalls {
  HANDLE(WINAPI *CreateJobObjectW)(LPSECURITY_ATTRIBUTES sa, LPCWSTR name);
  HANDLE(WINAPI *OpenJobObjectW)(DWORD access, BOOL inherit, LPCWSTR name);
  BOOL(WINAPI *SetInformationJobObject)(HANDLE job, JOBOBJECTINFOCLASS cls, LPVOID info, DWORD size);
  BOOL(WINAPI *QueryInformationJobObject)(HANDLE job, JOBOBJECTINFOCLASS cls, LPVOID info, DWORD size,
                                          LPDWORD returned);
  /* The three I/O rate functions are resolved from kernel32 at their first call: they are missing from
   * Windows before 10/2016 and from Wine 8. When absent, the default entries fail with
   * ERROR_PROC_NOT_FOUND. Microsoft's pages say "starting with Windows 10, version 1607, this function
   * is no longer supported", yet kernel32 still exports them and hcsshim uses them for HostProcess
   * containers; wctr calls them only for --io-maxiops/--io-maxbandwidth and reports any refusal. */
  DWORD(WINAPI *SetIoRateControlInformationJobObject)(HANDLE job, JOBOBJECT_IO_RATE_CONTROL_INFORMATION *info);
  DWORD(WINAPI *QueryIoRateControlInformationJobObject)(HANDLE job, PCWSTR volume,
                                                        JOBOBJECT_IO_RATE_CONTROL_INFORMATION **blocks,
                                                        ULONG *count);
  VOID(WINAPI *FreeMemoryJobObject)(VOID *buffer);
  BOOL(WINAPI *AssignProcessToJobObject)(HANDLE job, HANDLE process);
  BOOL(WINAPI *TerminateJobObject)(HANDLE job, UINT exit_code);
  BOOL(WINAPI *UpdateProcThreadAttribute)(LPPROC_THREAD_ATTRIBUTE_LIST list, DWORD flags, DWORD_PTR attribute,
                                          PVOID value, SIZE_T size, PVOID previous, PSIZE_T returned);
  BOOL(WINAPI *CreateProcessAsUserW)(HANDLE token, LPCWSTR application, LPWSTR command_line,
                                     LPSECURITY_ATTRIBUTES process_sa, LPSECURITY_ATTRIBUTES thread_sa,
                                     BOOL inherit_handles, DWORD flags, LPVOID environment, LPCWSTR directory,
                                     LPSTARTUPINFOW startup, LPPROCESS_INFORMATION info);
  BOOL(WINAPI *LogonUserW)(LPCWSTR user, LPCWSTR domain, LPCWSTR password, DWORD logon_type, DWORD provider,
                           PHANDLE token);
  BOOL(WINAPI *OpenProcessToken)(HANDLE process, DWORD access, PHANDLE token);
  BOOL(WINAPI *CreateRestrictedToken)(HANDLE token, DWORD flags, DWORD disable_count,
                                      PSID_AND_ATTRIBUTES sids_to_disable, DWORD delete_count,
                                      PLUID_AND_ATTRIBUTES privileges_to_delete, DWORD restrict_count,
                                      PSID_AND_ATTRIBUTES sids_to_restrict, PHANDLE new_token);
  BOOL(WINAPI *GetTokenInformation)(HANDLE token, TOKEN_INFORMATION_CLASS cls, LPVOID info, DWORD size,
                                    PDWORD returned);
  BOOL(WINAPI *SetTokenInformation)(HANDLE token, TOKEN_INFORMATION_CLASS cls, LPVOID info, DWORD size);
  HANDLE(WINAPI *CreateRemoteThread)(HANDLE process, LPSECURITY_ATTRIBUTES sa, SIZE_T stack,
                                     LPTHREAD_START_ROUTINE start, LPVOID parameter, DWORD flags, LPDWORD id);
  /* job_contains_process (jobs/notify.h): Wine's fails for a process opened after a restart. */
  BOOL(WINAPI *IsProcessInJob)(HANDLE process, HANDLE job, PBOOL result);
} jobs_syscalls;

extern jobs_syscalls jobs_sys;

#endif

/* images/images_sys.h - the system-call seam of the images module (Windows only). The Wine suite replaces
 * BackupWrite, which Wine 8 stubs (ERROR_NOT_SUPPORTED), with a strict double that parses every stream the
 * importer hands it (tests/images/backup_double_win.c); the product never changes the table. */
#ifndef WCTR_IMAGES_IMAGES_SYS_H
#define WCTR_IMAGES_IMAGES_SYS_H

#include <windows.h>

typedef struct img_syscalls {
  BOOL(WINAPI *BackupWrite)
  (HANDLE file, LPBYTE buffer, DWORD bytes, LPDWORD written, BOOL abort, BOOL process_security, LPVOID *context);
} img_syscalls;

extern img_syscalls img_sys;

#endif

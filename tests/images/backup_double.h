/* tests/images/backup_double.h - a strict stand-in for BackupWrite (Windows only), which Wine 8 stubs
 * (ERROR_NOT_SUPPORTED): installed in img_sys (images/images_sys.h) by the Wine suite and the import
 * benchmark. It parses the WIN32_STREAM_ID records as BackupWrite does, across calls of any size, and refuses
 * what BackupWrite would: an unknown stream id, a name on a stream that takes none, a security descriptor
 * IsValidSecurityDescriptor rejects, extended attributes whose FILE_FULL_EA_INFORMATION chain runs past the
 * stream, reparse data whose length fields disagree, a stream still incomplete when the context is freed.
 * What Wine can do it does: data with WriteFile on the handle, alternate data streams through "FILE:STREAM",
 * the security descriptor with SetKernelObjectSecurity (when processSecurity). Extended attributes and reparse
 * data are recorded only (Wine has neither). Every stream is recorded - the file's path, id, name, size and
 * its first BD_KEEP bytes - for the tests to compare with the tar they generated. */
#ifndef WCTR_TESTS_IMAGES_BACKUP_DOUBLE_H
#define WCTR_TESTS_IMAGES_BACKUP_DOUBLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BD_KEEP 4096

typedef struct bd_record {
  char path[1024];   /* the file's final path (GetFinalPathNameByHandleW), UTF-8 */
  uint32_t id;
  char name[256];    /* the stream name (":s:$DATA"), "" when none */
  uint64_t size;
  uint8_t data[BD_KEEP];
  bool applied;      /* security: SetKernelObjectSecurity succeeded; others: written */
  bool security_skipped; /* a security stream given with processSecurity FALSE (ignored, as BackupWrite does) */
} bd_record;

void bd_install(bool record); /* record: keep records (the benchmark does not) */
void bd_reset(void);
size_t bd_count(void);
const bd_record *bd_get(size_t i);
/* The first record whose path ends with suffix ('\'-separated) and whose id is id (0: any). */
const bd_record *bd_find(const char *suffix, uint32_t id);
/* The first violation seen since bd_reset, or NULL. */
const char *bd_error(void);
/* BackupWrite calls and bytes since bd_reset. */
uint64_t bd_calls(void);
uint64_t bd_bytes(void);

#endif

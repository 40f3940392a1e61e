/* service/store.h - containers on disk (portable, over common/fs.h; the Windows-only helpers other
 * catalogs use are at the end).
 *
 * One folder per container, <data-root>\containers\<id>\, holding container.json (the record of
 * service/container.h, written compactly) and container-log.json (its output, service/logs.h). Records are
 * written atomically (wctr_fs_write_atomic: temporary file, flushed, renamed over), so a crash at any point
 * leaves the old record or the new one, never half of one. At load, leftover .tmp files are removed and a
 * folder whose record cannot be read is moved aside to <id>.damaged (logged), so one bad file never stops
 * the service. Creation makes the folder as <id>.creating, record inside, and renames it to <id>: a crash
 * during a create leaves no <id> folder without a record (which would read as damaged), and load_all
 * removes the .creating folder. Removal renames the folder to <id>.removing first: one atomic step after
 * which no record of the container is loaded again, however far the deletion gets before a crash; load_all
 * finishes it. */
#ifndef WCTR_SERVICE_STORE_H
#define WCTR_SERVICE_STORE_H

#include <stddef.h>

#include "common/error.h"
#include "service/container.h"

#define SVC_RECORD_FILE "container.json"
#define SVC_RECORD_MAX (4u * 1024u * 1024u)
#define SVC_CREATING_SUFFIX ".creating"

typedef struct svc_store svc_store;

wctr_err svc_store_open(const char *data_root, svc_store **out, wctr_errmsg *e);
void svc_store_close(svc_store *st);

/* Creates the container's folder with its first record, atomically (above; WCTR_EEXIST if it exists). On
 * failure nothing of it is left. */
wctr_err svc_store_create(svc_store *st, const svc_container *c, wctr_errmsg *e);
/* Replaces the record atomically. */
wctr_err svc_store_save(svc_store *st, const svc_container *c, wctr_errmsg *e);
/* The record's text as it would be written (malloc'ed, zero it before free: it may hold a credential
 * spec), and writing such a text; the manager formats under its lock and writes outside it. */
char *svc_store_format(const svc_container *c, size_t *len);
wctr_err svc_store_write(svc_store *st, const char *id, const char *text, size_t len, wctr_errmsg *e);
/* Deletes the container's folder and everything in it. */
wctr_err svc_store_remove(svc_store *st, const char *id, wctr_errmsg *e);
/* Every record, after the repairs above. *list malloc'ed: free each with svc_container_free, then free.
 * damaged (may be NULL) counts the folders moved aside in this load. */
wctr_err svc_store_load_all(svc_store *st, svc_container **list, size_t *count, size_t *damaged, wctr_errmsg *e);

/* <data-root>\containers\<id>\<file> (file NULL: the folder) into out; WCTR_ETOOBIG when it does not fit. */
wctr_err svc_store_path(const svc_store *st, const char *id, const char *file, char *out, size_t size);

#ifdef _WIN32
#include <windows.h>
/* --- Windows-only building blocks of the other catalogs under the data root (store_win.c) --- */
/* Creates a folder of the data root (it inherits the root's protected DACL); one that exists is fine. */
wctr_err svc_make_subdir(const char *path, wctr_errmsg *e);
/* Writes path atomically: path.tmp, flushed, renamed over path with MOVEFILE_WRITE_THROUGH. */
wctr_err svc_write_atomic(const char *path, const char *text, size_t len, wctr_errmsg *e);
/* svc_write_atomic with the temporary file created with sa's descriptor (NULL: inherited), so the file has
 * its DACL from its first instant (the credential spec store). */
wctr_err svc_write_atomic_sa(const char *path, const char *text, size_t len, SECURITY_ATTRIBUTES *sa, wctr_errmsg *e);
/* Reads a whole file of at most 1 MiB (malloc'ed, NUL-terminated); a wctr_err from the Win32 error. */
wctr_err svc_read_text(const wchar_t *path, char **out, size_t *len);
/* Deletes a folder tree without following reparse points. TRUE when the folder is gone. */
BOOL svc_delete_tree(const wchar_t *dir);
#endif

#endif

/* service/pipe_identity.h - who is on the other end of a named pipe (Windows only): the caller of wctr's pipe
 * and of the Engine API's named pipe are identified the same way.
 *
 * svc_pipe_identify impersonates the client just long enough to read its token - its SID, account name,
 * process id, and whether it holds an enabled BUILTIN\Administrators (a UAC-filtered administrator does not).
 * Windows' rule: something must have been read from the pipe first. Reverting to the service's own identity is
 * not optional: if RevertToSelf fails the process terminates, since a worker that kept the client's identity
 * would serve the next client with it. False (logged) when the client cannot be identified; out is then
 * partly filled and must not be used. */
#ifndef WCTR_SERVICE_PIPE_IDENTITY_H
#define WCTR_SERVICE_PIPE_IDENTITY_H

#include <windows.h>

#include <stdbool.h>

#include "service/ops.h"

bool svc_pipe_identify(HANDLE pipe, svc_caller *caller);

#endif

/* images/http.h - the WinHTTP transport of images/transport.h (Windows only): Windows' own HTTP stack, so
 * the machine's proxy settings (WinHTTP's, `netsh winhttp set proxy`, or automatic discovery where the
 * system supports it) and its certificate store apply to registries as they do to everything else on the
 * host. One session per wctrd; requests may run on any number of threads at once.
 *
 * Each send is one request: redirects and authentication are left to the caller (images/registry.c), so
 * WinHTTP's own redirect following is disabled. Bodies are read in chunks of up to 1 MiB. Timeouts: 30 s to
 * resolve and connect, 60 s to send, 120 s without a byte received. A body shorter than its Content-Length,
 * a connection reset, a TLS failure or a timeout is WCTR_EIO/WCTR_ETIMEDOUT naming the host; the failing
 * call and its code go to wctrd's log (never a header: they may carry credentials). */
#ifndef WCTR_IMAGES_HTTP_H
#define WCTR_IMAGES_HTTP_H

#include "common/error.h"
#include "images/transport.h"

typedef struct img_http img_http;

/* user_agent: "wctr/0.1.0". Loads nothing: the WinHTTP session is opened by the first request (and
 * winhttp.dll with it, delay-loaded), so a wctrd that never pulls never carries WinHTTP. */
wctr_err img_http_open(const char *user_agent, img_http **out, wctr_errmsg *e);
void img_http_close(img_http *h); /* accepts NULL; no request may be in flight */
img_transport img_http_transport(img_http *h);

#endif

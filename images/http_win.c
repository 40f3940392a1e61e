/* images/http_win.c - the WinHTTP transport. Contract: images/http.h. */
#include <windows.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <winhttp.h>

#include "common/log.h"
#include "common/wstr.h"
#include "images/http.h"

enum { READ_CHUNK = 1 << 20 };

struct img_http {
  SRWLOCK lock;      /* guards session's creation */
  wchar_t *agent;
  HINTERNET session; /* made at the first request: an idle wctrd loads no WinHTTP (cmake/WctrDelayLoad.cmake) */
};

wctr_err img_http_open(const char *user_agent, img_http **out, wctr_errmsg *e) {
  img_http *h = calloc(1, sizeof *h);
  wchar_t *agent = wctr_utf8_to_wide(user_agent);
  if (h == NULL || agent == NULL) {
    free(h);
    free(agent);
    return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  }
  InitializeSRWLock(&h->lock);
  h->agent = agent;
  *out = h;
  return WCTR_OK;
}

/* The WinHTTP session, opened once by the first request that needs it. */
static wctr_err session_of(img_http *h, HINTERNET *out, wctr_errmsg *e) {
  AcquireSRWLockExclusive(&h->lock);
  if (h->session == NULL) {
    /* The system's proxy configuration (Windows 8.1 and later), else WinHTTP's own (netsh winhttp). */
    h->session = WinHttpOpen(h->agent, WINHTTP_ACCESS_TYPE_AUTOMATIC_PROXY, WINHTTP_NO_PROXY_NAME, WINHTTP_NO_PROXY_BYPASS, 0);
    if (h->session == NULL) {
      h->session = WinHttpOpen(h->agent, WINHTTP_ACCESS_TYPE_DEFAULT_PROXY, WINHTTP_NO_PROXY_NAME, WINHTTP_NO_PROXY_BYPASS, 0);
    }
    if (h->session != NULL) WinHttpSetTimeouts(h->session, 30000, 30000, 60000, 120000);
  }
  HINTERNET session = h->session;
  DWORD code = session == NULL ? GetLastError() : 0;
  ReleaseSRWLockExclusive(&h->lock);
  if (session == NULL) {
    return wctr_fail(e, wctr_log_win32("WinHttpOpen", code, "the registry client"), "cannot start WinHTTP (error %lu)",
                     (unsigned long)code);
  }
  *out = session;
  return WCTR_OK;
}

void img_http_close(img_http *h) {
  if (h == NULL) return;
  if (h->session != NULL) WinHttpCloseHandle(h->session);
  free(h->agent);
  free(h);
}

/* A response header as UTF-8 into out ("" when absent). name NULL: by info level. */
static void query_header(HINTERNET req, DWORD level, const wchar_t *name, char *out, size_t size) {
  wchar_t buf[2048];
  DWORD len = sizeof buf;
  out[0] = '\0';
  if (!WinHttpQueryHeaders(req, level, name != NULL ? name : WINHTTP_HEADER_NAME_BY_INDEX, buf, &len, WINHTTP_NO_HEADER_INDEX)) {
    return;
  }
  buf[ARRAYSIZE(buf) - 1] = L'\0';
  char *utf8 = wctr_wide_to_utf8(buf);
  if (utf8 != NULL) snprintf(out, size, "%s", utf8);
  free(utf8);
}

static wctr_err fail_call(const char *call, const char *host, wctr_errmsg *e) {
  DWORD code = GetLastError();
  wctr_log_win32(call, code, "%s", host);
  if (code == ERROR_WINHTTP_TIMEOUT) return wctr_fail(e, WCTR_ETIMEDOUT, "%s did not answer in time", host);
  if (code == ERROR_WINHTTP_CANNOT_CONNECT) return wctr_fail(e, WCTR_EIO, "cannot connect to %s", host);
  if (code == ERROR_WINHTTP_NAME_NOT_RESOLVED) return wctr_fail(e, WCTR_EIO, "cannot resolve the name of %s", host);
  if (code == ERROR_WINHTTP_SECURE_FAILURE || code == ERROR_WINHTTP_SECURE_CHANNEL_ERROR ||
      code == ERROR_WINHTTP_SECURE_INVALID_CA || code == ERROR_WINHTTP_SECURE_CERT_CN_INVALID) {
    return wctr_fail(e, WCTR_EIO, "the TLS connection to %s failed (certificate or protocol, error %lu)", host,
                     (unsigned long)code);
  }
  if (code == ERROR_WINHTTP_CONNECTION_ERROR) return wctr_fail(e, WCTR_EIO, "the connection to %s was cut", host);
  return wctr_fail(e, WCTR_EIO, "%s: %s failed (error %lu)", host, call, (unsigned long)code);
}

static wctr_err http_send(void *ctx, const img_http_request *r, img_http_response *resp, img_body_fn body, void *arg,
                          wctr_errmsg *e) {
  img_http *h = ctx;
  memset(resp, 0, sizeof *resp);
  resp->content_length = -1;
  wctr_err err = WCTR_OK;
  HINTERNET conn = NULL;
  HINTERNET req = NULL;
  char *buf = NULL;
  wchar_t *wurl = wctr_utf8_to_wide(r->url);
  wchar_t *wmethod = wctr_utf8_to_wide(r->method);
  wchar_t *wheaders = NULL;
  char host[300] = "";
  const char *hp = strstr(r->url, "://");
  snprintf(host, sizeof host, "%.*s", hp != NULL ? (int)strcspn(hp + 3, "/?#") : 0, hp != NULL ? hp + 3 : "");
  if (wurl == NULL || wmethod == NULL) {
    err = wctr_fail(e, WCTR_EINVAL, "the URL or method is not valid UTF-8");
    goto done;
  }
  URL_COMPONENTS uc;
  memset(&uc, 0, sizeof uc);
  uc.dwStructSize = sizeof uc;
  uc.dwHostNameLength = (DWORD)-1;
  uc.dwUrlPathLength = (DWORD)-1;
  uc.dwExtraInfoLength = (DWORD)-1;
  uc.dwSchemeLength = (DWORD)-1;
  if (!WinHttpCrackUrl(wurl, 0, 0, &uc) || uc.dwHostNameLength == 0 || uc.dwHostNameLength > 255) {
    err = wctr_fail(e, WCTR_EINVAL, "\"%.200s\" is not a URL", r->url);
    goto done;
  }
  wchar_t whost[256];
  memcpy(whost, uc.lpszHostName, uc.dwHostNameLength * sizeof(wchar_t));
  whost[uc.dwHostNameLength] = L'\0';
  /* path and query: everything after the host in the original */
  const wchar_t *path = uc.lpszUrlPath != NULL && uc.dwUrlPathLength > 0 ? uc.lpszUrlPath : L"/";
  HINTERNET session = NULL;
  err = session_of(h, &session, e);
  if (err != WCTR_OK) goto done;
  conn = WinHttpConnect(session, whost, uc.nPort, 0);
  if (conn == NULL) {
    err = fail_call("WinHttpConnect", host, e);
    goto done;
  }
  DWORD flags = uc.nScheme == INTERNET_SCHEME_HTTPS ? WINHTTP_FLAG_SECURE : 0;
  req = WinHttpOpenRequest(conn, wmethod, path, NULL, WINHTTP_NO_REFERER, WINHTTP_DEFAULT_ACCEPT_TYPES, flags);
  if (req == NULL) {
    err = fail_call("WinHttpOpenRequest", host, e);
    goto done;
  }
  DWORD disable = WINHTTP_DISABLE_REDIRECTS | WINHTTP_DISABLE_COOKIES;
  WinHttpSetOption(req, WINHTTP_OPTION_DISABLE_FEATURE, &disable, sizeof disable);
  /* the request's headers, CRLF-joined */
  size_t total = 0;
  for (size_t i = 0; r->headers != NULL && r->headers[i] != NULL; i++) total += strlen(r->headers[i]) + 2;
  if (total > 0) {
    char *joined = malloc(total + 1);
    if (joined == NULL) {
      err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
      goto done;
    }
    size_t o = 0;
    for (size_t i = 0; r->headers[i] != NULL; i++) {
      size_t n = strlen(r->headers[i]);
      memcpy(joined + o, r->headers[i], n);
      memcpy(joined + o + n, "\r\n", 2);
      o += n + 2;
    }
    joined[o] = '\0';
    wheaders = wctr_utf8_to_wide(joined);
    SecureZeroMemory(joined, o);
    free(joined);
    if (wheaders == NULL) {
      err = wctr_fail(e, WCTR_EINVAL, "a request header is not valid UTF-8");
      goto done;
    }
  }
  if (!WinHttpSendRequest(req, wheaders != NULL ? wheaders : WINHTTP_NO_ADDITIONAL_HEADERS, wheaders != NULL ? (DWORD)-1L : 0,
                          WINHTTP_NO_REQUEST_DATA, 0, 0, 0) ||
      !WinHttpReceiveResponse(req, NULL)) {
    err = fail_call("WinHttpSendRequest", host, e);
    goto done;
  }
  DWORD status = 0;
  DWORD slen = sizeof status;
  if (!WinHttpQueryHeaders(req, WINHTTP_QUERY_STATUS_CODE | WINHTTP_QUERY_FLAG_NUMBER, WINHTTP_HEADER_NAME_BY_INDEX, &status,
                           &slen, WINHTTP_NO_HEADER_INDEX)) {
    err = fail_call("WinHttpQueryHeaders", host, e);
    goto done;
  }
  resp->status = (int)status;
  query_header(req, WINHTTP_QUERY_CONTENT_TYPE, NULL, resp->content_type, sizeof resp->content_type);
  query_header(req, WINHTTP_QUERY_WWW_AUTHENTICATE, NULL, resp->www_authenticate, sizeof resp->www_authenticate);
  query_header(req, WINHTTP_QUERY_LOCATION, NULL, resp->location, sizeof resp->location);
  char digest[200];
  query_header(req, WINHTTP_QUERY_CUSTOM, L"Docker-Content-Digest", digest, sizeof digest);
  if (img_digest_valid(digest)) snprintf(resp->content_digest, sizeof resp->content_digest, "%s", digest);
  char length[40];
  query_header(req, WINHTTP_QUERY_CONTENT_LENGTH, NULL, length, sizeof length);
  if (length[0] != '\0') {
    char *end = NULL;
    long long v = strtoll(length, &end, 10);
    if (end != length && *end == '\0' && v >= 0) resp->content_length = v;
  }
  if (strcmp(r->method, "HEAD") == 0) goto done;
  buf = malloc(READ_CHUNK);
  if (buf == NULL) {
    err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
    goto done;
  }
  int64_t received = 0;
  for (;;) {
    DWORD got = 0;
    if (!WinHttpReadData(req, buf, READ_CHUNK, &got)) {
      err = fail_call("WinHttpReadData", host, e);
      goto done;
    }
    if (got == 0) break;
    received += got;
    if (body != NULL && !body(arg, buf, got)) {
      err = wctr_fail(e, WCTR_ECANCELED, "the download from %s was stopped", host);
      goto done;
    }
  }
  if (resp->content_length >= 0 && received < resp->content_length) {
    err = wctr_fail(e, WCTR_EIO, "the connection to %s was cut after %lld of %lld bytes", host, (long long)received,
                    (long long)resp->content_length);
  }
done:
  free(buf);
  if (wheaders != NULL) {
    SecureZeroMemory(wheaders, wcslen(wheaders) * sizeof(wchar_t));
    free(wheaders);
  }
  free(wurl);
  free(wmethod);
  if (req != NULL) WinHttpCloseHandle(req);
  if (conn != NULL) WinHttpCloseHandle(conn);
  return err;
}

img_transport img_http_transport(img_http *h) { return (img_transport){.ctx = h, .send = http_send}; }

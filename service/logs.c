/* service/logs.c - json-file logs, byte-exact (contract: service/logs.h). */
#include "service/logs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/base64.h"
#include "common/fs.h"
#include "common/ioc.h"
#include "common/log.h"
#include "common/random.h"
#include "docker/template.h"
#include "images/gzip.h"

enum { READ_CHUNK = 256 * 1024, TAIL_CHUNK = 64 * 1024 };

void svc_log_time_now(char out[40]) {
  struct timespec ts;
  struct tm tm;
  clock_gettime(CLOCK_REALTIME, &ts);
  time_t secs = ts.tv_sec;
#ifdef _WIN32
  gmtime_s(&tm, &secs);
#else
  gmtime_r(&secs, &tm);
#endif
  snprintf(out, 40, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
           tm.tm_hour, tm.tm_min, tm.tm_sec, (long)ts.tv_nsec);
}

/* --- UTF-8 and JSON strings --------------------------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at p (1..4), or 0 when the bytes there are not one (overlongs,
 * surrogates and code points above U+10FFFF are invalid, as RFC 3629 says). */
static size_t utf8_seq(const unsigned char *p, size_t left) {
  unsigned char c = p[0];
  if (c < 0x80) return 1;
  size_t n;
  unsigned min;
  unsigned cp;
  if ((c & 0xE0) == 0xC0) {
    n = 2, min = 0x80, cp = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    n = 3, min = 0x800, cp = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    n = 4, min = 0x10000, cp = c & 0x07;
  } else {
    return 0;
  }
  if (left < n) return 0;
  for (size_t i = 1; i < n; i++) {
    if ((p[i] & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (p[i] & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

typedef struct buf {
  char *p;
  size_t len, cap;
  bool failed;
} buf;

static void buf_reserve(buf *b, size_t more) {
  if (b->failed || b->len + more <= b->cap) return;
  size_t cap = b->cap == 0 ? 256 : b->cap;
  while (cap < b->len + more) cap *= 2;
  char *grown = realloc(b->p, cap);
  if (grown == NULL) {
    b->failed = true;
    return;
  }
  b->p = grown;
  b->cap = cap;
}

static void buf_add(buf *b, const void *data, size_t len) {
  if (len == 0) return;
  buf_reserve(b, len);
  if (b->failed) return;
  memcpy(b->p + b->len, data, len);
  b->len += len;
}

static void buf_str(buf *b, const char *s) { buf_add(b, s, strlen(s)); }

/* Escapes bytes into a JSON string body; invalid UTF-8 bytes become U+FFFD. Returns whether every byte was
 * valid UTF-8 (so the escape is exact). */
static bool json_escape(buf *b, const char *data, size_t len) {
  static const char hex[] = "0123456789abcdef";
  const unsigned char *p = (const unsigned char *)data;
  bool exact = true;
  buf_reserve(b, len + 16);
  for (size_t i = 0; i < len && !b->failed;) {
    unsigned char c = p[i];
    if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
      size_t run = i;
      while (run < len && p[run] >= 0x20 && p[run] < 0x80 && p[run] != '"' && p[run] != '\\') run++;
      buf_add(b, p + i, run - i);
      i = run;
      continue;
    }
    if (c < 0x80) {
      char esc[7];
      switch (c) {
        case '"': buf_add(b, "\\\"", 2); break;
        case '\\': buf_add(b, "\\\\", 2); break;
        case '\n': buf_add(b, "\\n", 2); break;
        case '\r': buf_add(b, "\\r", 2); break;
        case '\t': buf_add(b, "\\t", 2); break;
        default:
          esc[0] = '\\', esc[1] = 'u', esc[2] = '0', esc[3] = '0', esc[4] = hex[c >> 4], esc[5] = hex[c & 15];
          buf_add(b, esc, 6);
      }
      i++;
      continue;
    }
    size_t n = utf8_seq(p + i, len - i);
    if (n == 0) {
      buf_add(b, "\xEF\xBF\xBD", 3);
      exact = false;
      i++;
    } else {
      buf_add(b, p + i, n);
      i += n;
    }
  }
  return exact;
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

static bool read_hex4(const char *p, const char *end, unsigned *out) {
  if (end - p < 4) return false;
  unsigned v = 0;
  for (int i = 0; i < 4; i++) {
    int h = hexval(p[i]);
    if (h < 0) return false;
    v = (v << 4) | (unsigned)h;
  }
  *out = v;
  return true;
}

static void put_utf8(buf *b, unsigned cp) {
  char o[4];
  size_t n;
  if (cp < 0x80) {
    o[0] = (char)cp, n = 1;
  } else if (cp < 0x800) {
    o[0] = (char)(0xC0 | (cp >> 6)), o[1] = (char)(0x80 | (cp & 0x3F)), n = 2;
  } else if (cp < 0x10000) {
    o[0] = (char)(0xE0 | (cp >> 12)), o[1] = (char)(0x80 | ((cp >> 6) & 0x3F)), o[2] = (char)(0x80 | (cp & 0x3F)), n = 3;
  } else {
    o[0] = (char)(0xF0 | (cp >> 18)), o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F)), o[3] = (char)(0x80 | (cp & 0x3F)), n = 4;
  }
  buf_add(b, o, n);
}

/* Parses a JSON string starting at *pp (at the opening quote) into b (raw bytes, NUL allowed). */
static bool json_string(const char **pp, const char *end, buf *b) {
  const char *p = *pp;
  if (p >= end || *p != '"') return false;
  p++;
  while (p < end && *p != '"') {
    const char *run = p;
    while (run < end && *run != '"' && *run != '\\' && (unsigned char)*run >= 0x20) run++;
    buf_add(b, p, (size_t)(run - p));
    p = run;
    if (p >= end || *p == '"') break;
    if ((unsigned char)*p < 0x20) return false;
    p++; /* backslash */
    if (p >= end) return false;
    char c = *p++;
    switch (c) {
      case '"': buf_add(b, "\"", 1); break;
      case '\\': buf_add(b, "\\", 1); break;
      case '/': buf_add(b, "/", 1); break;
      case 'b': buf_add(b, "\b", 1); break;
      case 'f': buf_add(b, "\f", 1); break;
      case 'n': buf_add(b, "\n", 1); break;
      case 'r': buf_add(b, "\r", 1); break;
      case 't': buf_add(b, "\t", 1); break;
      case 'u': {
        unsigned cp;
        if (!read_hex4(p, end, &cp)) return false;
        p += 4;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          unsigned lo;
          if (end - p < 6 || p[0] != '\\' || p[1] != 'u' || !read_hex4(p + 2, end, &lo) || lo < 0xDC00 || lo > 0xDFFF) {
            cp = 0xFFFD;
          } else {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            p += 6;
          }
        } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
          cp = 0xFFFD;
        }
        put_utf8(b, cp);
        break;
      }
      default: return false;
    }
  }
  if (p >= end) return false;
  *pp = p + 1;
  return !b->failed;
}

static const char *skip_ws(const char *p, const char *end) {
  while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')) p++;
  return p;
}

/* Go's url.QueryEscape: letters, digits and -_.~ stay, a space is '+', every other byte %XX. */
static void query_escape(buf *b, const char *s, size_t len) {
  static const char hex[] = "0123456789ABCDEF";
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
                c == '.' || c == '~';
    if (keep) {
      buf_add(b, &s[i], 1);
    } else if (c == ' ') {
      buf_add(b, "+", 1);
    } else {
      char esc[3] = {'%', hex[c >> 4], hex[c & 15]};
      buf_add(b, esc, 3);
    }
  }
}

typedef struct attr_pair {
  const char *key, *value;
  size_t key_len, value_len;
} attr_pair;

static int cmp_pair(const void *a, const void *b) {
  const attr_pair *x = a, *y = b;
  size_t n = x->key_len < y->key_len ? x->key_len : y->key_len;
  int c = memcmp(x->key, y->key, n);
  if (c != 0) return c;
  return x->key_len < y->key_len ? -1 : x->key_len > y->key_len;
}

/* Docker's attrsByteSlice: sorted by key, "k=v" joined by ','. */
static char *details_of(attr_pair *pairs, size_t count) {
  buf b = {0};
  qsort(pairs, count, sizeof *pairs, cmp_pair);
  for (size_t i = 0; i < count; i++) {
    if (i > 0) buf_add(&b, ",", 1);
    query_escape(&b, pairs[i].key, pairs[i].key_len);
    buf_add(&b, "=", 1);
    query_escape(&b, pairs[i].value, pairs[i].value_len);
  }
  buf_reserve(&b, 1);
  if (b.failed) {
    free(b.p);
    return NULL;
  }
  b.p[b.len] = '\0';
  return b.p;
}

char *svc_log_details_format(const char *const *keys, const char *const *values, size_t count) {
  attr_pair *pairs = calloc(count + 1, sizeof *pairs);
  if (pairs == NULL) return NULL;
  for (size_t i = 0; i < count; i++) {
    pairs[i] = (attr_pair){keys[i], values[i], strlen(keys[i]), strlen(values[i])};
  }
  char *out = details_of(pairs, count);
  free(pairs);
  return out;
}

/* Reads an "attrs" object of string values at *pp into its details text (*out malloc'ed). */
static bool parse_attrs(const char **pp, const char *end, char **out) {
  const char *p = skip_ws(*pp, end);
  buf text = {0}; /* the unescaped keys and values, NUL-separated */
  size_t count = 0, cap = 0;
  size_t *offs = NULL; /* 4 per pair: key offset, key length, value offset, value length */
  bool ok = false;
  if (p >= end || *p++ != '{') goto done;
  p = skip_ws(p, end);
  if (p < end && *p == '}') {
    p++;
    ok = true;
    goto done;
  }
  for (;;) {
    if (count == cap) {
      cap = cap == 0 ? 8 : cap * 2;
      size_t *grown = realloc(offs, cap * 4 * sizeof *offs);
      if (grown == NULL) goto done;
      offs = grown;
    }
    p = skip_ws(p, end);
    offs[count * 4] = text.len;
    if (!json_string(&p, end, &text)) goto done;
    offs[count * 4 + 1] = text.len - offs[count * 4];
    p = skip_ws(p, end);
    if (p >= end || *p++ != ':') goto done;
    p = skip_ws(p, end);
    offs[count * 4 + 2] = text.len;
    if (!json_string(&p, end, &text)) goto done;
    offs[count * 4 + 3] = text.len - offs[count * 4 + 2];
    count++;
    p = skip_ws(p, end);
    if (p < end && *p == ',') {
      p++;
      continue;
    }
    if (p < end && *p == '}') {
      p++;
      ok = true;
      break;
    }
    goto done;
  }
done:
  if (ok) {
    attr_pair *pairs = calloc(count + 1, sizeof *pairs);
    for (size_t i = 0; pairs != NULL && i < count; i++) {
      pairs[i] = (attr_pair){text.p + offs[i * 4], text.p + offs[i * 4 + 2], offs[i * 4 + 1], offs[i * 4 + 3]};
    }
    *out = pairs != NULL ? details_of(pairs, count) : NULL;
    ok = *out != NULL;
    free(pairs);
  }
  free(text.p);
  free(offs);
  *pp = p;
  return ok;
}

/* --- entries ------------------------------------------------------------------------------------------- */

/* Appends one entry (without the trailing LF) to b. */
static void entry_append(buf *b, int stream, const char *data, size_t len, const char *attrs, const char *time) {
  buf_str(b, "{\"log\":\"");
  bool exact = json_escape(b, data, len);
  buf_str(b, "\",\"stream\":\"");
  buf_str(b, stream == 2 ? "stderr" : "stdout");
  if (attrs != NULL) {
    buf_str(b, "\",\"attrs\":");
    buf_str(b, attrs);
    buf_str(b, ",\"time\":\"");
  } else {
    buf_str(b, "\",\"time\":\"");
  }
  buf_str(b, time);
  buf_str(b, "\"");
  if (!exact) {
    char *raw = wctr_base64_encode((const uint8_t *)data, len);
    if (raw == NULL) b->failed = true;
    buf_str(b, ",\"raw\":\"");
    if (raw != NULL) buf_str(b, raw);
    buf_str(b, "\"");
    free(raw);
  }
  buf_str(b, "}");
}

char *svc_log_entry_format(int stream, const char *data, size_t len, const char *time, size_t *out_len) {
  buf b = {0};
  entry_append(&b, stream, data, len, NULL, time);
  buf_reserve(&b, 1); /* room for the LF a caller may append */
  if (b.failed) {
    free(b.p);
    return NULL;
  }
  *out_len = b.len;
  return b.p;
}

wctr_err svc_log_entry_parse(const char *line, size_t len, int *stream, char **data, size_t *data_len,
                             char time_out[40], char **details) {
  const char *p = line;
  const char *end = line + len;
  buf log = {0}, raw = {0}, key = {0}, val = {0};
  bool have_log = false, have_raw = false, have_stream = false;
  char *attrs = NULL;
  wctr_err err = WCTR_EINVAL;
  time_out[0] = '\0';
  p = skip_ws(p, end);
  if (p >= end || *p++ != '{') goto done;
  for (;;) {
    p = skip_ws(p, end);
    key.len = 0;
    if (!json_string(&p, end, &key)) goto done;
    p = skip_ws(p, end);
    if (p >= end || *p++ != ':') goto done;
    p = skip_ws(p, end);
    if (key.len == 5 && memcmp(key.p, "attrs", 5) == 0) {
      free(attrs);
      attrs = NULL;
      if (!parse_attrs(&p, end, &attrs)) goto done;
      p = skip_ws(p, end);
      if (p < end && *p == ',') {
        p++;
        continue;
      }
      if (p < end && *p == '}') break;
      goto done;
    }
    buf *target = &val;
    if (key.len == 3 && memcmp(key.p, "log", 3) == 0) {
      target = &log, have_log = true, log.len = 0;
    } else if (key.len == 3 && memcmp(key.p, "raw", 3) == 0) {
      target = &raw, have_raw = true, raw.len = 0;
    }
    val.len = 0;
    if (!json_string(&p, end, target)) goto done;
    if (key.len == 6 && memcmp(key.p, "stream", 6) == 0) {
      if (val.len == 6 && memcmp(val.p, "stdout", 6) == 0) {
        *stream = 1;
      } else if (val.len == 6 && memcmp(val.p, "stderr", 6) == 0) {
        *stream = 2;
      } else {
        goto done;
      }
      have_stream = true;
    } else if (key.len == 4 && memcmp(key.p, "time", 4) == 0 && val.len < 40) {
      memcpy(time_out, val.p, val.len);
      time_out[val.len] = '\0';
    }
    p = skip_ws(p, end);
    if (p < end && *p == ',') {
      p++;
      continue;
    }
    if (p < end && *p == '}') break;
    goto done;
  }
  if (!have_log || !have_stream) goto done;
  if (have_raw) {
    uint8_t *bytes = NULL;
    size_t n = 0;
    wctr_errmsg ignored;
    if (wctr_base64_decode(raw.p != NULL ? raw.p : "", raw.len, &bytes, &n, "raw", &ignored) != WCTR_OK) goto done;
    *data = (char *)bytes;
    *data_len = n;
  } else {
    if (log.p == NULL) buf_reserve(&log, 1);
    if (log.failed) goto done;
    *data = log.p;
    *data_len = log.len;
    log.p = NULL;
  }
  if (details != NULL) {
    *details = attrs;
    attrs = NULL;
  }
  err = WCTR_OK;
done:
  free(attrs);
  free(log.p);
  free(raw.p);
  free(key.p);
  free(val.p);
  return err;
}

/* --- tag ------------------------------------------------------------------------------------------------- */

/* dockerd names the template "log-tag" (templates.NewParse); wctr's engine names none: its "template: :" and
 * `executing ""` read as Docker's. */
static void tag_error(const char *text, wctr_errmsg *e) {
  static const char unnamed[] = "executing \"\"";
  const char *rest = strncmp(text, "template: :", 11) == 0 ? text + 11 : NULL;
  if (rest == NULL) {
    wctr_fail(e, WCTR_EINVAL, "failed to initialize logging driver: %s", text);
    return;
  }
  const char *at = strstr(rest, unnamed);
  if (at == NULL) {
    wctr_fail(e, WCTR_EINVAL, "failed to initialize logging driver: template: log-tag:%s", rest);
    return;
  }
  wctr_fail(e, WCTR_EINVAL, "failed to initialize logging driver: template: log-tag:%.*sexecuting \"log-tag\"%s",
            (int)(at - rest), rest, at + sizeof unnamed - 1);
}

/* moby's stringid.TruncateID: what follows the algorithm's ':' , cut to 12 characters. */
static void truncate_id(const char *id, char out[13]) {
  const char *colon = strchr(id, ':');
  if (colon != NULL) id = colon + 1;
  snprintf(out, 13, "%s", id);
}

wctr_err svc_log_tag(const char *tpl, const svc_log_tag_info *info, char **out, wctr_errmsg *e) {
  docker_tpl *t = NULL;
  docker_buf text;
  docker_buf_init(&text, 0); /* bounded by opts.max_output below */
  cJSON *fields = cJSON_CreateObject();
  char id[13];
  char image_id[13];
  wctr_errmsg why;
  wctr_errmsg_clear(&why);
  *out = NULL;
  truncate_id(info->id, id);
  truncate_id(info->image_id, image_id);
  const char *name = info->name[0] == '/' ? info->name + 1 : info->name;
  wctr_err err = WCTR_OK;
  if (fields == NULL || cJSON_AddStringToObject(fields, "ID", id) == NULL ||
      cJSON_AddStringToObject(fields, "FullID", info->id) == NULL || cJSON_AddStringToObject(fields, "Name", name) == NULL ||
      cJSON_AddStringToObject(fields, "ImageID", image_id) == NULL ||
      cJSON_AddStringToObject(fields, "ImageFullID", info->image_id) == NULL ||
      cJSON_AddStringToObject(fields, "ImageName", info->image_name) == NULL ||
      cJSON_AddStringToObject(fields, "DaemonName", "docker") == NULL) {
    err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
    goto done;
  }
  /* Docker runs the template over *logger.Info: an unknown field is "can't evaluate field X in type
   * *logger.Info", as over a formatter context. */
  docker_tpl_object dot = {.type_name = "*logger.Info", .fields = fields};
  /* A tag is a short text: the engine's limits keep a template from looping or growing without end. */
  docker_tpl_opts opts = {.max_steps = 100000, .max_output = 64 * 1024};
  err = docker_tpl_parse(tpl, strlen(tpl), &t, &why);
  if (err == WCTR_OK) err = docker_tpl_exec(t, NULL, &dot, &opts, &text, &why);
  if (err == WCTR_ENOMEM || (err == WCTR_OK && text.failed)) {
    err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
    goto done;
  }
  if (err != WCTR_OK) {
    tag_error(why.text, e);
    err = WCTR_EINVAL;
    goto done;
  }
  *out = malloc(text.len + 1);
  if (*out == NULL) {
    err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
    goto done;
  }
  if (text.len > 0) memcpy(*out, text.data, text.len);
  (*out)[text.len] = '\0';
done:
  docker_tpl_free(t);
  docker_buf_free(&text);
  cJSON_Delete(fields);
  return err;
}

/* --- writer ----------------------------------------------------------------------------------------------- */

/* The compression of rotated files, shared by the writer and the job on the pool (either may end first). */
struct svc_log_gz {
  wctr_mutex lock;
  int refs;      /* the owner's, each writer's, the job's */
  bool busy;     /* a job runs: no rotation renames, and no open repairs, the files it compresses */
  char *path;    /* container-log.json's path (set by the first writer: the same for every run) */
  int max_files;
};
typedef struct svc_log_gz gz_state;

svc_log_gz *svc_log_gz_new(void) {
  gz_state *g = calloc(1, sizeof *g);
  if (g == NULL) return NULL;
  if (wctr_mutex_init(&g->lock) != WCTR_OK) {
    free(g);
    return NULL;
  }
  g->refs = 1;
  return g;
}

static void gz_unref(gz_state *g) {
  if (g == NULL) return;
  wctr_mutex_lock(&g->lock);
  bool last = --g->refs == 0;
  wctr_mutex_unlock(&g->lock);
  if (!last) return;
  wctr_mutex_destroy(&g->lock);
  free(g->path);
  free(g);
}

void svc_log_gz_free(svc_log_gz *g) { gz_unref(g); }

/* A writer's hold on g (a new one when g is NULL), with the path and the count its jobs use; NULL when out
 * of memory. */
static gz_state *gz_hold(gz_state *g, const char *path, int max_files) {
  if (g == NULL) {
    g = svc_log_gz_new();
    if (g == NULL) return NULL;
  } else {
    wctr_mutex_lock(&g->lock);
    g->refs++;
    wctr_mutex_unlock(&g->lock);
  }
  size_t len = strlen(path);
  wctr_mutex_lock(&g->lock);
  if (g->path == NULL) {
    g->path = malloc(len + 1);
    if (g->path != NULL) memcpy(g->path, path, len + 1);
    g->max_files = max_files;
  }
  bool ok = g->path != NULL;
  wctr_mutex_unlock(&g->lock);
  if (!ok) {
    gz_unref(g);
    return NULL;
  }
  return g;
}

/* path.n with suffix ("" or ".gz" or ".gz.tmp") into a malloc'ed string. */
static char *numbered_name(const char *path, int n, const char *suffix) {
  size_t len = strlen(path) + strlen(suffix) + 16;
  char *out = malloc(len);
  if (out != NULL) snprintf(out, len, "%s.%d%s", path, n, suffix);
  return out;
}

/* Compresses every rotated file still plain, path.1 ... path.N-1: into path.n.gz.tmp, synced, renamed to
 * path.n.gz, then path.n removed - so at every instant one whole copy of each file exists (a crash leaves
 * the plain file, perhaps beside a .gz.tmp or a whole .gz, which gz_repair settles). On the pool. */
static void gz_job(void *arg) {
  gz_state *g = arg;
  for (int n = 1; n < g->max_files; n++) {
    char *plain = numbered_name(g->path, n, "");
    char *gz = numbered_name(g->path, n, ".gz");
    char *tmp = numbered_name(g->path, n, ".gz.tmp");
    wctr_errmsg e;
    if (plain != NULL && gz != NULL && tmp != NULL && wctr_fs_exists(plain)) {
      if (img_gzip_file(plain, tmp, &e) == WCTR_OK && wctr_fs_rename(tmp, gz, true, &e) == WCTR_OK) {
        (void)wctr_fs_remove(plain);
      } else {
        (void)wctr_fs_remove(tmp);
        wctr_log(WCTR_LOG_WARN, "log %s: cannot compress (%s); the file stays as it is", plain, e.text);
      }
    }
    free(plain);
    free(gz);
    free(tmp);
  }
  wctr_mutex_lock(&g->lock);
  g->busy = false;
  wctr_mutex_unlock(&g->lock);
  gz_unref(g);
}

/* What a crash may have left of a compression: a .gz.tmp (never whole: removed), or a plain file beside its
 * whole .gz (the rename happened, the removal did not: the plain copy goes). Returns whether a plain rotated
 * file remains (to compress). */
static bool gz_repair(const char *path, int max_files) {
  bool plain_left = false;
  for (int n = 1; n < max_files; n++) {
    char *plain = numbered_name(path, n, "");
    char *gz = numbered_name(path, n, ".gz");
    char *tmp = numbered_name(path, n, ".gz.tmp");
    if (tmp != NULL && wctr_fs_exists(tmp)) (void)wctr_fs_remove(tmp);
    if (plain != NULL && gz != NULL && wctr_fs_exists(plain)) {
      if (wctr_fs_exists(gz)) {
        (void)wctr_fs_remove(plain);
      } else {
        plain_left = true;
      }
    }
    free(plain);
    free(gz);
    free(tmp);
  }
  return plain_left;
}

struct svc_log_writer {
  /* One writer per running container: the paths are allocated to their length (fixed arrays made 2.4 KB of
   * each running container's memory). */
  char *path;
  char *from, *to; /* room for path.N(.gz) while rotating */
  gz_state *gz;    /* the log's compression state (held by every writer) */
  bool compress;   /* compress=true: the rotated files are gzip'ed on the pool */
  svc_log_defer_fn defer;
  void *defer_ctx;
  size_t path_len;
  wctr_file *file;
  uint64_t size;
  uint64_t max_bytes;
  int max_files;
  char *attrs;    /* the "attrs" object each entry carries, NULL without */
  char *details;  /* the same as --details shows it, "" without */
  buf partial[2]; /* stdout, stderr: the line in progress */
  buf batch;      /* the entries of one write call, written at its end: one write per chunk of output */
  char stamp[40]; /* the time of the chunk being written */
  bool write_failed; /* a failure was logged; log again only after a success */
  bool rename_failed; /* a rotation could not rename the file: it grows until one can */
};

/* {"k":"v",...} in the given (sorted) order: json.Marshal of Docker's map. */
static char *attrs_json(const svc_log_options *o) {
  buf b = {0};
  buf_add(&b, "{", 1);
  for (size_t i = 0; i < o->attr_count; i++) {
    if (i > 0) buf_add(&b, ",", 1);
    buf_add(&b, "\"", 1);
    json_escape(&b, o->attr_keys[i], strlen(o->attr_keys[i]));
    buf_add(&b, "\":\"", 3);
    json_escape(&b, o->attr_values[i], strlen(o->attr_values[i]));
    buf_add(&b, "\"", 1);
  }
  buf_add(&b, "}", 2); /* and the NUL */
  if (b.failed) {
    free(b.p);
    return NULL;
  }
  return b.p;
}

/* An entry cut by a crash has no LF: end it, so that it is one damaged line the reader skips instead of a
 * prefix glued to the next entry. */
static void terminate_cut_entry(const char *path, uint64_t size, wctr_file *appender) {
  wctr_file *f = NULL;
  wctr_errmsg ignored;
  char last = '\n';
  size_t got = 0;
  if (size == 0 || wctr_file_open(path, WCTR_FILE_READ, &f, &ignored) != WCTR_OK) return;
  if (wctr_file_pread(f, size - 1, &last, 1, &got) == WCTR_OK && got == 1 && last != '\n') {
    if (wctr_file_write(appender, "\n", 1) != WCTR_OK) wctr_log(WCTR_LOG_WARN, "log %s: cannot end a cut entry", path);
  }
  wctr_file_close(f);
}

/* Hands the compression of the rotated files to the pool (off the container's output path). Without a pool
 * (tests, or the core stopping) the files stay plain until the next open compresses them. */
static void start_gz(svc_log_writer *w) {
  gz_state *g = w->gz;
  wctr_mutex_lock(&g->lock);
  bool idle = !g->busy;
  if (idle) {
    g->busy = true;
    g->refs++;
  }
  wctr_mutex_unlock(&g->lock);
  if (!idle) return;
  if (w->defer != NULL && w->defer(w->defer_ctx, gz_job, g)) return;
  if (w->defer == NULL) {
    gz_job(g); /* no pool given: a caller that runs the writer where it may block (tests) */
    return;
  }
  wctr_mutex_lock(&g->lock);
  g->busy = false;
  g->refs--;
  wctr_mutex_unlock(&g->lock);
}

wctr_err svc_log_writer_open(const char *path, const svc_log_options *opts, svc_log_writer **out, wctr_errmsg *e) {
  size_t len = strlen(path);
  if (len >= 1200) return wctr_fail(e, WCTR_ETOOBIG, "the log path is too long: %s", path);
  svc_log_writer *w = calloc(1, sizeof *w);
  if (w != NULL) w->path = malloc(len + 1);
  if (w != NULL) w->from = malloc(len + 16);
  if (w != NULL) w->to = malloc(len + 16);
  bool compress = opts != NULL && opts->compress && opts->max_files > 1;
  /* Every writer holds the log's compression state, compressing or not: its rotations and its repair wait
   * for a job the previous run left. */
  int files = opts != NULL && opts->max_files > 0 ? opts->max_files : SVC_LOG_MAX_FILES;
  if (w != NULL) w->gz = gz_hold(opts != NULL ? opts->gz : NULL, path, files);
  if (w != NULL && compress) {
    w->compress = true;
    w->defer = opts->defer;
    w->defer_ctx = opts->defer_ctx;
  }
  bool with_attrs = opts != NULL && opts->attr_count > 0;
  if (w != NULL && with_attrs) {
    w->attrs = attrs_json(opts);
    w->details = svc_log_details_format(opts->attr_keys, opts->attr_values, opts->attr_count);
  } else if (w != NULL) {
    w->details = calloc(1, 1);
  }
  if (w == NULL || w->path == NULL || w->from == NULL || w->to == NULL || w->details == NULL ||
      (with_attrs && w->attrs == NULL) || w->gz == NULL) {
    svc_log_writer_close(w);
    return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  }
  memcpy(w->path, path, len + 1);
  w->path_len = len;
  w->max_bytes = opts != NULL && opts->max_bytes != 0 ? opts->max_bytes : SVC_LOG_MAX_BYTES;
  w->max_files = opts != NULL && opts->max_files > 0 ? opts->max_files : SVC_LOG_MAX_FILES;
  wctr_err err = wctr_file_open(path, WCTR_FILE_APPEND, &w->file, e);
  if (err == WCTR_OK) err = wctr_file_size(w->file, &w->size);
  if (err != WCTR_OK) {
    svc_log_writer_close(w);
    return wctr_fail(e, err, "cannot open the log %s: %s", path, wctr_strerror(err));
  }
  terminate_cut_entry(path, w->size, w->file);
  /* A crash during a compression is settled before anything rotates; what is left plain is compressed now
   * (with compress=false it stays as it is: the reader takes both forms). */
  wctr_mutex_lock(&w->gz->lock);
  bool busy = w->gz->busy;
  wctr_mutex_unlock(&w->gz->lock);
  if (!busy && gz_repair(path, w->max_files) && w->compress) start_gz(w);
  *out = w;
  return WCTR_OK;
}

void svc_log_writer_close(svc_log_writer *w) {
  if (w == NULL) return;
  gz_unref(w->gz); /* a compression under way finishes on its own */
  wctr_file_close(w->file);
  free(w->partial[0].p);
  free(w->partial[1].p);
  free(w->path);
  free(w->from);
  free(w->to);
  free(w->attrs);
  free(w->details);
  free(w->batch.p);
  free(w);
}

/* path.n (path itself for 0) with suffix into out (len + 16 bytes). */
static void numbered(const svc_log_writer *w, int n, const char *suffix, char *out) {
  memcpy(out, w->path, w->path_len + 1);
  if (n > 0) snprintf(out + w->path_len, 16, ".%d%s", n, suffix);
}

/* Docker's rotation: .N-2 -> .N-1 (the oldest dropped), ..., .1 -> .2 (each in whichever form it has: plain,
 * .gz, or both while a compression had not removed the plain copy; the other form of the number it replaces
 * is removed), path -> .1, a new path; one rename per step, so a crash leaves complete files. Nothing is truncated unless path was renamed
 * (or only one file is kept). With compress, .1 is then gzip'ed on the pool, and a rotation due while that
 * runs waits for it (the file grows past max-size meanwhile): the job's files keep their numbers. */
static void rotate(svc_log_writer *w) {
  wctr_errmsg e;
  wctr_mutex_lock(&w->gz->lock);
  bool busy = w->gz->busy;
  wctr_mutex_unlock(&w->gz->lock);
  if (busy) return;
  if (w->max_files > 1) {
    static const char *const forms[] = {"", ".gz"};
    for (int n = w->max_files - 1; n >= 2; n--) {
      bool present[2];
      for (int k = 0; k < 2; k++) {
        numbered(w, n - 1, forms[k], w->from);
        present[k] = wctr_fs_exists(w->from);
      }
      if (!present[0] && !present[1]) continue; /* a gap: n keeps what it has */
      for (int k = 0; k < 2; k++) {
        numbered(w, n - 1, forms[k], w->from);
        numbered(w, n, forms[k], w->to);
        if (present[k]) {
          wctr_fs_rename(w->from, w->to, true, &e);
        } else if (wctr_fs_exists(w->to)) {
          (void)wctr_fs_remove(w->to); /* n's other form is older than what replaces it */
        }
      }
    }
    numbered(w, 1, "", w->to);
    if (wctr_fs_rename(w->path, w->to, true, &e) != WCTR_OK) {
      if (!w->rename_failed) {
        wctr_log(WCTR_LOG_ERROR, "log %s: cannot rotate (%s); the file grows until it can", w->path, e.text);
      }
      w->rename_failed = true;
      return;
    }
    w->rename_failed = false;
  }
  wctr_file_close(w->file);
  w->file = NULL;
  if (wctr_file_open(w->path, WCTR_FILE_TRUNCATE, &w->file, &e) != WCTR_OK) {
    wctr_log(WCTR_LOG_ERROR, "log %s: %s; output is no longer kept", w->path, e.text);
    w->file = NULL;
  }
  w->size = 0;
  if (w->compress) start_gz(w);
}

/* Writes the first n bytes of the batch (whole entries) and keeps the rest: rotation first when they would
 * take the file past the limit. A failed write (disk full) is logged once per burst; the entries have
 * reached the followers already. */
static void batch_write_part(svc_log_writer *w, size_t n) {
  if (n == 0) return;
  if (w->file != NULL && w->size + n > w->max_bytes && w->size > 0) rotate(w);
  wctr_err err = w->file != NULL ? wctr_file_write(w->file, w->batch.p, n) : WCTR_EIO;
  if (err == WCTR_OK) {
    w->size += n;
    w->write_failed = false;
  } else if (!w->write_failed) {
    w->write_failed = true;
    wctr_log(WCTR_LOG_ERROR, "log %s: cannot write (%s); output goes on to attached clients", w->path,
             wctr_strerror(err));
  }
  memmove(w->batch.p, w->batch.p + n, w->batch.len - n);
  w->batch.len -= n;
}

static void batch_write(svc_log_writer *w) {
  if (w->batch.len == 0) return;
  if (w->batch.failed) {
    w->batch.failed = false;
    w->batch.len = 0;
    wctr_log(WCTR_LOG_ERROR, "log %s: out of memory; output dropped from the log", w->path);
    return;
  }
  batch_write_part(w, w->batch.len);
}

static void emit_entry(svc_log_writer *w, int stream, const char *data, size_t len, svc_log_line_fn line, void *ctx) {
  size_t before = w->batch.len;
  entry_append(&w->batch, stream, data, len, w->attrs, w->stamp);
  buf_add(&w->batch, "\n", 1);
  /* Docker rotates between entries: the entries before this one go to the file that has room for them. */
  if (before > 0 && !w->batch.failed && w->size + w->batch.len > w->max_bytes) batch_write_part(w, before);
  /* A batch never grows past the rotation size: a chunk of output is at most a few pages, but a writer fed
   * a huge one writes as it goes. */
  if (w->batch.len >= SVC_LOG_PARTIAL_MAX * 8) batch_write(w);
  if (line != NULL) line(ctx, stream, data, len, w->stamp, w->details);
}

void svc_log_writer_write(svc_log_writer *w, int stream, const char *data, size_t len, svc_log_line_fn line,
                          void *ctx) {
  buf *part = &w->partial[stream == 2 ? 1 : 0];
  svc_log_time_now(w->stamp); /* the lines of one chunk arrived together */
  while (len > 0) {
    const char *nl = memchr(data, '\n', len);
    size_t take = nl != NULL ? (size_t)(nl - data) + 1 : len;
    if (part->len + take > SVC_LOG_PARTIAL_MAX && nl == NULL) {
      /* Docker's rule: a line longer than 16 KiB is cut into partial entries of at most that size. */
      take = SVC_LOG_PARTIAL_MAX - part->len;
    }
    if (part->len == 0 && (nl != NULL || take == SVC_LOG_PARTIAL_MAX)) {
      emit_entry(w, stream, data, take, line, ctx); /* no copy for the common case of a whole line */
    } else {
      buf_add(part, data, take);
      if (part->failed) {
        part->failed = false;
        part->len = 0;
      } else if (nl != NULL || part->len >= SVC_LOG_PARTIAL_MAX) {
        emit_entry(w, stream, part->p, part->len, line, ctx);
        part->len = 0;
      }
    }
    data += take;
    len -= take;
  }
  batch_write(w);
}

void svc_log_writer_flush(svc_log_writer *w, svc_log_line_fn line, void *ctx) {
  svc_log_time_now(w->stamp);
  for (int i = 0; i < 2; i++) {
    if (w->partial[i].len > 0) emit_entry(w, i + 1, w->partial[i].p, w->partial[i].len, line, ctx);
    w->partial[i].len = 0;
  }
  batch_write(w);
}

/* --- reader -------------------------------------------------------------------------------------------------- */

typedef struct log_part {
  wctr_file *file; /* the plain file, or a compressed one's inflated scratch copy once loaded */
  bool gz;         /* a compressed rotated file: inflated into a scratch file before it is read */
  bool loaded;     /* gz: file is the inflated copy (end is its length) */
  char *gz_path;   /* gz: its path, which the scratch copy's name extends */
  uint64_t start;  /* first byte to read */
  uint64_t end;    /* snapshot end */
} log_part;

typedef struct gz_src {
  wctr_file *file;
  uint64_t offset;
} gz_src;

static wctr_err gz_src_read(void *ctx, void *dst, size_t size, size_t *got, wctr_errmsg *e) {
  gz_src *src = ctx;
  wctr_err err = wctr_file_pread(src->file, src->offset, dst, size, got);
  if (err != WCTR_OK) return wctr_fail(e, err, "cannot read: %s", wctr_strerror(err));
  src->offset += *got;
  return WCTR_OK;
}

/* Inflates a .gz part into a scratch file beside it (WCTR_FILE_SCRATCH: gone when closed, or when wctrd dies),
 * as dockerd inflates a compressed log into a temporary file: wctrd's memory stays bounded whatever max-size
 * says. What inflated before a damage is kept (its complete entries are read), and *damaged says the rest was
 * lost; a part that cannot be inflated at all reads as empty. */
static void part_load(log_part *p, bool *damaged) {
  *damaged = false;
  if (!p->gz || p->loaded) return;
  p->loaded = true;
  char *scratch = malloc(strlen(p->gz_path) + 32);
  char *inflated = malloc(READ_CHUNK);
  uint8_t rnd[8] = {0};
  wctr_file *copy = NULL;
  img_gunzip *g = NULL;
  wctr_errmsg e;
  uint64_t len = 0;
  wctr_err err = scratch != NULL && inflated != NULL ? wctr_random_bytes(rnd, sizeof rnd) : WCTR_ENOMEM;
  if (err == WCTR_OK) {
    snprintf(scratch, strlen(p->gz_path) + 32, "%s.read-%02x%02x%02x%02x%02x%02x%02x%02x", p->gz_path, rnd[0], rnd[1],
             rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
    err = wctr_file_open(scratch, WCTR_FILE_SCRATCH, &copy, &e);
  }
  gz_src src = {.file = p->file};
  if (err == WCTR_OK) err = img_gunzip_new(gz_src_read, &src, &g, &e);
  while (err == WCTR_OK) {
    size_t got = 0;
    err = img_gunzip_read(g, (uint8_t *)inflated, READ_CHUNK, &got, &e);
    if (err != WCTR_OK || got == 0) break;
    err = wctr_file_write(copy, inflated, got);
    if (err == WCTR_OK) len += got;
  }
  img_gunzip_free(g);
  free(inflated);
  free(scratch);
  if (err != WCTR_OK) *damaged = true;
  wctr_file_close(p->file);
  p->file = copy;
  p->end = copy != NULL ? len : 0;
}

/* A compressed part read to its end: its scratch copy goes (one inflated file on the disk at a time). */
static void part_unload(log_part *p) {
  if (!p->gz || !p->loaded) return;
  wctr_file_close(p->file);
  p->file = NULL;
}

static wctr_err part_pread(log_part *p, uint64_t offset, void *dst, size_t len, size_t *got) {
  *got = 0;
  if (p->file == NULL || offset >= p->end) return WCTR_OK;
  if (len > p->end - offset) len = (size_t)(p->end - offset);
  return wctr_file_pread(p->file, offset, dst, len, got);
}

struct svc_log_reader {
  log_part *parts; /* path.N-1 ... path.1, then path: oldest first */
  int count;
  int current;
  uint64_t pos;
  char *chunk;
  size_t have; /* bytes in chunk not yet consumed */
  uint64_t skipped;
};

/* The offset where the last `want` entries of a file begin, counting backwards; *found how many there
 * were (fewer when the file has fewer). */
static wctr_err tail_offset(log_part *f, uint64_t size, int64_t want, uint64_t *offset, int64_t *found) {
  char *block = malloc(TAIL_CHUNK);
  if (block == NULL) return WCTR_ENOMEM;
  int64_t count = 0;
  uint64_t pos = size;
  *offset = 0;
  /* The byte at size-1 is the LF of the last entry; the entries we want begin after the LF that precedes
   * the want-th entry from the end. */
  bool first = true;
  wctr_err err = WCTR_OK;
  while (pos > 0) {
    size_t n = pos > TAIL_CHUNK ? TAIL_CHUNK : (size_t)pos;
    size_t got = 0;
    err = part_pread(f, pos - n, block, n, &got);
    if (err != WCTR_OK || got != n) break;
    for (size_t i = n; i > 0; i--) {
      if (block[i - 1] != '\n') continue;
      if (first && pos - n + i == size) {
        first = false;
        continue; /* the terminator of the last entry */
      }
      first = false;
      count++;
      if (count == want) {
        *offset = pos - n + i;
        *found = count;
        free(block);
        return WCTR_OK;
      }
    }
    pos -= n;
  }
  free(block);
  /* Reached the start: every entry of the file counts (the first has no LF before it). */
  *found = size > 0 ? count + 1 : 0;
  *offset = 0;
  return err;
}

wctr_err svc_log_reader_open(const char *path, int max_files, int64_t tail, svc_log_reader **out, wctr_errmsg *e) {
  if (max_files <= 0) max_files = SVC_LOG_MAX_FILES;
  size_t len = strlen(path);
  svc_log_reader *r = calloc(1, sizeof *r);
  char *name = malloc(len + 16);
  if (r != NULL) r->chunk = malloc(READ_CHUNK);
  if (r != NULL) r->parts = calloc((size_t)max_files, sizeof *r->parts);
  if (r == NULL || name == NULL || r->chunk == NULL || r->parts == NULL) {
    free(name);
    svc_log_reader_close(r);
    return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  }
  r->count = max_files;
  for (int i = 0; i < max_files; i++) {
    int n = max_files - 1 - i; /* the rotation's number: the oldest first */
    memcpy(name, path, len + 1);
    if (n > 0) snprintf(name + len, 16, ".%d", n);
    wctr_errmsg ignored;
    if (wctr_file_open(name, WCTR_FILE_READ, &r->parts[i].file, &ignored) != WCTR_OK) {
      /* Not plain: compressed (the plain copy is whole while it exists, so it is read first). */
      if (n == 0) continue;
      snprintf(name + len, 16, ".%d.gz", n);
      if (wctr_file_open(name, WCTR_FILE_READ, &r->parts[i].file, &ignored) != WCTR_OK) continue;
      r->parts[i].gz = true;
      r->parts[i].gz_path = strdup(name);
      if (r->parts[i].gz_path == NULL) {
        wctr_file_close(r->parts[i].file);
        r->parts[i].file = NULL;
      }
      continue; /* its end is known once inflated */
    }
    if (wctr_file_size(r->parts[i].file, &r->parts[i].end) != WCTR_OK) r->parts[i].end = 0;
  }
  free(name);
  if (tail >= 0) {
    /* The last entries: from the current file back through the rotated ones. */
    int64_t left = tail;
    for (int i = max_files - 1; i >= 0; i--) {
      log_part *p = &r->parts[i];
      if (p->file == NULL) continue;
      if (left == 0) {
        /* Nothing of it is read: a compressed one is not even inflated. */
        if (p->gz && !p->loaded) {
          wctr_file_close(p->file);
          p->file = NULL;
        }
        p->start = p->end;
        continue;
      }
      int64_t found = 0;
      uint64_t off = 0;
      bool damaged = false;
      part_load(p, &damaged);
      if (damaged) r->skipped++;
      if (tail_offset(p, p->end, left, &off, &found) != WCTR_OK) off = 0;
      p->start = off;
      left -= found < left ? found : left;
    }
  }
  r->current = 0;
  r->pos = r->parts[0].start;
  *out = r;
  return WCTR_OK;
}

uint64_t svc_log_reader_skipped(const svc_log_reader *r) { return r->skipped; }

void svc_log_reader_close(svc_log_reader *r) {
  if (r == NULL) return;
  for (int i = 0; r->parts != NULL && i < r->count; i++) {
    wctr_file_close(r->parts[i].file);
    free(r->parts[i].gz_path);
  }
  free(r->parts);
  free(r->chunk);
  free(r);
}

/* Delivers every complete entry in chunk[0..have); keeps the incomplete tail at the start of chunk. */
static size_t deliver(svc_log_reader *r, svc_log_line_fn line, void *ctx) {
  size_t delivered = 0;
  size_t start = 0;
  for (;;) {
    char *nl = memchr(r->chunk + start, '\n', r->have - start);
    if (nl == NULL) break;
    size_t len = (size_t)(nl - (r->chunk + start));
    int stream = 0;
    char *data = NULL;
    size_t data_len = 0;
    char *details = NULL;
    char stamp[40];
    if (len > 0 &&
        svc_log_entry_parse(r->chunk + start, len, &stream, &data, &data_len, stamp, &details) == WCTR_OK) {
      line(ctx, stream, data, data_len, stamp, details != NULL ? details : "");
      delivered += data_len + 1;
      free(data);
      free(details);
    } else if (len > 0) {
      r->skipped++;
    }
    start += len + 1;
  }
  memmove(r->chunk, r->chunk + start, r->have - start);
  r->have -= start;
  return delivered;
}

wctr_err svc_log_reader_next(svc_log_reader *r, size_t budget, svc_log_line_fn line, void *ctx, bool *done) {
  size_t delivered = 0;
  *done = false;
  while (delivered < budget) {
    if (r->current >= r->count) {
      *done = true;
      return WCTR_OK;
    }
    log_part *p = &r->parts[r->current];
    if (p->file != NULL && p->gz && !p->loaded) {
      bool damaged = false;
      part_load(p, &damaged);
      if (damaged) r->skipped++;
    }
    if (p->file == NULL || r->pos >= p->end) {
      part_unload(p); /* one inflated copy on the disk at a time */
      /* An entry the writer never finished (a crash mid-write) has no LF: it is dropped, not glued to the
       * next file's first entry. */
      if (r->have > 0) r->skipped++;
      r->have = 0;
      r->current++;
      if (r->current < r->count) r->pos = r->parts[r->current].start;
      continue;
    }
    if (r->have == READ_CHUNK) {
      /* One entry larger than the chunk cannot be written by our writer (entries are at most 16 KiB of
       * output, escaped): skip to its end. */
      r->skipped++;
      r->have = 0;
    }
    size_t want = READ_CHUNK - r->have;
    if (want > p->end - r->pos) want = (size_t)(p->end - r->pos);
    size_t got = 0;
    wctr_err err = part_pread(p, r->pos, r->chunk + r->have, want, &got);
    if (err != WCTR_OK) return err;
    if (got == 0) {
      r->pos = p->end;
      continue;
    }
    r->pos += got;
    r->have += got;
    delivered += deliver(r, line, ctx);
  }
  return WCTR_OK;
}

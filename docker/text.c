/* docker/text.c - buffer, UTF-8 widths, docker/cli's tabwriter, Go's quoting and JSON (portable). */
#include "docker/text.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- buffer ------------------------------------------------------------------------------------------- */

void docker_buf_init(docker_buf *b, size_t max) {
  memset(b, 0, sizeof *b);
  b->max = max;
}

void docker_buf_free(docker_buf *b) {
  if (b == NULL) return;
  free(b->data);
  memset(b, 0, sizeof *b);
}

static bool reserve(docker_buf *b, size_t more) {
  if (b->failed) return false;
  if (more > SIZE_MAX / 2 - b->len || (b->max != 0 && b->len + more > b->max)) {
    b->failed = true;
    return false;
  }
  size_t need = b->len + more + 1;
  if (need <= b->cap) return true;
  size_t cap = b->cap < 64 ? 64 : b->cap;
  while (cap < need) cap *= 2;
  char *grown = realloc(b->data, cap);
  if (grown == NULL) {
    b->failed = true;
    return false;
  }
  b->data = grown;
  b->cap = cap;
  return true;
}

bool docker_buf_add(docker_buf *b, const char *s, size_t n) {
  if (!reserve(b, n)) return false;
  if (n > 0) memcpy(b->data + b->len, s, n);
  b->len += n;
  b->data[b->len] = '\0';
  return true;
}

bool docker_buf_adds(docker_buf *b, const char *s) { return docker_buf_add(b, s, strlen(s)); }

bool docker_buf_addc(docker_buf *b, char c) { return docker_buf_add(b, &c, 1); }

bool docker_buf_addf(docker_buf *b, const char *fmt, ...) {
  char small[256];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(small, sizeof small, fmt, ap);
  va_end(ap);
  if (n < 0) {
    b->failed = true;
    return false;
  }
  if ((size_t)n < sizeof small) return docker_buf_add(b, small, (size_t)n);
  if (!reserve(b, (size_t)n)) return false;
  va_start(ap, fmt);
  vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->len += (size_t)n;
  return true;
}

char *docker_buf_take(docker_buf *b) {
  if (b->failed) return NULL;
  char *text = b->data != NULL ? b->data : calloc(1, 1);
  memset(b, 0, sizeof *b);
  return text;
}

/* ---- UTF-8 -------------------------------------------------------------------------------------------- */

size_t docker_utf8_decode(const char *s, size_t n, uint32_t *cp) {
  const unsigned char *u = (const unsigned char *)s;
  *cp = 0xFFFD;
  if (u[0] < 0x80) {
    *cp = u[0];
    return 1;
  }
  size_t len = 0;
  uint32_t v = 0;
  uint32_t min = 0;
  if (u[0] >= 0xC2 && u[0] <= 0xDF) {
    len = 2;
    v = u[0] & 0x1Fu;
    min = 0x80;
  } else if (u[0] >= 0xE0 && u[0] <= 0xEF) {
    len = 3;
    v = u[0] & 0x0Fu;
    min = 0x800;
  } else if (u[0] >= 0xF0 && u[0] <= 0xF4) {
    len = 4;
    v = u[0] & 0x07u;
    min = 0x10000;
  } else {
    return 1;
  }
  if (n < len) return 1;
  for (size_t i = 1; i < len; i++) {
    if ((u[i] & 0xC0u) != 0x80u) return 1;
    v = (v << 6) | (u[i] & 0x3Fu);
  }
  if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 1;
  *cp = v;
  return len;
}

void docker_utf8_encode(docker_buf *b, uint32_t cp) {
  char out[4];
  if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
  if (cp < 0x80) {
    docker_buf_addc(b, (char)cp);
  } else if (cp < 0x800) {
    out[0] = (char)(0xC0 | (cp >> 6));
    out[1] = (char)(0x80 | (cp & 0x3F));
    docker_buf_add(b, out, 2);
  } else if (cp < 0x10000) {
    out[0] = (char)(0xE0 | (cp >> 12));
    out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[2] = (char)(0x80 | (cp & 0x3F));
    docker_buf_add(b, out, 3);
  } else {
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    docker_buf_add(b, out, 4);
  }
}

typedef struct range {
  uint32_t lo, hi;
} range;

static bool in_ranges(uint32_t cp, const range *r, size_t n) {
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (cp < r[mid].lo) {
      hi = mid;
    } else if (cp > r[mid].hi) {
      lo = mid + 1;
    } else {
      return true;
    }
  }
  return false;
}

/* East Asian Wide and Fullwidth (Unicode's EastAsianWidth.txt, W and F), and emoji shown wide. */
static const range wide[] = {
    {0x1100, 0x115F},   {0x231A, 0x231B},   {0x2329, 0x232A},   {0x23E9, 0x23EC},   {0x23F0, 0x23F0},
    {0x23F3, 0x23F3},   {0x25FD, 0x25FE},   {0x2614, 0x2615},   {0x2648, 0x2653},   {0x267F, 0x267F},
    {0x2693, 0x2693},   {0x26A1, 0x26A1},   {0x26AA, 0x26AB},   {0x26BD, 0x26BE},   {0x26C4, 0x26C5},
    {0x26CE, 0x26CE},   {0x26D4, 0x26D4},   {0x26EA, 0x26EA},   {0x26F2, 0x26F3},   {0x26F5, 0x26F5},
    {0x26FA, 0x26FA},   {0x26FD, 0x26FD},   {0x2705, 0x2705},   {0x270A, 0x270B},   {0x2728, 0x2728},
    {0x274C, 0x274C},   {0x274E, 0x274E},   {0x2753, 0x2755},   {0x2757, 0x2757},   {0x2795, 0x2797},
    {0x27B0, 0x27B0},   {0x27BF, 0x27BF},   {0x2B1B, 0x2B1C},   {0x2B50, 0x2B50},   {0x2B55, 0x2B55},
    {0x2E80, 0x303E},   {0x3041, 0x33FF},   {0x3400, 0x4DBF},   {0x4E00, 0x9FFF},   {0xA000, 0xA4CF},
    {0xA960, 0xA97F},   {0xAC00, 0xD7A3},   {0xF900, 0xFAFF},   {0xFE10, 0xFE19},   {0xFE30, 0xFE6F},
    {0xFF00, 0xFF60},   {0xFFE0, 0xFFE6},   {0x16FE0, 0x16FE4}, {0x17000, 0x18AFF}, {0x1B000, 0x1B2FF},
    {0x1F004, 0x1F004}, {0x1F0CF, 0x1F0CF}, {0x1F18E, 0x1F18E}, {0x1F191, 0x1F19A}, {0x1F200, 0x1F2FF},
    {0x1F300, 0x1F64F}, {0x1F680, 0x1F6FF}, {0x1F7E0, 0x1F7EB}, {0x1F90C, 0x1F9FF}, {0x1FA70, 0x1FAFF},
    {0x20000, 0x2FFFD}, {0x30000, 0x3FFFD},
};

/* Combining marks and zero-width characters. */
static const range zero[] = {
    {0x0300, 0x036F}, {0x0483, 0x0489}, {0x0591, 0x05BD}, {0x05BF, 0x05BF}, {0x05C1, 0x05C2},
    {0x05C4, 0x05C5}, {0x05C7, 0x05C7}, {0x0610, 0x061A}, {0x064B, 0x065F}, {0x0670, 0x0670},
    {0x06D6, 0x06DC}, {0x06DF, 0x06E4}, {0x06E7, 0x06E8}, {0x06EA, 0x06ED}, {0x0900, 0x0902},
    {0x093A, 0x093A}, {0x093C, 0x093C}, {0x0941, 0x0948}, {0x094D, 0x094D}, {0x0951, 0x0957},
    {0x0E31, 0x0E31}, {0x0E34, 0x0E3A}, {0x0E47, 0x0E4E}, {0x1AB0, 0x1AFF}, {0x1DC0, 0x1DFF},
    {0x200B, 0x200F}, {0x2028, 0x202E}, {0x2060, 0x2064}, {0x20D0, 0x20FF}, {0xFE00, 0xFE0F},
    {0xFE20, 0xFE2F}, {0xFEFF, 0xFEFF}, {0xE0100, 0xE01EF},
};

int docker_rune_width(uint32_t cp) {
  if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0)) return 0;
  if (cp < 0x300) return 1;
  if (in_ranges(cp, zero, sizeof zero / sizeof zero[0])) return 0;
  if (in_ranges(cp, wide, sizeof wide / sizeof wide[0])) return 2;
  return 1;
}

size_t docker_text_width(const char *s, size_t n) {
  size_t w = 0;
  for (size_t i = 0; i < n;) {
    uint32_t cp;
    i += docker_utf8_decode(s + i, n - i, &cp);
    w += (size_t)docker_rune_width(cp);
  }
  return w;
}

/* ---- tabwriter ---------------------------------------------------------------------------------------- */

typedef struct tw_cell {
  size_t off, size, width;
  size_t pad_to; /* the column's width for this line; 0 for a line's last cell */
} tw_cell;

typedef struct tw_line {
  size_t first; /* index of its first cell */
  size_t count;
} tw_line;

static bool push_cell(tw_cell **cells, size_t *n, size_t *cap, tw_cell c) {
  if (*n == *cap) {
    size_t grown_cap = *cap == 0 ? 64 : *cap * 2;
    tw_cell *grown = realloc(*cells, grown_cap * sizeof *grown);
    if (grown == NULL) return false;
    *cells = grown;
    *cap = grown_cap;
  }
  (*cells)[(*n)++] = c;
  return true;
}

static bool push_line(tw_line **lines, size_t *n, size_t *cap, size_t first) {
  if (*n == *cap) {
    size_t grown_cap = *cap == 0 ? 16 : *cap * 2;
    tw_line *grown = realloc(*lines, grown_cap * sizeof *grown);
    if (grown == NULL) return false;
    *lines = grown;
    *cap = grown_cap;
  }
  (*lines)[(*n)++] = (tw_line){.first = first, .count = 0};
  return true;
}

void docker_tabwrite(const char *text, size_t len, int minwidth, int padding, docker_buf *out) {
  tw_cell *cells = NULL;
  tw_line *lines = NULL;
  size_t *active = NULL;
  size_t ncells = 0, cells_cap = 0, nlines = 0, lines_cap = 0;
  /* Cells end at a tab or a newline, lines at a newline; the text after the last newline is the last,
   * open line (a cell only when it is not empty, as the tabwriter's Flush does). */
  bool ok = push_line(&lines, &nlines, &lines_cap, 0);
  size_t start = 0;
  for (size_t i = 0; ok && i < len; i++) {
    if (text[i] != '\t' && text[i] != '\n') continue;
    ok = push_cell(&cells, &ncells, &cells_cap,
                   (tw_cell){.off = start, .size = i - start, .width = docker_text_width(text + start, i - start)});
    if (ok) lines[nlines - 1].count++;
    if (ok && text[i] == '\n') ok = push_line(&lines, &nlines, &lines_cap, ncells);
    start = i + 1;
  }
  if (ok && start < len) {
    ok = push_cell(&cells, &ncells, &cells_cap,
                   (tw_cell){.off = start, .size = len - start, .width = docker_text_width(text + start, len - start)});
    if (ok) lines[nlines - 1].count++;
  }
  /* Column by column, the lines that have a cell in it (more cells after it): runs of consecutive such
   * lines share a width. Each pass keeps the lines that go on to the next column. */
  size_t nactive = 0;
  if (ok) {
    active = malloc((nlines > 0 ? nlines : 1) * sizeof *active);
    ok = active != NULL;
  }
  for (size_t l = 0; ok && l < nlines; l++) {
    if (lines[l].count > 1) active[nactive++] = l;
  }
  for (size_t col = 0; ok && nactive > 0; col++) {
    for (size_t a = 0; a < nactive;) {
      size_t b = a;
      size_t width = (size_t)minwidth;
      while (b < nactive && (b == a || active[b] == active[b - 1] + 1)) {
        const tw_cell *c = &cells[lines[active[b]].first + col];
        if (c->width + (size_t)padding > width) width = c->width + (size_t)padding;
        b++;
      }
      for (size_t k = a; k < b; k++) cells[lines[active[k]].first + col].pad_to = width;
      a = b;
    }
    size_t kept = 0;
    for (size_t a = 0; a < nactive; a++) {
      if (lines[active[a]].count > col + 2) active[kept++] = active[a];
    }
    nactive = kept;
  }
  for (size_t l = 0; ok && l < nlines; l++) {
    for (size_t k = 0; k < lines[l].count; k++) {
      const tw_cell *c = &cells[lines[l].first + k];
      docker_buf_add(out, text + c->off, c->size);
      for (size_t w = c->width; c->pad_to > 0 && w < c->pad_to; w++) docker_buf_addc(out, ' ');
    }
    if (l + 1 < nlines) docker_buf_addc(out, '\n');
  }
  if (!ok) out->failed = true;
  free(active);
  free(cells);
  free(lines);
}

/* ---- Go's quoting ------------------------------------------------------------------------------------- */

/* unicode.IsPrint's "no" for the characters wctr's output can meet: controls, spaces other than ' ', format
 * characters, separators, private use and non-characters. */
static bool go_printable(uint32_t cp) {
  static const range not_print[] = {
      {0x0000, 0x001F}, {0x007F, 0x00A0}, {0x00AD, 0x00AD}, {0x0600, 0x0605}, {0x061C, 0x061C},
      {0x06DD, 0x06DD}, {0x070F, 0x070F}, {0x1680, 0x1680}, {0x180E, 0x180E}, {0x2000, 0x200F},
      {0x2028, 0x202F}, {0x205F, 0x206F}, {0x3000, 0x3000}, {0xD800, 0xF8FF}, {0xFDD0, 0xFDEF},
      {0xFEFF, 0xFEFF}, {0xFFF9, 0xFFFB}, {0xFFFE, 0xFFFF}, {0xE0000, 0xE007F}, {0xF0000, 0x10FFFF},
  };
  return !in_ranges(cp, not_print, sizeof not_print / sizeof not_print[0]);
}

void docker_go_quote(docker_buf *b, const char *s, size_t n) {
  docker_buf_addc(b, '"');
  for (size_t i = 0; i < n;) {
    uint32_t cp;
    size_t len = docker_utf8_decode(s + i, n - i, &cp);
    unsigned char c = (unsigned char)s[i];
    if (len == 1 && c >= 0x80) {
      docker_buf_addf(b, "\\x%02x", c);
    } else if (cp == '"' || cp == '\\') {
      docker_buf_addc(b, '\\');
      docker_buf_addc(b, (char)cp);
    } else if (go_printable(cp)) {
      docker_buf_add(b, s + i, len);
    } else {
      switch (cp) {
        case '\a': docker_buf_adds(b, "\\a"); break;
        case '\b': docker_buf_adds(b, "\\b"); break;
        case '\f': docker_buf_adds(b, "\\f"); break;
        case '\n': docker_buf_adds(b, "\\n"); break;
        case '\r': docker_buf_adds(b, "\\r"); break;
        case '\t': docker_buf_adds(b, "\\t"); break;
        case '\v': docker_buf_adds(b, "\\v"); break;
        default:
          if (cp < 0x80) {
            docker_buf_addf(b, "\\x%02x", (unsigned)cp);
          } else if (cp < 0x10000) {
            docker_buf_addf(b, "\\u%04x", (unsigned)cp);
          } else {
            docker_buf_addf(b, "\\U%08x", (unsigned)cp);
          }
          break;
      }
    }
    i += len;
  }
  docker_buf_addc(b, '"');
}

/* ---- Go's floats -------------------------------------------------------------------------------------- */

/* The shortest decimal digits that read back as x (x finite, > 0): digits without a point, and the decimal
 * exponent of the first digit (x = 0.d1d2... * 10^(exp+1), i.e. d1.d2... * 10^exp). */
static void shortest(double x, char *digits, size_t size, int *exp10) {
  char text[40];
  for (int prec = 1; prec <= 17; prec++) {
    snprintf(text, sizeof text, "%.*e", prec - 1, x);
    if (strtod(text, NULL) == x || prec == 17) break;
  }
  size_t n = 0;
  const char *p = text;
  for (; *p != '\0' && *p != 'e'; p++) {
    if (*p >= '0' && *p <= '9' && n + 1 < size) digits[n++] = *p;
  }
  digits[n] = '\0';
  while (n > 1 && digits[n - 1] == '0') digits[--n] = '\0';
  *exp10 = *p == 'e' ? (int)strtol(p + 1, NULL, 10) : 0;
}

/* x finite. eform_lo/eform_hi: the decimal exponents (of the first digit) outside [lo, hi) use %e form;
 * two_digit_exp: Go's fmt writes at least two exponent digits (1e-05), encoding/json one (1e-7). */
static void go_float_text(docker_buf *b, double x, int eform_lo, int eform_hi, bool two_digit_exp) {
  if (x == 0) {
    docker_buf_adds(b, signbit(x) ? "-0" : "0");
    return;
  }
  if (x < 0) {
    docker_buf_addc(b, '-');
    x = -x;
  }
  char d[24];
  int e10 = 0;
  shortest(x, d, sizeof d, &e10);
  size_t n = strlen(d);
  if (e10 < eform_lo || e10 >= eform_hi) {
    docker_buf_addc(b, d[0]);
    if (n > 1) {
      docker_buf_addc(b, '.');
      docker_buf_add(b, d + 1, n - 1);
    }
    int ae = e10 < 0 ? -e10 : e10;
    docker_buf_addf(b, two_digit_exp ? "e%c%02d" : "e%c%d", e10 < 0 ? '-' : '+', ae);
    return;
  }
  if (e10 < 0) {
    docker_buf_adds(b, "0.");
    for (int i = -1; i > e10; i--) docker_buf_addc(b, '0');
    docker_buf_add(b, d, n);
    return;
  }
  size_t whole = (size_t)e10 + 1;
  for (size_t i = 0; i < whole; i++) docker_buf_addc(b, i < n ? d[i] : '0');
  if (n > whole) {
    docker_buf_addc(b, '.');
    docker_buf_add(b, d + whole, n - whole);
  }
}

void docker_go_float(docker_buf *b, double x) {
  if (isnan(x)) {
    docker_buf_adds(b, "NaN");
  } else if (isinf(x)) {
    docker_buf_adds(b, x > 0 ? "+Inf" : "-Inf");
  } else {
    go_float_text(b, x, -4, 6, true); /* strconv 'g' shortest: %e from exponent 6 on */
  }
}

void docker_json_float(docker_buf *b, double x) {
  if (isnan(x) || isinf(x)) {
    docker_buf_adds(b, "null"); /* encoding/json refuses them; a cJSON tree cannot hold them from JSON text */
  } else {
    go_float_text(b, x, -6, 21, false);
  }
}

/* ---- Go's JSON ---------------------------------------------------------------------------------------- */

static void json_string(docker_buf *b, const char *s, bool escape_html) {
  static const char hex[] = "0123456789abcdef";
  size_t n = strlen(s);
  docker_buf_addc(b, '"');
  for (size_t i = 0; i < n;) {
    unsigned char c = (unsigned char)s[i];
    if (c < 0x80) {
      if (c == '"' || c == '\\') {
        docker_buf_addc(b, '\\');
        docker_buf_addc(b, (char)c);
      } else if (c == '\n') {
        docker_buf_adds(b, "\\n");
      } else if (c == '\r') {
        docker_buf_adds(b, "\\r");
      } else if (c == '\t') {
        docker_buf_adds(b, "\\t");
      } else if (c == '\b') {
        docker_buf_adds(b, "\\b");
      } else if (c == '\f') {
        docker_buf_adds(b, "\\f");
      } else if (c < 0x20 || (escape_html && (c == '<' || c == '>' || c == '&'))) {
        char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
        docker_buf_add(b, u, 6);
      } else {
        docker_buf_addc(b, (char)c);
      }
      i++;
      continue;
    }
    uint32_t cp;
    size_t len = docker_utf8_decode(s + i, n - i, &cp);
    if (len == 1) {
      docker_buf_adds(b, "\\ufffd");
    } else if (cp == 0x2028 || cp == 0x2029) {
      docker_buf_addf(b, "\\u%04x", (unsigned)cp);
    } else {
      docker_buf_add(b, s + i, len);
    }
    i += len;
  }
  docker_buf_addc(b, '"');
}

static void json_number(docker_buf *b, double x) {
  if (x == floor(x) && fabs(x) < 9007199254740992.0) {
    docker_buf_addf(b, "%lld", (long long)x);
  } else {
    docker_json_float(b, x);
  }
}

static void newline(docker_buf *b, const char *indent, int depth) {
  docker_buf_addc(b, '\n');
  for (int i = 0; i < depth; i++) docker_buf_adds(b, indent);
}

/* Nesting is bounded by cJSON's parser (CJSON_NESTING_LIMIT) for trees read from text; trees built in code
 * are shallow. */
static void json_value(docker_buf *b, const cJSON *item, const char *indent, bool escape_html, int depth) {
  if (item == NULL || cJSON_IsNull(item) || cJSON_IsInvalid(item)) {
    docker_buf_adds(b, "null");
  } else if (cJSON_IsTrue(item)) {
    docker_buf_adds(b, "true");
  } else if (cJSON_IsFalse(item)) {
    docker_buf_adds(b, "false");
  } else if (cJSON_IsNumber(item)) {
    json_number(b, item->valuedouble);
  } else if (cJSON_IsString(item)) {
    json_string(b, item->valuestring != NULL ? item->valuestring : "", escape_html);
  } else if (cJSON_IsRaw(item)) {
    docker_buf_adds(b, item->valuestring != NULL ? item->valuestring : "null");
  } else {
    bool object = cJSON_IsObject(item);
    docker_buf_addc(b, object ? '{' : '[');
    const cJSON *child = item->child;
    for (const cJSON *c = child; c != NULL; c = c->next) {
      if (c != child) docker_buf_addc(b, ',');
      if (indent != NULL) newline(b, indent, depth + 1);
      if (object) {
        json_string(b, c->string != NULL ? c->string : "", escape_html);
        docker_buf_adds(b, indent != NULL ? ": " : ":");
      }
      json_value(b, c, indent, escape_html, depth + 1);
    }
    if (indent != NULL && child != NULL) newline(b, indent, depth);
    docker_buf_addc(b, object ? '}' : ']');
  }
}

void docker_json_write(docker_buf *b, const cJSON *item, const char *indent, bool escape_html) {
  json_value(b, item, indent, escape_html, 0);
}

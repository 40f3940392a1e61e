/* spec/network.c - a container's networking: Docker's port specs, exposed ports, DNS, MAC address, network
 * mode, their JSON form and the rules per isolation (portable; spec/network.h). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "spec/spec_internal.h"

const char *const spec_network_config_keys[] = {"ExposedPorts", "MacAddress", NULL};
const char *const spec_network_host_config_keys[] = {"NetworkMode", "PortBindings", "PublishAllPorts", "Dns",
                                                     "DnsSearch", NULL};

/* wctr_isolation's values (spec.h includes this header, not the other way round). */
enum { ISO_DEFAULT = 0, ISO_JOB = 1, ISO_PROCESS = 2, ISO_HYPERV = 3 };

const char *spec_proto_name(spec_proto proto) { return proto == SPEC_PROTO_UDP ? "udp" : "tcp"; }

/* --- Go's parsers, as go-connections uses them ------------------------------------------------------------ */

/* strconv.ParseUint(s, 10, 16): digits only; why gets Go's error text. */
static bool parse_u16(const char *s, size_t n, uint64_t *out, char *why, size_t why_size) {
  uint64_t v = 0;
  bool range = false;
  if (n == 0) {
    snprintf(why, why_size, "strconv.ParseUint: parsing \"\": invalid syntax");
    return false;
  }
  for (size_t i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') {
      snprintf(why, why_size, "strconv.ParseUint: parsing \"%.*s\": invalid syntax", (int)(n > 64 ? 64 : n), s);
      return false;
    }
    if (!range) {
      v = v * 10 + (uint64_t)(s[i] - '0');
      if (v > 65535) range = true;
    }
  }
  if (range) {
    snprintf(why, why_size, "strconv.ParseUint: parsing \"%.*s\": value out of range", (int)(n > 64 ? 64 : n), s);
    return false;
  }
  *out = v;
  return true;
}

/* nat.ParsePortRange: "80" or "8000-8010" (only the first two parts of a '-' split count, as in Go). */
static bool parse_range(const char *s, uint64_t *start, uint64_t *end, char *why, size_t why_size) {
  if (s[0] == '\0') {
    snprintf(why, why_size, "empty string specified for ports");
    return false;
  }
  const char *dash = strchr(s, '-');
  if (dash == NULL) {
    if (!parse_u16(s, strlen(s), start, why, why_size)) return false;
    *end = *start;
    return true;
  }
  const char *second = dash + 1;
  const char *next = strchr(second, '-');
  size_t second_len = next != NULL ? (size_t)(next - second) : strlen(second);
  if (!parse_u16(s, (size_t)(dash - s), start, why, why_size)) return false;
  if (!parse_u16(second, second_len, end, why, why_size)) return false;
  if (*end < *start) {
    snprintf(why, why_size, "invalid range specified for port: %.100s", s);
    return false;
  }
  return true;
}

/* --- IP and MAC addresses ------------------------------------------------------------------------------- */

static bool parse_v4(const char *s, size_t n, uint8_t out[4]) {
  size_t i = 0;
  for (int part = 0; part < 4; part++) {
    if (part > 0) {
      if (i >= n || s[i] != '.') return false;
      i++;
    }
    size_t begin = i;
    unsigned v = 0;
    while (i < n && s[i] >= '0' && s[i] <= '9' && i - begin < 4) v = v * 10 + (unsigned)(s[i++] - '0');
    size_t digits = i - begin;
    /* Go's ParseIP: 1 to 3 digits, at most 255, no leading zero. */
    if (digits == 0 || digits > 3 || v > 255 || (digits > 1 && s[begin] == '0')) return false;
    out[part] = (uint8_t)v;
  }
  return i == n;
}

static int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

static bool parse_v6(const char *s, uint8_t out[16]) {
  uint16_t groups[8] = {0};
  int count = 0;
  int gap = -1; /* where "::" stands, in groups */
  size_t n = strlen(s);
  size_t i = 0;
  if (n >= 2 && s[0] == ':' && s[1] == ':') {
    gap = 0;
    i = 2;
  } else if (n >= 1 && s[0] == ':') {
    return false;
  }
  while (i < n) {
    if (count >= 8) return false;
    /* An embedded IPv4 address ends the text. */
    size_t j = i;
    while (j < n && s[j] != ':' && s[j] != '.') j++;
    if (j < n && s[j] == '.') {
      uint8_t v4[4];
      if (count > 6 || !parse_v4(s + i, n - i, v4)) return false;
      groups[count++] = (uint16_t)(v4[0] << 8 | v4[1]);
      groups[count++] = (uint16_t)(v4[2] << 8 | v4[3]);
      i = n;
      break;
    }
    unsigned v = 0;
    size_t begin = i;
    while (i < n && hex_value(s[i]) >= 0 && i - begin < 5) v = v * 16 + (unsigned)hex_value(s[i++]);
    if (i == begin || i - begin > 4) return false;
    groups[count++] = (uint16_t)v;
    if (i == n) break;
    if (s[i] != ':') return false;
    i++;
    if (i < n && s[i] == ':') {
      if (gap >= 0) return false;
      gap = count;
      i++;
      if (i == n) break;
    } else if (i == n) {
      return false; /* a trailing single ':' */
    }
  }
  if (gap < 0 && count != 8) return false;
  if (gap >= 0 && count >= 8) return false;
  uint16_t full[8] = {0};
  if (gap < 0) {
    memcpy(full, groups, sizeof full);
  } else {
    int tail = count - gap;
    for (int k = 0; k < gap; k++) full[k] = groups[k];
    for (int k = 0; k < tail; k++) full[8 - tail + k] = groups[gap + k];
  }
  for (int k = 0; k < 8; k++) {
    out[2 * k] = (uint8_t)(full[k] >> 8);
    out[2 * k + 1] = (uint8_t)(full[k] & 0xFF);
  }
  return true;
}

bool spec_ip_parse(const char *text, uint8_t bytes[16], bool *v6) {
  uint8_t buf[16] = {0};
  if (text == NULL || text[0] == '\0') return false;
  bool is_v6 = strchr(text, ':') != NULL;
  bool ok = is_v6 ? parse_v6(text, buf) : parse_v4(text, strlen(text), buf);
  if (!ok) return false;
  if (bytes != NULL) memcpy(bytes, buf, is_v6 ? 16 : 4);
  if (v6 != NULL) *v6 = is_v6;
  return true;
}

static bool ip_unspecified(const char *text) {
  uint8_t b[16];
  bool v6 = false;
  if (!spec_ip_parse(text, b, &v6)) return false;
  for (size_t i = 0; i < (v6 ? 16u : 4u); i++) {
    if (b[i] != 0) return false;
  }
  return true;
}

wctr_err spec_mac_parse(const char *text, char out[SPEC_MAC_SIZE], wctr_errmsg *e) {
  static const char hex[] = "0123456789abcdef";
  char buf[SPEC_MAC_SIZE];
  bool ok = text != NULL && strlen(text) == 17;
  char sep = ok ? text[2] : 0;
  ok = ok && (sep == ':' || sep == '-');
  for (int i = 0; ok && i < 6; i++) {
    int hi = hex_value(text[3 * i]);
    int lo = hex_value(text[3 * i + 1]);
    ok = hi >= 0 && lo >= 0 && (i == 5 || text[3 * i + 2] == sep);
    if (ok) {
      buf[3 * i] = hex[hi];
      buf[3 * i + 1] = hex[lo];
      buf[3 * i + 2] = i == 5 ? '\0' : ':';
    }
  }
  if (!ok) {
    return wctr_fail(e, WCTR_EINVAL, "invalid MAC address \"%.40s\": six pairs of hex digits separated by ':' or "
                     "'-' (02:42:ac:11:00:02)", text != NULL ? text : "");
  }
  /* The low bit of the first octet marks a group (multicast) address, which no adapter can have. */
  if ((hex_value(buf[1]) & 1) != 0) {
    return wctr_fail(e, WCTR_EINVAL, "invalid MAC address \"%s\": a container's MAC address must be unicast (an even "
                     "first octet)", text);
  }
  memcpy(out, buf, SPEC_MAC_SIZE);
  return WCTR_OK;
}

bool spec_network_name_valid(const char *name) {
  size_t n = name != NULL ? strlen(name) : 0;
  if (n == 0 || n > SPEC_NETWORK_NAME_MAX || !isalnum((unsigned char)name[0])) return false;
  for (size_t i = 1; i < n; i++) {
    unsigned char c = (unsigned char)name[i];
    if (!isalnum(c) && c != '_' && c != '.' && c != '-') return false;
  }
  return true;
}

/* Docker's validateDomain (opts/opts.go): labels of letters, digits and '-', not starting or ending with '-',
 * dots between, an optional final dot; at most 255 characters. */
bool spec_domain_valid(const char *d) {
  size_t n = strlen(d);
  if (n == 0 || n > 255) return false;
  if (d[n - 1] == '.') n--;
  size_t label = 0;
  for (size_t i = 0; i <= n; i++) {
    if (i == n || d[i] == '.') {
      if (label == 0 || label > 63 || d[i - 1] == '-' || d[i - label] == '-') return false;
      label = 0;
      continue;
    }
    if (!isalnum((unsigned char)d[i]) && d[i] != '-') return false;
    label++;
  }
  return true;
}

/* --- port specs ------------------------------------------------------------------------------------------ */

bool spec_port_key_parse(const char *key, uint16_t *port, spec_proto *proto) {
  if (key == NULL) return false;
  const char *slash = strchr(key, '/');
  size_t n = slash != NULL ? (size_t)(slash - key) : strlen(key);
  const char *p = slash != NULL ? slash + 1 : "tcp";
  uint64_t v = 0;
  char why[128];
  if (!parse_u16(key, n, &v, why, sizeof why) || v == 0) return false;
  if (strcmp(p, "tcp") == 0 || p[0] == '\0') {
    *proto = SPEC_PROTO_TCP;
  } else if (strcmp(p, "udp") == 0) {
    *proto = SPEC_PROTO_UDP;
  } else {
    return false;
  }
  *port = (uint16_t)v;
  return true;
}

/* proto text (lower-cased by the caller) -> the enum; Docker's validateProto, then Windows' rule. */
static wctr_err proto_check(const char *proto, spec_proto *out, wctr_errmsg *e) {
  if (strcmp(proto, "tcp") == 0) {
    *out = SPEC_PROTO_TCP;
  } else if (strcmp(proto, "udp") == 0) {
    *out = SPEC_PROTO_UDP;
  } else if (strcmp(proto, "sctp") == 0) {
    return wctr_fail(e, WCTR_EINVAL, "invalid protocol sctp");
  } else {
    return wctr_fail(e, WCTR_EINVAL, "invalid proto: %.40s", proto);
  }
  return WCTR_OK;
}

/* The protocol part after '/' (lower-cased; "tcp" when empty) into buf. */
static void proto_text(const char *after_slash, char *buf, size_t size) {
  size_t n = 0;
  for (; after_slash != NULL && after_slash[n] != '\0' && n + 1 < size; n++) {
    buf[n] = (char)tolower((unsigned char)after_slash[n]);
  }
  buf[n] = '\0';
  if (n == 0) snprintf(buf, size, "tcp");
}

wctr_err spec_port_spec_parse(const char *raw, spec_port **out, size_t *count, wctr_errmsg *e) {
  char *copy = spec_strdup(raw != NULL ? raw : "");
  spec_port *list = NULL;
  wctr_err err = WCTR_OK;
  if (copy == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  /* splitParts: the last two ':'-separated parts are the ports, what comes before them the IP. */
  char *ip = "";
  char *host = "";
  char *container = copy;
  char *last = strrchr(copy, ':');
  if (last != NULL) {
    *last = '\0';
    container = last + 1;
    char *prev = strrchr(copy, ':');
    if (prev != NULL) {
      *prev = '\0';
      host = prev + 1;
      ip = copy;
    } else {
      host = copy;
    }
  }
  /* SplitProtoPort. */
  char *slash = strchr(container, '/');
  char proto_buf[48];
  if (slash != NULL) *slash = '\0';
  proto_text(slash != NULL ? slash + 1 : NULL, proto_buf, sizeof proto_buf);
  if (container[0] == '\0') proto_buf[0] = '\0';
  spec_proto proto = SPEC_PROTO_TCP;
  /* go-connections validates the protocol first, then the IP, then the ports. */
  if (container[0] != '\0' && strcmp(proto_buf, "tcp") != 0 && strcmp(proto_buf, "udp") != 0 &&
      strcmp(proto_buf, "sctp") != 0) {
    err = wctr_fail(e, WCTR_EINVAL, "invalid proto: %.40s", proto_buf);
    goto done;
  }
  if (ip[0] == '[') {
    size_t n = strlen(ip);
    if (n < 2 || ip[n - 1] != ']') {
      err = wctr_fail(e, WCTR_EINVAL, "invalid IP address %.60s: address %.60s: missing ']' in address", ip, ip);
      goto done;
    }
    ip[n - 1] = '\0';
    ip++;
  }
  if (ip[0] != '\0' && !spec_ip_parse(ip, NULL, NULL)) {
    err = wctr_fail(e, WCTR_EINVAL, "invalid IP address: %.60s", ip);
    goto done;
  }
  if (container[0] == '\0') {
    err = wctr_fail(e, WCTR_EINVAL, "no port specified: %.100s<empty>", raw != NULL ? raw : "");
    goto done;
  }
  char why[160];
  uint64_t start = 0, end = 0, hstart = 0, hend = 0;
  if (!parse_range(container, &start, &end, why, sizeof why)) {
    err = wctr_fail(e, WCTR_EINVAL, "invalid containerPort: %.60s", container);
    goto done;
  }
  if (host[0] != '\0') {
    if (!parse_range(host, &hstart, &hend, why, sizeof why)) {
      err = wctr_fail(e, WCTR_EINVAL, "invalid hostPort: %.60s", host);
      goto done;
    }
    if (end - start != hend - hstart && end != start) {
      err = wctr_fail(e, WCTR_EINVAL, "invalid ranges specified for container and host Ports: %.60s and %.60s",
                      container, host);
      goto done;
    }
  }
  /* What moby's Windows driver refuses of what parsed (ConvertPortBindings), then wctr's own. */
  err = proto_check(proto_buf, &proto, e);
  if (err != WCTR_OK) goto done;
  if (host[0] != '\0' && end == start && hstart != hend) {
    err = wctr_fail(e, WCTR_EINVAL, "Windows does not support more than one host port in NAT settings");
    goto done;
  }
  if (ip[0] != '\0' && !ip_unspecified(ip)) {
    err = wctr_fail(e, WCTR_EINVAL, "Windows does not support host IP addresses in NAT settings");
    goto done;
  }
  if (start == 0) {
    err = wctr_fail(e, WCTR_EINVAL, "invalid containerPort: 0 (a port is 1 to 65535)");
    goto done;
  }
  size_t n = (size_t)(end - start + 1);
  if (n > SPEC_PORTS_MAX) {
    err = wctr_fail(e, WCTR_ETOOBIG, "-p %.60s: %zu ports, more than the %d a container may publish", raw, n,
                    SPEC_PORTS_MAX);
    goto done;
  }
  list = calloc(n, sizeof *list);
  if (list == NULL) {
    err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
    goto done;
  }
  for (size_t i = 0; i < n; i++) {
    list[i].port = (uint16_t)(start + i);
    list[i].proto = proto;
    list[i].host_port = host[0] != '\0' ? (uint16_t)(hstart + i) : 0;
    snprintf(list[i].host_ip, sizeof list[i].host_ip, "%s", ip);
  }
  *out = list;
  *count = n;
  list = NULL;
done:
  free(list);
  free(copy);
  return err;
}

wctr_err spec_expose_parse(const char *raw, spec_port **out, size_t *count, wctr_errmsg *e) {
  const char *text = raw != NULL ? raw : "";
  if (strchr(text, ':') != NULL) return wctr_fail(e, WCTR_EINVAL, "invalid port format for --expose: %.60s", text);
  char port[80];
  const char *slash = strchr(text, '/');
  size_t n = slash != NULL ? (size_t)(slash - text) : strlen(text);
  snprintf(port, sizeof port, "%.*s", (int)(n < sizeof port ? n : sizeof port - 1), text);
  char proto_buf[48];
  proto_text(slash != NULL ? slash + 1 : NULL, proto_buf, sizeof proto_buf);
  uint64_t start = 0, end = 0;
  char why[160];
  if (!parse_range(port, &start, &end, why, sizeof why)) {
    return wctr_fail(e, WCTR_EINVAL, "invalid range format for --expose: %.60s, error: %s", text, why);
  }
  spec_proto proto;
  wctr_err err = proto_check(proto_buf, &proto, e);
  if (err != WCTR_OK) return err;
  if (start == 0) return wctr_fail(e, WCTR_EINVAL, "invalid containerPort: 0 (a port is 1 to 65535)");
  size_t total = (size_t)(end - start + 1);
  if (total > SPEC_PORTS_MAX) {
    return wctr_fail(e, WCTR_ETOOBIG, "--expose %.60s: %zu ports, more than the %d a container may expose", text, total,
                     SPEC_PORTS_MAX);
  }
  spec_port *list = calloc(total, sizeof *list);
  if (list == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  for (size_t i = 0; i < total; i++) {
    list[i].port = (uint16_t)(start + i);
    list[i].proto = proto;
  }
  *out = list;
  *count = total;
  return WCTR_OK;
}

/* --- the mode ---------------------------------------------------------------------------------------------- */

const char *spec_network_mode(const spec_network *n) {
  return n != NULL && n->mode != NULL ? n->mode : SPEC_NETWORK_DEFAULT;
}

const char *spec_network_joined(const spec_network *n) {
  const char *mode = spec_network_mode(n);
  if (strcmp(mode, SPEC_NETWORK_DEFAULT) == 0) return SPEC_NETWORK_NAT;
  if (strcmp(mode, SPEC_NETWORK_NONE) == 0 || strcmp(mode, SPEC_NETWORK_HOST) == 0) return NULL;
  return mode;
}

/* --- release and copy ------------------------------------------------------------------------------------- */

void spec_network_free(spec_network *n) {
  if (n == NULL) return;
  free(n->mode);
  free(n->publish);
  free(n->expose);
  spec_strings_free(n->dns, n->dns_count, false);
  spec_strings_free(n->dns_search, n->dns_search_count, false);
  free(n->mac_address);
  memset(n, 0, sizeof *n);
}

static bool copy_ports(const spec_port *from, size_t count, spec_port **to) {
  *to = NULL;
  if (count == 0) return true;
  *to = malloc(count * sizeof **to);
  if (*to == NULL) return false;
  memcpy(*to, from, count * sizeof **to);
  return true;
}

bool spec_network_copy(const spec_network *from, spec_network *to) {
  spec_network c;
  memset(&c, 0, sizeof c);
  c.publish_all = from->publish_all;
  bool ok = true;
  if (from->mode != NULL) ok = (c.mode = spec_strdup(from->mode)) != NULL;
  if (ok && from->mac_address != NULL) ok = (c.mac_address = spec_strdup(from->mac_address)) != NULL;
  if (ok && (ok = copy_ports(from->publish, from->publish_count, &c.publish))) c.publish_count = from->publish_count;
  if (ok && (ok = copy_ports(from->expose, from->expose_count, &c.expose))) c.expose_count = from->expose_count;
  if (ok && (ok = spec_strings_copy(from->dns, from->dns_count, &c.dns))) c.dns_count = from->dns_count;
  if (ok && (ok = spec_strings_copy(from->dns_search, from->dns_search_count, &c.dns_search))) {
    c.dns_search_count = from->dns_search_count;
  }
  if (!ok) {
    spec_network_free(&c);
    return false;
  }
  *to = c;
  return true;
}

/* --- the JSON form ------------------------------------------------------------------------------------------ */

static int port_cmp(const spec_port *a, const spec_port *b) {
  if (a->port != b->port) return a->port < b->port ? -1 : 1;
  if (a->proto != b->proto) return a->proto < b->proto ? -1 : 1;
  return 0;
}

/* Sorted by port then protocol, keeping the given order of equal keys (the bindings of one port). */
static void sort_ports(spec_port *p, size_t n) {
  for (size_t i = 1; i < n; i++) {
    spec_port x = p[i];
    size_t j = i;
    while (j > 0 && port_cmp(&p[j - 1], &x) > 0) {
      p[j] = p[j - 1];
      j--;
    }
    p[j] = x;
  }
}

/* Appends to a growing list. */
static bool push_port(spec_port **list, size_t *count, size_t *cap, const spec_port *p) {
  if (*count == *cap) {
    size_t ncap = *cap == 0 ? 8 : *cap * 2;
    spec_port *grown = realloc(*list, ncap * sizeof *grown);
    if (grown == NULL) return false;
    *list = grown;
    *cap = ncap;
  }
  (*list)[(*count)++] = *p;
  return true;
}

static wctr_err read_port_bindings(const cJSON *hc, const char *where, spec_network *n, wctr_errmsg *e) {
  const cJSON *pb = NULL;
  size_t cap = 0;
  wctr_err err = wctr_json_get_object(hc, "PortBindings", where, false, &pb, e);
  if (err != WCTR_OK || pb == NULL) return err;
  const cJSON *entry;
  cJSON_ArrayForEach(entry, pb) {
    spec_port base;
    memset(&base, 0, sizeof base);
    if (!spec_port_key_parse(entry->string, &base.port, &base.proto)) {
      const char *slash = strchr(entry->string, '/');
      if (slash != NULL && strcmp(slash + 1, "sctp") == 0) return wctr_fail(e, WCTR_EINVAL, "invalid protocol sctp");
      return wctr_fail(e, WCTR_EINVAL, "%s.PortBindings: \"%.60s\" is not a port (1 to 65535, /tcp or /udp)", where,
                       entry->string);
    }
    if (cJSON_IsNull(entry)) continue;
    if (!cJSON_IsArray(entry)) {
      return wctr_fail(e, WCTR_EINVAL, "%s.PortBindings: \"%.60s\" must be an array, not %s", where, entry->string,
                       wctr_json_type_name(entry));
    }
    const cJSON *b;
    cJSON_ArrayForEach(b, entry) {
      static const char *const keys[] = {"HostIp", "HostPort", NULL};
      char bwhere[160];
      snprintf(bwhere, sizeof bwhere, "%.60s.PortBindings[\"%.40s\"]", where, entry->string);
      const char *ip = NULL;
      const char *hp = NULL;
      if (wctr_json_check_keys(b, bwhere, keys, e) != WCTR_OK ||
          wctr_json_get_string(b, "HostIp", bwhere, false, &ip, e) != WCTR_OK ||
          wctr_json_get_string(b, "HostPort", bwhere, false, &hp, e) != WCTR_OK) {
        return WCTR_EINVAL;
      }
      spec_port p = base;
      if (hp != NULL && hp[0] != '\0') {
        uint64_t hs = 0, he = 0;
        char why[160];
        if (!parse_range(hp, &hs, &he, why, sizeof why)) return wctr_fail(e, WCTR_EINVAL, "invalid hostPort: %.60s", hp);
        if (hs != he) return wctr_fail(e, WCTR_EINVAL, "Windows does not support more than one host port in NAT settings");
        p.host_port = (uint16_t)hs;
      }
      if (ip != NULL && ip[0] != '\0') {
        if (!spec_ip_parse(ip, NULL, NULL)) return wctr_fail(e, WCTR_EINVAL, "invalid IP address: %.60s", ip);
        if (!ip_unspecified(ip)) return wctr_fail(e, WCTR_EINVAL, "Windows does not support host IP addresses in NAT settings");
        snprintf(p.host_ip, sizeof p.host_ip, "%s", ip);
      }
      if (n->publish_count >= SPEC_PORTS_MAX) {
        return wctr_fail(e, WCTR_ETOOBIG, "%s.PortBindings: more than the %d mappings a container may publish", where,
                         SPEC_PORTS_MAX);
      }
      if (!push_port(&n->publish, &n->publish_count, &cap, &p)) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
    }
  }
  sort_ports(n->publish, n->publish_count);
  /* One host port, one container: a second mapping of it would be refused by HNS after the first exists. */
  for (size_t i = 0; i < n->publish_count; i++) {
    for (size_t j = 0; j < i; j++) {
      const spec_port *a = &n->publish[i], *b = &n->publish[j];
      if (a->host_port != 0 && a->host_port == b->host_port && a->proto == b->proto) {
        return wctr_fail(e, WCTR_EINVAL, "Bind for 0.0.0.0:%u failed: port is already allocated (published twice by "
                         "this container, for %u/%s and %u/%s)", (unsigned)a->host_port, (unsigned)b->port,
                         spec_proto_name(b->proto), (unsigned)a->port, spec_proto_name(a->proto));
      }
    }
  }
  return WCTR_OK;
}

static wctr_err read_exposed(const cJSON *config, const char *where, spec_network *n, wctr_errmsg *e) {
  const cJSON *ep = NULL;
  size_t cap = 0;
  wctr_err err = wctr_json_get_object(config, "ExposedPorts", where, false, &ep, e);
  if (err != WCTR_OK || ep == NULL) return err;
  const cJSON *entry;
  cJSON_ArrayForEach(entry, ep) {
    spec_port p;
    memset(&p, 0, sizeof p);
    if (!spec_port_key_parse(entry->string, &p.port, &p.proto)) {
      return wctr_fail(e, WCTR_EINVAL, "%s.ExposedPorts: \"%.60s\" is not a port (1 to 65535, /tcp or /udp)", where,
                       entry->string);
    }
    if (!cJSON_IsObject(entry) && !cJSON_IsNull(entry)) {
      return wctr_fail(e, WCTR_EINVAL, "%s.ExposedPorts: \"%.60s\" must be an object ({}), not %s", where,
                       entry->string, wctr_json_type_name(entry));
    }
    bool seen = false;
    for (size_t i = 0; i < n->expose_count && !seen; i++) seen = port_cmp(&n->expose[i], &p) == 0;
    if (seen) continue;
    if (n->expose_count >= SPEC_PORTS_MAX) {
      return wctr_fail(e, WCTR_ETOOBIG, "%s.ExposedPorts: more than the %d ports a container may expose", where,
                       SPEC_PORTS_MAX);
    }
    if (!push_port(&n->expose, &n->expose_count, &cap, &p)) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  }
  sort_ports(n->expose, n->expose_count);
  return WCTR_OK;
}

static wctr_err read_strings(const cJSON *obj, const char *key, const char *where, char ***out, size_t *count,
                             wctr_errmsg *e) {
  const cJSON *arr = NULL;
  wctr_err err = wctr_json_get_string_array(obj, key, where, false, &arr, e);
  if (err != WCTR_OK || arr == NULL) return err;
  int n = cJSON_GetArraySize(arr);
  if (n > SPEC_DNS_MAX) {
    return wctr_fail(e, WCTR_ETOOBIG, "%s: \"%s\" has %d entries, more than the %d a container may have", where, key, n,
                     SPEC_DNS_MAX);
  }
  if (n == 0) return WCTR_OK;
  char **list = calloc((size_t)n + 1, sizeof *list);
  if (list == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  size_t i = 0;
  const cJSON *item;
  cJSON_ArrayForEach(item, arr) {
    list[i] = spec_strdup(item->valuestring);
    if (list[i] == NULL) {
      spec_strings_free(list, i, false);
      return wctr_fail(e, WCTR_ENOMEM, "out of memory");
    }
    i++;
  }
  *out = list;
  *count = i;
  return WCTR_OK;
}

/* The rules per isolation (spec/network.h). */
static wctr_err check_mode(spec_network *n, int isolation, wctr_errmsg *e) {
  const char *mode = n->mode;
  if (mode != NULL && strncmp(mode, "container:", 10) == 0) {
    return wctr_fail(e, WCTR_ENOTSUP, "--network %.80s: sharing another container's network is not supported",
                     mode);
  }
  if (mode != NULL && !spec_network_name_valid(mode)) {
    return wctr_fail(e, WCTR_EINVAL, "invalid network name \"%.80s\": [a-zA-Z0-9][a-zA-Z0-9_.-]*, at most %d characters",
                     mode, SPEC_NETWORK_NAME_MAX);
  }
  bool is_default = mode == NULL || strcmp(mode, SPEC_NETWORK_DEFAULT) == 0;
  bool is_host = mode != NULL && strcmp(mode, SPEC_NETWORK_HOST) == 0;
  bool is_none = mode != NULL && strcmp(mode, SPEC_NETWORK_NONE) == 0;
  if (isolation == ISO_JOB) {
    static const char why[] = "a job container shares the host's network stack (as a Kubernetes HostProcess container "
                              "does)";
    if (!is_default && !is_host) {
      return wctr_fail(e, WCTR_EINVAL, "--network %.80s: %s; only --network host applies to it", mode, why);
    }
    if (n->publish_count > 0 || n->publish_all) {
      return wctr_fail(e, WCTR_EINVAL, "-p/--publish%s: %s and has no ports of its own to publish: its processes "
                       "listen on the host's ports", n->publish_count > 0 ? "" : "-all (-P)", why);
    }
    if (n->dns_count > 0 || n->dns_search_count > 0) {
      return wctr_fail(e, WCTR_EINVAL, "--dns%s: %s and uses the host's DNS settings",
                       n->dns_count > 0 ? "" : "-search", why);
    }
    if (n->mac_address != NULL) return wctr_fail(e, WCTR_EINVAL, "--mac-address: %s and has no adapter of its own", why);
    if (is_default) {
      free(n->mode);
      n->mode = spec_strdup(SPEC_NETWORK_HOST);
      if (n->mode == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
    }
    return WCTR_OK;
  }
  if (is_host) {
    return wctr_fail(e, WCTR_EINVAL, "--network host: only job containers (--isolation=job) share the host's network "
                     "stack; process and Hyper-V containers join a network (nat by default) or none");
  }
  if (is_none && (n->publish_count > 0 || n->publish_all)) {
    return wctr_fail(e, WCTR_EINVAL, "-p/--publish%s with --network none: the container has no network to publish "
                     "ports on", n->publish_count > 0 ? "" : "-all (-P)");
  }
  if (is_none && n->mac_address != NULL) {
    return wctr_fail(e, WCTR_EINVAL, "--mac-address with --network none: the container has no network adapter");
  }
  return WCTR_OK;
}

wctr_err spec_network_from_json(const cJSON *config, const cJSON *hc, const char *where, const char *hc_where,
                                int isolation, spec_network *out, wctr_errmsg *e) {
  spec_network n;
  memset(&n, 0, sizeof n);
  const char *mode = NULL;
  const char *mac = NULL;
  wctr_err err = WCTR_OK;
  if (hc != NULL) {
    if (wctr_json_get_string(hc, "NetworkMode", hc_where, false, &mode, e) != WCTR_OK ||
        wctr_json_get_bool(hc, "PublishAllPorts", hc_where, false, &n.publish_all, e) != WCTR_OK) {
      err = WCTR_EINVAL;
    }
    if (err == WCTR_OK) err = read_port_bindings(hc, hc_where, &n, e);
    if (err == WCTR_OK) err = read_strings(hc, "Dns", hc_where, &n.dns, &n.dns_count, e);
    if (err == WCTR_OK) err = read_strings(hc, "DnsSearch", hc_where, &n.dns_search, &n.dns_search_count, e);
  }
  if (err == WCTR_OK && config != NULL) {
    err = read_exposed(config, where, &n, e);
    if (err == WCTR_OK && wctr_json_get_string(config, "MacAddress", where, false, &mac, e) != WCTR_OK) err = WCTR_EINVAL;
  }
  for (size_t i = 0; err == WCTR_OK && i < n.dns_count; i++) {
    if (!spec_ip_parse(n.dns[i], NULL, NULL)) {
      err = wctr_fail(e, WCTR_EINVAL, "IP address is not correctly formatted: %.60s", n.dns[i]);
    }
  }
  for (size_t i = 0; err == WCTR_OK && i < n.dns_search_count; i++) {
    /* Docker's "." means "no search domains". */
    if (strcmp(n.dns_search[i], ".") != 0 && !spec_domain_valid(n.dns_search[i])) {
      err = wctr_fail(e, WCTR_EINVAL, "%.80s is not a valid domain", n.dns_search[i]);
    }
  }
  if (err == WCTR_OK && mac != NULL && mac[0] != '\0') {
    char normal[SPEC_MAC_SIZE];
    err = spec_mac_parse(mac, normal, e);
    if (err == WCTR_OK && (n.mac_address = spec_strdup(normal)) == NULL) err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
  }
  if (err == WCTR_OK && mode != NULL && mode[0] != '\0' && (n.mode = spec_strdup(mode)) == NULL) {
    err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
  }
  if (err == WCTR_OK) err = check_mode(&n, isolation, e);
  if (err != WCTR_OK) {
    spec_network_free(&n);
    return err;
  }
  *out = n;
  return WCTR_OK;
}

static bool add_to(cJSON *obj, const char *key, cJSON *item) {
  if (item == NULL) return false;
  if (!cJSON_AddItemToObject(obj, key, item)) {
    cJSON_Delete(item);
    return false;
  }
  return true;
}

static cJSON *strings_json(char *const *list, size_t count) {
  cJSON *arr = cJSON_CreateArray();
  for (size_t i = 0; arr != NULL && i < count; i++) {
    if (!cJSON_AddItemToArray(arr, cJSON_CreateString(list[i]))) {
      cJSON_Delete(arr);
      return NULL;
    }
  }
  return arr;
}

cJSON *spec_port_bindings_json(const spec_port *ports, size_t count) {
  cJSON *pb = cJSON_CreateObject();
  for (size_t i = 0; pb != NULL && i < count; i++) {
    char key[24];
    snprintf(key, sizeof key, "%u/%s", (unsigned)ports[i].port, spec_proto_name(ports[i].proto));
    cJSON *arr = cJSON_GetObjectItemCaseSensitive(pb, key);
    if (arr == NULL) {
      arr = cJSON_CreateArray();
      if (!add_to(pb, key, arr)) goto fail;
    }
    cJSON *b = cJSON_CreateObject();
    if (b == NULL) goto fail;
    if (!cJSON_AddItemToArray(arr, b)) {
      cJSON_Delete(b);
      goto fail;
    }
    char hp[8] = "";
    if (ports[i].host_port != 0) snprintf(hp, sizeof hp, "%u", (unsigned)ports[i].host_port);
    if (cJSON_AddStringToObject(b, "HostIp", ports[i].host_ip) == NULL ||
        cJSON_AddStringToObject(b, "HostPort", hp) == NULL) {
      goto fail;
    }
  }
  return pb;
fail:
  cJSON_Delete(pb);
  return NULL;
}

bool spec_network_to_json(const spec_network *n, cJSON *config, cJSON *hc) {
  bool ok = true;
  if (n->expose_count > 0) {
    cJSON *ep = cJSON_CreateObject();
    for (size_t i = 0; ok && ep != NULL && i < n->expose_count; i++) {
      char key[24];
      snprintf(key, sizeof key, "%u/%s", (unsigned)n->expose[i].port, spec_proto_name(n->expose[i].proto));
      ok = add_to(ep, key, cJSON_CreateObject());
    }
    if (!ok) cJSON_Delete(ep);
    ok = ok && add_to(config, "ExposedPorts", ep);
  }
  ok = ok && (n->mac_address == NULL || cJSON_AddStringToObject(config, "MacAddress", n->mac_address) != NULL);
  /* What is not set is left out: the record stays as it was before wctr had networks, and Docker's shapes
   * (docker/) show Docker's zero values. */
  ok = ok && (n->mode == NULL || cJSON_AddStringToObject(hc, "NetworkMode", n->mode) != NULL) &&
       (n->publish_count == 0 || add_to(hc, "PortBindings", spec_port_bindings_json(n->publish, n->publish_count))) &&
       (!n->publish_all || cJSON_AddBoolToObject(hc, "PublishAllPorts", true) != NULL) &&
       (n->dns_count == 0 || add_to(hc, "Dns", strings_json(n->dns, n->dns_count))) &&
       (n->dns_search_count == 0 || add_to(hc, "DnsSearch", strings_json(n->dns_search, n->dns_search_count)));
  return ok;
}

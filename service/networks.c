/* service/networks.c - the container networks of one wctrd: HNS's networks as Docker shows them, the ones
 * wctrd created (records), the default, and the network.* operations (service/networks.h). Portable: HNS is
 * reached through svc_hns only. */
#include "service/networks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/fs.h"
#include "common/ioc.h"
#include "common/json.h"
#include "common/log.h"
#include "common/random.h"
#include "net/document.h"

#define RECORD_MAX (256u * 1024u)
#define SVC_CONTAINER_NAME_SIZE 160

struct svc_networks {
  char dir[1100];
  char owner[40];
  svc_hns hns;
  wctr_mutex lock;   /* every operation, HNS's calls included: they are quick, and one at a time keeps names
                        unique */
  cJSON *records;    /* lock: the networks wctrd created */
  cJSON *(*records_of)(void *ctx);
  void *records_ctx;
  svc_network_event_fn event; /* lock */
  void *event_ctx;
};

/* One network as shown. Strings point into the HNS answer or the records (valid while both live). */
typedef struct view {
  char name[SPEC_NETWORK_NAME_MAX + 1];
  char id[NET_ID_SIZE];
  char hns_id[NET_GUID_SIZE];
  char driver[32];
  char subnet[NET_CIDR_SIZE];
  char gateway[SPEC_IP_SIZE];
  const char *created;
  bool owned;
  bool predefined;
  bool in_hns;
  const cJSON *record;
} view;

typedef struct views {
  view *v;
  size_t n;
  cJSON *hns; /* HNS's answer (an array), or NULL without HNS */
} views;

/* --- records ------------------------------------------------------------------------------------------- */

static const char *str(const cJSON *o, const char *k) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

typedef struct load_ctx {
  svc_networks *n;
} load_ctx;

static bool load_one(void *ctx, const char *name, bool is_dir) {
  svc_networks *n = ((load_ctx *)ctx)->n;
  size_t len = strlen(name);
  if (is_dir || len < 6 || strcmp(name + len - 5, ".json") != 0) return true;
  char path[1300];
  if (wctr_fs_join(path, sizeof path, n->dir, name) != WCTR_OK) return true;
  char *text = NULL;
  size_t size = 0;
  cJSON *rec = NULL;
  if (wctr_fs_read_all(path, RECORD_MAX, &text, &size) == WCTR_OK) rec = cJSON_Parse(text);
  free(text);
  const char *id = str(rec, "Id");
  if (rec == NULL || id == NULL || strlen(id) != 64 || str(rec, "Name") == NULL || !net_guid_valid(str(rec, "HnsId"))) {
    wctr_log(WCTR_LOG_WARN, "network record %s is damaged and left out: it is not a network record", path);
    cJSON_Delete(rec);
    return true;
  }
  cJSON_AddItemToArray(n->records, rec);
  return true;
}

wctr_err svc_networks_open(const char *data_root, const char *owner, const svc_hns *hns, svc_networks **out,
                           wctr_errmsg *e) {
  svc_networks *n = calloc(1, sizeof *n);
  if (n == NULL || wctr_mutex_init(&n->lock) != WCTR_OK) {
    free(n);
    return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  }
  n->hns = *hns;
  snprintf(n->owner, sizeof n->owner, "%s", owner != NULL ? owner : "");
  n->records = cJSON_CreateArray();
  wctr_err err = n->records != NULL ? wctr_fs_join(n->dir, sizeof n->dir, data_root, "networks") : WCTR_ENOMEM;
  if (err == WCTR_OK) {
    err = wctr_fs_mkdir(n->dir, e);
    if (err == WCTR_EEXIST && wctr_fs_is_dir(n->dir)) err = WCTR_OK;
  }
  if (err == WCTR_OK) {
    load_ctx lc = {n};
    wctr_fs_list(n->dir, load_one, &lc);
  }
  if (err != WCTR_OK) {
    if (err == WCTR_ENOMEM) wctr_fail(e, err, "out of memory");
    svc_networks_close(n);
    return err;
  }
  *out = n;
  return WCTR_OK;
}

void svc_networks_close(svc_networks *n) {
  if (n == NULL) return;
  cJSON_Delete(n->records);
  wctr_mutex_destroy(&n->lock);
  free(n);
}

void svc_networks_set_events(svc_networks *n, svc_network_event_fn event, void *ctx) {
  wctr_mutex_lock(&n->lock);
  n->event = event;
  n->event_ctx = ctx;
  wctr_mutex_unlock(&n->lock);
}

/* dockerd's network events: the network's id as the actor, its name and type (the driver) as attributes. */
static void emit_locked(svc_networks *n, const char *action, const char *id, const char *name) {
  WCTR_ASSERT_HELD(&n->lock);
  if (n->event == NULL) return;
  cJSON *attrs = cJSON_CreateObject();
  if (attrs != NULL && cJSON_AddStringToObject(attrs, "name", name) != NULL &&
      cJSON_AddStringToObject(attrs, "type", "nat") != NULL) {
    n->event(n->event_ctx, action, id, attrs);
  }
  cJSON_Delete(attrs);
}

void svc_networks_set_records(svc_networks *n, cJSON *(*records)(void *ctx), void *ctx) {
  wctr_mutex_lock(&n->lock);
  n->records_of = records;
  n->records_ctx = ctx;
  wctr_mutex_unlock(&n->lock);
}

static wctr_err record_write(svc_networks *n, const cJSON *rec, wctr_errmsg *e) {
  char file[80], path[1300];
  snprintf(file, sizeof file, "%s.json", str(rec, "Id"));
  char *text = cJSON_Print(rec);
  if (text == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  wctr_err err = wctr_fs_join(path, sizeof path, n->dir, file);
  if (err == WCTR_OK) err = wctr_fs_write_atomic(path, text, strlen(text), e);
  else wctr_fail(e, err, "the path of network record %s is too long", file);
  cJSON_free(text);
  return err;
}

static void record_delete(svc_networks *n, const char *id) {
  char file[80], path[1300];
  snprintf(file, sizeof file, "%s.json", id);
  if (wctr_fs_join(path, sizeof path, n->dir, file) == WCTR_OK) wctr_fs_remove(path);
  cJSON *r;
  cJSON_ArrayForEach(r, n->records) {
    if (str(r, "Id") != NULL && strcmp(str(r, "Id"), id) == 0) {
      cJSON_Delete(cJSON_DetachItemViaPointer(n->records, r));
      return;
    }
  }
}

/* --- what is shown --------------------------------------------------------------------------------------- */

static void lower(char *s) {
  for (; *s != '\0'; s++) {
    if (*s >= 'A' && *s <= 'Z') *s = (char)(*s - 'A' + 'a');
  }
}

static view *push(views *vs) {
  view *grown = realloc(vs->v, (vs->n + 1) * sizeof *grown);
  if (grown == NULL) return NULL;
  vs->v = grown;
  view *v = &vs->v[vs->n++];
  memset(v, 0, sizeof *v);
  v->created = "";
  return v;
}

static const view *find_name(const views *vs, const char *name) {
  for (size_t i = 0; i < vs->n; i++) {
    if (strcmp(vs->v[i].name, name) == 0) return &vs->v[i];
  }
  return NULL;
}

/* GUIDs compare without case. */
static bool ci_equal(const char *a, const char *b) {
  for (; *a != '\0' && *b != '\0'; a++, b++) {
    char x = *a >= 'A' && *a <= 'Z' ? (char)(*a - 'A' + 'a') : *a;
    char y = *b >= 'A' && *b <= 'Z' ? (char)(*b - 'A' + 'a') : *b;
    if (x != y) return false;
  }
  return *a == *b;
}

static bool hns_listed(const views *vs, const char *hns_id) {
  for (size_t i = 0; i < vs->n; i++) {
    if (vs->v[i].hns_id[0] != '\0' && ci_equal(vs->v[i].hns_id, hns_id)) return true;
  }
  return false;
}

static void views_free(views *vs) {
  free(vs->v);
  cJSON_Delete(vs->hns);
  memset(vs, 0, sizeof *vs);
}

/* Records still marked Pending: a crash came between writing one and HcnCreateNetwork's answer (make_network
 * holds the lock across both, so no look sees a creation under way). When HNS has the network it is wctrd's
 * (the record is completed); when it has not, nothing was made (the record goes). Logged either way. */
static void settle_pending(svc_networks *n, const net_network_info *infos, int count) {
  WCTR_ASSERT_HELD(&n->lock);
  cJSON *r = n->records != NULL ? n->records->child : NULL;
  while (r != NULL) {
    cJSON *next = r->next;
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "Pending"))) {
      bool made = false;
      for (int i = 0; i < count && !made; i++) made = infos[i].id[0] != '\0' && ci_equal(infos[i].id, str(r, "HnsId"));
      wctr_errmsg e;
      if (made) {
        cJSON_DeleteItemFromObjectCaseSensitive(r, "Pending");
        if (record_write(n, r, &e) != WCTR_OK) {
          wctr_log(WCTR_LOG_WARN, "network %s: completing its record failed: %s", str(r, "Name"), e.text);
        }
        wctr_log(WCTR_LOG_INFO, "network %s: its creation was cut short by a crash, and HNS has network %s: it is "
                 "wctrd's", str(r, "Name"), str(r, "HnsId"));
      } else {
        wctr_log(WCTR_LOG_INFO, "network %s: its creation was cut short by a crash before HNS made it: its record "
                 "is dropped", str(r, "Name"));
        char id[NET_ID_SIZE];
        snprintf(id, sizeof id, "%s", str(r, "Id"));
        record_delete(n, id);
      }
    }
    r = next;
  }
}

/* The networks as they are now: the recorded ones, the default, HNS's others, none and host. With HNS
 * unreachable the records and the predefined ones are still shown (an error only when HNS fails). */
static wctr_err build_views(svc_networks *n, views *vs, wctr_errmsg *e) {
  WCTR_ASSERT_HELD(&n->lock);
  memset(vs, 0, sizeof *vs);
  if (n->hns.unavailable == NULL) {
    wctr_err err = n->hns.list(n->hns.ctx, &vs->hns, e);
    if (err != WCTR_OK) return err;
  }
  net_network_info *infos = NULL;
  int count = cJSON_GetArraySize(vs->hns);
  if (count > 0) {
    infos = calloc((size_t)count, sizeof *infos);
    if (infos == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  }
  for (int i = 0; i < count; i++) {
    wctr_errmsg ie;
    if (net_network_info_read(cJSON_GetArrayItem(vs->hns, i), &infos[i], &ie) != WCTR_OK) infos[i].id[0] = '\0';
  }
  if (n->hns.unavailable == NULL) settle_pending(n, infos, count);
  wctr_err err = WCTR_OK;
  const cJSON *r;
  cJSON_ArrayForEach(r, n->records) {
    view *v = push(vs);
    if (v == NULL) {
      err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
      break;
    }
    snprintf(v->name, sizeof v->name, "%s", str(r, "Name"));
    snprintf(v->id, sizeof v->id, "%s", str(r, "Id"));
    snprintf(v->hns_id, sizeof v->hns_id, "%s", str(r, "HnsId"));
    lower(v->hns_id);
    snprintf(v->driver, sizeof v->driver, "nat");
    snprintf(v->subnet, sizeof v->subnet, "%s", str(r, "Subnet") != NULL ? str(r, "Subnet") : "");
    snprintf(v->gateway, sizeof v->gateway, "%s", str(r, "Gateway") != NULL ? str(r, "Gateway") : "");
    v->created = str(r, "Created") != NULL ? str(r, "Created") : "";
    v->owned = true;
    v->predefined = strcmp(v->name, SPEC_NETWORK_NAT) == 0; /* the default wctrd made */
    v->record = r;
    for (int i = 0; i < count; i++) {
      if (strcmp(infos[i].id, v->hns_id) == 0) {
        v->in_hns = true;
        if (infos[i].subnet[0] != '\0') snprintf(v->subnet, sizeof v->subnet, "%s", infos[i].subnet);
        if (infos[i].gateway[0] != '\0') snprintf(v->gateway, sizeof v->gateway, "%s", infos[i].gateway);
      }
    }
  }
  /* The default: HNS's "nat", else its first NAT network, unless wctrd made its own "nat". */
  int dflt = -1;
  for (int i = 0; i < count && find_name(vs, SPEC_NETWORK_NAT) == NULL; i++) {
    if (infos[i].id[0] != '\0' && strcmp(infos[i].name, SPEC_NETWORK_NAT) == 0 && strcmp(infos[i].type, NET_TYPE_NAT) == 0) dflt = i;
  }
  for (int i = 0; i < count && dflt < 0 && find_name(vs, SPEC_NETWORK_NAT) == NULL; i++) {
    if (infos[i].id[0] != '\0' && strcmp(infos[i].type, NET_TYPE_NAT) == 0 && !hns_listed(vs, infos[i].id)) dflt = i;
  }
  for (int pass = 0; err == WCTR_OK && pass < 2; pass++) {
    for (int i = 0; err == WCTR_OK && i < count; i++) {
      if (infos[i].id[0] == '\0' || hns_listed(vs, infos[i].id) || (pass == 0) != (i == dflt)) continue;
      const char *name = i == dflt ? SPEC_NETWORK_NAT : infos[i].name;
      if (name[0] == '\0' || find_name(vs, name) != NULL) continue; /* a name taken: the first one keeps it */
      view *v = push(vs);
      if (v == NULL) {
        err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
        break;
      }
      snprintf(v->name, sizeof v->name, "%s", name);
      snprintf(v->hns_id, sizeof v->hns_id, "%s", infos[i].id);
      net_id_for_hns(infos[i].id, v->id);
      snprintf(v->driver, sizeof v->driver, "%s", infos[i].type);
      lower(v->driver);
      snprintf(v->subnet, sizeof v->subnet, "%s", infos[i].subnet);
      snprintf(v->gateway, sizeof v->gateway, "%s", infos[i].gateway);
      v->in_hns = true;
      v->predefined = i == dflt;
    }
  }
  static const char *const predefined[][2] = {{SPEC_NETWORK_NONE, "null"}, {SPEC_NETWORK_HOST, "host"}};
  for (size_t k = 0; err == WCTR_OK && k < 2; k++) {
    if (find_name(vs, predefined[k][0]) != NULL) continue;
    view *v = push(vs);
    if (v == NULL) {
      err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
      break;
    }
    snprintf(v->name, sizeof v->name, "%s", predefined[k][0]);
    snprintf(v->driver, sizeof v->driver, "%s", predefined[k][1]);
    net_id_for_hns(predefined[k][0], v->id);
    v->predefined = true;
  }
  free(infos);
  if (err != WCTR_OK) views_free(vs);
  return err;
}

/* By name, full id or unique id prefix (Docker's lookup). */
static wctr_err find_ref(const views *vs, const char *ref, const view **out, wctr_errmsg *e) {
  const view *v = find_name(vs, ref);
  if (v == NULL) {
    size_t len = strlen(ref);
    for (size_t i = 0; len > 0 && i < vs->n; i++) {
      if (strncmp(vs->v[i].id, ref, len) != 0) continue;
      if (v != NULL) return wctr_fail(e, WCTR_EINVAL, "network %.80s is ambiguous (%zu matches found based on ID prefix)", ref, (size_t)2);
      v = &vs->v[i];
    }
  }
  if (v == NULL) return wctr_fail(e, WCTR_ENOENT, "network %.80s not found", ref);
  *out = v;
  return WCTR_OK;
}

/* --- HNS --------------------------------------------------------------------------------------------------- */

static void new_hns_id(char out[NET_GUID_SIZE]) {
  uint8_t b[16];
  if (wctr_random_bytes(b, sizeof b) != WCTR_OK) memset(b, 0x5a, sizeof b);
  b[6] = (uint8_t)((b[6] & 0x0F) | 0x40);
  b[8] = (uint8_t)((b[8] & 0x3F) | 0x80);
  snprintf(out, NET_GUID_SIZE, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
           b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

static wctr_err new_id(char out[NET_ID_SIZE], wctr_errmsg *e) {
  uint8_t b[32];
  if (wctr_random_bytes(b, sizeof b) != WCTR_OK) return wctr_fail(e, WCTR_ESYSTEM, "no random numbers");
  for (size_t i = 0; i < 32; i++) snprintf(out + 2 * i, 3, "%02x", b[i]);
  return WCTR_OK;
}

static wctr_err unavailable(const svc_networks *n, wctr_errmsg *e) {
  return wctr_fail(e, WCTR_ENOTSUP, "%s", n->hns.unavailable);
}

/* Makes the HNS network of a record, or a new record and its network. labels may be NULL. */
static wctr_err make_network(svc_networks *n, const char *name, const char *subnet, const char *gateway,
                             const cJSON *labels, const views *vs, cJSON *existing, char id_out[NET_ID_SIZE],
                             wctr_errmsg *e) {
  WCTR_ASSERT_HELD(&n->lock);
  if (n->hns.unavailable != NULL) return unavailable(n, e);
  cJSON *doc = NULL;
  wctr_err err = net_doc_network(name, subnet, gateway, &doc, e);
  if (err != WCTR_OK) return err;
  /* Docker's check: no two networks share addresses. */
  net_cidr want;
  if (subnet != NULL && net_cidr_parse(subnet, &want)) {
    const cJSON *h;
    cJSON_ArrayForEach(h, vs->hns) {
      net_cidr have[8];
      size_t k = net_network_subnets(h, have, 8);
      for (size_t i = 0; i < k && err == WCTR_OK; i++) {
        if (!net_cidr_overlap(&want, &have[i])) continue;
        char text[NET_CIDR_SIZE];
        net_cidr_format(&have[i], text, sizeof text);
        const char *hname = str(h, "Name");
        err = wctr_fail(e, WCTR_EINVAL, "Pool overlaps with other one on this address space (network %s, %s)",
                        hname != NULL ? hname : "?", text);
      }
    }
  }
  char hns_id[NET_GUID_SIZE], id[NET_ID_SIZE];
  cJSON *props = NULL, *rec = NULL;
  if (existing != NULL) {
    snprintf(hns_id, sizeof hns_id, "%s", str(existing, "HnsId"));
    snprintf(id, sizeof id, "%s", str(existing, "Id"));
  } else {
    new_hns_id(hns_id);
    if (err == WCTR_OK) err = new_id(id, e);
    /* The record first, marked Pending: a crash between HcnCreateNetwork and the record would leave an HNS
     * network wctrd made but could never call its own (settle_pending decides at the next look). */
    char now[40];
    wctr_time_now_iso8601(now, sizeof now);
    rec = err == WCTR_OK ? cJSON_CreateObject() : NULL;
    cJSON *l = labels != NULL ? cJSON_Duplicate(labels, true) : cJSON_CreateObject();
    bool ok = rec != NULL && l != NULL && cJSON_AddStringToObject(rec, "Id", id) &&
              cJSON_AddStringToObject(rec, "Name", name) && cJSON_AddStringToObject(rec, "HnsId", hns_id) &&
              cJSON_AddStringToObject(rec, "Driver", "nat") && cJSON_AddStringToObject(rec, "Created", now) &&
              cJSON_AddTrueToObject(rec, "Pending");
    if (ok) {
      /* wctrd's own: the only networks it removes or re-creates. */
      cJSON_DeleteItemFromObjectCaseSensitive(l, SVC_NETWORK_OWNER_LABEL);
      ok = cJSON_AddStringToObject(l, SVC_NETWORK_OWNER_LABEL, n->owner) != NULL && cJSON_AddItemToObject(rec, "Labels", l);
      l = NULL;
    }
    cJSON_Delete(l);
    if (err == WCTR_OK) err = ok ? record_write(n, rec, e) : wctr_fail(e, WCTR_ENOMEM, "out of memory");
  }
  bool recorded = existing == NULL && err == WCTR_OK;
  if (err == WCTR_OK) err = n->hns.create(n->hns.ctx, hns_id, doc, &props, e);
  cJSON_Delete(doc);
  if (err != WCTR_OK) {
    if (recorded) record_delete(n, id);
    cJSON_Delete(rec);
    return err;
  }
  net_network_info info;
  wctr_errmsg ie;
  if (net_network_info_read(props, &info, &ie) != WCTR_OK) memset(&info, 0, sizeof info);
  cJSON_Delete(props);
  if (existing != NULL) {
    snprintf(id_out, NET_ID_SIZE, "%s", id);
    return WCTR_OK;
  }
  cJSON_DeleteItemFromObjectCaseSensitive(rec, "Pending");
  bool ok = (info.subnet[0] == '\0' || cJSON_AddStringToObject(rec, "Subnet", info.subnet)) &&
            (info.gateway[0] == '\0' || cJSON_AddStringToObject(rec, "Gateway", info.gateway));
  err = ok ? record_write(n, rec, e) : wctr_fail(e, WCTR_ENOMEM, "out of memory");
  if (err != WCTR_OK) {
    wctr_errmsg re;
    n->hns.remove(n->hns.ctx, hns_id, &re); /* nothing without its record */
    record_delete(n, id);
    cJSON_Delete(rec);
    return err;
  }
  cJSON_AddItemToArray(n->records, rec);
  snprintf(id_out, NET_ID_SIZE, "%s", id);
  wctr_log(WCTR_LOG_INFO, "network %s (%.12s) created on HNS network %s", name, id, hns_id);
  return WCTR_OK;
}

void svc_networks_ensure_default(svc_networks *n) {
  if (n->hns.unavailable != NULL) {
    wctr_log(WCTR_LOG_INFO, "no default network: %s", n->hns.unavailable);
    return;
  }
  wctr_mutex_lock(&n->lock);
  views vs;
  wctr_errmsg e;
  if (build_views(n, &vs, &e) != WCTR_OK) {
    wctr_mutex_unlock(&n->lock);
    wctr_log(WCTR_LOG_WARN, "the default network could not be looked up: %s", e.text);
    return;
  }
  const view *v = find_name(&vs, SPEC_NETWORK_NAT);
  char id[NET_ID_SIZE];
  if (v != NULL) {
    wctr_log(WCTR_LOG_INFO, "default network nat: HNS network %s%s", v->hns_id, v->owned ? " (wctrd's own)" : " (adopted)");
  } else if (make_network(n, SPEC_NETWORK_NAT, NULL, NULL, NULL, &vs, NULL, id, &e) != WCTR_OK) {
    wctr_log(WCTR_LOG_WARN, "the default network nat could not be created: %s", e.text);
  }
  views_free(&vs);
  wctr_mutex_unlock(&n->lock);
}

wctr_err svc_networks_resolve(void *ctx, const char *name, rt_network *out, wctr_errmsg *e) {
  svc_networks *n = ctx;
  memset(out, 0, sizeof *out);
  if (n->hns.unavailable != NULL) return unavailable(n, e);
  wctr_mutex_lock(&n->lock);
  views vs;
  wctr_err err = build_views(n, &vs, e);
  const view *v = err == WCTR_OK ? find_name(&vs, name) : NULL;
  char id[NET_ID_SIZE] = "";
  if (err == WCTR_OK && v == NULL && strcmp(name, SPEC_NETWORK_NAT) == 0) {
    err = make_network(n, SPEC_NETWORK_NAT, NULL, NULL, NULL, &vs, NULL, id, e);
    if (err == WCTR_OK) {
      views_free(&vs);
      err = build_views(n, &vs, e);
      v = err == WCTR_OK ? find_name(&vs, name) : NULL;
    }
  }
  if (err == WCTR_OK && (v == NULL || v->hns_id[0] == '\0')) err = wctr_fail(e, WCTR_ENOENT, "network %.80s not found", name);
  if (err == WCTR_OK && v->owned && !v->in_hns) {
    /* wctrd's own network, which HNS lost (a host reset it): made again, as dockerd re-creates its nat networks. */
    wctr_log(WCTR_LOG_WARN, "network %s is missing from HNS: creating it again", name);
    err = make_network(n, v->name, v->subnet[0] != '\0' ? v->subnet : NULL, v->gateway[0] != '\0' ? v->gateway : NULL,
                       NULL, &vs, (cJSON *)v->record, id, e);
  }
  if (err == WCTR_OK) {
    snprintf(out->name, sizeof out->name, "%s", v->name);
    snprintf(out->id, sizeof out->id, "%s", v->id);
    snprintf(out->hns_id, sizeof out->hns_id, "%s", v->hns_id);
  }
  views_free(&vs);
  wctr_mutex_unlock(&n->lock);
  return err;
}

/* --- Docker's shape ---------------------------------------------------------------------------------------- */

/* The running containers on network id, from the manager's records. */
static cJSON *containers_of(svc_networks *n, const char *id, char *first_name, size_t size) {
  cJSON *out = cJSON_CreateObject();
  cJSON *records = n->records_of != NULL ? n->records_of(n->records_ctx) : NULL;
  const cJSON *r;
  cJSON_ArrayForEach(r, records) {
    const cJSON *state = cJSON_GetObjectItemCaseSensitive(r, "State");
    const cJSON *net = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(r, "Runtime"), "Network");
    const char *nid = str(net, "NetworkID");
    if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(state, "Running")) || nid == NULL || strcmp(nid, id) != 0) continue;
    const char *cid = str(r, "Id");
    if (cid == NULL || out == NULL) continue;
    char ip[SPEC_IP_SIZE + 8] = "";
    const cJSON *plen = cJSON_GetObjectItemCaseSensitive(net, "IPPrefixLen");
    if (str(net, "IPAddress") != NULL && str(net, "IPAddress")[0] != '\0') {
      snprintf(ip, sizeof ip, "%s/%d", str(net, "IPAddress"), cJSON_IsNumber(plen) ? (int)plen->valuedouble : 0);
    }
    cJSON *c = cJSON_CreateObject();
    if (c == NULL || !cJSON_AddItemToObject(out, cid, c)) {
      cJSON_Delete(c);
      continue;
    }
    cJSON_AddStringToObject(c, "Name", str(r, "Name") != NULL ? str(r, "Name") : "");
    cJSON_AddStringToObject(c, "EndpointID", str(net, "EndpointID") != NULL ? str(net, "EndpointID") : "");
    cJSON_AddStringToObject(c, "MacAddress", str(net, "MacAddress") != NULL ? str(net, "MacAddress") : "");
    cJSON_AddStringToObject(c, "IPv4Address", ip);
    cJSON_AddStringToObject(c, "IPv6Address", "");
    if (first_name != NULL && first_name[0] == '\0') snprintf(first_name, size, "%s", str(r, "Name") != NULL ? str(r, "Name") : cid);
  }
  cJSON_Delete(records);
  return out;
}

static cJSON *resource(svc_networks *n, const view *v, bool with_containers) {
  cJSON *o = cJSON_CreateObject();
  char created[48];
  snprintf(created, sizeof created, "%s", v->created[0] != '\0' ? v->created : "0001-01-01T00:00:00Z");
  bool ok = o != NULL && cJSON_AddStringToObject(o, "Name", v->name) && cJSON_AddStringToObject(o, "Id", v->id) &&
            cJSON_AddStringToObject(o, "Created", created) && cJSON_AddStringToObject(o, "Scope", "local") &&
            cJSON_AddStringToObject(o, "Driver", v->driver) && cJSON_AddBoolToObject(o, "EnableIPv6", false);
  cJSON *ipam = ok ? cJSON_AddObjectToObject(o, "IPAM") : NULL;
  ok = ipam != NULL && cJSON_AddStringToObject(ipam, "Driver", v->hns_id[0] != '\0' ? "windows" : "default") &&
       cJSON_AddObjectToObject(ipam, "Options") != NULL;
  cJSON *config = ok ? cJSON_AddArrayToObject(ipam, "Config") : NULL;
  ok = config != NULL;
  if (ok && v->subnet[0] != '\0') {
    cJSON *c = cJSON_CreateObject();
    ok = c != NULL && cJSON_AddItemToArray(config, c) && cJSON_AddStringToObject(c, "Subnet", v->subnet) &&
         (v->gateway[0] == '\0' || cJSON_AddStringToObject(c, "Gateway", v->gateway));
  }
  ok = ok && cJSON_AddBoolToObject(o, "Internal", false) && cJSON_AddBoolToObject(o, "Attachable", false) &&
       cJSON_AddBoolToObject(o, "Ingress", false);
  cJSON *from = ok ? cJSON_AddObjectToObject(o, "ConfigFrom") : NULL;
  ok = from != NULL && cJSON_AddStringToObject(from, "Network", "") && cJSON_AddBoolToObject(o, "ConfigOnly", false) &&
       wctr_json_put(o, "Containers", with_containers && v->id[0] != '\0' ? containers_of(n, v->id, NULL, 0) : cJSON_CreateObject());
  cJSON *options = ok ? cJSON_AddObjectToObject(o, "Options") : NULL;
  ok = options != NULL;
  if (ok && v->hns_id[0] != '\0') {
    ok = cJSON_AddStringToObject(options, SVC_NETWORK_HNSID, v->hns_id) != NULL &&
         (v->owned || cJSON_AddStringToObject(options, SVC_NETWORK_HNSOWNED, "true") != NULL);
  }
  const cJSON *labels = cJSON_GetObjectItemCaseSensitive(v->record, "Labels");
  ok = ok && wctr_json_put(o, "Labels", cJSON_IsObject(labels) ? cJSON_Duplicate(labels, true) : cJSON_CreateObject());
  if (!ok) {
    cJSON_Delete(o);
    return NULL;
  }
  return o;
}

/* --- operations -------------------------------------------------------------------------------------------- */

static wctr_err op_create(void *ctx, const svc_caller *caller, const cJSON *params, cJSON **result, wctr_errmsg *e) {
  static const char *const keys[] = {"Name", "Driver", "Subnet", "Gateway", "Labels", NULL};
  svc_networks *n = ctx;
  const char *name = NULL, *driver = NULL, *subnet = NULL, *gateway = NULL;
  const cJSON *labels = NULL;
  if (wctr_json_check_keys(params, "params", keys, e) != WCTR_OK ||
      wctr_json_get_string(params, "Name", "params", true, &name, e) != WCTR_OK ||
      wctr_json_get_string(params, "Driver", "params", false, &driver, e) != WCTR_OK ||
      wctr_json_get_string(params, "Subnet", "params", false, &subnet, e) != WCTR_OK ||
      wctr_json_get_string(params, "Gateway", "params", false, &gateway, e) != WCTR_OK ||
      wctr_json_get_object(params, "Labels", "params", false, &labels, e) != WCTR_OK) {
    return WCTR_EINVAL;
  }
  const cJSON *l;
  cJSON_ArrayForEach(l, labels) {
    if (!cJSON_IsString(l)) return wctr_fail(e, WCTR_EINVAL, "params.Labels: \"%.80s\" must be a string", l->string);
  }
  if (subnet != NULL && subnet[0] == '\0') subnet = NULL;
  if (gateway != NULL && gateway[0] == '\0') gateway = NULL;
  if (driver != NULL && driver[0] != '\0' && strcmp(driver, "nat") != 0) {
    return wctr_fail(e, WCTR_EINVAL, "--driver %.40s: wctr creates nat networks only (use -d nat; Docker on Windows has no "
                     "bridge driver either)", driver);
  }
  if (!spec_network_name_valid(name)) {
    return wctr_fail(e, WCTR_EINVAL, "invalid network name \"%.80s\": [a-zA-Z0-9][a-zA-Z0-9_.-]*, at most %d characters",
                     name, SPEC_NETWORK_NAME_MAX);
  }
  wctr_mutex_lock(&n->lock);
  views vs;
  char id[NET_ID_SIZE];
  wctr_err err = build_views(n, &vs, e);
  if (err == WCTR_OK && find_name(&vs, name) != NULL) err = wctr_fail(e, WCTR_EEXIST, "network with name %s already exists", name);
  if (err == WCTR_OK) err = make_network(n, name, subnet, gateway, labels, &vs, NULL, id, e);
  if (err == WCTR_OK) {
    wctr_log(WCTR_LOG_INFO, "network %s created by %s", name, caller != NULL ? caller->name : "wctrd");
    emit_locked(n, "create", id, name);
    cJSON *r = cJSON_CreateObject();
    if (r == NULL || cJSON_AddStringToObject(r, "Id", id) == NULL || cJSON_AddStringToObject(r, "Warning", "") == NULL) {
      cJSON_Delete(r);
      err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
    } else {
      *result = r;
    }
  }
  views_free(&vs);
  wctr_mutex_unlock(&n->lock);
  return err;
}

/* Docker's filters of network ls: name (a part of it), id (a prefix), label (key or key=value), driver, type
 * (builtin | custom). Every filter given must match (within one, any of its values). */
static bool matches(const view *v, const cJSON *filters) {
  const cJSON *f;
  cJSON_ArrayForEach(f, filters) {
    bool any = false;
    const cJSON *val;
    cJSON_ArrayForEach(val, f) {
      const char *want = val->valuestring;
      if (strcmp(f->string, "name") == 0) any = any || strstr(v->name, want) != NULL;
      if (strcmp(f->string, "id") == 0) any = any || strncmp(v->id, want, strlen(want)) == 0;
      if (strcmp(f->string, "driver") == 0) any = any || strcmp(v->driver, want) == 0;
      if (strcmp(f->string, "type") == 0) any = any || strcmp(want, v->owned ? "custom" : "builtin") == 0;
      if (strcmp(f->string, "label") == 0) {
        const cJSON *labels = cJSON_GetObjectItemCaseSensitive(v->record, "Labels");
        const char *eq = strchr(want, '=');
        char key[SPEC_LABEL_KEY_MAX + 1];
        snprintf(key, sizeof key, "%.*s", (int)(eq != NULL ? (size_t)(eq - want) : strlen(want)), want);
        const char *have = str(labels, key);
        any = any || (have != NULL && (eq == NULL || strcmp(have, eq + 1) == 0));
      }
    }
    if (!any) return false;
  }
  return true;
}

static wctr_err op_list(void *ctx, const svc_caller *caller, const cJSON *params, cJSON **result, wctr_errmsg *e) {
  static const char *const keys[] = {"Filters", NULL};
  static const char *const filter_keys[] = {"name", "id", "label", "driver", "type", NULL};
  (void)caller;
  svc_networks *n = ctx;
  const cJSON *filters = NULL;
  if (params != NULL && (wctr_json_check_keys(params, "params", keys, e) != WCTR_OK ||
                         wctr_json_get_object(params, "Filters", "params", false, &filters, e) != WCTR_OK)) {
    return WCTR_EINVAL;
  }
  if (filters != NULL && wctr_json_check_keys(filters, "params.Filters", filter_keys, e) != WCTR_OK) return WCTR_EINVAL;
  const cJSON *f;
  cJSON_ArrayForEach(f, filters) {
    const cJSON *arr = NULL;
    if (wctr_json_get_string_array(filters, f->string, "params.Filters", true, &arr, e) != WCTR_OK) return WCTR_EINVAL;
  }
  wctr_mutex_lock(&n->lock);
  views vs;
  wctr_err err = build_views(n, &vs, e);
  cJSON *list = err == WCTR_OK ? cJSON_CreateArray() : NULL;
  if (err == WCTR_OK && list == NULL) err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
  for (size_t i = 0; err == WCTR_OK && i < vs.n; i++) {
    if (!matches(&vs.v[i], filters)) continue;
    cJSON *r = resource(n, &vs.v[i], false);
    if (r == NULL || !cJSON_AddItemToArray(list, r)) {
      cJSON_Delete(r);
      err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
    }
  }
  views_free(&vs);
  wctr_mutex_unlock(&n->lock);
  if (err != WCTR_OK) {
    cJSON_Delete(list);
    return err;
  }
  *result = list;
  return WCTR_OK;
}

typedef wctr_err (*network_fn)(svc_networks *n, const view *v, cJSON **result, wctr_errmsg *e);

/* The network params {"Id"} names (id, id prefix or name), given to fn with the lock held. */
static wctr_err with_network(svc_networks *n, const cJSON *params, network_fn fn, cJSON **result, wctr_errmsg *e) {
  static const char *const keys[] = {"Id", NULL};
  const char *ref = NULL;
  if (wctr_json_check_keys(params, "params", keys, e) != WCTR_OK ||
      wctr_json_get_string(params, "Id", "params", true, &ref, e) != WCTR_OK) {
    return WCTR_EINVAL;
  }
  wctr_mutex_lock(&n->lock);
  views vs;
  const view *v = NULL;
  wctr_err err = build_views(n, &vs, e);
  if (err == WCTR_OK) err = find_ref(&vs, ref, &v, e);
  if (err == WCTR_OK) err = fn(n, v, result, e);
  views_free(&vs);
  wctr_mutex_unlock(&n->lock);
  return err;
}

static wctr_err inspect_locked(svc_networks *n, const view *v, cJSON **result, wctr_errmsg *e) {
  WCTR_ASSERT_HELD(&n->lock);
  *result = resource(n, v, true);
  return *result != NULL ? WCTR_OK : wctr_fail(e, WCTR_ENOMEM, "out of memory");
}

static wctr_err op_inspect(void *ctx, const svc_caller *caller, const cJSON *params, cJSON **result, wctr_errmsg *e) {
  (void)caller;
  return with_network(ctx, params, inspect_locked, result, e);
}

/* Removes v (lock held): refused for the predefined ones (nat even when wctrd created it, as dockerd never
 * removes its default), for what wctrd did not create and while a container runs on it. */
static wctr_err remove_locked(svc_networks *n, const view *v, wctr_errmsg *e) {
  WCTR_ASSERT_HELD(&n->lock);
  if (v->predefined) {
    return wctr_fail(e, WCTR_EACCES, "%s is a pre-defined network and cannot be removed", v->name);
  }
  if (!v->owned) {
    return wctr_fail(e, WCTR_EACCES, "network %s was not created by wctr: it is the host's, and wctr never removes it",
                     v->name);
  }
  char user[SVC_CONTAINER_NAME_SIZE] = "";
  cJSON *c = containers_of(n, v->id, user, sizeof user);
  cJSON_Delete(c);
  if (user[0] != '\0') {
    return wctr_fail(e, WCTR_EBUSY, "error while removing network: network %s id %s has active endpoints (container %s)",
                     v->name, v->id, user);
  }
  if (n->hns.unavailable != NULL) return unavailable(n, e);
  wctr_err err = n->hns.remove(n->hns.ctx, v->hns_id, e);
  if (err != WCTR_OK && err != WCTR_ENOENT) return err;
  char id[NET_ID_SIZE];
  snprintf(id, sizeof id, "%s", v->id);
  wctr_log(WCTR_LOG_INFO, "network %s (%.12s) removed", v->name, id);
  record_delete(n, id);
  emit_locked(n, "destroy", id, v->name);
  return WCTR_OK;
}

/* remove_locked, answering {} (with_network's shape). */
static wctr_err remove_answer_locked(svc_networks *n, const view *v, cJSON **result, wctr_errmsg *e) {
  wctr_err err = remove_locked(n, v, e);
  if (err != WCTR_OK) return err;
  *result = cJSON_CreateObject();
  return *result != NULL ? WCTR_OK : wctr_fail(e, WCTR_ENOMEM, "out of memory");
}

static wctr_err op_remove(void *ctx, const svc_caller *caller, const cJSON *params, cJSON **result, wctr_errmsg *e) {
  (void)caller;
  return with_network(ctx, params, remove_answer_locked, result, e);
}

static wctr_err op_prune(void *ctx, const svc_caller *caller, const cJSON *params, cJSON **result, wctr_errmsg *e) {
  static const char *const keys[] = {NULL};
  (void)caller;
  svc_networks *n = ctx;
  if (params != NULL && wctr_json_check_keys(params, "params", keys, e) != WCTR_OK) return WCTR_EINVAL;
  cJSON *deleted = cJSON_CreateArray();
  cJSON *r = cJSON_CreateObject();
  if (deleted == NULL || r == NULL) {
    cJSON_Delete(deleted);
    cJSON_Delete(r);
    return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  }
  wctr_mutex_lock(&n->lock);
  views vs;
  wctr_err err = build_views(n, &vs, e);
  for (size_t i = 0; err == WCTR_OK && i < vs.n; i++) {
    if (!vs.v[i].owned || vs.v[i].predefined) continue;
    wctr_errmsg re;
    /* In use or failing: kept, as Docker's prune keeps what it cannot remove. */
    if (remove_locked(n, &vs.v[i], &re) == WCTR_OK) {
      cJSON_AddItemToArray(deleted, cJSON_CreateString(vs.v[i].name));
    } else {
      wctr_log(WCTR_LOG_DEBUG, "network prune kept %s: %s", vs.v[i].name, re.text);
    }
  }
  views_free(&vs);
  wctr_mutex_unlock(&n->lock);
  if (err != WCTR_OK) {
    cJSON_Delete(deleted);
    cJSON_Delete(r);
    return err;
  }
  cJSON_AddItemToObject(r, "NetworksDeleted", deleted);
  *result = r;
  return WCTR_OK;
}

static const svc_op network_ops[] = {
    {.name = "network.create", .call = op_create, .flags = SVC_OP_BLOCKING},
    {.name = "network.list", .call = op_list, .flags = SVC_OP_BLOCKING},
    {.name = "network.inspect", .call = op_inspect, .flags = SVC_OP_BLOCKING},
    {.name = "network.remove", .call = op_remove, .flags = SVC_OP_BLOCKING},
    {.name = "network.prune", .call = op_prune, .flags = SVC_OP_BLOCKING},
};

const svc_op *svc_networks_ops(size_t *count) {
  *count = sizeof network_ops / sizeof network_ops[0];
  return network_ops;
}

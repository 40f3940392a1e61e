/* kube/convert.c - a compose project as Kubernetes objects (the mapping and its refusals: kube/kube.h). */
#include "kube/kube_internal.h"

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/base64.h"
#include "compose/to_spec.h"
#include "gmsa/credspec.h"
#include "gmsa/gmsa_util.h"
#include "runtime/runtime.h"

#define LABEL_NAME "app.kubernetes.io/name"
#define LABEL_PART_OF "app.kubernetes.io/part-of"
#define LABEL_MANAGED_BY "app.kubernetes.io/managed-by"
#define MANAGED_BY "wctr"
#define NS_PER_SECOND INT64_C(1000000000)
/* A value from outside, quoted for a message (gmsa_quote: escaped, cut after 64 bytes). */
#define Q(s) gmsa_quote((char[GMSA_QUOTE_SIZE]){0}, GMSA_QUOTE_SIZE, (s))

static const char hyperv_comment[] =
    "Hyper-V isolation: Kubernetes' documentation says that it does not support Hyper-V isolated containers.\n"
    "containerd's Windows configuration defines the runtime handler runhcs-wcow-hypervisor; this RuntimeClass\n"
    "selects it on nodes whose containerd enables it (docs/kubernetes.md).";
static const char hyperv_pod_comment[] =
    "Hyper-V isolated (runtimeClassName runhcs-wcow-hypervisor): not officially supported by Kubernetes.";
static const char gmsa_comment[] =
    "Needs the GMSACredentialSpec CRD and the windows-gmsa admission webhook (kubernetes-sigs/windows-gmsa).";
static const char secret_comment[] =
    "Written with --plain-text-secrets: data holds the value in base64, which is not encryption.";
static const char host_process_comment[] =
    "HostProcess pod (isolation: job): runs on the node with the node's network; its namespace must allow\n"
    "privileged pods (Pod Security Standards: privileged).";

/* The groups of objects, in the order they are written. */
enum { G_RUNTIME, G_CLUSTER, G_ACCOUNTS, G_BINDINGS, G_SECRETS, G_CONFIGS, G_SERVICES, G_WORKLOADS, G_COUNT };

typedef struct objlist {
  kube_object *items;
  size_t count, cap;
} objlist;

typedef struct conv {
  const compose_project *p;
  const kube_options *opt;
  const kube_host *host;
  wctr_errmsg *e;
  const char *ns;
  char *prefix; /* the project's name as a cluster-scoped name's start */
  bool oom;
  objlist groups[G_COUNT];
  bool runtime_class_done;
  /* Secret and ConfigMap names already written (the compose name, and the object's name). */
  char **done_names;
  char **done_objects;
  size_t done_count;
} conv;

static wctr_err oom(wctr_errmsg *e) { return wctr_fail(e, WCTR_ENOMEM, "out of memory"); }

static void object_free(kube_object *o) {
  free(o->kind);
  free(o->name);
  free(o->comment);
  gmsa_json_secure_delete(o->body);
  memset(o, 0, sizeof *o);
}

void kube_output_free(kube_output *out) {
  if (out == NULL) return;
  for (size_t i = 0; i < out->count; i++) object_free(&out->objects[i]);
  free(out->objects);
  out->objects = NULL;
  out->count = 0;
}

static char *dup(conv *c, const char *s) {
  if (s == NULL) return NULL;
  size_t n = strlen(s);
  char *d = malloc(n + 1);
  if (d == NULL) {
    c->oom = true;
    return NULL;
  }
  memcpy(d, s, n + 1);
  return d;
}

/* ---- JSON building: every failure sets c->oom, checked once per object. ---- */

/* A new object in parent (an object under key, or an array's next item); NULL when parent is NULL (a failure
 * before it) or out of memory. */
static cJSON *j_obj(conv *c, cJSON *parent, const char *key) {
  if (parent == NULL) {
    c->oom = true;
    return NULL;
  }
  cJSON *o = cJSON_CreateObject();
  if (o == NULL) {
    c->oom = true;
    return NULL;
  }
  if (!(cJSON_IsArray(parent) ? cJSON_AddItemToArray(parent, o) : cJSON_AddItemToObject(parent, key, o))) {
    cJSON_Delete(o);
    c->oom = true;
    return NULL;
  }
  return o;
}

static cJSON *j_arr(conv *c, cJSON *parent, const char *key) {
  cJSON *a = cJSON_CreateArray();
  if (a == NULL || parent == NULL || !cJSON_AddItemToObject(parent, key, a)) {
    cJSON_Delete(a);
    c->oom = true;
    return NULL;
  }
  return a;
}

static void j_str(conv *c, cJSON *parent, const char *key, const char *value) {
  if (parent == NULL || value == NULL) {
    if (value != NULL) c->oom = true;
    return;
  }
  cJSON *s = cJSON_CreateString(value);
  bool ok = s != NULL && (cJSON_IsArray(parent) ? cJSON_AddItemToArray(parent, s) : cJSON_AddItemToObject(parent, key, s));
  if (!ok) {
    cJSON_Delete(s);
    c->oom = true;
  }
}

static void j_int(conv *c, cJSON *parent, const char *key, int64_t v) {
  if (parent == NULL || cJSON_AddNumberToObject(parent, key, (double)v) == NULL) c->oom = true;
}

static void j_bool(conv *c, cJSON *parent, const char *key, bool v) {
  if (parent == NULL || cJSON_AddBoolToObject(parent, key, v) == NULL) c->oom = true;
}

/* A string with every '$' doubled (Kubernetes expands $(VAR) in command, args and env values). */
static void j_escaped(conv *c, cJSON *parent, const char *key, const char *value) {
  char *esc = kube_dollar_escape(value);
  if (esc == NULL) {
    c->oom = true;
    return;
  }
  j_str(c, parent, key, esc);
  free(esc);
}

/* ---- objects ---- */

/* A new object {apiVersion, kind, metadata} appended to group g; its metadata in *meta. Names are copied. */
static cJSON *new_object(conv *c, int g, const char *api, const char *kind, const char *name, const char *service,
                         bool namespaced, bool shared, const char *comment, cJSON **meta) {
  objlist *l = &c->groups[g];
  *meta = NULL;
  if (c->oom) return NULL;
  if (l->count == l->cap) {
    size_t cap = l->cap == 0 ? 4 : l->cap * 2;
    kube_object *items = realloc(l->items, cap * sizeof *items);
    if (items == NULL) {
      c->oom = true;
      return NULL;
    }
    l->items = items;
    l->cap = cap;
  }
  kube_object *o = &l->items[l->count];
  memset(o, 0, sizeof *o);
  o->kind = dup(c, kind);
  o->name = dup(c, name);
  o->comment = dup(c, comment);
  o->body = cJSON_CreateObject();
  l->count++;
  if (o->body == NULL) {
    c->oom = true;
    return NULL;
  }
  j_str(c, o->body, "apiVersion", api);
  j_str(c, o->body, "kind", kind);
  cJSON *m = j_obj(c, o->body, "metadata");
  j_str(c, m, "name", name);
  if (namespaced) j_str(c, m, "namespace", c->ns);
  cJSON *labels = j_obj(c, m, "labels");
  if (!shared) {
    if (service != NULL) j_str(c, labels, LABEL_NAME, service);
    j_str(c, labels, LABEL_PART_OF, c->p->name);
  }
  j_str(c, labels, LABEL_MANAGED_BY, MANAGED_BY);
  *meta = m;
  return o->body;
}

/* The labels that select a service's pods. */
static void selector_labels(conv *c, cJSON *parent, const char *service) {
  j_str(c, parent, LABEL_NAME, service);
  j_str(c, parent, LABEL_PART_OF, c->p->name);
}

static const char *proto_name(bool udp) { return udp ? "UDP" : "TCP"; }

static wctr_err service_object(conv *c, const char *service, const kube_port *ports, size_t count) {
  if (count == 0) return wctr_fail(c->e, WCTR_EINVAL, "services.%s: a Service needs a port", service);
  for (size_t i = 0; i < count; i++) {
    if (ports[i].port == 0) return wctr_fail(c->e, WCTR_EINVAL, "services.%s.ports[%zu]: port 0", service, i);
  }
  cJSON *meta;
  cJSON *o = new_object(c, G_SERVICES, "v1", "Service", service, service, true, false, NULL, &meta);
  cJSON *spec = j_obj(c, o, "spec");
  j_str(c, spec, "type", kube_service_type_name(c->opt->service_type));
  selector_labels(c, j_obj(c, spec, "selector"), service);
  cJSON *arr = j_arr(c, spec, "ports");
  bool lb = c->opt->service_type == KUBE_SERVICE_LOAD_BALANCER;
  for (size_t i = 0; i < count && !c->oom; i++) {
    /* One Service port per container port and protocol (and, for a load balancer, per published port). */
    bool seen = false;
    for (size_t k = 0; k < i && !seen; k++) {
      seen = ports[k].port == ports[i].port && ports[k].udp == ports[i].udp &&
             (!lb || ports[k].host_port == ports[i].host_port);
    }
    if (seen) continue;
    uint16_t front = lb && ports[i].host_port != 0 ? ports[i].host_port : ports[i].port;
    char name[32];
    if (lb && front != ports[i].port) {
      snprintf(name, sizeof name, "%s-%u-%u", ports[i].udp ? "udp" : "tcp", (unsigned)front, (unsigned)ports[i].port);
    } else {
      snprintf(name, sizeof name, "%s-%u", ports[i].udp ? "udp" : "tcp", (unsigned)ports[i].port);
    }
    cJSON *po = j_obj(c, arr, NULL);
    j_str(c, po, "name", name);
    j_str(c, po, "protocol", proto_name(ports[i].udp));
    j_int(c, po, "port", front);
    j_int(c, po, "targetPort", ports[i].port);
  }
  return c->oom ? oom(c->e) : WCTR_OK;
}

/* The RuntimeClass of Hyper-V isolation, once. */
static void runtime_class(conv *c) {
  if (c->runtime_class_done) return;
  c->runtime_class_done = true;
  cJSON *meta;
  cJSON *o = new_object(c, G_RUNTIME, "node.k8s.io/v1", "RuntimeClass", KUBE_RUNTIME_CLASS_HYPERV, NULL, false, true,
                        hyperv_comment, &meta);
  j_str(c, o, "handler", KUBE_RUNTIME_CLASS_HYPERV);
  cJSON *sched = j_obj(c, o, "scheduling");
  j_str(c, j_obj(c, sched, "nodeSelector"), "kubernetes.io/os", "windows");
}

/* ---- credential specs ---- */

/* The service's spec resolved: *spec_json is the spec's JSON (validated; zero and free it). */
static wctr_err resolve_credspec(conv *c, const compose_service *s, const spec_container *spec, char **json) {
  *json = NULL;
  const char *opt = spec->credspec_option;
  char *text = NULL;
  size_t len = 0;
  gmsa_credspec *cs = NULL;
  wctr_err err = WCTR_OK;
  if (strncmp(opt, "raw://", 6) == 0) {
    text = dup(c, opt + 6);
    if (text == NULL) return oom(c->e);
  } else if (strncmp(opt, "registry://", 11) == 0) {
    return wctr_fail(c->e, WCTR_ENOTSUP,
                     "services.%s.credential_spec: a registry:// spec is read from the registry of the host that "
                     "runs the container, which a cluster node is not: store it as a file (wctr credentialspec add) "
                     "or give it as a config of the project",
                     s->name);
  } else {
    wctr_errmsg he;
    wctr_errmsg_clear(&he);
    err = c->host->credspec != NULL ? c->host->credspec(c->host->ctx, opt, &text, &he)
                                    : wctr_fail(&he, WCTR_ENOENT, "no wctrd to read it from");
    if (err != WCTR_OK) {
      return wctr_fail(c->e, err, "services.%s.credential_spec: %s cannot be read: %s", s->name, opt, he.text);
    }
  }
  len = strlen(text);
  wctr_errmsg ce;
  wctr_errmsg_clear(&ce);
  err = gmsa_credspec_load(text, len, &cs, &ce);
  if (err != WCTR_OK) {
    wctr_fail(c->e, err, "services.%s.credential_spec: %s", s->name, ce.text);
    goto done;
  }
  if (cs->host_account != NULL && cs->host_account->plugin_input != NULL) {
    if (strcmp(cs->host_account->plugin_input, GMSA_REDACTED) == 0) {
      err = wctr_fail(c->e, WCTR_ENOENT,
                      "services.%s.credential_spec: wctrd never reveals the PluginInput of %s; give the spec as a "
                      "config of the project (credential_spec: {config: NAME}) to convert it",
                      s->name, opt);
      goto done;
    }
    if (!c->opt->allow_plugin_input) {
      err = wctr_fail(c->e, WCTR_EACCES,
                      "services.%s.credential_spec: the spec's PluginInput may hold a password (wctr cannot tell a "
                      "plugin's reference from a secret), and a GMSACredentialSpec is cluster-scoped, readable by "
                      "everyone who may read gmsacredentialspecs; give --allow-plugin-input to write it anyway",
                      s->name);
      goto done;
    }
  }
  err = gmsa_credspec_to_json(cs, json, &ce);
  if (err != WCTR_OK) wctr_fail(c->e, err, "services.%s.credential_spec: %s", s->name, ce.text);
done:
  gmsa_credspec_free(cs);
  if (text != NULL) gmsa_secure_zero(text, len);
  free(text);
  return err;
}

/* GMSACredentialSpec, ClusterRole, ServiceAccount and RoleBinding; *spec_name the GMSACredentialSpec's name. */
static wctr_err gmsa_objects(conv *c, const compose_service *s, const spec_container *spec, char *spec_name,
                             size_t size) {
  char *json = NULL;
  wctr_err err = resolve_credspec(c, s, spec, &json);
  if (err != WCTR_OK) return err;
  cJSON *tree = cJSON_Parse(json);
  gmsa_secret_free(json);
  if (tree == NULL) return oom(c->e);
  snprintf(spec_name, size, "%s-%s", c->prefix, s->name);
  if (!kube_dns1123_subdomain(spec_name)) {
    gmsa_json_secure_delete(tree);
    return wctr_fail(c->e, WCTR_EINVAL, "services.%s.credential_spec: \"%s\" is not a Kubernetes object name", s->name,
                     spec_name);
  }
  cJSON *meta;
  cJSON *o = new_object(c, G_CLUSTER, "windows.k8s.io/v1", "GMSACredentialSpec", spec_name, s->name, false, false,
                        gmsa_comment, &meta);
  if (o == NULL || !cJSON_AddItemToObject(o, "credspec", tree)) {
    gmsa_json_secure_delete(tree);
    return oom(c->e);
  }
  char role[300];
  snprintf(role, sizeof role, "%s-gmsa-use", spec_name);
  o = new_object(c, G_CLUSTER, "rbac.authorization.k8s.io/v1", "ClusterRole", role, s->name, false, false, NULL, &meta);
  cJSON *rule = j_obj(c, j_arr(c, o, "rules"), NULL);
  j_str(c, j_arr(c, rule, "apiGroups"), NULL, "windows.k8s.io");
  j_str(c, j_arr(c, rule, "resources"), NULL, "gmsacredentialspecs");
  j_str(c, j_arr(c, rule, "verbs"), NULL, "use");
  j_str(c, j_arr(c, rule, "resourceNames"), NULL, spec_name);
  new_object(c, G_ACCOUNTS, "v1", "ServiceAccount", s->name, s->name, true, false, NULL, &meta);
  char binding[100];
  snprintf(binding, sizeof binding, "%s-gmsa-use", s->name);
  o = new_object(c, G_BINDINGS, "rbac.authorization.k8s.io/v1", "RoleBinding", binding, s->name, true, false, NULL,
                 &meta);
  cJSON *subject = j_obj(c, j_arr(c, o, "subjects"), NULL);
  j_str(c, subject, "kind", "ServiceAccount");
  j_str(c, subject, "name", s->name);
  j_str(c, subject, "namespace", c->ns);
  cJSON *ref = j_obj(c, o, "roleRef");
  j_str(c, ref, "apiGroup", "rbac.authorization.k8s.io");
  j_str(c, ref, "kind", "ClusterRole");
  j_str(c, ref, "name", role);
  return c->oom ? oom(c->e) : WCTR_OK;
}

/* ---- secrets and configs ---- */

/* The object name of a compose secret or config, checked; NULL after failing. Written once per project. */
static const char *data_object_name(conv *c, const char *what, const char *name, bool *fresh) {
  *fresh = false;
  char *obj = kube_lower_name(name);
  if (obj == NULL) {
    oom(c->e);
    return NULL;
  }
  if (!kube_dns1123_subdomain(obj)) {
    wctr_fail(c->e, WCTR_EINVAL, "%s.%s: \"%s\" cannot be a Kubernetes object name (DNS-1123: lower-case letters, digits, "
              "'-' and '.')", what, name, obj);
    free(obj);
    return NULL;
  }
  /* Secrets and configs are kept apart by the prefix of their compose name ("secrets.x", "configs.x"). */
  char key[300];
  snprintf(key, sizeof key, "%s.%s", what, name);
  for (size_t i = 0; i < c->done_count; i++) {
    if (strcmp(c->done_names[i], key) == 0) {
      free(obj);
      return c->done_objects[i];
    }
    if (strncmp(c->done_names[i], what, strlen(what)) == 0 && c->done_names[i][strlen(what)] == '.' &&
        strcmp(c->done_objects[i], obj) == 0) {
      wctr_fail(c->e, WCTR_EINVAL, "%s.%s and %s would both be the Kubernetes object \"%s\"", what, name,
                c->done_names[i], obj);
      free(obj);
      return NULL;
    }
  }
  char **names = realloc(c->done_names, (c->done_count + 1) * sizeof *names);
  if (names != NULL) c->done_names = names;
  char **objs = realloc(c->done_objects, (c->done_count + 1) * sizeof *objs);
  if (objs != NULL) c->done_objects = objs;
  char *k = dup(c, key);
  if (names == NULL || objs == NULL || k == NULL) {
    free(k);
    free(obj);
    oom(c->e);
    return NULL;
  }
  c->done_names[c->done_count] = k;
  c->done_objects[c->done_count] = obj;
  c->done_count++;
  *fresh = true;
  return obj;
}

static wctr_err secret_object(conv *c, const compose_service *s, const compose_grant *g, const char **obj_name) {
  bool fresh;
  *obj_name = data_object_name(c, "secrets", g->source, &fresh);
  if (*obj_name == NULL) return c->e->code != WCTR_OK ? c->e->code : WCTR_EINVAL;
  if (!fresh) return WCTR_OK;
  if (!kube_data_key(g->source)) {
    return wctr_fail(c->e, WCTR_EINVAL, "secrets.%s: the name cannot be a Kubernetes Secret key", g->source);
  }
  uint8_t *value = NULL;
  size_t len = 0;
  wctr_errmsg he;
  wctr_errmsg_clear(&he);
  wctr_err err = c->host->secret_value != NULL ? c->host->secret_value(c->host->ctx, g->source, &value, &len, &he)
                                               : wctr_fail(&he, WCTR_ENOENT, "no wctrd to read it from");
  if (err != WCTR_OK) {
    return wctr_fail(c->e, err, "services.%s.secrets: secret %s cannot be read from wctr's store: %s", s->name,
                     g->source, he.text);
  }
  char *b64 = wctr_base64_encode(value, len);
  wctr_secure_zero(value, len);
  free(value);
  if (b64 == NULL) return oom(c->e);
  cJSON *meta;
  cJSON *o = new_object(c, G_SECRETS, "v1", "Secret", *obj_name, NULL, true, false, secret_comment, &meta);
  j_str(c, o, "type", "Opaque");
  j_str(c, j_obj(c, o, "data"), g->source, b64);
  wctr_secure_zero(b64, strlen(b64));
  free(b64);
  return c->oom ? oom(c->e) : WCTR_OK;
}

static const compose_resource *find_resource(const compose_resource *r, size_t count, const char *name) {
  for (size_t i = 0; i < count; i++) {
    if (strcmp(r[i].name, name) == 0) return &r[i];
  }
  return NULL;
}

static wctr_err config_object(conv *c, const compose_service *s, const compose_grant *g, const char **obj_name) {
  bool fresh;
  *obj_name = data_object_name(c, "configs", g->source, &fresh);
  if (*obj_name == NULL) return c->e->code != WCTR_OK ? c->e->code : WCTR_EINVAL;
  if (!fresh) return WCTR_OK;
  if (!kube_data_key(g->source)) {
    return wctr_fail(c->e, WCTR_EINVAL, "configs.%s: the name cannot be a Kubernetes ConfigMap key", g->source);
  }
  const compose_resource *r = find_resource(c->p->configs, c->p->config_count, g->source);
  if (r == NULL) return wctr_fail(c->e, WCTR_EINVAL, "services.%s.configs: config %s is not defined", s->name, g->source);
  char *data = NULL;
  size_t len = 0;
  wctr_errmsg he;
  wctr_errmsg_clear(&he);
  wctr_err err = c->host->read_file != NULL ? c->host->read_file(c->host->read_ctx, r->file, &data, &len, &he)
                                            : wctr_fail(&he, WCTR_ENOENT, "no files can be read here");
  if (err != WCTR_OK) {
    return wctr_fail(c->e, err, "configs.%s: %s cannot be read: %s", g->source, r->file, he.text);
  }
  if (len > KUBE_CONFIGMAP_MAX_BYTES) {
    free(data);
    return wctr_fail(c->e, WCTR_ETOOBIG, "configs.%s: %s is %zu bytes; a ConfigMap holds at most 1 MiB", g->source,
                     r->file, len);
  }
  cJSON *meta;
  cJSON *o = new_object(c, G_CONFIGS, "v1", "ConfigMap", *obj_name, NULL, true, false, NULL, &meta);
  bool text = kube_utf8_valid(data, len) && memchr(data, '\0', len) == NULL;
  if (text) {
    char *z = malloc(len + 1);
    if (z == NULL) {
      c->oom = true;
    } else {
      if (len > 0) memcpy(z, data, len);
      z[len] = '\0';
      j_str(c, j_obj(c, o, "data"), g->source, z);
      free(z);
    }
  } else {
    char *b64 = wctr_base64_encode((const uint8_t *)data, len);
    if (b64 == NULL) c->oom = true;
    j_str(c, j_obj(c, o, "binaryData"), g->source, b64);
    free(b64);
  }
  free(data);
  return c->oom ? oom(c->e) : WCTR_OK;
}

/* A projected volume of the grants (Secret or ConfigMap items NAME -> target) and its mount. */
static wctr_err data_volume(conv *c, const compose_service *s, bool secrets, cJSON *volumes, cJSON *mounts) {
  const compose_grant *g = secrets ? s->secrets : s->configs;
  size_t count = secrets ? s->secret_count : s->config_count;
  const char *vol = secrets ? "secrets" : "configs";
  cJSON *v = j_obj(c, volumes, NULL);
  j_str(c, v, "name", vol);
  cJSON *sources = j_arr(c, j_obj(c, v, "projected"), "sources");
  for (size_t i = 0; i < count && !c->oom; i++) {
    const char *obj = NULL;
    wctr_err err = secrets ? secret_object(c, s, &g[i], &obj) : config_object(c, s, &g[i], &obj);
    if (err != WCTR_OK) return err;
    cJSON *src = j_obj(c, j_obj(c, sources, NULL), secrets ? "secret" : "configMap");
    j_str(c, src, "name", obj);
    cJSON *item = j_obj(c, j_arr(c, src, "items"), NULL);
    j_str(c, item, "key", g[i].source);
    j_str(c, item, "path", g[i].target);
  }
  cJSON *m = j_obj(c, mounts, NULL);
  j_str(c, m, "name", vol);
  j_str(c, m, "mountPath", secrets ? RT_SECRETS_CONTAINER_PATH : KUBE_CONFIGS_PATH);
  j_bool(c, m, "readOnly", true);
  return c->oom ? oom(c->e) : WCTR_OK;
}

/* ---- a service ---- */

static wctr_err refuse(conv *c, const compose_service *s, const char *key, const char *why) {
  return wctr_fail(c->e, WCTR_ENOTSUP, "services.%s.%s: %s", s->name, key, why);
}

/* What has no faithful Kubernetes equivalent. */
static wctr_err refusals(conv *c, const compose_service *s) {
  for (size_t i = 0; i < s->volume_count; i++) {
    if (s->volumes[i].volume) {
      return refuse(c, s, "volumes",
                    "a named or anonymous volume is a folder on this host, and a pod runs on any node of the cluster; "
                    "use a PersistentVolumeClaim (not generated by wctr: its storage class and size are the "
                    "cluster's choice)");
    }
  }
  if (s->volume_count > 0) {
    return refuse(c, s, "volumes",
                  "a bind mount or a named pipe names this host's files, and a pod runs on any node of the cluster; "
                  "use a PersistentVolumeClaim (not generated by wctr)");
  }
  if (s->resources.cpu_percent != 0) {
    return refuse(c, s, "cpu_percent", "a share of a host's CPUs depends on the node's size; Kubernetes has no such "
                                       "limit (use cpus)");
  }
  if (s->resources.cpu_shares != 0) {
    return refuse(c, s, "cpu_shares", "a weight relative to the host's other containers has no Kubernetes equivalent "
                                      "(use cpus)");
  }
  if (s->resources.pids_limit != 0) {
    return refuse(c, s, "pids_limit", "Kubernetes sets a process limit per node (the kubelet's podPidsLimit), not "
                                      "per pod");
  }
  if (s->log_opt_count > 0) {
    return refuse(c, s, "logging.options", "a pod's log files are rotated by the kubelet (containerLogMaxSize, "
                                           "containerLogMaxFiles), not per pod");
  }
  if (s->entrypoint.set && !s->entrypoint.shell_form && s->entrypoint.argc == 0) {
    return refuse(c, s, "entrypoint", "[] clears the image's entrypoint, and an empty command in Kubernetes keeps "
                                      "it");
  }
  return WCTR_OK;
}

/* The words of a compose command as Kubernetes' list (shell form as compose_service_to_spec runs it). */
static void command_list(conv *c, cJSON *container, const char *key, const compose_command *cmd) {
  if (!cmd->set || (!cmd->shell_form && cmd->argc == 0)) return;
  cJSON *a = j_arr(c, container, key);
  if (cmd->shell_form) {
    j_str(c, a, NULL, "cmd");
    j_str(c, a, NULL, "/S");
    j_str(c, a, NULL, "/C");
  }
  for (size_t i = 0; i < cmd->argc; i++) j_escaped(c, a, NULL, cmd->argv[i]);
}

static bool nocase_equal(const char *a, const char *b) {
  while (*a != '\0' && *b != '\0') {
    char x = *a >= 'A' && *a <= 'Z' ? (char)(*a - 'A' + 'a') : *a;
    char y = *b >= 'A' && *b <= 'Z' ? (char)(*b - 'A' + 'a') : *b;
    if (x != y) return false;
    a++;
    b++;
  }
  return *a == *b;
}

/* The HostProcess account for the compose user; NULL when it is none of the three Kubernetes allows. */
static const char *host_process_user(const char *user) {
  static const char *const allowed[] = {"NT AUTHORITY\\SYSTEM", KUBE_HOST_PROCESS_USER, "NT AUTHORITY\\NetworkService",
                                        NULL};
  if (user == NULL) return KUBE_HOST_PROCESS_USER;
  for (size_t i = 0; allowed[i] != NULL; i++) {
    if (nocase_equal(user, allowed[i])) return allowed[i];
  }
  return NULL;
}

static bool reserved_label(const char *key) {
  return strcmp(key, LABEL_NAME) == 0 || strcmp(key, LABEL_PART_OF) == 0 || strcmp(key, LABEL_MANAGED_BY) == 0;
}

/* The pod template's metadata: selector labels, compose labels as labels or annotations. */
static wctr_err pod_metadata(conv *c, const compose_service *s, cJSON *tmpl) {
  cJSON *meta = j_obj(c, tmpl, "metadata");
  cJSON *labels = j_obj(c, meta, "labels");
  selector_labels(c, labels, s->name);
  j_str(c, labels, LABEL_MANAGED_BY, MANAGED_BY);
  cJSON *ann = NULL;
  for (size_t i = 0; i < s->label_count && !c->oom; i++) {
    const char *kv = s->labels[i];
    const char *eq = strchr(kv, '=');
    size_t klen = eq != NULL ? (size_t)(eq - kv) : strlen(kv);
    char key[512];
    if (klen >= sizeof key) return wctr_fail(c->e, WCTR_EINVAL, "services.%s.labels: a key is too long", s->name);
    memcpy(key, kv, klen);
    key[klen] = '\0';
    const char *value = eq != NULL ? eq + 1 : "";
    if (reserved_label(key)) {
      return wctr_fail(c->e, WCTR_EINVAL, "services.%s.labels: %s is set by wctr's Kubernetes conversion", s->name, key);
    }
    if (kube_label_key(key) && kube_label_value(value)) {
      j_str(c, labels, key, value);
    } else {
      /* An annotation key has a label key's syntax; anything else has no place in Kubernetes. */
      if (!kube_label_key(key)) {
        return wctr_fail(c->e, WCTR_EINVAL,
                         "services.%s.labels: %s is neither a Kubernetes label key nor an annotation key "
                         "([prefix/]name, name at most 63 characters of letters, digits, '-', '_', '.')",
                         s->name, Q(key));
      }
      if (ann == NULL) ann = j_obj(c, meta, "annotations");
      j_str(c, ann, key, value);
    }
  }
  return c->oom ? oom(c->e) : WCTR_OK;
}

/* Whole seconds, rounded up (a probe's spans are never shortened), at least 1; def when not given. */
static int64_t probe_seconds(int64_t ns, int64_t def) {
  if (ns <= 0) return def;
  int64_t sec = (ns + NS_PER_SECOND - 1) / NS_PER_SECOND;
  return sec < 1 ? 1 : sec > INT32_MAX ? INT32_MAX : sec;
}

/* healthcheck -> an exec livenessProbe: CMD's words as the command, CMD-SHELL in cmd /S /C (the shell Docker
 * uses on Windows); Docker's defaults written out (Kubernetes' own are 10 s, 1 s); start_period as the
 * initial delay (Docker probes during it but does not count failures; Kubernetes waits). NONE: no probe. */
static void liveness_probe(conv *c, const compose_service *s, cJSON *ctr) {
  if (s->health_test_count == 0 || strcmp(s->health_test[0], "NONE") == 0) return;
  cJSON *probe = j_obj(c, ctr, "livenessProbe");
  cJSON *cmd = j_arr(c, j_obj(c, probe, "exec"), "command");
  if (strcmp(s->health_test[0], "CMD-SHELL") == 0) {
    static const char *const shell[] = {"cmd", "/S", "/C"};
    for (size_t i = 0; i < 3; i++) j_str(c, cmd, NULL, shell[i]);
  }
  for (size_t i = 1; i < s->health_test_count; i++) j_str(c, cmd, NULL, s->health_test[i]);
  if (s->health_start_period_ns > 0) j_int(c, probe, "initialDelaySeconds", probe_seconds(s->health_start_period_ns, 0));
  j_int(c, probe, "periodSeconds", probe_seconds(s->health_interval_ns, 30));
  j_int(c, probe, "timeoutSeconds", probe_seconds(s->health_timeout_ns, 30));
  j_int(c, probe, "failureThreshold", s->health_retries > 0 ? s->health_retries : 3);
}

static wctr_err resources(conv *c, const compose_service *s, cJSON *container) {
  const spec_resources *r = &s->resources;
  if (r->memory_bytes == 0 && r->nano_cpus == 0 && r->cpu_count == 0) return WCTR_OK;
  cJSON *limits = j_obj(c, j_obj(c, container, "resources"), "limits");
  char q[48];
  if (r->nano_cpus != 0) {
    if (!kube_cpu_quantity(r->nano_cpus, q, sizeof q)) {
      return wctr_fail(c->e, WCTR_EINVAL,
                       "services.%s.cpus: %" PRId64 " nano-CPUs is finer than Kubernetes' CPU unit (1m, a thousandth "
                       "of a CPU)",
                       s->name, r->nano_cpus);
    }
    j_str(c, limits, "cpu", q);
  } else if (r->cpu_count != 0) {
    snprintf(q, sizeof q, "%" PRId64, r->cpu_count);
    j_str(c, limits, "cpu", q);
  }
  if (r->memory_bytes != 0) {
    kube_memory_quantity(r->memory_bytes, q, sizeof q);
    j_str(c, limits, "memory", q);
  }
  return c->oom ? oom(c->e) : WCTR_OK;
}

/* The node.kubernetes.io/windows-build value of an OS version ("10.0.20348.2113" -> "10.0.20348"). */
static bool windows_build(const char *version, char *out, size_t size) {
  int dots = 0;
  size_t n = 0;
  for (const char *p = version; *p != '\0'; p++) {
    if (*p == '.') {
      if (++dots == 3) break;
    } else if (*p < '0' || *p > '9') {
      return false;
    }
    n++;
  }
  if (dots < 2 || n + 1 > size || version[0] == '.') return false;
  memcpy(out, version, n);
  out[n] = '\0';
  return kube_label_value(out);
}

static wctr_err convert_service(conv *c, const compose_service *s, const kube_port *ports, size_t port_count) {
  spec_container spec;
  memset(&spec, 0, sizeof spec);
  wctr_err err = WCTR_OK;
  if (!kube_dns1035_label(s->name)) {
    return wctr_fail(c->e, WCTR_EINVAL,
                     "services.%s: \"%s\" is not a Kubernetes name (DNS-1035: at most 63 lower-case letters, digits "
                     "and '-', a letter first, a letter or digit last); other services reach it by this name, so "
                     "wctr does not rename it",
                     s->name, s->name);
  }
  err = refusals(c, s);
  if (err != WCTR_OK) return err;
  /* `up`'s checks, but for the two keys mapped here and not by a spec. */
  compose_service checked = *s;
  checked.configs = NULL;
  checked.config_count = 0;
  checked.replicas_set = false;
  err = compose_service_to_spec(c->p, &checked, c->host->read_file, c->host->read_ctx, &spec, c->e);
  if (err != WCTR_OK) return err;
  bool job = s->isolation == WCTR_ISOLATION_JOB;
  bool hyperv = s->isolation == WCTR_ISOLATION_HYPERV;
  const char *image = s->image;
  const char *hp_user = NULL;
  char spec_name[300] = "";
  if (job) {
    if (strcmp(s->image, "host") != 0) {
      err = wctr_fail(c->e, WCTR_EINVAL,
                      "services.%s.image: a job container's folder %s is a folder of this host; a HostProcess "
                      "pod needs an image (build one from the folder)",
                      s->name, Q(s->image));
      goto done;
    }
    if (c->opt->host_process_image == NULL) {
      err = wctr_fail(c->e, WCTR_EINVAL,
                      "services.%s.image: \"host\" (the host's own files) is no image on a cluster; give "
                      "--host-process-image IMAGE (a HostProcess base image)",
                      s->name);
      goto done;
    }
    image = c->opt->host_process_image;
    hp_user = host_process_user(s->user);
    if (hp_user == NULL) {
      err = wctr_fail(c->e, WCTR_EINVAL,
                      "services.%s.user: a HostProcess container runs as NT AUTHORITY\\SYSTEM, NT AUTHORITY\\Local "
                      "service or NT AUTHORITY\\NetworkService, not %s",
                      s->name, Q(s->user));
      goto done;
    }
    if (s->secret_count > 0 || s->config_count > 0) {
      err = refuse(c, s, s->secret_count > 0 ? "secrets" : "configs",
                   "a HostProcess container's volumes are mounted under its sandbox folder "
                   "(%CONTAINER_SANDBOX_MOUNT_POINT%), not where wctr's job containers find them");
      goto done;
    }
  } else if (s->user != NULL) {
    const char *why = kube_windows_user_problem(s->user);
    if (why != NULL) {
      err = wctr_fail(c->e, WCTR_EINVAL, "services.%s.user: %s is not a Windows user name Kubernetes accepts: %s",
                      s->name, Q(s->user), why);
      goto done;
    }
  }
  if (s->hostname != NULL && !kube_dns1123_label(s->hostname)) {
    err = wctr_fail(c->e, WCTR_EINVAL,
                    "services.%s.hostname: %s is not a pod hostname (DNS-1123 label: at most 63 lower-case "
                    "letters, digits and '-')",
                    s->name, Q(s->hostname));
    goto done;
  }
  for (size_t i = 0; i < s->environment_count; i++) {
    const char *eq = strchr(s->environment[i], '=');
    char name[256];
    size_t n = eq != NULL ? (size_t)(eq - s->environment[i]) : strlen(s->environment[i]);
    snprintf(name, sizeof name, "%.*s", (int)(n < sizeof name ? n : sizeof name - 1), s->environment[i]);
    if (n >= sizeof name || !kube_env_name(name)) {
      err = wctr_fail(c->e, WCTR_EINVAL,
                      "services.%s.environment: %s is not a name Kubernetes accepts (printable ASCII without "
                      "'=')",
                      s->name, Q(name));
      goto done;
    }
  }
  /* Build the pod. */
  if (s->has_credspec) {
    err = gmsa_objects(c, s, &spec, spec_name, sizeof spec_name);
    if (err != WCTR_OK) goto done;
  }
  if (hyperv) runtime_class(c);
  char build[64] = "";
  if ((s->isolation == WCTR_ISOLATION_DEFAULT || s->isolation == WCTR_ISOLATION_PROCESS) &&
      c->host->image_os_version != NULL) {
    char version[64] = "";
    wctr_errmsg he;
    wctr_errmsg_clear(&he);
    err = c->host->image_os_version(c->host->ctx, s->image, version, sizeof version, &he);
    if (err == WCTR_ENOENT) {
      err = WCTR_OK;
    } else if (err != WCTR_OK) {
      err = wctr_fail(c->e, err, "services.%s.image: %s", s->name, he.text);
      goto done;
    } else if (!windows_build(version, build, sizeof build)) {
      err = wctr_fail(c->e, WCTR_EINVAL, "services.%s.image: the OS version %s of %s is not M.m.build[.rev]",
                      s->name, Q(version), s->image);
      goto done;
    }
  }
  if (port_count > 0) {
    err = service_object(c, s->name, ports, port_count);
    if (err != WCTR_OK) goto done;
  }
  bool deployment = s->restart.name == SPEC_RESTART_ALWAYS || s->restart.name == SPEC_RESTART_UNLESS_STOPPED;
  cJSON *meta;
  cJSON *w = new_object(c, G_WORKLOADS, deployment ? "apps/v1" : "batch/v1", deployment ? "Deployment" : "Job",
                        s->name, s->name, true, false,
                        job ? host_process_comment : hyperv ? hyperv_pod_comment : NULL, &meta);
  cJSON *wspec = j_obj(c, w, "spec");
  if (deployment) {
    j_int(c, wspec, "replicas", s->replicas_set ? s->replicas : 1);
    selector_labels(c, j_obj(c, j_obj(c, wspec, "selector"), "matchLabels"), s->name);
  } else {
    if (s->replicas_set) {
      j_int(c, wspec, "parallelism", s->replicas);
      j_int(c, wspec, "completions", s->replicas);
    }
    int64_t backoff = 0;
    if (s->restart.name == SPEC_RESTART_ON_FAILURE) {
      backoff = s->restart.max_retries > 0 ? s->restart.max_retries : INT32_MAX;
    }
    j_int(c, wspec, "backoffLimit", backoff);
  }
  cJSON *tmpl = j_obj(c, wspec, "template");
  err = pod_metadata(c, s, tmpl);
  if (err != WCTR_OK) goto done;
  cJSON *pod = j_obj(c, tmpl, "spec");
  j_str(c, j_obj(c, pod, "os"), "name", "windows");
  cJSON *sel = j_obj(c, pod, "nodeSelector");
  j_str(c, sel, "kubernetes.io/os", "windows");
  if (build[0] != '\0') j_str(c, sel, "node.kubernetes.io/windows-build", build);
  if (hyperv) j_str(c, pod, "runtimeClassName", KUBE_RUNTIME_CLASS_HYPERV);
  if (job) j_bool(c, pod, "hostNetwork", true);
  if (s->hostname != NULL) j_str(c, pod, "hostname", s->hostname);
  if (s->has_credspec) j_str(c, pod, "serviceAccountName", s->name);
  j_bool(c, pod, "automountServiceAccountToken", false);
  if (!deployment) j_str(c, pod, "restartPolicy", s->restart.name == SPEC_RESTART_ON_FAILURE ? "OnFailure" : "Never");
  if (s->stop_grace_period_set) {
    j_int(c, pod, "terminationGracePeriodSeconds", (s->stop_grace_period_ns + NS_PER_SECOND - 1) / NS_PER_SECOND);
  }
  if (job || s->has_credspec) {
    cJSON *win = j_obj(c, j_obj(c, pod, "securityContext"), "windowsOptions");
    if (s->has_credspec) j_str(c, win, "gmsaCredentialSpecName", spec_name);
    if (job) {
      /* At pod level, so that every container of the pod is HostProcess (Kubernetes' rule). */
      j_bool(c, win, "hostProcess", true);
      j_str(c, win, "runAsUserName", hp_user);
    }
  }
  cJSON *ctr = j_obj(c, j_arr(c, pod, "containers"), NULL);
  j_str(c, ctr, "name", s->name);
  j_str(c, ctr, "image", image);
  command_list(c, ctr, "command", &s->entrypoint);
  command_list(c, ctr, "args", &s->command);
  if (s->working_dir != NULL) j_str(c, ctr, "workingDir", s->working_dir);
  if (s->environment_count > 0) {
    cJSON *env = j_arr(c, ctr, "env");
    for (size_t i = 0; i < s->environment_count && !c->oom; i++) {
      const char *kv = s->environment[i];
      const char *eq = strchr(kv, '=');
      size_t n = eq != NULL ? (size_t)(eq - kv) : strlen(kv);
      char name[256];
      snprintf(name, sizeof name, "%.*s", (int)n, kv);
      cJSON *ev = j_obj(c, env, NULL);
      j_str(c, ev, "name", name);
      j_escaped(c, ev, "value", eq != NULL ? eq + 1 : "");
    }
  }
  if (port_count > 0) {
    cJSON *cp = j_arr(c, ctr, "ports");
    for (size_t i = 0; i < port_count && !c->oom; i++) {
      bool seen = false;
      for (size_t k = 0; k < i && !seen; k++) seen = ports[k].port == ports[i].port && ports[k].udp == ports[i].udp;
      if (seen) continue;
      cJSON *po = j_obj(c, cp, NULL);
      j_int(c, po, "containerPort", ports[i].port);
      j_str(c, po, "protocol", proto_name(ports[i].udp));
    }
  }
  liveness_probe(c, s, ctr);
  err = resources(c, s, ctr);
  if (err != WCTR_OK) goto done;
  if (!job) {
    j_str(c, j_obj(c, j_obj(c, ctr, "securityContext"), "windowsOptions"), "runAsUserName",
          s->user != NULL ? s->user : KUBE_DEFAULT_USER);
  }
  if (s->secret_count > 0 || s->config_count > 0) {
    if (s->secret_count > 0 && !c->opt->plain_text_secrets) {
      err = wctr_fail(c->e, WCTR_EACCES,
                      "services.%s.secrets: a Kubernetes Secret holds the value in base64 (no encryption), in the "
                      "output and in the cluster; give --plain-text-secrets to write the values",
                      s->name);
      goto done;
    }
    cJSON *mounts = j_arr(c, ctr, "volumeMounts");
    cJSON *volumes = j_arr(c, pod, "volumes");
    if (s->secret_count > 0) err = data_volume(c, s, true, volumes, mounts);
    if (err == WCTR_OK && s->config_count > 0) err = data_volume(c, s, false, volumes, mounts);
    if (err != WCTR_OK) goto done;
  }
  if (c->oom) err = oom(c->e);
done:
  spec_free(&spec);
  return err;
}

/* ---- the project ---- */

const char *kube_service_type_name(kube_service_type t) {
  switch (t) {
    case KUBE_SERVICE_NODE_PORT: return "NodePort";
    case KUBE_SERVICE_LOAD_BALANCER: return "LoadBalancer";
    case KUBE_SERVICE_CLUSTER_IP: break;
  }
  return "ClusterIP";
}

bool kube_service_type_parse(const char *text, kube_service_type *out) {
  static const kube_service_type all[] = {KUBE_SERVICE_CLUSTER_IP, KUBE_SERVICE_NODE_PORT, KUBE_SERVICE_LOAD_BALANCER};
  for (size_t i = 0; text != NULL && i < sizeof all / sizeof all[0]; i++) {
    if (strcmp(text, kube_service_type_name(all[i])) == 0) {
      *out = all[i];
      return true;
    }
  }
  return false;
}

static void conv_free(conv *c) {
  for (int g = 0; g < G_COUNT; g++) {
    for (size_t i = 0; i < c->groups[g].count; i++) object_free(&c->groups[g].items[i]);
    free(c->groups[g].items);
  }
  for (size_t i = 0; i < c->done_count; i++) {
    free(c->done_names[i]);
    free(c->done_objects[i]);
  }
  free(c->done_names);
  free(c->done_objects);
  free(c->prefix);
}

/* Moves every group's objects into out, in order. */
static wctr_err collect(conv *c, kube_output *out) {
  size_t total = 0;
  for (int g = 0; g < G_COUNT; g++) total += c->groups[g].count;
  out->objects = calloc(total + 1, sizeof *out->objects);
  if (out->objects == NULL) return oom(c->e);
  for (int g = 0; g < G_COUNT; g++) {
    for (size_t i = 0; i < c->groups[g].count; i++) out->objects[out->count++] = c->groups[g].items[i];
    c->groups[g].count = 0;
  }
  return WCTR_OK;
}

static wctr_err conv_init(conv *c, const compose_project *p, const kube_options *opt, const kube_host *host,
                          wctr_errmsg *e) {
  memset(c, 0, sizeof *c);
  c->p = p;
  c->opt = opt;
  c->host = host;
  c->e = e;
  c->ns = opt->namespace_name != NULL ? opt->namespace_name : "default";
  if (!kube_dns1123_label(c->ns)) {
    return wctr_fail(e, WCTR_EINVAL, "namespace %s is not a Kubernetes namespace name (DNS-1123 label)", Q(c->ns));
  }
  if (p->name == NULL || p->name[0] == '\0' || !kube_label_value(p->name)) {
    return wctr_fail(e, WCTR_EINVAL,
                     "project name %s cannot be the label app.kubernetes.io/part-of (at most 63 letters, "
                     "digits, '-', '_', '.', a letter or digit at both ends)",
                     Q(p->name != NULL ? p->name : ""));
  }
  c->prefix = kube_lower_name(p->name);
  if (c->prefix == NULL) return oom(e);
  return WCTR_OK;
}

wctr_err kube_convert(const compose_project *p, const kube_options *opt, const kube_host *host, kube_output *out,
                      wctr_errmsg *e) {
  if (out != NULL) memset(out, 0, sizeof *out);
  if (p == NULL || opt == NULL || host == NULL || out == NULL) return wctr_fail(e, WCTR_EINVAL, "kube_convert: NULL argument");
  conv c;
  wctr_errmsg_clear(e);
  wctr_err err = conv_init(&c, p, opt, host, e);
  for (size_t i = 0; err == WCTR_OK && i < p->service_count; i++) {
    /* ports (published) and expose (host port 0) both become the container's ports and the Service's: kompose's
     * rule; the host port only names a LoadBalancer's front port. */
    const compose_service *s = &p->services[i];
    size_t count = s->port_count + s->expose_count;
    kube_port *ports = count > 0 ? calloc(count, sizeof *ports) : NULL;
    if (count > 0 && ports == NULL) {
      err = oom(e);
      break;
    }
    for (size_t k = 0; k < s->port_count; k++) {
      ports[k] = (kube_port){.port = s->ports[k].port, .host_port = s->ports[k].host_port,
                             .udp = s->ports[k].proto == SPEC_PROTO_UDP};
    }
    for (size_t k = 0; k < s->expose_count; k++) {
      ports[s->port_count + k] = (kube_port){.port = s->expose[k].port, .udp = s->expose[k].proto == SPEC_PROTO_UDP};
    }
    err = convert_service(&c, s, ports, count);
    free(ports);
  }
  if (err == WCTR_OK && c.oom) err = oom(e);
  if (err == WCTR_OK) err = collect(&c, out);
  conv_free(&c);
  if (err != WCTR_OK) kube_output_free(out);
  return err;
}

wctr_err kube_service_object(const char *project, const char *service, const char *ns, kube_service_type type,
                             const kube_port *ports, size_t count, kube_object *out, wctr_errmsg *e) {
  memset(out, 0, sizeof *out);
  compose_project p;
  memset(&p, 0, sizeof p);
  p.name = (char *)project;
  kube_options opt = {.namespace_name = ns, .service_type = type};
  kube_host host = {0};
  conv c;
  wctr_errmsg_clear(e);
  wctr_err err = conv_init(&c, &p, &opt, &host, e);
  if (err == WCTR_OK && !kube_dns1035_label(service)) {
    err = wctr_fail(e, WCTR_EINVAL, "services.%s: not a Kubernetes Service name", service);
  }
  if (err == WCTR_OK) err = service_object(&c, service, ports, count);
  if (err == WCTR_OK && c.groups[G_SERVICES].count == 1) {
    *out = c.groups[G_SERVICES].items[0];
    c.groups[G_SERVICES].count = 0;
  }
  conv_free(&c);
  return err;
}

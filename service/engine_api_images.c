/* service/engine_api_images.c - /images (service/engine_api.h, engine_api_internal.h): each endpoint mapped to the
 * image operation `wctr` uses over the pipe (service/image_ops.h), with its validation and audit; what is
 * Docker's here is the wire: query parameters, X-Registry-Auth, JSON message streams, tar bodies. Portable. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/base64.h"
#include "common/json.h"
#include "service/engine_api_internal.h"

static const char *str_of(const cJSON *obj, const char *key, const char *def) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
  return cJSON_IsString(v) ? v->valuestring : def;
}

static cJSON *name_params(const char *name) {
  cJSON *p = cJSON_CreateObject();
  if (p != NULL) cJSON_AddStringToObject(p, "Name", name);
  return p;
}

static char *dup_text(const char *s) {
  size_t n = strlen(s) + 1;
  char *c = malloc(n);
  if (c != NULL) memcpy(c, s, n);
  return c;
}

/* --- JSON message streams (pull, load) ------------------------------------------------------------------------------- */

/* One of Docker's JSON messages, a line of the streamed answer (begun at the first). msg taken. */
static wctr_err write_message(api_req *r, cJSON *msg) {
  if (msg == NULL) return WCTR_ENOMEM;
  if (!api_streaming(r)) (void)api_begin(r, 200, API_JSON);
  char *text = wctr_json_print(msg);
  cJSON_Delete(msg);
  if (text == NULL) return WCTR_ENOMEM;
  size_t n = strlen(text);
  char *line = realloc(text, n + 2);
  if (line == NULL) {
    cJSON_free(text);
    return WCTR_ENOMEM;
  }
  line[n] = '\n';
  wctr_err err = api_write(r, line, n + 1);
  free(line);
  return err;
}

static cJSON *status_message(const char *status) {
  cJSON *m = cJSON_CreateObject();
  if (m != NULL) cJSON_AddStringToObject(m, "status", status);
  return m;
}

/* An operation's end on a JSON message stream: before the stream began, an HTTP error as dockerd answers (its
 * status, {"message"}); after, Docker's error message in the stream ({"errorDetail":{"message"},"error"}), which
 * the docker CLI and docker-py raise. */
static void end_messages(api_req *r, wctr_err err, const char *message) {
  if (err == WCTR_OK) {
    if (!api_streaming(r)) (void)api_begin(r, 200, API_JSON);
    api_end(r);
    return;
  }
  if (!api_streaming(r)) {
    api_reply_failure(r, err, message);
    return;
  }
  const char *m = message != NULL && message[0] != '\0' ? message : wctr_strerror(err);
  cJSON *msg = cJSON_CreateObject();
  if (msg != NULL) {
    cJSON *d = cJSON_AddObjectToObject(msg, "errorDetail");
    if (d != NULL) cJSON_AddStringToObject(d, "message", m);
    cJSON_AddStringToObject(msg, "error", m);
  }
  (void)write_message(r, msg);
  api_end(r);
}

/* --- POST /images/create: pull --------------------------------------------------------------------------------------- */

/* image.pull's "progress" frames are Docker's words already ({"id","status","progressDetail"}): the same message on
 * the wire, without an empty id. */
static wctr_err pull_frame(api_req *r, const char *kind, cJSON *data) {
  if (strcmp(kind, "progress") != 0) {
    cJSON_Delete(data);
    return WCTR_OK;
  }
  cJSON *m = cJSON_CreateObject();
  if (m == NULL) {
    cJSON_Delete(data);
    return WCTR_ENOMEM;
  }
  cJSON_AddStringToObject(m, "status", str_of(data, "status", ""));
  cJSON *detail = cJSON_DetachItemFromObjectCaseSensitive(data, "progressDetail");
  cJSON_AddItemToObject(m, "progressDetail", cJSON_IsObject(detail) ? detail : cJSON_CreateObject());
  if (detail != NULL && !cJSON_IsObject(detail)) cJSON_Delete(detail);
  const char *id = str_of(data, "id", "");
  if (id[0] != '\0') cJSON_AddStringToObject(m, "id", id);
  cJSON_Delete(data);
  return write_message(r, m);
}

static void pulled(api_req *r, wctr_err err, cJSON *result, const char *message) {
  if (err == WCTR_OK) {
    char line[400];
    snprintf(line, sizeof line, "Digest: %s", str_of(result, "Digest", ""));
    if (write_message(r, status_message(line)) == WCTR_OK) {
      snprintf(line, sizeof line, "Status: %s", str_of(result, "Status", ""));
      (void)write_message(r, status_message(line));
    }
  }
  end_messages(r, err, message);
}

/* Does the reference text name a tag or a digest (a ':' after its last '/', or an '@')? */
static bool names_version(const char *ref) {
  const char *slash = strrchr(ref, '/');
  return strchr(ref, '@') != NULL || strchr(slash != NULL ? slash : ref, ':') != NULL;
}

/* X-Registry-Auth: base64url (padded or not, or the standard alphabet) of Docker's AuthConfig JSON. The username and
 * password become image.pull's Auth; nothing of it is logged or quoted back (the messages name the header and the
 * field only). False: answered 400. */
static bool registry_auth(api_req *r, cJSON *params) {
  const char *h = svc_http_header_get(r->hr, "x-registry-auth");
  if (h == NULL || h[0] == '\0') return true;
  size_t n = strlen(h);
  char *text = malloc(n + 4);
  if (text == NULL) {
    api_reply_error(r, 500, "out of memory");
    return false;
  }
  for (size_t i = 0; i < n; i++) text[i] = h[i] == '-' ? '+' : h[i] == '_' ? '/' : h[i];
  while (n % 4 != 0) text[n++] = '=';
  uint8_t *raw = NULL;
  size_t raw_len = 0;
  wctr_errmsg e;
  bool ok = wctr_base64_decode(text, n, &raw, &raw_len, "X-Registry-Auth", &e) == WCTR_OK;
  wctr_secure_zero(text, n);
  free(text);
  cJSON *auth = ok ? cJSON_ParseWithLength((const char *)raw, raw_len) : NULL;
  if (raw != NULL) {
    wctr_secure_zero(raw, raw_len);
    free(raw);
  }
  if (!cJSON_IsObject(auth)) {
    cJSON_Delete(auth);
    api_refuse(r, 400, WCTR_EINVAL, "image.pull", "X-Registry-Auth is not base64 of a JSON object (Docker's AuthConfig)");
    return false;
  }
  const char *user = str_of(auth, "username", "");
  const char *password = str_of(auth, "password", "");
  const char *identity = str_of(auth, "identitytoken", "");
  const char *registry_token = str_of(auth, "registrytoken", "");
  bool refused = false;
  if ((identity[0] != '\0' || registry_token[0] != '\0') && user[0] == '\0') {
    refused = true;
    api_refuse(r, 400, WCTR_ENOTSUP, "image.pull",
               "X-Registry-Auth: an identity or registry token is not supported; log in with a username and password");
  } else if (user[0] != '\0') {
    cJSON *a = cJSON_AddObjectToObject(params, "Auth");
    if (a != NULL) {
      cJSON_AddStringToObject(a, "Username", user);
      cJSON_AddStringToObject(a, "Password", password);
    }
  }
  /* The parsed tree held the password: its strings are wiped before they are freed. */
  cJSON *item;
  cJSON_ArrayForEach(item, auth) {
    if (cJSON_IsString(item)) wctr_secure_zero(item->valuestring, strlen(item->valuestring));
  }
  cJSON_Delete(auth);
  return !refused;
}

static void wipe_auth(cJSON *params) {
  cJSON *a = cJSON_GetObjectItemCaseSensitive(params, "Auth");
  const char *p = str_of(a, "Password", NULL);
  if (p != NULL) wctr_secure_zero((char *)p, strlen(p));
}

void api_image_create(api_req *r) {
  char *src = api_query(r, "fromSrc");
  char *image = api_query(r, "fromImage");
  char *tag = api_query(r, "tag");
  char *platform = api_query(r, "platform");
  cJSON *params = NULL;
  if (src != NULL && src[0] != '\0') {
    api_refuse(r, 501, WCTR_ENOTSUP, "image.import",
               "importing a file system as an image (docker import, fromSrc) is not implemented; load an image "
               "archive (docker load) or pull one");
    goto done;
  }
  if (image == NULL || image[0] == '\0') {
    api_refuse(r, 400, WCTR_EINVAL, "image.pull", "fromImage is required (the image to pull)");
    goto done;
  }
  /* wctrd pulls for its own platform (the manifest list's windows/amd64 entry for this host's build). */
  if (platform != NULL && platform[0] != '\0' && strcmp(platform, "windows") != 0 &&
      strcmp(platform, "windows/amd64") != 0) {
    api_refuse(r, 400, WCTR_EINVAL, "image.pull",
               "platform \"%.64s\": wctrd pulls images for windows/amd64 only (the host's platform)", platform);
    goto done;
  }
  bool has_tag = tag != NULL && tag[0] != '\0';
  if (!has_tag && !names_version(image)) {
    /* dockerd pulls every tag of the repository then (docker pull --all-tags). */
    api_refuse(r, 501, WCTR_ENOTSUP, "image.pull",
               "pulling every tag of a repository (docker pull --all-tags) is not implemented; name a tag");
    goto done;
  }
  size_t n = strlen(image) + (has_tag ? strlen(tag) : 0) + 2;
  char *ref = malloc(n);
  params = cJSON_CreateObject();
  if (ref == NULL || params == NULL) {
    free(ref);
    api_reply_error(r, 500, "out of memory");
    goto done;
  }
  if (has_tag) {
    snprintf(ref, n, "%s%c%s", image, strncmp(tag, "sha256:", 7) == 0 ? '@' : ':', tag);
  } else {
    snprintf(ref, n, "%s", image);
  }
  cJSON_AddStringToObject(params, "Name", ref);
  free(ref);
  if (!registry_auth(r, params)) goto done;
  r->on_frame = pull_frame;
  api_call(r, "image.pull", params, true, pulled);
  params = NULL; /* taken; the operation layer copied it, the copy is its to free */
done:
  wipe_auth(params);
  cJSON_Delete(params);
  free(src);
  free(image);
  free(tag);
  free(platform);
}

/* --- POST /auth: docker login ------------------------------------------------------------------------------------------ */

static void logged_in(api_req *r, wctr_err err, cJSON *result, const char *message) {
  if (err != WCTR_OK) {
    api_reply_failure(r, err, message);
    return;
  }
  cJSON *out = cJSON_CreateObject();
  cJSON_AddStringToObject(out, "IdentityToken", "");
  cJSON_AddStringToObject(out, "Status", str_of(result, "Status", "Login Succeeded"));
  api_reply_json(r, 200, out);
}

/* Docker's AuthConfig body to registry.login, which checks the credentials against the registry and keeps nothing:
 * the client stores them and sends them with each pull (X-Registry-Auth), as it does with dockerd. */
void api_auth(api_req *r) {
  cJSON *body = NULL;
  wctr_errmsg e;
  if (api_body_json(r, &body, &e) != WCTR_OK) {
    api_refuse(r, 400, WCTR_EINVAL, "registry.login", "%s", e.text);
    return;
  }
  const char *user = str_of(body, "username", "");
  const char *password = str_of(body, "password", "");
  const char *server = str_of(body, "serveraddress", "");
  /* "https://127.0.0.1:5000/v2/" -> "127.0.0.1:5000"; the CLI sends the Hub as "https://index.docker.io/v1/". */
  if (strncmp(server, "https://", 8) == 0) server += 8;
  else if (strncmp(server, "http://", 7) == 0) server += 7;
  char host[300];
  snprintf(host, sizeof host, "%.*s", (int)strcspn(server, "/"), server);
  if (strcmp(host, "index.docker.io") == 0) snprintf(host, sizeof host, "docker.io");
  cJSON *p = NULL;
  if (!cJSON_IsObject(body) || user[0] == '\0' || host[0] == '\0') {
    api_refuse(r, 400, WCTR_EINVAL, "registry.login", "the body must be Docker's AuthConfig with username, password and "
               "serveraddress (an identity token is not supported)");
  } else if ((p = cJSON_CreateObject()) == NULL) {
    api_reply_error(r, 500, "out of memory");
  } else {
    cJSON_AddStringToObject(p, "Server", host);
    cJSON_AddStringToObject(p, "Username", user);
    cJSON_AddStringToObject(p, "Password", password);
    api_call(r, "registry.login", p, false, logged_in);
  }
  if (password[0] != '\0') wctr_secure_zero((char *)password, strlen(password));
  cJSON_Delete(body);
}

/* --- POST /images/load ------------------------------------------------------------------------------------------------- */

/* image.load's lines are Docker's ("Loaded image: x:latest", "Loaded image ID: sha256:..."): dockerd sends them as
 * {"stream": line} whether quiet or not (quiet hides progress bars, which wctrd does not send). */
static wctr_err load_frame(api_req *r, const char *kind, cJSON *data) {
  const char *status = str_of(data, "status", NULL);
  wctr_err err = WCTR_OK;
  if (strcmp(kind, "progress") == 0 && status != NULL) {
    size_t n = strlen(status) + 2;
    char *line = malloc(n);
    cJSON *m = cJSON_CreateObject();
    if (line != NULL && m != NULL) {
      snprintf(line, n, "%s\n", status);
      cJSON_AddStringToObject(m, "stream", line);
      err = write_message(r, m);
      m = NULL;
    }
    cJSON_Delete(m);
    free(line);
  }
  cJSON_Delete(data);
  return err;
}

static void loaded(api_req *r, wctr_err err, cJSON *result, const char *message) {
  (void)result;
  end_messages(r, err, message);
}

void api_image_load(api_req *r) {
  bool quiet = false;
  if (!api_query_bool(r, "quiet", false, &quiet)) return;
  if (!r->hr->body_streamed && r->hr->body_len == 0) {
    api_refuse(r, 400, WCTR_EINVAL, "image.load", "the body must be an image archive (a tar file: docker save's output)");
    return;
  }
  /* The body streams (engine_api.c's stream_body): it reaches the operation's stdin as it arrives, its end the
   * stdin's end, and the connection stops reading while the operation has not taken what it was given. A body
   * read whole (only for a request the session would not stream: an upgrade) is queued as it is. */
  if (!r->hr->body_streamed && !api_queue_body(r)) {
    api_reply_error(r, 500, "out of memory");
    return;
  }
  r->on_frame = load_frame;
  api_call(r, "image.load", NULL, true, loaded);
}

/* --- GET /images/{name}/get, GET /images/get?names=... ------------------------------------------------------------------ */

static wctr_err save_output(api_req *r, svc_output_stream stream, const char *data, size_t len) {
  (void)stream;
  if (!api_streaming(r)) (void)api_begin(r, 200, "application/x-tar");
  return api_write(r, data, len);
}

static void saved(api_req *r, wctr_err err, cJSON *result, const char *message) {
  (void)result;
  if (err == WCTR_OK) {
    if (!api_streaming(r)) (void)api_begin(r, 200, "application/x-tar");
    api_end(r);
  } else if (!api_streaming(r)) {
    api_reply_failure(r, err, message);
  } else {
    /* Half an archive must not look whole: the connection is cut (the operation's failure is audited). */
    api_abort(r);
  }
}

static void save(api_req *r, cJSON *names) {
  cJSON *p = cJSON_CreateObject();
  if (p == NULL || names == NULL) {
    cJSON_Delete(p);
    cJSON_Delete(names);
    api_reply_error(r, 500, "out of memory");
    return;
  }
  cJSON_AddItemToObject(p, "Names", names);
  r->on_output = save_output;
  api_call(r, "image.save", p, true, saved);
}

void api_image_get(api_req *r) {
  cJSON *names = cJSON_CreateArray();
  if (names != NULL) cJSON_AddItemToArray(names, cJSON_CreateString(r->id));
  save(r, names);
}

void api_images_get(api_req *r) {
  cJSON *names = cJSON_CreateArray();
  /* names=a&names=b: every occurrence (svc_http_query gives the first only). */
  const char *q = r->hr->query;
  while (names != NULL && *q != '\0') {
    const char *end = strchr(q, '&');
    size_t n = end != NULL ? (size_t)(end - q) : strlen(q);
    const char *eq = memchr(q, '=', n);
    if (eq != NULL && (size_t)(eq - q) == 5 && strncmp(q, "names", 5) == 0) {
      char *v = svc_http_decode(eq + 1, n - 6, true); /* checked to decode before the route ran */
      if (v != NULL && v[0] != '\0') cJSON_AddItemToArray(names, cJSON_CreateString(v));
      free(v);
    }
    q += n;
    if (*q == '&') q++;
  }
  if (names != NULL && names->child == NULL) {
    cJSON_Delete(names);
    api_refuse(r, 400, WCTR_EINVAL, "image.save", "names is required: the images to save (names=x:latest&names=y)");
    return;
  }
  save(r, names);
}

/* --- GET /images/{name}/history ----------------------------------------------------------------------------------------- */

static void history_done(api_req *r, wctr_err err, cJSON *result, const char *message) {
  if (err != WCTR_OK) {
    api_reply_failure(r, err, message);
    return;
  }
  cJSON *out = cJSON_CreateArray();
  const cJSON *row;
  cJSON_ArrayForEach(row, result) {
    /* Docker's HistoryResponseItem: Created in Unix seconds, Tags null when none. */
    cJSON *o = cJSON_CreateObject();
    if (o == NULL) continue;
    int64_t s = 0, ns = 0;
    const cJSON *size = cJSON_GetObjectItemCaseSensitive(row, "Size");
    const cJSON *tags = cJSON_GetObjectItemCaseSensitive(row, "Tags");
    cJSON_AddStringToObject(o, "Comment", str_of(row, "Comment", ""));
    cJSON_AddNumberToObject(o, "Created", api_parse_time(str_of(row, "Created", ""), &s, &ns) ? (double)s : 0);
    cJSON_AddStringToObject(o, "CreatedBy", str_of(row, "CreatedBy", ""));
    cJSON_AddStringToObject(o, "Id", str_of(row, "Id", "<missing>"));
    cJSON_AddNumberToObject(o, "Size", cJSON_IsNumber(size) ? size->valuedouble : 0);
    cJSON_AddItemToObject(o, "Tags", cJSON_IsArray(tags) && tags->child != NULL ? cJSON_Duplicate(tags, true)
                                                                                  : cJSON_CreateNull());
    cJSON_AddItemToArray(out, o);
  }
  api_reply_json(r, 200, out);
}

void api_image_history(api_req *r) { api_call(r, "image.history", name_params(r->id), false, history_done); }

/* --- POST /images/{name}/tag ------------------------------------------------------------------------------------------------ */

static void tagged(api_req *r, wctr_err err, cJSON *result, const char *message) {
  (void)result;
  if (err != WCTR_OK) {
    api_reply_failure(r, err, message);
    return;
  }
  api_reply_json(r, 201, NULL);
}

void api_image_tag(api_req *r) {
  char *repo = api_query(r, "repo");
  char *tag = api_query(r, "tag");
  if (repo == NULL || repo[0] == '\0') {
    api_refuse(r, 400, WCTR_EINVAL, "image.tag", "repo is required (the repository of the new name)");
  } else {
    size_t n = strlen(repo) + (tag != NULL ? strlen(tag) : 0) + 2;
    char *target = malloc(n);
    cJSON *p = name_params(r->id);
    if (target == NULL || p == NULL) {
      free(target);
      cJSON_Delete(p);
      api_reply_error(r, 500, "out of memory");
    } else {
      /* image.tag's Target takes "latest" when it has no tag, as dockerd does for an empty tag. */
      snprintf(target, n, "%s%s%s", repo, tag != NULL && tag[0] != '\0' ? ":" : "", tag != NULL ? tag : "");
      cJSON_DeleteItemFromObjectCaseSensitive(p, "Name");
      cJSON_AddStringToObject(p, "Source", r->id);
      cJSON_AddStringToObject(p, "Target", target);
      free(target);
      api_call(r, "image.tag", p, false, tagged);
    }
  }
  free(repo);
  free(tag);
}

/* --- POST /images/prune ------------------------------------------------------------------------------------------------------ */

static void pruned(api_req *r, wctr_err err, cJSON *result, const char *message) {
  if (err != WCTR_OK) {
    api_reply_failure(r, err, message);
    return;
  }
  cJSON *out = cJSON_CreateObject();
  cJSON *deleted = cJSON_DetachItemFromObjectCaseSensitive(result, "ImagesDeleted");
  const cJSON *space = cJSON_GetObjectItemCaseSensitive(result, "SpaceReclaimed");
  /* dockerd: null when nothing was deleted */
  cJSON_AddItemToObject(out, "ImagesDeleted",
                        cJSON_IsArray(deleted) && deleted->child != NULL ? deleted : cJSON_CreateNull());
  if (cJSON_IsArray(deleted) && deleted->child == NULL) cJSON_Delete(deleted);
  if (deleted != NULL && !cJSON_IsArray(deleted)) cJSON_Delete(deleted);
  cJSON_AddNumberToObject(out, "SpaceReclaimed", cJSON_IsNumber(space) ? space->valuedouble : 0);
  api_reply_json(r, 200, out);
}

void api_images_prune(api_req *r) {
  static const char *const allowed[] = {"dangling", NULL};
  cJSON *filters = NULL;
  if (!api_query_filters(r, &filters)) return;
  const cJSON *f = cJSON_GetObjectItemCaseSensitive(filters, "until");
  if (f == NULL) f = cJSON_GetObjectItemCaseSensitive(filters, "label");
  if (f == NULL) f = cJSON_GetObjectItemCaseSensitive(filters, "label!");
  if (f != NULL) {
    /* The store records when an image was added, not labels a prune could test; a filter that cannot be decided
     * is refused rather than ignored (ignoring it would delete more than asked). */
    api_refuse(r, 400, WCTR_ENOTSUP, "image.prune",
               "invalid filter '%s': wctrd prunes images by dangling only (until and label are not implemented)",
               f->string);
    cJSON_Delete(filters);
    return;
  }
  if (filters != NULL && !api_filters_check(r, filters, allowed, "POST /images/prune")) {
    cJSON_Delete(filters);
    return;
  }
  /* dangling=true (the default): untagged images only; dangling=false: every image no container uses (prune -a). */
  bool all = false;
  const cJSON *d = cJSON_GetObjectItemCaseSensitive(filters, "dangling");
  const cJSON *v;
  bool bad = false;
  cJSON_ArrayForEach(v, d) {
    if (strcmp(v->valuestring, "false") == 0 || strcmp(v->valuestring, "0") == 0) {
      all = true;
    } else if (strcmp(v->valuestring, "true") != 0 && strcmp(v->valuestring, "1") != 0) {
      bad = true;
    }
  }
  if (bad) {
    api_refuse(r, 400, WCTR_EINVAL, "image.prune", "invalid filter 'dangling': the value must be true or false");
    cJSON_Delete(filters);
    return;
  }
  cJSON_Delete(filters);
  cJSON *p = cJSON_CreateObject();
  if (p != NULL) cJSON_AddBoolToObject(p, "All", all);
  api_call(r, "image.prune", p, false, pruned);
}

/* --- GET /images/json ------------------------------------------------------------------------------------------------------- */

typedef struct images_state {
  cJSON *filters;
} images_state;

static void images_state_free(void *p) {
  images_state *s = p;
  if (s == NULL) return;
  cJSON_Delete(s->filters);
  free(s);
}

/* Docker's reference filter: a name given in full or without its tag (a store image: any of its RepoTags). */
static bool name_matches(const char *name, const cJSON *refs) {
  const cJSON *v;
  cJSON_ArrayForEach(v, refs) {
    size_t n = strlen(v->valuestring);
    if (strcmp(name, v->valuestring) == 0 || (strncmp(name, v->valuestring, n) == 0 && name[n] == ':')) return true;
  }
  return false;
}

static bool image_matches(const cJSON *img, const cJSON *filters) {
  const cJSON *refs = cJSON_GetObjectItemCaseSensitive(filters, "reference");
  if (!cJSON_IsArray(refs) || refs->child == NULL) return true;
  const cJSON *tags = cJSON_GetObjectItemCaseSensitive(img, "RepoTags");
  const cJSON *t;
  cJSON_ArrayForEach(t, tags) {
    if (cJSON_IsString(t) && name_matches(t->valuestring, refs)) return true;
  }
  return !cJSON_IsArray(tags) && name_matches(str_of(img, "Name", ""), refs);
}

static void images_done(api_req *r, wctr_err err, cJSON *result, const char *message) {
  images_state *s = r->state;
  if (err != WCTR_OK) {
    api_reply_failure(r, err, message);
    return;
  }
  cJSON *out = cJSON_CreateArray();
  const cJSON *img;
  cJSON_ArrayForEach(img, result) {
    if (!image_matches(img, s->filters)) continue;
    cJSON *sum = api_shape_image_summary(img);
    if (sum != NULL) cJSON_AddItemToArray(out, sum);
  }
  api_reply_json(r, 200, out);
}

void api_images_list(api_req *r) {
  static const char *const allowed[] = {"reference", NULL};
  images_state *s = calloc(1, sizeof *s);
  if (s == NULL) {
    api_reply_error(r, 500, "out of memory");
    return;
  }
  r->state = s;
  r->state_free = images_state_free;
  bool all = false;
  if (!api_query_bool(r, "all", false, &all)) return;
  if (!api_query_filters(r, &s->filters)) return;
  if (s->filters != NULL && !api_filters_check(r, s->filters, allowed, "/images/json")) return;
  cJSON *p = cJSON_CreateObject();
  if (p != NULL) cJSON_AddBoolToObject(p, "All", all);
  api_call(r, "image.list", p, false, images_done);
}

/* --- GET /images/{name}/json, DELETE /images/{name} ------------------------------------------------------------------------- */

/* "sha256:<hex>" or at least 4 hex digits: a reference that may be an image id rather than a name. */
static bool id_like(const char *ref) {
  if (strncmp(ref, "sha256:", 7) == 0) ref += 7;
  size_t n = 0;
  for (; ref[n] != '\0'; n++) {
    if (!((ref[n] >= '0' && ref[n] <= '9') || (ref[n] >= 'a' && ref[n] <= 'f'))) return false;
  }
  return n >= 4 && n <= 64;
}

/* The catalog's image (an `image add` record) whose id (api_shape_image_id) starts with ref; NULL when none or
 * several. The store finds its own images by id. */
static const cJSON *catalog_image_by_id(const cJSON *list, const char *ref) {
  const char *hex = strncmp(ref, "sha256:", 7) == 0 ? ref + 7 : ref;
  const cJSON *found = NULL;
  int matches = 0;
  const cJSON *img;
  cJSON_ArrayForEach(img, list) {
    if (strncmp(str_of(img, "Id", ""), "sha256:", 7) == 0) continue;
    char id[80];
    api_shape_image_id(img, id);
    if (strncmp(id + 7, hex, strlen(hex)) == 0) {
      found = img;
      matches++;
    }
  }
  return matches == 1 ? found : NULL;
}

typedef struct image_state {
  bool force;
  char *missing; /* the operation's "No such image" message, when a lookup by name failed */
} image_state;

static void image_state_free(void *p) {
  image_state *s = p;
  if (s == NULL) return;
  free(s->missing);
  free(s);
}

static image_state *image_state_new(api_req *r) {
  image_state *s = calloc(1, sizeof *s);
  if (s == NULL) {
    api_reply_error(r, 500, "out of memory");
    return NULL;
  }
  r->state = s;
  r->state_free = image_state_free;
  return s;
}

static void keep_missing(image_state *s, const char *message) {
  if (message != NULL) s->missing = dup_text(message);
}

static void image_inspect_listed(api_req *r, wctr_err err, cJSON *result, const char *message) {
  image_state *s = r->state;
  const cJSON *img = err == WCTR_OK ? catalog_image_by_id(result, r->id) : NULL;
  if (img == NULL) {
    api_reply_failure(r, err != WCTR_OK ? err : WCTR_ENOENT, err != WCTR_OK ? message : s->missing);
    return;
  }
  api_reply_json(r, 200, api_shape_image_inspect(img));
}

static void image_inspect_done(api_req *r, wctr_err err, cJSON *result, const char *message) {
  image_state *s = r->state;
  if (err == WCTR_ENOENT && id_like(r->id)) {
    /* Docker's clients also name images by id (docker-py's images.list inspects each by its Id); the catalog's ids
     * are the front-end's (api_shape_image_id). */
    keep_missing(s, message);
    api_call(r, "image.list", NULL, false, image_inspect_listed);
    return;
  }
  if (err != WCTR_OK) {
    api_reply_failure(r, err, message);
    return;
  }
  api_reply_json(r, 200, api_shape_image_inspect(result));
}

void api_image_inspect(api_req *r) {
  if (image_state_new(r) == NULL) return;
  api_call(r, "image.inspect", name_params(r->id), false, image_inspect_done);
}

static cJSON *remove_params(const char *name, bool force) {
  cJSON *p = name_params(name);
  if (p != NULL) cJSON_AddBoolToObject(p, "Force", force);
  return p;
}

static void image_removed(api_req *r, wctr_err err, cJSON *result, const char *message) {
  if (err != WCTR_OK) {
    api_reply_failure(r, err, message);
    return;
  }
  /* image.remove's report is Docker's: [{"Untagged"},{"Deleted"}] */
  cJSON *out = cJSON_IsArray(result) ? cJSON_Duplicate(result, true) : cJSON_CreateArray();
  api_reply_json(r, 200, out);
}

static void image_delete_listed(api_req *r, wctr_err err, cJSON *result, const char *message) {
  image_state *s = r->state;
  const cJSON *img = err == WCTR_OK ? catalog_image_by_id(result, r->id) : NULL;
  if (img == NULL) {
    api_reply_failure(r, err != WCTR_OK ? err : WCTR_ENOENT, err != WCTR_OK ? message : s->missing);
    return;
  }
  api_call(r, "image.remove", remove_params(str_of(img, "Name", ""), s->force), false, image_removed);
}

static void image_delete_tried(api_req *r, wctr_err err, cJSON *result, const char *message) {
  image_state *s = r->state;
  if (err == WCTR_ENOENT && id_like(r->id)) {
    keep_missing(s, message);
    api_call(r, "image.list", NULL, false, image_delete_listed);
    return;
  }
  image_removed(r, err, result, message);
}

void api_image_delete(api_req *r) {
  bool force = false, noprune = false;
  /* noprune keeps untagged parent images: wctr's store has no parent images (every image is pulled or loaded whole),
   * so there is nothing for it to keep. */
  if (!api_query_bool(r, "force", false, &force) || !api_query_bool(r, "noprune", false, &noprune)) return;
  image_state *s = image_state_new(r);
  if (s == NULL) return;
  s->force = force;
  api_call(r, "image.remove", remove_params(r->id, force), false, image_delete_tried);
}

/* cli/compose_convert.c - `wctr compose convert --format kubernetes` (cli/compose_cmd.h): the kube module's
 * generator (kube/kube.h), with what only the host knows asked of wctrd when it can be reached. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli/cli_internal.h"
#include "cli/compose_cmd.h"
#include "common/base64.h"
#include "gmsa/gmsa_util.h"
#include "kube/kube.h"

typedef struct convert_host {
  cli_ctx *ctx;
  bool tried;     /* a connection was attempted */
  bool reachable; /* and it worked */
  wctr_errmsg why; /* why not */
  bool warned;    /* the unreachable note was printed */
} convert_host;

/* Connects once, quietly: wctrd is optional for convert. */
static bool reach(convert_host *h) {
  cli_ctx *ctx = h->ctx;
  if (ctx->conn != NULL) return true;
  if (h->tried) return h->reachable;
  h->tried = true;
  wctr_errmsg_clear(&h->why);
  h->reachable = ctx->p->connect != NULL &&
                 ctx->p->connect(ctx->p->ctx, ctx->pipe_path, &ctx->conn, &h->why) == WCTR_OK;
  if (!h->reachable && h->why.text[0] == '\0') wctr_fail(&h->why, WCTR_ENOENT, "no connection to wctrd");
  return h->reachable;
}

static wctr_err call(convert_host *h, const char *op, const char *name, cJSON **result, wctr_errmsg *e) {
  *result = NULL;
  if (!reach(h)) return wctr_fail(e, WCTR_ENOENT, "wctrd cannot be reached (%s)", h->why.text);
  cJSON *params = cJSON_CreateObject();
  if (params == NULL || cJSON_AddStringToObject(params, "Name", name) == NULL) {
    cJSON_Delete(params);
    return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  }
  wctr_errmsg_clear(e);
  wctr_err err = h->ctx->p->call(h->ctx->conn, op, params, result, e);
  if (err != WCTR_OK && e->text[0] == '\0') wctr_fail(e, err, "%s", wctr_strerror(err));
  return err;
}

static wctr_err image_os_version(void *arg, const char *image, char *buf, size_t size, wctr_errmsg *e) {
  convert_host *h = arg;
  cJSON *result = NULL;
  wctr_errmsg ce;
  wctr_err err = call(h, "image.inspect", image, &result, &ce);
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(result, "OsVersion");
  if (err == WCTR_OK && cJSON_IsString(v) && strlen(v->valuestring) < size) {
    snprintf(buf, size, "%s", v->valuestring);
    cJSON_Delete(result);
    return WCTR_OK;
  }
  cJSON_Delete(result);
  /* Not knowing the image only loses the build label: say so and go on. */
  if (!h->reachable) {
    if (!h->warned) {
      fprintf(h->ctx->p->err,
              "WARNING: wctrd cannot be reached (%s): node.kubernetes.io/windows-build is left out (images' OS "
              "versions are unknown)\n",
              h->why.text);
    }
    h->warned = true;
  } else {
    fprintf(h->ctx->p->err,
            "WARNING: image %s: %s: node.kubernetes.io/windows-build is left out for it\n", image,
            err == WCTR_OK ? "wctrd gave no OS version" : ce.text);
  }
  return wctr_fail(e, WCTR_ENOENT, "the OS version of %s is not known", image);
}

static wctr_err credspec(void *arg, const char *value, char **json, wctr_errmsg *e) {
  convert_host *h = arg;
  *json = NULL;
  if (strncmp(value, "file://", 7) != 0) return wctr_fail(e, WCTR_ENOTSUP, "only file:// specs are in wctrd's store");
  cJSON *result = NULL;
  wctr_err err = call(h, "credentialspec.inspect", value + 7, &result, e);
  if (err != WCTR_OK) {
    gmsa_json_secure_delete(result);
    return err;
  }
  const cJSON *spec = cJSON_GetObjectItemCaseSensitive(result, "Spec");
  if (!cJSON_IsObject(spec)) {
    gmsa_json_secure_delete(result);
    return wctr_fail(e, WCTR_EPROTO, "wctrd's answer has no \"Spec\"");
  }
  *json = cJSON_PrintUnformatted(spec);
  gmsa_json_secure_delete(result);
  if (*json == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  return WCTR_OK;
}

static wctr_err secret_value(void *arg, const char *name, uint8_t **value, size_t *len, wctr_errmsg *e) {
  convert_host *h = arg;
  *value = NULL;
  *len = 0;
  cJSON *result = NULL;
  wctr_err err = call(h, "secret.read", name, &result, e);
  const cJSON *data = cJSON_GetObjectItemCaseSensitive(result, "Data");
  if (err == WCTR_OK && !cJSON_IsString(data)) err = wctr_fail(e, WCTR_EPROTO, "wctrd's answer has no \"Data\"");
  if (err == WCTR_OK) err = wctr_base64_decode(data->valuestring, strlen(data->valuestring), value, len, "Data", e);
  gmsa_json_secure_delete(result);
  return err;
}

int cli_compose_convert(cli_ctx *ctx, const compose_project *p, const cli_compose_args *args, compose_read_fn read_file,
                        void *io) {
  convert_host h = {.ctx = ctx};
  kube_options opt = {.namespace_name = args->namespace_name,
                      .plain_text_secrets = args->plain_text_secrets,
                      .allow_plugin_input = args->allow_plugin_input,
                      .host_process_image = args->host_process_image};
  if (args->service_type != NULL) kube_service_type_parse(args->service_type, &opt.service_type);
  kube_host host = {.ctx = &h,
                    .image_os_version = image_os_version,
                    .credspec = credspec,
                    .secret_value = secret_value,
                    .read_file = read_file,
                    .read_ctx = io};
  kube_output out = {0};
  wctr_errmsg e;
  char *text = NULL;
  size_t len = 0;
  int rc = CLI_EXIT_ERROR;
  bool to_dir = args->output != NULL && strcmp(args->output, "-") != 0;
  if (to_dir && ctx->p->write_file == NULL) {
    fprintf(ctx->p->err, "wctr compose convert: files cannot be written here; use -o -\n");
    return CLI_EXIT_ERROR;
  }
  if (kube_convert(p, &opt, &host, &out, &e) != WCTR_OK) {
    fprintf(ctx->p->err, "wctr compose convert: %s\n", e.text);
    goto done;
  }
  if (!to_dir) {
    if (kube_yaml(out.objects, out.count, &text, &len, &e) != WCTR_OK) {
      fprintf(ctx->p->err, "wctr compose convert: %s\n", e.text);
      goto done;
    }
    cli_print_buf(ctx->p->out, text, len);
    fflush(ctx->p->out);
    rc = 0;
    goto done;
  }
  /* Every file is made before the first is written, so a failure leaves the folder as it was. */
  char **texts = calloc(out.count + 1, sizeof *texts);
  size_t *lens = calloc(out.count + 1, sizeof *lens);
  char **names = calloc(out.count + 1, sizeof *names);
  bool ok = texts != NULL && lens != NULL && names != NULL;
  if (!ok) wctr_fail(&e, WCTR_ENOMEM, "out of memory");
  for (size_t i = 0; ok && i < out.count; i++) {
    ok = kube_yaml_one(&out.objects[i], &texts[i], &lens[i], &e) == WCTR_OK;
    if (ok) {
      names[i] = kube_file_name(&out.objects[i], i);
      ok = names[i] != NULL;
      if (!ok) wctr_fail(&e, WCTR_ENOMEM, "out of memory");
    }
  }
  for (size_t i = 0; ok && i < out.count; i++) {
    ok = ctx->p->write_file(ctx->p->ctx, args->output, names[i], texts[i], lens[i], &e) == WCTR_OK;
    if (ok) fprintf(ctx->p->out, "%s\n", names[i]);
  }
  if (!ok) fprintf(ctx->p->err, "wctr compose convert: %s\n", e.text);
  for (size_t i = 0; i < out.count; i++) {
    if (texts != NULL) kube_text_free(texts[i], lens != NULL ? lens[i] : 0);
    if (names != NULL) free(names[i]);
  }
  free(texts);
  free(lens);
  free(names);
  rc = ok ? 0 : CLI_EXIT_ERROR;
done:
  kube_text_free(text, len);
  kube_output_free(&out);
  return rc;
}

/* cli/named.c - what the commands of wctr's named objects share (portable): the list, inspect, rm and prune
 * of volumes, networks, secrets and credential specs (cli/cli_internal.h, "named objects"). Each command
 * keeps its own flags and words; the loops over names, the requests, what is printed for each name and the
 * exit codes are here, once. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_internal.h"
#include "cli/format.h"

/* One name's request: {KEY: NAME}, with "Force": true when asked. */
static cJSON *name_params(const cli_named *kind, const char *name, bool force) {
  cJSON *params = cJSON_CreateObject();
  cJSON_AddStringToObject(params, kind->key, name);
  if (force) cJSON_AddBoolToObject(params, "Force", true);
  return params;
}

int cli_named_inspect(cli_ctx *ctx, const cli_named *kind, const char *format, int nargs, char **names) {
  cli_inspect in;
  wctr_errmsg e;
  if (cli_inspect_begin(&in, format, &e) != WCTR_OK) {
    fprintf(ctx->p->err, "%s\n", e.text);
    return e.code == WCTR_EINVAL ? CLI_EXIT_TEMPLATE : CLI_EXIT_ERROR;
  }
  in.plain = kind->plain;
  int rc = 0;
  docker_buf errors;
  docker_buf_init(&errors, 0);
  for (int i = 0; i < nargs; i++) {
    cJSON *result = NULL;
    int one = 0;
    if (!cli_call_ex(ctx, kind->inspect_op, name_params(kind, names[i], false), &result, &one, &e)) {
      /* wctrd cannot be reached (already said): the other names would only say it again. */
      if (ctx->conn == NULL) {
        rc = one;
        break;
      }
      if (kind->no_such != NULL) {
        docker_buf_addf(&errors, "Error: No such %s: %s\n", kind->no_such, names[i]);
      } else {
        docker_buf_addf(&errors, "%s%s\n", kind->error_prefix, e.text);
      }
      continue;
    }
    cJSON *shaped = kind->shape != NULL ? kind->shape(result) : result;
    if (shaped == NULL) {
      docker_buf_addf(&errors, "%sout of memory\n", kind->error_prefix);
    } else if (cli_inspect_add(&in, shaped, &e) != WCTR_OK) {
      docker_buf_addf(&errors, "%s%s\n", kind->error_prefix, e.text);
    }
    if (shaped != result) cJSON_Delete(shaped);
    cJSON_Delete(result);
  }
  return cli_inspect_print(ctx, &in, &errors, rc);
}

int cli_inspect_print(cli_ctx *ctx, cli_inspect *in, docker_buf *errors, int rc) {
  docker_buf out;
  docker_buf_init(&out, 0);
  cli_inspect_finish(in, &out);
  cli_print_buf(ctx->p->out, out.data, out.len);
  docker_buf_free(&out);
  if (errors->len > 0) {
    /* What was found comes first, then why the others were not, as docker inspect. */
    fflush(ctx->p->out);
    cli_print_buf(ctx->p->err, errors->data, errors->len);
    rc = CLI_EXIT_ERROR;
  }
  docker_buf_free(errors);
  return rc;
}

int cli_named_remove(cli_ctx *ctx, const cli_named *kind, bool force, int nargs, char **names) {
  bool docker = kind->rm_style == CLI_NAMED_RM_DOCKER;
  int rc = 0;
  for (int i = 0; i < nargs; i++) {
    cJSON *result = NULL;
    int one = 0;
    wctr_errmsg e;
    if (!cli_call_ex(ctx, kind->remove_op, name_params(kind, names[i], force && !docker), &result, &one, &e)) {
      if (ctx->conn == NULL) {
        /* wctrd cannot be reached (already said). */
        rc = one;
        if (docker) break;
        continue;
      }
      /* docker/cli's network rm -f: an object that does not exist is no error. */
      if (docker && force && e.code == WCTR_ENOENT) continue;
      fprintf(ctx->p->err, "%s%s\n", docker ? "Error response from daemon: " : "wctr: ", e.text);
      rc = one;
      continue;
    }
    fprintf(ctx->p->out, "%s\n", names[i]);
    cJSON_Delete(result);
  }
  return rc;
}

int cli_named_prune(cli_ctx *ctx, const char *op, cJSON *params, const char *key, const char *title) {
  cJSON *result = NULL;
  int rc = 0;
  if (!cli_call(ctx, op, params, &result, &rc)) return rc;
  const cJSON *deleted = cJSON_GetObjectItemCaseSensitive(result, key);
  if (cJSON_GetArraySize(deleted) > 0) {
    fprintf(ctx->p->out, "%s\n", title);
    const cJSON *d;
    cJSON_ArrayForEach(d, deleted) {
      if (cJSON_IsString(d)) fprintf(ctx->p->out, "%s\n", d->valuestring);
    }
  }
  cJSON_Delete(result);
  return 0;
}

int cli_named_print_list(cli_ctx *ctx, const cli_named_list *l, const cJSON *items) {
  cli_format fmt;
  wctr_errmsg e;
  if (cli_format_compile(l->format, l->default_table, &fmt, &e) != WCTR_OK) {
    fprintf(ctx->p->err, "%s\n", e.text);
    return CLI_EXIT_ERROR;
  }
  int rc = 0;
  size_t n = (size_t)cJSON_GetArraySize(items);
  const cJSON **rows = calloc(n > 0 ? n : 1, sizeof *rows);
  docker_tpl_object *objs = calloc(n > 0 ? n : 1, sizeof *objs);
  cJSON **fields = calloc(n > 0 ? n : 1, sizeof *fields);
  bool ok = rows != NULL && objs != NULL && fields != NULL;
  size_t k = 0;
  const cJSON *item;
  cJSON_ArrayForEach(item, items) {
    if (ok && k < n) rows[k++] = item;
  }
  if (ok && l->order != NULL && k > 1) qsort(rows, k, sizeof *rows, l->order);
  for (size_t i = 0; ok && i < k; i++) {
    fields[i] = l->fields(rows[i], l->arg);
    ok = fields[i] != NULL;
    if (ok) objs[i] = (docker_tpl_object){.type_name = l->type_name, .fields = fields[i]};
  }
  if (ok) {
    rc = cli_print_list(ctx, &fmt, l->headers, objs, k);
  } else {
    fprintf(ctx->p->err, "out of memory\n");
    rc = CLI_EXIT_ERROR;
  }
  for (size_t i = 0; fields != NULL && i < k; i++) cJSON_Delete(fields[i]);
  free(fields);
  free(objs);
  free(rows);
  cli_format_free(&fmt);
  return rc;
}

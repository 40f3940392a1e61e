/* tests/compose/test_project.c - projects: several -f files merged with compose's rules, !reset and
 * !override, the project name, default file names, .env, start order, and errors that name the file the
 * bad value came from. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compose_test.h"

static const char base_yml[] =
    "name: Shop\n"
    "services:\n"
    "  web:\n"
    "    image: shop/web:1.0\n"
    "    user: ContainerUser\n"
    "    command: [\"cmd\", \"/c\", \"start.cmd\"]\n"
    "    environment:\n"
    "      - LOG=info\n"
    "      - REGION=eu\n"
    "    labels: {tier: web}\n"
    "    volumes:\n"
    "      - ./site:C:\\inetpub\\wwwroot:ro\n"
    "      - C:\\logs:C:\\logs\n"
    "    secrets: [db_password]\n"
    "    depends_on: [db]\n"
    "    security_opt: [\"credentialspec=file://web.json\"]\n"
    "    deploy: {resources: {limits: {cpus: \"1\", memory: 1g}}}\n"
    "    env_file: common.env\n"
    "  db:\n"
    "    image: shop/db:1.0\n"
    "secrets:\n"
    "  db_password: {file: ./secrets/db.txt}\n";

static const char prod_yml[] =
    "services:\n"
    "  web:\n"
    "    image: shop/web:1.1\n"
    "    user: null\n"
    "    command: [\"cmd\", \"/c\", \"prod.cmd\"]\n"
    "    environment:\n"
    "      LOG: warn\n"
    "      EXTRA: \"1\"\n"
    "    labels: [env=prod]\n"
    "    volumes:\n"
    "      - D:\\site:C:\\inetpub\\wwwroot:ro\n"
    "      - ./cache:C:\\cache\n"
    "    secrets:\n"
    "      - source: db_password\n"
    "        target: db_password\n"
    "      - api_key\n"
    "    depends_on:\n"
    "      cache: {condition: service_started}\n"
    "    security_opt: [\"credentialspec=file://web.json\"]\n"
    "    deploy: {resources: {limits: {memory: 2g}}}\n"
    "    env_file: [prod.env, common.env]\n"
    "  cache:\n"
    "    image: shop/cache:1.0\n"
    "secrets:\n"
    "  api_key: {file: secrets/api.txt}\n";

static void shop_files(void) {
  ct_file(CT_DIR "\\compose.yml", base_yml);
  ct_file(CT_DIR "\\ops\\prod.yml", prod_yml);
  ct_file(CT_DIR "\\common.env", "COMMON=1\nLOG=from-file\n");
  ct_file(CT_DIR "\\prod.env", "PROD=1\nCOMMON=prod\n");
}

static void test_merge_two_files(void **state) {
  (void)state;
  ct_reset();
  shop_files();
  const char *const files[] = {"compose.yml", "ops/prod.yml"};
  compose_options o = ct_options(files, 2);
  compose_project *p = ct_load(&o);
  assert_string_equal(p->name, "shop");
  assert_string_equal(p->directory, "C:\\proj");
  /* Start order: dependencies first, then by name. */
  assert_int_equal(p->service_count, 3);
  assert_string_equal(p->services[0].name, "cache");
  assert_string_equal(p->services[1].name, "db");
  assert_string_equal(p->services[2].name, "web");
  const compose_service *web = ct_service(p, "web");
  assert_string_equal(web->container_name, "shop-web-1");
  /* Scalars: the later file wins; a later null keeps the earlier value. */
  assert_string_equal(web->image, "shop/web:1.1");
  assert_string_equal(web->user, "ContainerUser");
  /* command is replaced, never appended. */
  assert_int_equal(web->command.argc, 3);
  assert_string_equal(web->command.argv[2], "prod.cmd");
  /* environment: env files first (common.env, prod.env, in the merged order), then the merged map. */
  const char *env[] = {"COMMON=prod", "EXTRA=1", "LOG=warn", "PROD=1", "REGION=eu"};
  assert_int_equal(web->environment_count, 5);
  for (size_t i = 0; i < 5; i++) assert_string_equal(web->environment[i], env[i]);
  assert_int_equal(web->label_count, 2);
  assert_string_equal(web->labels[0], "env=prod");
  assert_string_equal(web->labels[1], "tier=web");
  /* volumes by target: the wwwroot mount is replaced in place, the new one appended; relative paths in
   * ops/prod.yml are relative to the project directory. */
  assert_int_equal(web->volume_count, 3);
  assert_string_equal(web->volumes[0].source, "D:\\site");
  assert_string_equal(web->volumes[0].target, "C:\\inetpub\\wwwroot");
  assert_string_equal(web->volumes[1].source, "C:\\logs");
  assert_string_equal(web->volumes[2].source, "C:\\proj\\cache");
  assert_int_equal(web->secret_count, 2);
  assert_string_equal(web->secrets[0].source, "db_password");
  assert_string_equal(web->secrets[1].source, "api_key");
  assert_int_equal(web->depends_on_count, 2);
  assert_string_equal(web->depends_on[0], "cache");
  assert_string_equal(web->depends_on[1], "db");
  /* security_opt appended, the exact repeat dropped: one credential spec. */
  assert_true(web->has_credspec);
  assert_string_equal(web->credspec.value, "web.json");
  /* deploy merges key by key. */
  assert_int_equal(web->resources.nano_cpus, 1000000000);
  assert_int_equal(web->resources.memory_bytes, 2147483648LL);
  assert_int_equal(p->secret_count, 2);
  assert_string_equal(p->secrets[0].name, "api_key");
  assert_string_equal(p->secrets[0].file, "C:\\proj\\secrets\\api.txt");
  compose_free(p);

  /* The same files the other way round. */
  ct_file(CT_DIR "\\ops\\common.env", "COMMON=ops\n");
  ct_file(CT_DIR "\\ops\\prod.env", "PROD=ops\n");
  const char *const reversed[] = {"ops/prod.yml", "compose.yml"};
  o = ct_options(reversed, 2);
  p = ct_load(&o);
  /* The project directory is now ops/ (the first file's), and so are relative paths and the .env. */
  assert_string_equal(p->directory, "C:\\proj\\ops");
  assert_string_equal(ct_service(p, "web")->image, "shop/web:1.0");
  assert_string_equal(ct_service(p, "web")->command.argv[2], "start.cmd");
  assert_string_equal(p->secrets[1].file, "C:\\proj\\ops\\secrets\\db.txt");
  compose_free(p);
  ct_reset();
}

static void test_errors_name_their_file(void **state) {
  (void)state;
  ct_reset();
  shop_files();
  const char *const files[] = {"compose.yml", "ops/prod.yml"};
  compose_options o = ct_options(files, 2);
  /* Checked on its own: */
  ct_file(CT_DIR "\\ops\\prod.yml", "services:\n  web:\n    imagee: x\n");
  ct_fail(&o, WCTR_EINVAL, "ops/prod.yml: services.web: unknown key \"imagee\"");
  ct_file(CT_DIR "\\ops\\prod.yml", "services:\n  web: {image: [x]}\n");
  ct_fail(&o, WCTR_EINVAL, "ops/prod.yml: services.web.image: must be a string, not a list");
  /* Found after merging, named by the file the value came from: */
  ct_file(CT_DIR "\\ops\\prod.yml", "services:\n  web: {cpus: 2}\n");
  ct_fail(&o, WCTR_EINVAL,
          "ops/prod.yml: services.web: can't set distinct values on 'cpus' and 'deploy.resources.limits.cpus'");
  ct_file(CT_DIR "\\ops\\prod.yml", "services:\n  web: {secrets: [nope]}\n");
  ct_fail(&o, WCTR_EINVAL,
          "ops/prod.yml: services.web.secrets[1]: service \"web\" refers to undefined secret nope");
  ct_file(CT_DIR "\\ops\\prod.yml", "services:\n  db: {depends_on: [web]}\n");
  ct_fail(&o, WCTR_EINVAL, "compose.yml: services.db.depends_on: dependency cycle detected: db -> web -> db");
  /* A later credential_spec merges key by key, so two kinds meet. */
  ct_file(CT_DIR "\\compose.yml", "services:\n  web: {image: x, credential_spec: {file: a.json}}\n");
  ct_file(CT_DIR "\\ops\\prod.yml", "services:\n  web: {credential_spec: {registry: a}}\n");
  ct_fail(
      &o, WCTR_EINVAL,
      "compose.yml: services.web.credential_spec: cannot specify both \"file\" and \"registry\" credential specs");
  /* ... and !override replaces it. */
  ct_file(CT_DIR "\\ops\\prod.yml", "services:\n  web: {credential_spec: !override {registry: a}}\n");
  compose_project *p = ct_load(&o);
  assert_int_equal(ct_service(p, "web")->credspec.kind, GMSA_SOURCE_REGISTRY);
  compose_free(p);
  /* Duplicate targets inside one file are an error, not a silent merge. */
  ct_file(CT_DIR "\\ops\\prod.yml", "services:\n  web: {volumes: [\"./a:C:\\\\x\", \"./b:C:\\\\x\"]}\n");
  ct_fail(&o, WCTR_EINVAL,
          "ops/prod.yml: services.web.volumes[1]: target C:\\x already mounted as services.web.volumes[0]");
  /* The files themselves. */
  const char *const missing[] = {"compose.yml", "nope.yml"};
  o = ct_options(missing, 2);
  ct_fail(&o, WCTR_ENOENT, "nope.yml: no such file");
  ct_file_error(CT_DIR "\\locked.yml", WCTR_EACCES);
  const char *const locked[] = {"locked.yml"};
  o = ct_options(locked, 1);
  ct_fail(&o, WCTR_EACCES, "locked.yml: cannot read: the test refused to read it");
  const char *const empty_name[] = {""};
  o = ct_options(empty_name, 1);
  ct_fail(&o, WCTR_EINVAL, "a compose file name is empty");
  ct_reset();
}

static void test_reset_and_override(void **state) {
  (void)state;
  ct_reset();
  ct_file(CT_DIR "\\compose.yml", base_yml);
  ct_file(CT_DIR "\\common.env", "COMMON=1\n");
  ct_file(CT_DIR "\\reset.yml",
          "services:\n"
          "  web:\n"
          "    environment:\n"
          "      REGION: !reset null\n"
          "    volumes: !reset []\n"
          "    security_opt: !reset []\n"
          "    depends_on: !reset []\n"
          "    env_file: !reset\n"
          "    labels: !override {only: this}\n"
          "    command: !reset null\n"
          "    deploy: !reset {}\n"
          "  db: !reset {}\n");
  const char *const files[] = {"compose.yml", "reset.yml"};
  compose_options o = ct_options(files, 2);
  compose_project *p = ct_load(&o);
  assert_int_equal(p->service_count, 1);
  const compose_service *web = ct_service(p, "web");
  assert_int_equal(web->environment_count, 1);
  assert_string_equal(web->environment[0], "LOG=info");
  assert_int_equal(web->volume_count, 0);
  assert_false(web->has_credspec);
  assert_int_equal(web->depends_on_count, 0);
  assert_int_equal(web->label_count, 1);
  assert_string_equal(web->labels[0], "only=this");
  assert_false(web->command.set);
  assert_int_equal(web->resources.nano_cpus, 0);
  assert_int_equal(web->resources.memory_bytes, 0);
  /* The base's secrets stay. */
  assert_int_equal(web->secret_count, 1);
  assert_int_equal(ct_reads(CT_DIR "\\common.env"), 0);
  compose_free(p);

  /* A later null keeps the earlier value, also inside credential_spec; !override replaces a whole service. */
  ct_file(CT_DIR "\\compose.yml",
          "services:\n  web: {image: x, user: u, credential_spec: {file: a.json}}\n"
          "  db: {image: d, user: dbuser, hostname: h}\n");
  ct_file(CT_DIR "\\reset.yml",
          "services:\n  web: {user: null, credential_spec: {file: null}}\n"
          "  db: !override {image: d2}\n");
  p = ct_load(&o);
  assert_string_equal(ct_service(p, "web")->user, "u");
  assert_string_equal(ct_service(p, "web")->credspec.value, "a.json");
  assert_string_equal(ct_service(p, "db")->image, "d2");
  assert_null(ct_service(p, "db")->user);
  assert_null(ct_service(p, "db")->hostname);
  compose_free(p);
  /* Lists and maps: a null before takes what comes, a null after keeps what was there. */
  ct_file(CT_DIR "\\compose.yml",
          "services:\n  web: {image: x, volumes: , environment: , env_file: , labels: [a=1]}\n");
  ct_file(CT_DIR "\\reset.yml",
          "services:\n  web: {volumes: [\"./v:C:\\\\v\"], environment: [A=1], labels: ,"
          " env_file: [e.env]}\n");
  ct_file(CT_DIR "\\e.env", "E=1\n");
  p = ct_load(&o);
  assert_int_equal(ct_service(p, "web")->volume_count, 1);
  assert_int_equal(ct_service(p, "web")->environment_count, 2);
  assert_string_equal(ct_service(p, "web")->environment[0], "A=1");
  assert_string_equal(ct_service(p, "web")->environment[1], "E=1");
  assert_string_equal(ct_service(p, "web")->labels[0], "a=1");
  compose_free(p);
  ct_file(CT_DIR "\\compose.yml", "services:\n  web: {image: x, volumes: [\"./v:C:\\\\v\"], env_file: e.env}\n");
  ct_file(CT_DIR "\\reset.yml", "services:\n  web: {volumes: , env_file: }\n");
  p = ct_load(&o);
  assert_int_equal(ct_service(p, "web")->volume_count, 1);
  assert_string_equal(ct_service(p, "web")->environment[0], "E=1");
  compose_free(p);
  ct_fail_text("services:\n  web: {image: x, volumes: }\n",
               "compose.yml: services.web.volumes: must be a list, not null");

  /* A null that nothing earlier stands behind is checked after merging. */
  ct_file(CT_DIR "\\compose.yml", "services:\n  web: {image: x}\n");
  ct_file(CT_DIR "\\reset.yml", "services:\n  web: {user: null}\n");
  ct_fail(&o, WCTR_EINVAL, "reset.yml: services.web.user: must be a string, not null");
  ct_fail_text("services:\n  web: {image: x, credential_spec: {file: null}}\n",
               "compose.yml: services.web.credential_spec.file: must be a string, not null");

  /* In a single file, !reset just drops the key; its value is not checked. */
  p = ct_load_text("services:\n  web:\n    image: x\n    ports: !reset [\"80:80\"]\n");
  compose_free(p);
  ct_reset();
}

static void test_project_name(void **state) {
  (void)state;
  ct_reset();
  const char *const one[] = {"compose.yml"};
  ct_file(CT_DIR "\\compose.yml", "services:\n  web: {image: x}\n");
  compose_options o = ct_options(one, 1);
  /* The directory's name. */
  compose_project *p = ct_load(&o);
  assert_string_equal(p->name, "proj");
  assert_string_equal(p->services[0].container_name, "proj-web-1");
  compose_free(p);
  /* -p wins over everything, and must already be normalized. */
  o.project_name = "blue_green-2";
  ct_env("COMPOSE_PROJECT_NAME", "fromenv");
  p = ct_load(&o);
  assert_string_equal(p->name, "blue_green-2");
  assert_string_equal(p->services[0].container_name, "blue_green-2-web-1");
  compose_free(p);
  o.project_name = "MyApp";
  ct_fail(&o, WCTR_EINVAL,
          "invalid project name \"MyApp\": must consist only of lowercase alphanumeric characters, hyphens, and "
          "underscores as well as start with a letter or number");
  o.project_name = "_x";
  ct_fail(&o, WCTR_EINVAL,
          "invalid project name \"_x\": must consist only of lowercase alphanumeric characters, hyphens, and "
          "underscores as well as start with a letter or number");
  /* COMPOSE_PROJECT_NAME from the process, then from .env. */
  o.project_name = NULL;
  p = ct_load(&o);
  assert_string_equal(p->name, "fromenv");
  compose_free(p);
  ct_env("COMPOSE_PROJECT_NAME", NULL);
  ct_file(CT_DIR "\\.env", "COMPOSE_PROJECT_NAME=dotenv\n");
  p = ct_load(&o);
  assert_string_equal(p->name, "dotenv");
  compose_free(p);
  ct_file(CT_DIR "\\.env", "COMPOSE_PROJECT_NAME=Bad Name\n");
  ct_fail(
      &o, WCTR_EINVAL,
      "invalid project name \"Bad Name\": must consist only of lowercase alphanumeric characters, hyphens, and "
      "underscores as well as start with a letter or number");
  ct_file(CT_DIR "\\.env", "");
  /* The top-level name, normalized; the last file that sets it wins; it may be interpolated. */
  ct_env("STAGE", "Prod");
  ct_file(CT_DIR "\\compose.yml", "name: \"My Shop ${STAGE}\"\nservices:\n  web: {image: x}\n");
  p = ct_load(&o);
  assert_string_equal(p->name, "myshopprod");
  compose_free(p);
  ct_file(CT_DIR "\\two.yml", "name: second\n");
  const char *const both[] = {"compose.yml", "two.yml"};
  compose_options o2 = ct_options(both, 2);
  p = ct_load(&o2);
  assert_string_equal(p->name, "second");
  compose_free(p);
  /* A directory name that normalizes to nothing. */
  ct_file("C:\\___\\compose.yml", "services: {}\n");
  o.working_dir = "C:\\___";
  ct_fail(&o, WCTR_EINVAL, "project name must not be empty");
  ct_file("C:\\compose.yml", "services: {}\n");
  o.working_dir = "C:\\";
  ct_fail(&o, WCTR_EINVAL, "project name must not be empty");
  ct_file("C:\\Users\\me\\My Shop\\compose.yml", "services: {}\n");
  o.working_dir = "C:\\Users\\me\\My Shop";
  p = ct_load(&o);
  assert_string_equal(p->name, "myshop");
  compose_free(p);
  ct_reset();
}

static void test_default_files(void **state) {
  (void)state;
  ct_reset();
  compose_options o = ct_options(NULL, 0);
  ct_fail(&o, WCTR_ENOENT, "no configuration file provided: not found");
  ct_file(CT_DIR "\\docker-compose.yml", "services:\n  web: {image: old}\n");
  compose_project *p = ct_load(&o);
  assert_string_equal(p->services[0].image, "old");
  assert_int_equal(ct_warnings()->count, 0);
  compose_free(p);
  /* compose.yaml is preferred, with compose's warnings; an override file is merged. */
  ct_file(CT_DIR "\\compose.yaml", "services:\n  web: {image: new, user: u}\n");
  ct_file(CT_DIR "\\compose.override.yml", "services:\n  web: {image: overridden}\n");
  p = ct_load(&o);
  assert_string_equal(p->services[0].image, "overridden");
  assert_string_equal(p->services[0].user, "u");
  assert_true(
      ct_warned("Found multiple config files with supported names: C:\\proj\\compose.yaml, "
                "C:\\proj\\docker-compose.yml"));
  assert_true(ct_warned("Using C:\\proj\\compose.yaml"));
  compose_free(p);
  /* Messages name a default file by its full path. */
  ct_file(CT_DIR "\\compose.override.yml", "services:\n  web: {imag: x}\n");
  ct_fail(&o, WCTR_EINVAL, "C:\\proj\\compose.override.yml: services.web: unknown key \"imag\"");
  /* A file that exists but cannot be read is an error, not "not found". */
  ct_file_error(CT_DIR "\\compose.yaml", WCTR_EACCES);
  ct_fail(&o, WCTR_EACCES, "C:\\proj\\compose.yaml: cannot read: the test refused to read it");
  ct_reset();
}

static void test_posix_paths_and_subdirectories(void **state) {
  (void)state;
  ct_reset();
  ct_file("/home/dev/proj/deploy/compose.yml",
          "services:\n  web:\n    image: x\n    volumes: [\"./data:C:\\\\data\"]\n"
          "    env_file: ../common.env\n");
  ct_file("/home/dev/proj/common.env", "A=1\n");
  ct_file("/home/dev/proj/deploy/.env", "IGNORED_HERE=1\n");
  const char *const files[] = {"deploy/compose.yml"};
  compose_options o = ct_options(files, 1);
  o.working_dir = "/home/dev/proj";
  compose_project *p = ct_load(&o);
  assert_string_equal(p->name, "deploy");
  assert_string_equal(p->directory, "/home/dev/proj/deploy");
  assert_string_equal(p->services[0].volumes[0].source, "/home/dev/proj/deploy/data");
  assert_string_equal(p->services[0].environment[0], "A=1");
  assert_int_equal(ct_reads("/home/dev/proj/deploy/.env"), 1);
  compose_free(p);
  /* An absolute -f path. */
  const char *const abs[] = {"/home/dev/proj/deploy/compose.yml"};
  o = ct_options(abs, 1);
  p = ct_load(&o);
  assert_string_equal(p->name, "deploy");
  compose_free(p);
  ct_reset();
}

static void test_environment_sources(void **state) {
  (void)state;
  ct_reset();
  ct_env("SHELL_VAR", "shell");
  ct_env("BOTH", "process wins");
  ct_file(CT_DIR "\\.env", "DOTENV_VAR=dotenv\nBOTH=dotenv loses\nFROM_SHELL=${SHELL_VAR}-x\n");
  compose_project *p = ct_load_text(
      "services:\n  web:\n    image: \"${DOTENV_VAR}:${BOTH}\"\n"
      "    environment: [SHELL_VAR, DOTENV_VAR, BOTH, FROM_SHELL, NOWHERE]\n");
  const compose_service *s = ct_service(p, "web");
  assert_string_equal(s->image, "dotenv:process wins");
  const char *env[] = {"BOTH=process wins", "DOTENV_VAR=dotenv", "FROM_SHELL=shell-x", "SHELL_VAR=shell"};
  assert_int_equal(s->environment_count, 4);
  for (size_t i = 0; i < 4; i++) assert_string_equal(s->environment[i], env[i]);
  compose_free(p);
  ct_reset();
}

/* Under services, secrets, configs and depends_on, "x-" starts a name, not an extension: it merges like
 * any other service (compose's userDefinedKeys). Elsewhere an extension is replaced whole. */
static void test_x_names_merge(void **state) {
  (void)state;
  ct_reset();
  ct_file(CT_DIR "\\compose.yml",
          "x-ext: {a: 1, b: 2}\n"
          "services:\n"
          "  x-tool: {image: tool, user: u, x-meta: {k: 1}}\n"
          "  app: {image: app, depends_on: {x-tool: {condition: service_started}}}\n"
          "secrets:\n  x-key: {file: k.txt}\n");
  ct_file(CT_DIR "\\more.yml",
          "x-ext: {c: 3}\n"
          "services:\n"
          "  x-tool: {image: tool:2, x-meta: [replaced]}\n"
          "  app: {secrets: [x-key]}\n");
  const char *const files[] = {"compose.yml", "more.yml"};
  compose_options o = ct_options(files, 2);
  compose_project *p = ct_load(&o);
  const compose_service *tool = ct_service(p, "x-tool");
  assert_string_equal(tool->image, "tool:2");
  assert_string_equal(tool->user, "u");
  assert_string_equal(tool->container_name, "proj-x-tool-1");
  assert_string_equal(p->services[0].name, "x-tool");
  assert_string_equal(ct_service(p, "app")->depends_on[0], "x-tool");
  assert_string_equal(ct_service(p, "app")->secrets[0].source, "x-key");
  compose_free(p);
  ct_reset();
}

static void test_start_order(void **state) {
  (void)state;
  ct_reset();
  compose_project *p = ct_load_text(
      "services:\n"
      "  worker: {image: x, depends_on: [queue, db]}\n"
      "  web: {image: x, depends_on: {api: {condition: service_started}, cache: "
      "{condition: service_started}}}\n"
      "  queue: {image: x}\n"
      "  api: {image: x, depends_on: [db]}\n"
      "  db: {image: x}\n"
      "  cache: {image: x}\n");
  const char *order[] = {"cache", "db", "api", "queue", "web", "worker"};
  assert_int_equal(p->service_count, 6);
  for (size_t i = 0; i < 6; i++) assert_string_equal(p->services[i].name, order[i]);
  compose_free(p);
  ct_fail_text("services:\n  a: {image: x}\n  b: {image: x, depends_on: [c]}\n  c: {image: x, depends_on: [b]}\n",
               "compose.yml: services.b.depends_on: dependency cycle detected: b -> c -> b");
  ct_reset();
}

/* Thousands of services in one dependency chain, written in the order opposite to the start order: the
 * ordering is O((n + e) log n), so this stays quick. */
static void test_many_services(void **state) {
  (void)state;
  ct_reset();
  enum { N = 3000 };
  size_t cap = (size_t)N * 64 + 32;
  char *text = malloc(cap);
  assert_non_null(text);
  size_t len = (size_t)snprintf(text, cap, "services:\n");
  for (int i = 0; i < N; i++) {
    if (i + 1 < N) {
      len += (size_t)snprintf(text + len, cap - len, "  s%04d: {image: x, depends_on: [s%04d]}\n", i, i + 1);
    } else {
      len += (size_t)snprintf(text + len, cap - len, "  s%04d: {image: x}\n", i);
    }
  }
  compose_project *p = ct_load_text(text);
  assert_int_equal(p->service_count, N);
  for (int i = 0; i < N; i++) {
    char name[16];
    snprintf(name, sizeof name, "s%04d", N - 1 - i);
    assert_string_equal(p->services[i].name, name);
  }
  compose_free(p);
  /* Close the chain into a cycle: found, and named from the smallest name. */
  len -= strlen("  s2999: {image: x}\n");
  snprintf(text + len, cap - len, "  s2999: {image: x, depends_on: [s0000]}\n");
  ct_file(CT_DIR "\\compose.yml", text);
  const char *const one[] = {"compose.yml"};
  compose_options o = ct_options(one, 1);
  compose_project *none = (compose_project *)1;
  wctr_errmsg e;
  assert_int_equal(compose_load(&o, &none, NULL, &e), WCTR_EINVAL);
  assert_null(none);
  assert_memory_equal(
      e.text, "compose.yml: services.s0000.depends_on: dependency cycle detected: s0000 -> s0001 -> ",
      strlen("compose.yml: services.s0000.depends_on: dependency cycle detected: s0000 -> s0001 -> "));
  free(text);
  ct_reset();
}

static void test_options(void **state) {
  (void)state;
  ct_reset();
  const char *const one[] = {"compose.yml"};
  compose_options o = ct_options(one, 1);
  compose_project *p = (compose_project *)1;
  wctr_errmsg e;
  o.read_file = NULL;
  assert_int_equal(compose_load(&o, &p, NULL, &e), WCTR_EINVAL);
  assert_string_equal(e.text, "compose_load: read_file is required");
  assert_null(p);
  o = ct_options(one, 1);
  o.working_dir = "relative";
  assert_int_equal(compose_load(&o, &p, NULL, &e), WCTR_EINVAL);
  assert_string_equal(e.text, "compose_load: working_dir must be an absolute path");
  assert_int_equal(compose_load(NULL, &p, NULL, &e), WCTR_EINVAL);
  assert_int_equal(compose_load(&o, NULL, NULL, &e), WCTR_EINVAL);
  /* Warnings and the message are optional. */
  ct_file(CT_DIR "\\compose.yml", "version: '3'\nservices: {web: {image: x}}\n");
  o = ct_options(one, 1);
  assert_int_equal(compose_load(&o, &p, NULL, NULL), WCTR_OK);
  assert_null(compose_find_service(p, "nope"));
  assert_null(compose_find_service(NULL, "web"));
  compose_free(p);
  compose_free(NULL);
  ct_file(CT_DIR "\\compose.yml", "services: [\n");
  assert_int_equal(compose_load(&o, &p, NULL, NULL), WCTR_EINVAL);
  assert_null(p);
  /* The version warning names each file once. */
  ct_file(CT_DIR "\\compose.yml", "version: '3'\nservices: {web: {image: x}}\n");
  ct_file(CT_DIR "\\b.yml", "version: '3'\n---\nversion: '3.9'\n");
  const char *const two[] = {"compose.yml", "b.yml"};
  o = ct_options(two, 2);
  p = ct_load(&o);
  assert_int_equal(ct_warnings()->count, 2);
  assert_string_equal(ct_warnings()->text[1],
                      "b.yml: the attribute `version` is obsolete, it will be ignored, please "
                      "remove it to avoid potential confusion");
  compose_free(p);
  compose_warnings_free(NULL);
  ct_reset();
}

/* Where wctr's loader differed from docker-compose 1.29.2, as one project both accept. The expected values are
 * what `docker-compose config` printed for these exact files (Debian's docker-compose 1.29.2-3 with
 * python3-dotenv 0.21.0, run by hand once with .env and app.env written byte for byte as below, app.env
 * with CRLF line ends): a certificate in double quotes over several lines, 'it\'s', \t and \v in double
 * quotes, a value interpolated from an earlier key, values over CRLF lines, ${UNSET:-{x}, restart: "" and
 * the long form of an npipe mount. */
static void test_docker_compose_1_29_values(void **state) {
  (void)state;
  ct_reset();
  ct_file(CT_DIR "\\.env",
          "CERT=\"-----BEGIN CERTIFICATE-----\n"
          "MIIBszCCAVmgAwIBAgIUQ+x/y=\n"
          "-----END CERTIFICATE-----\"\n"
          "QUOTE='it\\'s'\n"
          "TABS=\"a\\tb\\vc\"\n"
          "AFTER=after-${QUOTE}\n");
  ct_file(CT_DIR "\\app.env",
          "# CRLF line ends\r\n"
          "KEY=\"line1\r\nline2\"\r\n"
          "SINGLE='multi\r\nline two'\r\n"
          "LAST=last\r\n");
  compose_project *p = ct_load_text("services:\n"
                                    "  web:\n"
                                    "    image: mcr.microsoft.com/windows/nanoserver:ltsc2022\n"
                                    "    restart: \"\"\n"
                                    "    env_file: app.env\n"
                                    "    environment:\n"
                                    "      CERT: ${CERT}\n"
                                    "      QUOTE: ${QUOTE}\n"
                                    "      TABS: ${TABS}\n"
                                    "      BRACE: \"${UNSET:-{x}\"\n"
                                    "      AFTER: ${AFTER}\n"
                                    "    volumes:\n"
                                    "      - type: npipe\n"
                                    "        source: \\\\.\\pipe\\docker_engine\n"
                                    "        target: \\\\.\\pipe\\docker_engine\n");
  const compose_service *s = ct_service(p, "web");
  /* docker-compose 1.29.2's environment, sorted by name as the model holds it. */
  static const char *const env[] = {"AFTER=after-it's",
                                    "BRACE={x",
                                    ("CERT=-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ+x/y=\n"
                                     "-----END CERTIFICATE-----"),
                                    "KEY=line1\nline2",
                                    "LAST=last",
                                    "QUOTE=it's",
                                    "SINGLE=multi\nline two",
                                    "TABS=a\tb\vc"};
  assert_int_equal(s->environment_count, sizeof env / sizeof env[0]);
  for (size_t i = 0; i < s->environment_count; i++) {
    if (strcmp(s->environment[i], env[i]) != 0) fail_msg("expected [%s], got [%s]", env[i], s->environment[i]);
  }
  assert_int_equal(s->restart.name, SPEC_RESTART_NO); /* restart: '' */
  assert_int_equal(s->volume_count, 1);
  assert_true(s->volumes[0].pipe); /* type: npipe */
  assert_string_equal(s->volumes[0].source, "\\\\.\\pipe\\docker_engine");
  assert_string_equal(s->volumes[0].target, "\\\\.\\pipe\\docker_engine");
  assert_false(s->volumes[0].read_only);
  compose_free(p);
  ct_reset();
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_merge_two_files),
      cmocka_unit_test(test_errors_name_their_file),
      cmocka_unit_test(test_reset_and_override),
      cmocka_unit_test(test_project_name),
      cmocka_unit_test(test_default_files),
      cmocka_unit_test(test_posix_paths_and_subdirectories),
      cmocka_unit_test(test_environment_sources),
      cmocka_unit_test(test_start_order),
      cmocka_unit_test(test_x_names_merge),
      cmocka_unit_test(test_many_services),
      cmocka_unit_test(test_options),
      cmocka_unit_test(test_docker_compose_1_29_values),
  };
  return cmocka_run_group_tests_name("compose_project", tests, NULL, NULL);
}

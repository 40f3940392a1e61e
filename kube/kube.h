/* kube/kube.h - a compose project as Kubernetes objects for Windows nodes (portable): the generator behind
 * `wctr compose convert --format kubernetes` (docs/kubernetes.md has the mapping table for users).
 *
 * kube_convert reads the compose model (compose/compose.h) and each service's spec (compose/to_spec.h:
 * every check `up` makes runs here too, so a project that `up` refuses is refused here) and builds the
 * objects, in the order `kubectl apply -f` must create them:
 *   RuntimeClass (one, "runhcs-wcow-hypervisor", when a service has isolation hyperv), then per service with
 *   a credential spec a GMSACredentialSpec and its ClusterRole, then ServiceAccounts, RoleBindings,
 *   Secrets, ConfigMaps, Services, and finally one Deployment or Job per service, services in the model's
 *   start order. Namespaced objects carry metadata.namespace = options.namespace_name ("default" when
 *   NULL); cluster-scoped ones none.
 *
 * NAMES. A workload, its container and its Service are named after the compose service, unchanged: other
 * services reach it by that name (compose's network DNS, a Kubernetes Service's DNS), so a service whose
 * name is not a DNS-1035 label (lower-case letters, digits and '-', at most 63, a letter first, a letter or
 * digit last) is refused rather than renamed. Cluster-scoped objects are prefixed with the project's name
 * ("<project>-<service>", '_' written '-'). Secrets and ConfigMaps are named after the compose secret or
 * config, lower-cased with '_' written '-'; one that still is no DNS-1123 subdomain, or two that end up
 * with one name, are refused. Every object has the labels app.kubernetes.io/part-of = the project and
 * app.kubernetes.io/managed-by = wctr; per-service objects also app.kubernetes.io/name = the service (the
 * workloads' selector is name + part-of). The RuntimeClass, shared by every project, has managed-by only.
 *
 * THE POD of a service (one container, named after the service):
 *   spec.os.name windows; nodeSelector kubernetes.io/os: windows, and node.kubernetes.io/windows-build
 *     "M.m.build" when the host knows the image's OS version (host.image_os_version) and the isolation is
 *     default or process (Hyper-V runs older images; a HostProcess container runs on the host's own OS);
 *   image; command = the entrypoint's words, args = the command's (a shell-form string is "cmd" "/S" "/C"
 *     LINE, as compose_service_to_spec runs it); every '$' is written "$$" in command, args and env
 *     values, because Kubernetes expands $(VAR) there and turns "$$" back into "$": the process gets
 *     exactly the compose words;
 *   env (the model's order), workingDir; automountServiceAccountToken false (a compose container has no
 *     Kubernetes API credentials); terminationGracePeriodSeconds = stop_grace_period rounded up to seconds
 *     (left out when not given: Kubernetes' 30 s is Docker's Windows default);
 *   hostname when given (a DNS-1123 label, else refused);
 *   resources.limits: memory = mem_limit (bytes, written in Gi/Mi/Ki when exact), cpu = cpus (in
 *     millicores; a finer value is refused) or cpu_count (whole CPUs);
 *   securityContext.windowsOptions.runAsUserName = user, or ContainerUser (wctr's default for process and
 *     Hyper-V containers) - checked as the API server checks it (at most 256 characters, DOMAIN\USER with
 *     one '\', USER 1-104 characters without " / \ [ ] : ; | = , + * ? < > @ and not only dots and spaces);
 *   compose labels: a key and value Kubernetes accepts as a label go to the pod template's labels, any other
 *     to its annotations (never to the selector); a label named app.kubernetes.io/name, part-of or
 *     managed-by is refused (those are the generator's).
 *   restart always or unless-stopped -> Deployment (replicas = deploy.replicas, default 1); restart no
 *     (Docker's default, also when not given) -> Job, restartPolicy Never, backoffLimit 0; on-failure[:N] ->
 *     Job, restartPolicy OnFailure, backoffLimit N (2147483647 for no limit); a Job's parallelism and
 *     completions are deploy.replicas when given.
 *   isolation hyperv -> runtimeClassName runhcs-wcow-hypervisor, the RuntimeClass object (node.k8s.io/v1,
 *     handler runhcs-wcow-hypervisor, scheduling.nodeSelector kubernetes.io/os: windows) and a comment on
 *     both saying that Kubernetes does not officially support Hyper-V isolated containers.
 *   isolation job -> a HostProcess pod: hostNetwork true, securityContext.windowsOptions {hostProcess true,
 *     runAsUserName} at pod level (the one container inherits it, so every container of the pod is
 *     HostProcess), runAsUserName = user when it is one of NT AUTHORITY\SYSTEM, NT AUTHORITY\Local service,
 *     NT AUTHORITY\NetworkService (any case; written so), else "NT AUTHORITY\Local service" (wctr's
 *     LocalService default); the image is options.host_process_image when the compose image is "host"
 *     (a HostProcess container sees the host's files as wctr's "host" job does), a folder is refused.
 *   credential_spec -> a GMSACredentialSpec (windows.k8s.io/v1, cluster-scoped, credspec = the resolved spec,
 *     exactly the keys gmsa/credspec.h accepts, which are the keys of the windows-gmsa CRD's schema: the API
 *     server would prune any other), a ClusterRole granting verb use on it (resourceNames), a ServiceAccount
 *     named after the service, a RoleBinding of the ClusterRole to it, serviceAccountName, and
 *     securityContext.windowsOptions.gmsaCredentialSpecName at pod level. raw:// and config:// specs are in
 *     hand (compose_service_to_spec reads config://); file:// and registry:// are the host's
 *     (host.credspec). A spec with HostAccountConfig.PluginInput is refused unless
 *     options.allow_plugin_input: wctr cannot tell a plugin's reference from a password, and a cluster-scoped
 *     object is readable by everyone who may read gmsacredentialspecs.
 *   secrets -> one Secret (Opaque, data {NAME: base64}) per secret used, values from host.secret_value,
 *     only with options.plain_text_secrets (the YAML holds the values in base64, which is no encryption);
 *     mounted with a projected volume (items NAME -> target) read-only at C:\ProgramData\wctr\secrets, the
 *     folder wctr's process and Hyper-V containers get (RT_SECRETS_CONTAINER_PATH). Windows has no subPath
 *     and no defaultMode for them, so one folder it is.
 *   configs -> one ConfigMap per config used (data NAME: the file's text, or binaryData when it is not
 *     UTF-8; read with host.read_file; at most 1 MiB as the API server allows), mounted the same way at
 *     C:\ProgramData\wctr\configs.
 *   ports and expose (kube_port: the container's port, the published host port (expose: none), the
 *     protocol) -> containerPort
 *     entries and a Service (type options.service_type, selector as the workload's, one port per distinct
 *     container port and protocol named "<proto>-<port>"; with LoadBalancer the Service port is the
 *     published host port when there is one, otherwise the container port).
 *   healthcheck -> an exec livenessProbe (CMD's words; CMD-SHELL as cmd /S /C LINE), periodSeconds and
 *     timeoutSeconds (whole seconds rounded up; Docker's 30 when not given), failureThreshold (retries; 3),
 *     initialDelaySeconds (start_period, when given); NONE (disable): none.
 *   depends_on: start order only; Kubernetes starts every pod at once and restarts what fails: not carried
 *     (documented in docs/kubernetes.md, not an error).
 *
 * REFUSED (WCTR_ENOTSUP unless said; the message names services.S.KEY): volumes (a bind mount or a pipe names
 * this host's files; a pod runs on any node); cpu_percent and cpu_shares (relative to a host's size or to
 * its other containers: Kubernetes has no such limit); pids_limit (a node's setting in Kubernetes);
 * logging.options (the kubelet rotates a pod's logs: containerLogMaxSize, containerLogMaxFiles); an
 * empty entrypoint ([] clears the image's; an empty command list in Kubernetes keeps it); secrets without
 * options.plain_text_secrets (WCTR_EACCES); a credential spec's PluginInput without
 * options.allow_plugin_input (WCTR_EACCES); registry:// credential specs and file:// ones the host cannot
 * give (WCTR_ENOENT: no wctrd), or gives redacted; secrets or configs on a HostProcess service (its mounts
 * land under the container's sandbox, not where wctr puts them); a job service whose image is a folder, or
 * "host" without options.host_process_image (WCTR_EINVAL); a HostProcess user other than the three above
 * (WCTR_EINVAL); names, labels, env names (printable ASCII without '=') and users Kubernetes would refuse
 * (WCTR_EINVAL); everything compose_service_to_spec refuses (its code and message), but configs given to
 * a service, which are mapped here.
 *
 * SECRETS. Secret values pass from host.secret_value into the objects' JSON tree and from there into the
 * YAML text, nowhere else; kube_output_free and kube_text_free zero every string and byte they free, and the
 * generator zeroes the values it was given. A credential spec with PluginInput is zeroed the same way.
 * Nothing here logs.
 *
 * Errors: the refusals above; WCTR_ENOMEM; WCTR_EINVAL for NULL arguments; the host callbacks' codes with
 * their messages prefixed by the service's path. On failure *out is empty. */
#ifndef WCTR_KUBE_KUBE_H
#define WCTR_KUBE_KUBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "common/error.h"
#include "compose/compose.h"

#define KUBE_RUNTIME_CLASS_HYPERV "runhcs-wcow-hypervisor"
#define KUBE_CONFIGS_PATH "C:\\ProgramData\\wctr\\configs"
#define KUBE_CONFIGMAP_MAX_BYTES (1024u * 1024u)
#define KUBE_DEFAULT_USER "ContainerUser"
#define KUBE_HOST_PROCESS_USER "NT AUTHORITY\\Local service"

typedef enum kube_service_type {
  KUBE_SERVICE_CLUSTER_IP = 0,
  KUBE_SERVICE_NODE_PORT,
  KUBE_SERVICE_LOAD_BALANCER,
} kube_service_type;

/* "ClusterIP", "NodePort", "LoadBalancer". */
const char *kube_service_type_name(kube_service_type t);
/* The name above (exact case) into *out; false for anything else. */
bool kube_service_type_parse(const char *text, kube_service_type *out);

/* What the generator asks of the machine it runs on. Every callback may be NULL (then: not known). */
typedef struct kube_host {
  void *ctx;
  /* The OS version of a wctr image ("10.0.20348.2113") into buf; WCTR_ENOENT when it is not known (no
   * wctrd, or no such image): the build label is then left out. Other codes stop the conversion. */
  wctr_err (*image_os_version)(void *ctx, const char *image, char *buf, size_t size, wctr_errmsg *e);
  /* A file:// or registry:// credential spec (value as written, "file://web.json") as JSON text, malloc'ed
   * (the generator zeroes and frees it). WCTR_ENOENT when it cannot be had; e says why. */
  wctr_err (*credspec)(void *ctx, const char *value, char **json, wctr_errmsg *e);
  /* The value of a secret of wctr's store, malloc'ed (the generator zeroes and frees it). */
  wctr_err (*secret_value)(void *ctx, const char *name, uint8_t **value, size_t *len, wctr_errmsg *e);
  /* The project's files: config:// credential specs and configs' files. */
  compose_read_fn read_file;
  void *read_ctx;
} kube_host;

typedef struct kube_options {
  const char *namespace_name;     /* NULL: "default" */
  kube_service_type service_type; /* for services with ports */
  bool plain_text_secrets;        /* write Secret objects with the values */
  bool allow_plugin_input;        /* write a credential spec's PluginInput into a cluster-scoped object */
  const char *host_process_image; /* the image of job services whose image is "host" */
} kube_options;

/* One published or exposed port of a service. */
typedef struct kube_port {
  uint16_t port;      /* the container's, 1..65535 */
  uint16_t host_port; /* 0: none (exposed only, or chosen by the host) */
  bool udp;           /* else tcp */
} kube_port;

typedef struct kube_object {
  char *kind;    /* "Deployment" */
  char *name;    /* metadata.name */
  char *comment; /* lines written as "# ..." before the object, NULL for none */
  cJSON *body;   /* the whole object: apiVersion, kind, metadata, ... */
} kube_object;

typedef struct kube_output {
  kube_object *objects;
  size_t count;
} kube_output;

wctr_err kube_convert(const compose_project *p, const kube_options *opt, const kube_host *host, kube_output *out,
                      wctr_errmsg *e);
/* Zeroes every string of every object, then frees them; leaves *out empty. Accepts NULL. */
void kube_output_free(kube_output *out);

/* The Service of a workload: name and selector as the generator's for service `service` of project `project`
 * in namespace ns, ports as described above (what kube_convert makes for a service with ports).
 * *out is the object (free its kind, name and body); WCTR_EINVAL for no port, a port 0, a service name that is
 * no DNS-1035 label or a bad project or namespace name; WCTR_ENOMEM. */
wctr_err kube_service_object(const char *project, const char *service, const char *ns, kube_service_type type,
                             const kube_port *ports, size_t count, kube_object *out, wctr_errmsg *e);

/* The objects as YAML: a document per object ("---" between documents), each object's comment lines first,
 * block style, two-space indents, keys in the tree's order. Every string is double-quoted with YAML's
 * escapes (C0 and C1 control characters, '"', '\', U+2028, U+2029, U+FEFF, U+FFFE, U+FFFF escaped); a key is written plain
 * only when it is [A-Za-z_][A-Za-z0-9_./-]* and reads back as a string (not y/yes/no/on/off/true/false/null
 * in any case), else quoted the same way. Numbers are written as integers (the generator makes no other).
 * *text is NUL-terminated; free it with kube_text_free. WCTR_EINVAL when a string is not UTF-8 or a number
 * is not an integer of at most 2^53, WCTR_ENOMEM. */
wctr_err kube_yaml(const kube_object *objects, size_t count, char **text, size_t *len, wctr_errmsg *e);
/* One object's YAML (its comment included), for one file per object. */
wctr_err kube_yaml_one(const kube_object *object, char **text, size_t *len, wctr_errmsg *e);
/* The file name of object number index (0-based) for `-o DIR`: "NN-kind-name.yaml", kind lower-cased, NN the
 * index in two or more digits, so `kubectl apply -f DIR` (which reads a folder in name order) creates them
 * in the generator's order. *out malloc'ed; NULL when out of memory. */
char *kube_file_name(const kube_object *object, size_t index);
/* Zeroes len bytes of text, then frees it. Accepts NULL. */
void kube_text_free(char *text, size_t len);

#endif

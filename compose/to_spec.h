/* compose/to_spec.h - a service of a loaded compose project as the container it describes: a spec_container
 * (spec/spec.h), the one description of a container that every front-end produces and every runtime
 * consumes (portable).
 *
 * `wctr compose up` sends it to wctrd as create params with spec_to_json (the one table of wire names);
 * later front-ends (a Kubernetes generator, the Engine API) read the same spec. Nothing is created here.
 *
 * compose_service_to_spec(p, s, read_file, ctx, out, e) fills *out for service s of project p, container
 * number 1 (the container itself is named by s->container_name, "<project>-<service>-1": a name is the
 * record's, not the spec's):
 *   image             s->image.
 *   process.cmd       the entrypoint words, then the command words. A shell-form string (compose_command
 *                     shell_form) becomes "cmd" "/S" "/C" LINE, as Docker runs a shell-form command on
 *                     Windows. Neither set: no words (cmd_count 0; an image may supply them).
 *   process.env       the model's "K=V" strings, in its order (sorted by K).
 *   process.working_dir, process.user, hostname   the model's (NULL when unset). tty and open_stdin false.
 *   isolation         the model's (WCTR_ISOLATION_DEFAULT when unset: the service resolves it).
 *   resources         the model's spec_resources as they are (only the fields compose has keys for can be
 *                     set; the I/O limits stay 0).
 *   binds             one "SOURCE:TARGET" or "SOURCE:TARGET:ro" per volume, in the model's order (the -v
 *                     form, pipes included: spec_mount_parse reads \\.\pipe\x and //./pipe/x alike).
 *   stop_timeout      stop_grace_period in whole seconds, rounded up (a grace period is never shortened),
 *                     at most SPEC_MAX_STOP_TIMEOUT; SPEC_DEFAULT_STOP_TIMEOUT when it is not set (what the
 *                     service takes for create params without StopTimeout).
 *   health            healthcheck as Docker's HealthConfig (test, interval, timeout, start_period, retries as
 *                     the model has them; none when the service has no healthcheck).
 *   restart           the model's policy (on-failure:N keeps N). auto_remove false.
 *   labels            com.docker.compose.project = p->name, com.docker.compose.service = s->name,
 *                     com.docker.compose.container-number = "1", and the service's labels; sorted by key
 *                     (byte order), as spec_labels holds them.
 *   security_opt      with a credential spec, exactly one "credentialspec=file://V", "registry://V" or
 *                     "raw://SPEC", and credspec_option pointing at its value; else none.
 *                     credspec_source and credspec_json stay NULL: resolving a file:// or registry:// spec
 *                     is the service's job. A config:// spec is read here with read_file from the
 *                     top-level config's file, validated (gmsa_credspec_load; errors name
 *                     services.S.credential_spec and the config) and given as raw:// of the spec rendered
 *                     again (gmsa_credspec_to_json); the text read is zeroed. read_file is called for
 *                     nothing else and may be NULL when no service uses config://.
 *   secrets           {Name: source, Target: target} per secret, in the model's order, checked with
 *                     spec_secret_check_name and spec_secret_check_target (where "services.S.secrets[i]"):
 *                     a spec holds only names Docker allows, so a name the service would refuse is refused
 *                     here, before `up` creates anything; at most SPEC_SECRET_REFS_MAX.
 *   net               (spec/network.h) mode: network_mode as written, else the joined project network's own
 *                     name (compose_network.name: "<project>_default", "<project>_front", an external one's),
 *                     else NULL (a job container: the host's); publish: the ports' mappings; expose: the
 *                     service's exposed ports then each published one's, once (compose and Docker's CLI expose
 *                     what they publish); dns, dns_search and mac_address as the model holds them.
 *
 * CREATE'S CHECKS. The spec built is checked as wctrd's container.create checks it, so that `up` fails before
 * anything exists rather than part-way: each bind with spec_mount_parse ("services.S.volumes[i]: -v ...:
 * the container path must be absolute with a drive letter (C:\dir)" for ./data:/data), then spec's
 * isolation rules in compose's words (a job container takes no volumes and no hostname, and needs a command
 * or an entrypoint: it has no image to supply one), then the spec's JSON form (spec_to_json, credential
 * spec whole) read back with spec_from_json as wctrd reads create params, for a host of unknown size
 * (INT_MAX CPUs: the CPU count is the service's to check); its message is prefixed "services.S: ". So every
 * spec this returns is one spec_from_json accepts. What needs the host stays the service's: the image (it
 * exists; its OS version; a job folder exists), the container name free, the secrets and credential specs
 * present (`up` has wctrd check the credential specs first).
 *
 * Refused (WCTR_EINVAL unless said, messages naming services.S.KEY):
 *   configs given to the service (WCTR_ENOTSUP: a config is one file and Windows binds folders);
 *   deploy.replicas other than 1 (WCTR_ENOTSUP: a spec is one container);
 *   stop_grace_period above 1h; a shell-form entrypoint or command holding '"' (cmd /S /C would receive it
 *   as \", which cmd does not undo); a service label in com.docker.compose.* (those are compose's own);
 *   a credential spec with job isolation; spec/network.h's rules per isolation in compose's keys (a job
 *   container with ports, networks, a network_mode other than host, dns, dns_search or mac_address: "it shares
 *   the host's network stack"; network_mode host on any other isolation; ports or mac_address with
 *   network_mode none); a config:// spec whose config is not defined, cannot be read
 *   (the reader's code) or is not a valid credential spec.
 *
 * Ownership: on success *out is a new spec (free with spec_free, which zeroes a raw:// option); it may hold
 * a credential spec with a password (PluginInput), so send it with spec_to_json(..., with_secrets = true)
 * only where the whole spec must travel (the create request), and never log it. On failure *out is zeroed
 * and nothing is left allocated. Errors: the refusals above, WCTR_ENOMEM, WCTR_EINVAL for NULL arguments. */
#ifndef WCTR_COMPOSE_TO_SPEC_H
#define WCTR_COMPOSE_TO_SPEC_H

#include "common/error.h"
#include "compose/compose.h"
#include "spec/spec.h"

/* The labels compose puts on every container it creates (Docker Compose's names): `up`, `down`, `ps` and
 * `logs` find a project's containers and their services by them. */
#define COMPOSE_LABEL_PROJECT "com.docker.compose.project"
#define COMPOSE_LABEL_SERVICE "com.docker.compose.service"
#define COMPOSE_LABEL_NUMBER "com.docker.compose.container-number"
/* On the networks `up` creates (with COMPOSE_LABEL_PROJECT): the network's key in the file. */
#define COMPOSE_LABEL_NETWORK "com.docker.compose.network"

wctr_err compose_service_to_spec(const compose_project *p, const compose_service *s, compose_read_fn read_file,
                                 void *ctx, spec_container *out, wctr_errmsg *e);

#endif

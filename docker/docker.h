/* docker/docker.h - Docker's shapes of wctr's objects (portable): what `docker inspect`, `docker ps`,
 * `docker version`, `docker info` and `docker events` show, and what the Docker Engine API returns, built
 * from what wctrd's operations return (docs/protocol.md). `wctr` prints them; a later Engine API front-end
 * in service/ answers with them. Nothing here talks to anyone or allocates beyond the result.
 *
 * The rule for every shape: Docker's keys in Docker's order (moby's api/types as the Debian docker CLI
 * 20.10 and today's docker/cli read them), filled from wctr's value of the same meaning; Docker's zero value
 * where wctr has no such thing (a Linux-only field, the addresses of a container that does not run) so that a
 * template written for Docker finds every key; then every key of wctr's own that Docker has no place for,
 * under wctr's name, after Docker's (EffectiveLimits, AppliedLimits, Identity, Runtime, CredentialSpec...).
 * Where a wctr key and Docker's key mean the same thing under different names, Docker's name is used
 * (DataRoot is DockerRootDir); where they clash in type, wctr's goes under another name (info's Isolation
 * object is IsolationModes; Docker's Isolation is the default's name). docs/cli.md lists each mapping.
 *
 * Times: wctr's records hold ISO 8601 UTC ("2026-11-22T13:10:00.123Z"); Docker's inspect shows RFC 3339
 * with nanoseconds and trailing zeros dropped ("2026-11-22T13:10:00.123Z", "2026-11-22T13:10:00Z"), and
 * "0001-01-01T00:00:00Z" (Go's zero time) for a time that never was; lists carry Unix seconds.
 *
 * Each builder returns a new tree (cJSON_Delete), or NULL when out of memory. Input that lacks a key gives
 * Docker's zero value for it; input of the wrong shape (not an object) gives NULL. */
#ifndef WCTR_DOCKER_DOCKER_H
#define WCTR_DOCKER_DOCKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#define DOCKER_ZERO_TIME "0001-01-01T00:00:00Z"

/* container.inspect's record -> ContainerJSON (`docker inspect`, GET /containers/{id}/json): Id, Created,
 * Path, Args, State, Image, ..., Name ("/" + name), RestartCount, Driver, Platform, ..., HostConfig,
 * GraphDriver, Mounts (from HostConfig.Binds), Config, NetworkSettings, then wctr's keys. */
cJSON *docker_container_inspect(const cJSON *record);

/* A container.list summary (or a container.inspect record) -> container.Summary (GET /containers/json, the
 * rows of `docker ps`): Id, Names ["/name"], Image, ImageID, Command, Created (Unix seconds), Ports,
 * SizeRw and SizeRootFs (when the list measured them and they are not 0, Docker's omitempty), Labels, State,
 * Status ("Up 5 seconds", as of now, an ISO 8601 UTC time), HostConfig, NetworkSettings, Mounts (from
 * HostConfig.Binds when the input has them, else []). */
cJSON *docker_container_summary(const cJSON *wctr, const char *now);

/* The PORTS column of `docker ps`, from a summary's Ports [{IP?, PrivatePort, PublicPort?, Type}], by
 * docker/cli's rules: sorted by private port, IP, public port and type; a mapping to another public port
 * reads "0.0.0.0:8080->80/tcp" and comes last; the others are grouped by type (and IP) into runs of
 * consecutive ports ("80-82/tcp", "0.0.0.0:80-81->80-81/tcp"); ", " between. malloc'ed; NULL when out of
 * memory. */
char *docker_ports_display(const cJSON *ports);

/* Docker's Status text of a container: "Up 5 seconds", "Up 5 seconds (healthy)", "Up 1 minute (health:
 * starting)", "Exited (3) 2 hours ago", "Created", "Removal In Progress", from State/StartedAt/FinishedAt/
 * ExitCode/Health (a summary) or State{..., Health{Status}} (a record). */
void docker_container_status(const cJSON *wctr, const char *now, char *out, size_t size);

/* image.inspect's record -> ImageInspect (`docker image inspect`): Id, RepoTags, RepoDigests, Parent,
 * Comment, Created, DockerVersion, Author, Config {User, Env, Cmd, Volumes, WorkingDir, Entrypoint, OnBuild,
 * Labels, then the config's other keys}, Architecture, Os, OsVersion, Size, GraphDriver {Data {dir: the top
 * layer's folder}, Name "windowsfilter"}, RootFS {Type "layers", Layers [diff ids]}, Metadata {LastTagTime},
 * then wctr's keys (Layers: the folders, top-most first; Name, Manifest...). Two kinds of record come in: an
 * image of the content store (pulled or loaded: images/store.h), which carries these keys under Docker's
 * names, and an `image add` record of the catalog (Name, Cmd, User, Layers, OsVersion, Created; no content
 * id, so Id is ""), whose Name becomes RepoTags [Name] and Cmd and User the Config's. */
cJSON *docker_image_inspect(const cJSON *image);

/* secret.inspect (or a secret.list entry) -> swarm.Secret (`docker secret inspect`): ID, Version, CreatedAt,
 * UpdatedAt, Spec {Name, Labels}, then wctr's Size and UsedBy. */
cJSON *docker_secret_inspect(const cJSON *secret);

/* wctrd's version -> the Server part of `docker version` (GET /version): Platform {Name}, Components
 * [{Name "Engine", Version, Details}], Version, ApiVersion, Os, Arch. */
cJSON *docker_version_server(const cJSON *version);

/* wctrd's info, with container.list (all) and image.list when known (NULL: not counted), -> system.Info
 * (`docker info`, GET /info). Docker's info has some sixty keys, most of them about a Linux host; here only
 * those wctr knows the value of (an exception to the zero-value rule: NCPU 0 or Name "" would be wrong, not
 * empty): Containers, ContainersRunning, ContainersPaused, ContainersStopped, Images, Driver, LoggingDriver,
 * KernelVersion, OperatingSystem, OSVersion, OSType, Architecture, DockerRootDir, Labels, ExperimentalBuild,
 * ServerVersion, Isolation, Warnings; then wctr's HCS, IsolationModes, Pipe, BitLocker, Secrets, Caller. */
cJSON *docker_info(const cJSON *info, const cJSON *containers, const cJSON *images);

/* An "event" frame's data {Time, Type, Action, Id, Name[, ExitCode]} -> events.Message: status, id, Type,
 * Action, Actor {ID, Attributes {name, exitCode}}, scope "local", time, timeNano. */
cJSON *docker_event(const cJSON *event);

/* ---- times ---- */

/* go-units HumanSizeWithPrecision: decimal units (B, kB, MB, GB, TB, PB, EB, ZB, YB), "%.*g" with precision
 * significant digits: docker system df, prune totals and top use 4 (units.HumanSize), image lists 3. */
void docker_human_size(double bytes, int precision, char *out, size_t size);

/* go-units HumanDuration, as Docker words a span ("Up 5 seconds", "Created About an hour ago"). */
void docker_human_duration(int64_t seconds, char *out, size_t size);

/* Reads "YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)"; false when text is not such a time. */
bool docker_time_parse(const char *text, int64_t *unix_seconds, int32_t *nanos);
/* Go's time.ParseDuration ("30s", "1m30s", "1.5h", "250ms", "-2s", "0"): nanoseconds, rounded to the nearest
 * (a fraction is read as a double). False when text is not a duration or lies outside Go's int64 range. */
bool docker_duration_ns(const char *text, int64_t *ns);
/* docker/cli's timetypes.GetTimestamp (logs --since/--until, events): a Go duration ("10m", "1h30m", "1.5s":
 * now minus it, whole seconds; "0" is not one), a date-time "2006-01-02[T15[:04[:05[.999999999]]]]" with an
 * optional zone ("Z" or "+07:00"), or a Unix time "1700000000[.5]". A time without a zone is read as UTC
 * (Docker reads it in the client's local time zone: this module has none). False when value is none of them. */
bool docker_timestamp(const char *value, int64_t now_seconds, int64_t *unix_seconds, int32_t *nanos);
/* Go's RFC3339Nano in UTC: "2026-11-22T13:10:00.5Z" (trailing zeros of the fraction dropped). */
void docker_time_rfc3339(int64_t unix_seconds, int32_t nanos, char *out, size_t size);
/* Go's time.Time String() in UTC: "2026-11-22 13:10:00 +0000 UTC" (docker ps's CreatedAt). */
void docker_time_go_string(int64_t unix_seconds, char *out, size_t size);
/* wctr's time text as Docker's: DOCKER_ZERO_TIME when empty or unreadable. */
void docker_time_convert(const char *wctr_time, char *out, size_t size);

#endif

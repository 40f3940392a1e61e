/* gmsa/credspec.h - credential specs (gMSA): parse, validate, render. Portable.
 *
 * A credential spec is the JSON document Microsoft's CredentialSpec PowerShell module writes
 * (New-CredentialSpec) and HCS's Container Credential Guard consumes:
 *
 *   {"CmsPlugins":["ActiveDirectory"],
 *    "DomainJoinConfig":{"Sid":"S-1-5-21-a-b-c","MachineAccountName":"webapp01",
 *                        "Guid":"8-4-4-4-12 hex","DnsTreeName":"contoso.com","DnsName":"contoso.com",
 *                        "NetBiosName":"CONTOSO"},
 *    "ActiveDirectoryConfig":{"GroupManagedServiceAccounts":[{"Name":"webapp01","Scope":"contoso.com"},
 *                                                            {"Name":"webapp01","Scope":"CONTOSO"}],
 *                             "HostAccountConfig":{"PortableCcgVersion":"1","PluginGUID":"{...}",
 *                                                  "PluginInput":"..."}}}
 *
 * HostAccountConfig is optional (only non-domain-joined hosts use it, through a CCG plugin).
 *
 * Two steps, so a spec can be checked in the shape it was written in and then against the rules:
 *
 * gmsa_credspec_parse - the JSON shape. One JSON value (a UTF-8 byte-order mark is skipped; UTF-16
 *   text is refused with a hint), at most GMSA_CREDSPEC_MAX_BYTES. Every key above that is not marked
 *   optional is required, every value has the type shown, and every string (keys too) is well-formed
 *   UTF-8 with no NUL character (\u0000, which a C string would silently end at) and no unescaped
 *   control character (JSON requires them escaped).
 *   UNKNOWN KEYS ARE ERRORS, at every level, and so are duplicate keys: the module writes exactly the
 *   keys above (every version of CredentialSpec.psm1 builds the same hashtable), no component
 *   downstream of wctr validates the spec (REFERENCE.md), and a misspelt key ("HostAcountConfig")
 *   silently ignored would run the container with another identity than the one its author meant.
 *   Keys are case-sensitive, as the module writes them.
 *
 * gmsa_credspec_validate - the rules, checked in this order, first failure reported:
 *   CmsPlugins contains "ActiveDirectory";
 *   no string of the spec holds a template placeholder: $NAME$ (NAME a letter or '_', then letters, digits,
 *     '_') standing as a token, with no letter, digit or '_' right before or after it ("$gmsa$",
 *     "$DOMAIN$.com", "contoso.com:$USER$:$PASSWORD$"), which a template leaves for a script to fill in;
 *     each field is checked where its other rules are (CmsPlugins entries first);
 *   the six DomainJoinConfig strings are non-empty and have no control characters;
 *   NetBiosName is at most GMSA_NETBIOS_NAME_MAX characters;
 *   Sid is a domain SID: "S-1-5-21-a-b-c", three canonical decimal 32-bit sub-authorities (no sign, no
 *     leading zeros);
 *   Guid is 8-4-4-4-12 hex digits without braces (either case);
 *   MachineAccountName is an account name (below);
 *   GroupManagedServiceAccounts has at least one entry; each Name and Scope is non-empty without control
 *     characters, and each Name is an account name;
 *   MachineAccountName equals one of the Names, ignoring ASCII case (Windows compares account names
 *     case-insensitively; non-ASCII letters must match exactly, see gmsa_ascii_equal_nocase);
 *   when HostAccountConfig is present: PortableCcgVersion is "1"; PluginGUID is a braced GUID
 *     "{8-4-4-4-12}" of hex digits (it is the CLSID of a COM class); PluginInput is a non-empty string
 *     (every CCG plugin reads its account or the location of its secret from it).
 *   An account name is the gMSA's sAMAccountName as Microsoft's troubleshooting guide asks for it and
 *   New-CredentialSpec writes it: without a domain (not a user principal name "web01@contoso.com", not
 *   "CONTOSO\web01") and without the trailing '$' (the generator strips it), at most
 *   GMSA_ACCOUNT_NAME_MAX characters. The messages say what to write instead:
 *     credential spec: DomainJoinConfig.MachineAccountName "web01$" ends with '$'; write the account name
 *     without the dollar sign: "web01"
 *   "Characters" are Unicode code points. GMSA_ACCOUNT_NAME_MAX is the sAMAccountName limit of a
 *   computer-style account (15, without the trailing '$'); GMSA_NETBIOS_NAME_MAX the NetBIOS name limit.
 *
 * Errors: WCTR_EINVAL for a broken spec, WCTR_ETOOBIG for one over the size limit, WCTR_ENOMEM.
 * Messages start with "credential spec: " and name the field path and the rule, e.g.
 *   credential spec: DomainJoinConfig.Sid "S-1-5-32-544" is not a domain SID (S-1-5-21-a-b-c)
 *   credential spec: ActiveDirectoryConfig: unknown key "HostAcountConfig"
 * Values are quoted with gmsa_quote (escaped, cut at 64 bytes). A JSON syntax error reports only the
 * byte offset, never the text around it.
 *
 * SECRETS. PluginInput may hold a password (the sample plugin takes "domain:user:password"). It never
 * appears in an error message of this module (its checks only name it, a placeholder in it included) and
 * this module logs nothing.
 * Every string of a gmsa_credspec, and the cJSON tree parsed on the way, is zeroed before it is freed.
 * Two things are the caller's: the input text (zero it after parsing: it holds the secret too) and the
 * text gmsa_credspec_to_json returns (free it with gmsa_secret_free, which zeros it). One gap remains:
 * when the JSON is malformed or memory runs out inside cJSON_Parse, cJSON frees the strings it had
 * parsed so far without zeroing them. Closing it would take replacing cJSON's allocator hooks, which
 * are process-wide and not this module's to change.
 *
 * Ownership. A gmsa_credspec and every string in it are allocated with cJSON_malloc and owned by the
 * struct; gmsa_credspec_free zeros and frees them all. Code that replaces a string in the struct must
 * allocate the new one with cJSON_malloc and release the old one with gmsa_secret_free. */
#ifndef WCTR_GMSA_CREDSPEC_H
#define WCTR_GMSA_CREDSPEC_H

#include <stddef.h>

#include "common/error.h"
#include "spec/credspec_source.h"

/* Largest credential spec accepted, in bytes (spec/credspec_source.h bounds a raw:// option by the same
 * number). Real ones are under 2 KiB; the limit bounds the work of parsing a file or a raw:// option from
 * outside. */
#define GMSA_CREDSPEC_MAX_BYTES SPEC_CREDSPEC_MAX_BYTES
/* Longest account name (MachineAccountName, GroupManagedServiceAccounts[].Name), in code points. */
#define GMSA_ACCOUNT_NAME_MAX 15
/* Longest NetBiosName (a NetBIOS domain name), in code points. */
#define GMSA_NETBIOS_NAME_MAX 15
/* What gmsa_credspec_to_json_redacted writes instead of PluginInput. */
#define GMSA_REDACTED SPEC_REDACTED

typedef struct gmsa_domain_join {
  char *sid;                  /* "Sid": the domain's SID */
  char *machine_account_name; /* "MachineAccountName": the gMSA the container runs as on the network */
  char *guid;                 /* "Guid": the domain's object GUID */
  char *dns_tree_name;        /* "DnsTreeName": the forest's DNS name */
  char *dns_name;             /* "DnsName": the domain's DNS name */
  char *netbios_name;         /* "NetBiosName": the domain's NetBIOS name */
} gmsa_domain_join;

typedef struct gmsa_account {
  char *name;  /* "Name": the gMSA's account name, without '$' */
  char *scope; /* "Scope": the domain it lives in (DNS or NetBIOS name) */
} gmsa_account;

typedef struct gmsa_host_account {
  char *portable_ccg_version; /* "PortableCcgVersion" */
  char *plugin_guid;          /* "PluginGUID": "{CLSID}" of the CCG plugin */
  char *plugin_input;         /* "PluginInput": SECRET - never log it, never put it in a message */
} gmsa_host_account;

typedef struct gmsa_credspec {
  char **cms_plugins; /* "CmsPlugins", cms_plugin_count strings */
  size_t cms_plugin_count;
  gmsa_domain_join domain_join; /* "DomainJoinConfig" */
  gmsa_account *accounts;       /* "ActiveDirectoryConfig.GroupManagedServiceAccounts" */
  size_t account_count;
  gmsa_host_account *host_account; /* "ActiveDirectoryConfig.HostAccountConfig"; NULL when absent */
} gmsa_credspec;

/* Parses len bytes of text (need not be NUL-terminated) and checks the JSON shape (see above). On
 * success *out is a new spec that the caller frees with gmsa_credspec_free; every field that is not
 * optional is non-NULL. On failure *out is NULL. The spec is NOT yet validated. */
wctr_err gmsa_credspec_parse(const char *text, size_t len, gmsa_credspec **out, wctr_errmsg *e);

/* Checks the rules (see above). Also accepts a spec built by hand: a NULL string counts as missing. */
wctr_err gmsa_credspec_validate(const gmsa_credspec *spec, wctr_errmsg *e);

/* gmsa_credspec_parse, then gmsa_credspec_validate. *out is set only when both succeed (caller frees
 * with gmsa_credspec_free); otherwise it is NULL and nothing is left to free. */
wctr_err gmsa_credspec_load(const char *text, size_t len, gmsa_credspec **out, wctr_errmsg *e);

/* The spec as compact JSON, keys in the order of the format above, NULL strings left out, for handing to
 * HCS (ContainerCredentialGuard "CredentialSpec"). It contains PluginInput: the caller frees it with
 * gmsa_secret_free. For a spec from gmsa_credspec_parse, the text is never longer than the input was,
 * and parsing it gives the same spec (rendering it again gives the same text). Validate first: this
 * renders any spec. The text is printed into a buffer sized up front, so no copy of PluginInput is left
 * in memory that cJSON grew and freed. Errors: WCTR_EINVAL (spec NULL), WCTR_ENOMEM, WCTR_ETOOBIG (over
 * INT_MAX bytes); *out is then NULL. */
wctr_err gmsa_credspec_to_json(const gmsa_credspec *spec, char **out, wctr_errmsg *e);

/* The same with PluginInput replaced by GMSA_REDACTED (when HostAccountConfig is present), for
 * `inspect` and logs. Free it with gmsa_secret_free too (or cJSON_free: it holds no secret). It may be
 * a few bytes longer than the input (GMSA_REDACTED is longer than a short PluginInput). */
wctr_err gmsa_credspec_to_json_redacted(const gmsa_credspec *spec, char **out, wctr_errmsg *e);

/* Zeros every string and the struct, then frees them. Accepts NULL. */
void gmsa_credspec_free(gmsa_credspec *spec);

#endif

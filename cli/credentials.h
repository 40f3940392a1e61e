/* cli/credentials.h - registry credentials of the user running wctr (Windows only).
 *
 * Docker keeps them in config.json (base64, or a credential helper); wctr has no configuration file for the
 * client: each registry's credentials are one file, %LOCALAPPDATA%\wctr\registries\<registry as hex>.dpapi,
 * holding {"Username","Password"} encrypted with DPAPI for the current user (CryptProtectData without
 * CRYPTPROTECT_LOCAL_MACHINE, with entropy naming wctr and the registry, so a blob copied to another
 * registry's file does not decrypt). Another user of the machine, or the same user on another machine,
 * cannot decrypt them; wctrd never stores them (it gets them with each pull). Plaintext is zeroed after use
 * and never printed or logged. */
#ifndef WCTR_CLI_CREDENTIALS_H
#define WCTR_CLI_CREDENTIALS_H

#include "common/error.h"

wctr_err cli_credentials_store(const char *server, const char *user, const char *password, wctr_errmsg *e);
/* WCTR_ENOENT when none is stored. */
wctr_err cli_credentials_load(const char *server, char **user, char **password, wctr_errmsg *e);
wctr_err cli_credentials_erase(const char *server, wctr_errmsg *e);

#endif

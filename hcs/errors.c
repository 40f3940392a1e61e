/* hcs/errors.c - the HCS HRESULT table and the sentence builder.
 *
 * Names and meanings are winerror.h's (FACILITY_VMCOMPUTE = 0x37); the hints are wctr's. */
#include "hcs/errors.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#define HINT_FEATURE "enable the Containers feature (and Hyper-V for --isolation=hyperv), then reboot"
#define HINT_BUG "this is a wctr bug: report it with the service log"

static const hcs_error_info table[] = {
    {0x80370100u, "HCS_E_TERMINATED_DURING_START", "The virtual machine or container exited unexpectedly while starting",
     "check the image and the container's command", WCTR_ESYSTEM},
    {0x80370101u, "HCS_E_IMAGE_MISMATCH", "The container operating system does not match the host operating system",
     "use --isolation=hyperv", WCTR_ENOTSUP},
    {0x80370102u, "HCS_E_HYPERV_NOT_INSTALLED", "The virtual machine could not be started because a required feature is not installed",
     HINT_FEATURE, WCTR_ENOTSUP},
    {0x80370105u, "HCS_E_INVALID_STATE", "The requested virtual machine or container operation is not valid in the current state",
     NULL, WCTR_ESTATE},
    {0x80370106u, "HCS_E_UNEXPECTED_EXIT", "The virtual machine or container exited unexpectedly", NULL, WCTR_ESYSTEM},
    {0x80370107u, "HCS_E_TERMINATED", "The virtual machine or container was forcefully exited", NULL, WCTR_ESYSTEM},
    {0x80370108u, "HCS_E_CONNECT_FAILED", "A connection could not be established with the container or virtual machine",
     NULL, WCTR_ESYSTEM},
    {0x80370109u, "HCS_E_CONNECTION_TIMEOUT", "The operation timed out because a response was not received from the virtual machine or container",
     NULL, WCTR_ETIMEDOUT},
    {0x8037010Au, "HCS_E_CONNECTION_CLOSED", "The connection with the virtual machine or container was closed", NULL, WCTR_ESYSTEM},
    {0x8037010Bu, "HCS_E_UNKNOWN_MESSAGE", "An unknown internal message was received by the virtual machine or container",
     NULL, WCTR_ESYSTEM},
    {0x8037010Cu, "HCS_E_UNSUPPORTED_PROTOCOL_VERSION", "The virtual machine or container does not support an available version of the communication protocol with the host",
     NULL, WCTR_ENOTSUP},
    {0x8037010Du, "HCS_E_INVALID_JSON", "The virtual machine or container JSON document is invalid", HINT_BUG, WCTR_EINTERNAL},
    {0x8037010Eu, "HCS_E_SYSTEM_NOT_FOUND", "A virtual machine or container with the specified identifier does not exist",
     NULL, WCTR_ENOENT},
    {0x8037010Fu, "HCS_E_SYSTEM_ALREADY_EXISTS", "A virtual machine or container with the specified identifier already exists",
     NULL, WCTR_EEXIST},
    {0x80370110u, "HCS_E_SYSTEM_ALREADY_STOPPED", "The virtual machine or container with the specified identifier is not running",
     NULL, WCTR_ESTATE},
    {0x80370111u, "HCS_E_PROTOCOL_ERROR", "A communication protocol error has occurred between the virtual machine or container and the host",
     NULL, WCTR_ESYSTEM},
    {0x80370112u, "HCS_E_INVALID_LAYER", "The container image contains a layer with an unrecognized format",
     "pull the image again", WCTR_ECONFIG},
    {0x80370113u, "HCS_E_WINDOWS_INSIDER_REQUIRED", "To use this container image, you must join the Windows Insider Program",
     NULL, WCTR_ENOTSUP},
    {0x80370114u, "HCS_E_SERVICE_NOT_AVAILABLE", "The operation could not be started because a required feature is not installed",
     HINT_FEATURE, WCTR_ENOTSUP},
    {0x80370115u, "HCS_E_OPERATION_NOT_STARTED", "The operation has not started", NULL, WCTR_ESTATE},
    {0x80370116u, "HCS_E_OPERATION_ALREADY_STARTED", "The operation is already running", NULL, WCTR_EBUSY},
    {0x80370117u, "HCS_E_OPERATION_PENDING", "The operation is still running", NULL, WCTR_EBUSY},
    {0x80370118u, "HCS_E_OPERATION_TIMEOUT", "The operation did not complete in time",
     "the host may be overloaded; try again", WCTR_ETIMEDOUT},
    {0x80370119u, "HCS_E_OPERATION_SYSTEM_CALLBACK_ALREADY_SET", "An event callback has already been registered on this handle",
     HINT_BUG, WCTR_EINTERNAL},
    {0x8037011Au, "HCS_E_OPERATION_RESULT_ALLOCATION_FAILED", "Not enough memory available to return the result of the operation",
     NULL, WCTR_ENOMEM},
    {0x8037011Bu, "HCS_E_ACCESS_DENIED", "Insufficient privileges", "run the wctr service as LocalSystem or an administrator",
     WCTR_EACCES},
    {0x8037011Cu, "HCS_E_GUEST_CRITICAL_ERROR", "The virtual machine or container reported a critical error and was stopped or restarted",
     NULL, WCTR_ESYSTEM},
    {0x8037011Du, "HCS_E_PROCESS_INFO_NOT_AVAILABLE", "The process information is not available", NULL, WCTR_ESTATE},
    {0x8037011Eu, "HCS_E_SERVICE_DISCONNECT", "The host compute system service has disconnected unexpectedly",
     "check that the vmcompute service is running", WCTR_ESYSTEM},
    {0x8037011Fu, "HCS_E_PROCESS_ALREADY_STOPPED", "The process has already exited", NULL, WCTR_ESTATE},
    {0x80370120u, "HCS_E_SYSTEM_NOT_CONFIGURED_FOR_OPERATION", "The virtual machine or container is not configured to perform the operation",
     NULL, WCTR_ENOTSUP},
    {0x80370121u, "HCS_E_OPERATION_ALREADY_CANCELLED", "The operation has already been cancelled", NULL, WCTR_ECANCELED},
    /* Win32 codes HCS calls return as HRESULTs. */
    {0x80070490u, "ERROR_NOT_FOUND", "Element not found", NULL, WCTR_ENOENT},
    {0x80070002u, "ERROR_FILE_NOT_FOUND", "The system cannot find the file specified", NULL, WCTR_ENOENT},
    {0x80070003u, "ERROR_PATH_NOT_FOUND", "The system cannot find the path specified", NULL, WCTR_ENOENT},
    {0x80070005u, "E_ACCESSDENIED", "Access is denied", "run the wctr service as LocalSystem or an administrator", WCTR_EACCES},
    {0x8007000Du, "ERROR_INVALID_DATA", "The data is invalid", NULL, WCTR_EINVAL},
    {0x80070032u, "ERROR_NOT_SUPPORTED", "The request is not supported", NULL, WCTR_ENOTSUP},
    {0x80070057u, "E_INVALIDARG", "The parameter is incorrect", NULL, WCTR_EINVAL},
    {0x80070070u, "ERROR_DISK_FULL", "There is not enough space on the disk", NULL, WCTR_ENOSPC},
    {0x800705AAu, "ERROR_NO_SYSTEM_RESOURCES", "Insufficient system resources exist to complete the requested service",
     NULL, WCTR_ENOMEM},
    {0x800705B4u, "ERROR_TIMEOUT", "This operation returned because the timeout period expired", NULL, WCTR_ETIMEDOUT},
    /* vmcompute's layer calls: a scratch that is still in use, not mounted yet, or already there. hcsshim
     * retries ERROR_NOT_READY and ERROR_DEVICE_NOT_CONNECTED on Windows Server 2019 (wcow_mount.go). */
    {0x800700AAu, "ERROR_BUSY", "The requested resource is in use", NULL, WCTR_EBUSY},
    {0x80070015u, "ERROR_NOT_READY", "The device is not ready", NULL, WCTR_ESTATE},
    {0x8007048Fu, "ERROR_DEVICE_NOT_CONNECTED", "The device is not connected", NULL, WCTR_ESYSTEM},
    {0x80070050u, "ERROR_FILE_EXISTS", "The file exists", NULL, WCTR_EEXIST},
    {0x800700B7u, "ERROR_ALREADY_EXISTS", "Cannot create a file when that file already exists", NULL, WCTR_EEXIST},
    /* The virtual disk service's own code (FACILITY_VIRTUALIZATION's virtdisk range), as HCS passes it on. */
    {0xC03A0015u, "ERROR_VIRTDISK_NOT_VIRTUAL_DISK", "The specified disk is not a virtual disk", NULL, WCTR_EINVAL},
};

const hcs_error_info *hcs_error_table(size_t *count) {
  if (count != NULL) *count = sizeof table / sizeof table[0];
  return table;
}

const hcs_error_info *hcs_error_lookup(uint32_t hr) {
  uint32_t canon = hr;
  /* 0xC037xxxx: severity 3 without the customer bit, as HCS puts it in result documents. */
  if ((hr & 0xFFFF0000u) == 0xC0370000u) canon = 0x80370000u | (hr & 0xFFFFu);
  for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
    if (table[i].code == canon) return &table[i];
  }
  return NULL;
}

wctr_err hcs_error_code(uint32_t hr) {
  const hcs_error_info *info = hcs_error_lookup(hr);
  if (info != NULL) return info->err;
  return wctr_from_hresult(hr);
}

/* Appends text to buf at *len with newlines as spaces and trailing periods/spaces trimmed. */
static void put_clean(char *buf, size_t size, size_t *len, const char *text) {
  size_t n = strlen(text);
  while (n > 0 && (text[n - 1] == '.' || text[n - 1] == ' ' || text[n - 1] == '\n' ||
                   text[n - 1] == '\r' || text[n - 1] == '\t')) {
    n--;
  }
  for (size_t i = 0; i < n && *len + 1 < size; i++) {
    char c = text[i];
    if (c == '\r' || c == '\n' || c == '\t') c = ' ';
    buf[(*len)++] = c;
  }
  buf[*len] = '\0';
}

static void put_text(char *buf, size_t size, size_t *len, const char *text) {
  for (size_t i = 0; text[i] != '\0' && *len + 1 < size; i++) buf[(*len)++] = text[i];
  buf[*len] = '\0';
}

static bool same_text(const char *detail, const char *meaning) {
  size_t n = strlen(detail);
  while (n > 0 && (detail[n - 1] == '.' || detail[n - 1] == ' ' || detail[n - 1] == '\n' ||
                   detail[n - 1] == '\r')) {
    n--;
  }
  return n == strlen(meaning) && strncmp(detail, meaning, n) == 0;
}

static const char *doc_detail(const cJSON *doc) {
  const cJSON *events = cJSON_GetObjectItemCaseSensitive(doc, "ErrorEvents");
  const cJSON *ev = NULL;
  if (cJSON_IsArray(events)) {
    cJSON_ArrayForEach(ev, events) {
      const cJSON *m = cJSON_GetObjectItemCaseSensitive(ev, "Message");
      if (cJSON_IsString(m) && m->valuestring[0] != '\0') return m->valuestring;
    }
  }
  const cJSON *m = cJSON_GetObjectItemCaseSensitive(doc, "ErrorMessage");
  if (cJSON_IsString(m) && m->valuestring[0] != '\0') return m->valuestring;
  return NULL;
}

char *hcs_error_describe(uint32_t hr, const char *result_doc, char *buf, size_t size) {
  if (buf == NULL || size == 0) return buf;
  buf[0] = '\0';
  cJSON *doc = result_doc != NULL ? cJSON_Parse(result_doc) : NULL;
  if (doc != NULL && !cJSON_IsObject(doc)) {
    cJSON_Delete(doc);
    doc = NULL;
  }
  if (hr == 0 && doc != NULL) {
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(doc, "Error");
    if (cJSON_IsNumber(code)) {
      /* HCS writes the HRESULT as a signed 32-bit number (-1070137087) or, rarely, unsigned. */
      double v = code->valuedouble;
      if (v < 0 && v >= -2147483648.0) hr = (uint32_t)(int32_t)v;
      else if (v >= 0 && v <= 4294967295.0) hr = (uint32_t)v;
    }
  }
  const hcs_error_info *info = hcs_error_lookup(hr);
  char head[96];
  size_t len = 0;
  if (info != NULL) {
    put_text(buf, size, &len, info->meaning);
    snprintf(head, sizeof head, " (%s, 0x%08X)", info->name, (unsigned)hr);
  } else {
    put_text(buf, size, &len, "HCS call failed");
    snprintf(head, sizeof head, " (0x%08X)", (unsigned)hr);
  }
  put_text(buf, size, &len, head);
  const char *detail = doc != NULL ? doc_detail(doc) : NULL;
  if (detail != NULL && !(info != NULL && same_text(detail, info->meaning))) {
    put_text(buf, size, &len, ": ");
    put_clean(buf, size, &len, detail);
  }
  if (info != NULL && info->hint != NULL) {
    put_text(buf, size, &len, "; ");
    put_text(buf, size, &len, info->hint);
  }
  cJSON_Delete(doc);
  return buf;
}

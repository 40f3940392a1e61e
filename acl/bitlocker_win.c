/* acl/bitlocker_win.c - the BitLocker probe through WMI (Win32_EncryptableVolume). */
#define COBJMACROS
#include <windows.h>

#include <oleauto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wbemidl.h>

#include "acl/acl_sys.h"
#include "acl/bitlocker.h"
#include "common/log.h"
#include "common/wstr.h"

/* Reads an integer property that WMI hands back as VT_I4 (uint32 in MOF). -1 when absent or null. */
static int int_property(IWbemClassObject *obj, const wchar_t *name) {
  VARIANT v;
  VariantInit(&v);
  int value = -1;
  if (SUCCEEDED(IWbemClassObject_Get(obj, name, 0, &v, NULL, NULL))) {
    if (V_VT(&v) == VT_I4) value = (int)V_I4(&v);
    if (V_VT(&v) == VT_UI4) value = (int)V_UI4(&v);
  }
  VariantClear(&v);
  return value;
}

static BOOL device_matches(IWbemClassObject *obj, const wchar_t *volume_guid_path) {
  VARIANT v;
  VariantInit(&v);
  BOOL match = FALSE;
  if (SUCCEEDED(IWbemClassObject_Get(obj, L"DeviceID", 0, &v, NULL, NULL)) && V_VT(&v) == VT_BSTR) {
    match = _wcsicmp(V_BSTR(&v), volume_guid_path) == 0;
  }
  VariantClear(&v);
  return match;
}

HRESULT acl_bitlocker_query_wmi(const wchar_t *volume_guid_path, int *protection_status,
                                int *conversion_status) {
  IWbemLocator *locator = NULL;
  IWbemServices *services = NULL;
  IEnumWbemClassObject *rows = NULL;
  BSTR ns = NULL;
  BSTR lang = NULL;
  BSTR query = NULL;
  *protection_status = -1;
  *conversion_status = -1;
  HRESULT init = CoInitializeEx(NULL, COINIT_MULTITHREADED);
  /* RPC_E_CHANGED_MODE: this thread is already in a single-threaded apartment; COM works, but the
   * matching CoUninitialize is not ours to call. */
  BOOL uninit = SUCCEEDED(init);
  HRESULT hr = CoCreateInstance(&CLSID_WbemLocator, NULL, CLSCTX_INPROC_SERVER, &IID_IWbemLocator,
                                (void **)&locator);
  if (FAILED(hr)) goto done;
  ns = SysAllocString(L"ROOT\\CIMV2\\Security\\MicrosoftVolumeEncryption");
  lang = SysAllocString(L"WQL");
  query = SysAllocString(L"SELECT DeviceID, ProtectionStatus, ConversionStatus FROM Win32_EncryptableVolume");
  if (ns == NULL || lang == NULL || query == NULL) {
    hr = E_OUTOFMEMORY;
    goto done;
  }
  hr = IWbemLocator_ConnectServer(locator, ns, NULL, NULL, NULL, WBEM_FLAG_CONNECT_USE_MAX_WAIT, NULL, NULL,
                                  &services);
  if (FAILED(hr)) goto done;
  /* The BitLocker provider requires packet privacy. */
  hr = CoSetProxyBlanket((IUnknown *)services, RPC_C_AUTHN_WINNT, RPC_C_AUTHZ_NONE, NULL,
                         RPC_C_AUTHN_LEVEL_PKT_PRIVACY, RPC_C_IMP_LEVEL_IMPERSONATE, NULL, EOAC_NONE);
  if (FAILED(hr)) goto done;
  hr = IWbemServices_ExecQuery(services, lang, query, WBEM_FLAG_FORWARD_ONLY | WBEM_FLAG_RETURN_IMMEDIATELY,
                               NULL, &rows);
  if (FAILED(hr)) goto done;
  hr = WBEM_E_NOT_FOUND;
  for (;;) {
    IWbemClassObject *row = NULL;
    ULONG got = 0;
    /* A bounded wait: a stuck WMI provider must not hang `wctr info`. */
    HRESULT next = IEnumWbemClassObject_Next(rows, 10000, 1, &row, &got);
    if (next == WBEM_S_TIMEDOUT) {
      hr = HRESULT_FROM_WIN32(ERROR_TIMEOUT);
      break;
    }
    if (FAILED(next) || got == 0) break;
    BOOL match = device_matches(row, volume_guid_path);
    if (match) {
      *protection_status = int_property(row, L"ProtectionStatus");
      *conversion_status = int_property(row, L"ConversionStatus");
      hr = S_OK;
    }
    IWbemClassObject_Release(row);
    if (match) break;
  }
done:
  if (rows != NULL) IEnumWbemClassObject_Release(rows);
  if (services != NULL) IWbemServices_Release(services);
  if (locator != NULL) IWbemLocator_Release(locator);
  SysFreeString(ns);
  SysFreeString(lang);
  SysFreeString(query);
  if (uninit) CoUninitialize();
  return hr;
}

void acl_bitlocker_probe(const char *path, acl_bitlocker_status *out) {
  wchar_t mount[MAX_PATH];
  wchar_t guid_path[64];
  int protection = -1;
  int conversion = -1;
  memset(out, 0, sizeof *out);
  out->state = ACL_BITLOCKER_UNKNOWN;
  wchar_t *wide = wctr_utf8_to_wide(path);
  if (wide == NULL) {
    snprintf(out->detail, sizeof out->detail, "the path is not valid UTF-8");
    return;
  }
  BOOL ok = GetVolumePathNameW(wide, mount, ARRAYSIZE(mount));
  free(wide);
  if (!ok || !GetVolumeNameForVolumeMountPointW(mount, guid_path, ARRAYSIZE(guid_path))) {
    DWORD code = GetLastError();
    snprintf(out->detail, sizeof out->detail, "cannot find the volume of %s (error %lu)", path,
             (unsigned long)code);
    return;
  }
  char *mount_utf8 = wctr_wide_to_utf8(mount);
  snprintf(out->volume, sizeof out->volume, "%s", mount_utf8 != NULL ? mount_utf8 : "?");
  free(mount_utf8);
  HRESULT hr = acl_sys.bitlocker_query(guid_path, &protection, &conversion);
  if (FAILED(hr)) {
    char sysmsg[256];
    if (hr == (HRESULT)WBEM_E_INVALID_NAMESPACE || hr == (HRESULT)WBEM_E_INVALID_CLASS) {
      snprintf(out->detail, sizeof out->detail,
               "the BitLocker WMI provider is not present on this host (0x%08lX)", (unsigned long)hr);
    } else if (hr == (HRESULT)WBEM_E_NOT_FOUND) {
      snprintf(out->detail, sizeof out->detail, "BitLocker does not list the volume %s", out->volume);
    } else {
      snprintf(out->detail, sizeof out->detail, "cannot read the BitLocker status (0x%08lX: %s)",
               (unsigned long)hr, wctr_system_message((uint32_t)hr, sysmsg, sizeof sysmsg));
    }
    return;
  }
  acl_bitlocker_classify(protection, conversion, out);
}

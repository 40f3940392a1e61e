/* hcs/probe_win.c - can this host run HCS containers? */
#include <windows.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/wstr.h"
#include "hcs/hcs.h"

/* The v2 functions every container path uses; a computecore.dll without one of them is too old. */
static const char *const required_functions[] = {
    "HcsCreateOperation",      "HcsCloseOperation",     "HcsWaitForOperationResult",
    "HcsCreateComputeSystem",  "HcsOpenComputeSystem",  "HcsCloseComputeSystem",
    "HcsStartComputeSystem",   "HcsShutDownComputeSystem", "HcsTerminateComputeSystem",
    "HcsCreateProcess",        "HcsGetComputeSystemProperties",
};

/* The layer functions a container's scratch needs (hcs/client.h). */
static const char *const required_layer_functions[] = {
    "NameToGuid", "CreateSandboxLayer", "ActivateLayer", "PrepareLayer", "GetLayerMountPath", "UnprepareLayer",
    "DeactivateLayer", "DestroyLayer",
};

/* vmcompute.dll with every function of required_layer_functions; false with out->detail set otherwise. */
static bool probe_layers(hcs_probe_result *out) {
  HMODULE dll = LoadLibraryExW(L"vmcompute.dll", NULL, LOAD_LIBRARY_SEARCH_APPLICATION_DIR | LOAD_LIBRARY_SEARCH_SYSTEM32);
  if (dll == NULL) {
    snprintf(out->detail, sizeof out->detail, "%s (vmcompute.dll cannot be loaded: error %lu)", HCS_UNAVAILABLE_MESSAGE,
             (unsigned long)GetLastError());
    return false;
  }
  bool ok = true;
  for (size_t i = 0; ok && i < sizeof required_layer_functions / sizeof required_layer_functions[0]; i++) {
    if (GetProcAddress(dll, required_layer_functions[i]) == NULL) {
      snprintf(out->detail, sizeof out->detail, "%s (vmcompute.dll has no %s)", HCS_UNAVAILABLE_MESSAGE,
               required_layer_functions[i]);
      ok = false;
    }
  }
  FreeLibrary(dll);
  return ok;
}

void hcs_probe(hcs_probe_result *out) {
  memset(out, 0, sizeof *out);
  HMODULE dll = LoadLibraryExW(L"computecore.dll", NULL,
                               LOAD_LIBRARY_SEARCH_APPLICATION_DIR | LOAD_LIBRARY_SEARCH_SYSTEM32);
  if (dll == NULL) {
    snprintf(out->detail, sizeof out->detail, "%s (computecore.dll cannot be loaded: error %lu)",
             HCS_UNAVAILABLE_MESSAGE, (unsigned long)GetLastError());
    return;
  }
  for (size_t i = 0; i < sizeof required_functions / sizeof required_functions[0]; i++) {
    if (GetProcAddress(dll, required_functions[i]) == NULL) {
      snprintf(out->detail, sizeof out->detail, "%s (computecore.dll has no %s)", HCS_UNAVAILABLE_MESSAGE,
               required_functions[i]);
      FreeLibrary(dll);
      return;
    }
  }
  if (!probe_layers(out)) {
    FreeLibrary(dll);
    return;
  }
  wchar_t path[MAX_PATH];
  DWORD n = GetModuleFileNameW(dll, path, ARRAYSIZE(path));
  char *utf8 = n > 0 && n < ARRAYSIZE(path) ? wctr_wide_to_utf8(path) : NULL;
  out->available = true;
  snprintf(out->detail, sizeof out->detail, "%s", utf8 != NULL ? utf8 : "computecore.dll");
  free(utf8);
  FreeLibrary(dll);
}

/* hcs/document.c - HCS v2 documents for process and Hyper-V isolation, and ProcessParameters. */
#include "hcs/document.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cmdline.h"

/* --- small JSON helpers ----------------------------------------------------------------------------
 * Each returns false when cJSON ran out of memory; the caller's document is then deleted whole. */

static bool add_str(cJSON *o, const char *k, const char *v) { return cJSON_AddStringToObject(o, k, v) != NULL; }
static bool add_num(cJSON *o, const char *k, double v) { return cJSON_AddNumberToObject(o, k, v) != NULL; }
static bool add_bool(cJSON *o, const char *k, bool v) { return cJSON_AddBoolToObject(o, k, v) != NULL; }

static cJSON *add_obj(cJSON *o, const char *k) { return cJSON_AddObjectToObject(o, k); }

static bool add_version(cJSON *o) {
  cJSON *v = add_obj(o, "SchemaVersion");
  return v != NULL && add_num(v, "Major", 2) && add_num(v, "Minor", 1);
}

static char *concat(const char *a, const char *b) {
  size_t na = strlen(a);
  size_t nb = strlen(b);
  char *s = malloc(na + nb + 1);
  if (s == NULL) return NULL;
  memcpy(s, a, na);
  memcpy(s + na, b, nb + 1);
  return s;
}

/* --- resources ------------------------------------------------------------------------------------- */

typedef struct cpu_numbers {
  uint32_t count;
  uint32_t maximum;
  uint32_t weight;
} cpu_numbers;

static wctr_err check_input(const spec_container *s, const hcs_doc_input *in, wctr_isolation want,
                            cJSON **out, spec_resources *eff, spec_warnings *warnings, wctr_errmsg *e) {
  if (out != NULL) *out = NULL;
  if (s == NULL || in == NULL || out == NULL) return wctr_fail(e, WCTR_EINVAL, "HCS document: container, input and out must not be NULL");
  if (s->isolation != want) {
    return wctr_fail(e, WCTR_EINVAL, "HCS document: the container's isolation is %s, not %s",
                     spec_isolation_name(s->isolation), spec_isolation_name(want));
  }
  if (in->container_id == NULL || in->container_id[0] == '\0') return wctr_fail(e, WCTR_EINVAL, "HCS document: container_id is required");
  if (in->layers == NULL || in->layer_count == 0) return wctr_fail(e, WCTR_EINVAL, "HCS document: the image has no layers");
  for (size_t i = 0; i < in->layer_count; i++) {
    if (in->layers[i].id == NULL || in->layers[i].path == NULL || in->layers[i].id[0] == '\0' ||
        in->layers[i].path[0] == '\0') {
      return wctr_fail(e, WCTR_EINVAL, "HCS document: layer %zu needs an id and a path", i);
    }
  }
  if (in->sandbox_path == NULL || in->sandbox_path[0] == '\0') return wctr_fail(e, WCTR_EINVAL, "HCS document: sandbox_path is required");
  if (in->mount_count > 0 && in->mounts == NULL) return wctr_fail(e, WCTR_EINVAL, "HCS document: mounts is NULL");
  if (in->host_cpus < 1) return wctr_fail(e, WCTR_EINVAL, "HCS document: host_cpus must be at least 1");
  wctr_err err = spec_resources_check(&s->resources, want, in->host_cpus, eff, warnings, e);
  if (err != WCTR_OK) return err;
  if (eff->io_maxiops > INT32_MAX) return wctr_fail(e, WCTR_EINVAL, "--io-maxiops %lld is above the HCS maximum of 2147483647", (long long)eff->io_maxiops);
  if (eff->io_maxbandwidth > INT32_MAX) return wctr_fail(e, WCTR_EINVAL, "--io-maxbandwidth %lld is above the HCS maximum of 2147483647 bytes per second", (long long)eff->io_maxbandwidth);
  if (eff->nano_cpus > 0 && eff->cpu_count > 0) {
    return wctr_fail(e, WCTR_EINVAL, "--cpus and --cpu-count cannot both be set with %s isolation",
                     spec_isolation_name(want));
  }
  return WCTR_OK;
}

static wctr_err process_cpu(const spec_resources *r, int host_cpus, spec_warnings *warnings, cpu_numbers *cpu,
                            wctr_errmsg *e) {
  memset(cpu, 0, sizeof *cpu);
  if (r->cpu_count > 0) {
    cpu->count = (uint32_t)spec_cpu_count_clamp(r->cpu_count, host_cpus, warnings);
  } else if (r->cpu_shares > 0) {
    cpu->weight = (uint32_t)r->cpu_shares;
  } else if (r->nano_cpus > 0) {
    return spec_hcs_process_cpu(r->nano_cpus, host_cpus, &cpu->maximum, e);
  } else if (r->cpu_percent > 0) {
    cpu->maximum = spec_cpu_rate_from_percent(r->cpu_percent);
  }
  return WCTR_OK;
}

/* Hyper-V: the VM's vCPUs (vm_count) and at most one field for the hosted container (docs in document.h).
 * Warnings go to *warnings (the clamp of --cpu-count and the precedence of shares over percent). */
static wctr_err hyperv_cpu(const spec_resources *r, int host_cpus, spec_warnings *warnings, uint32_t *vm_count,
                           cpu_numbers *cpu, wctr_errmsg *e) {
  memset(cpu, 0, sizeof *cpu);
  *vm_count = 0;
  if (r->cpu_count > 0) {
    *vm_count = (uint32_t)spec_cpu_count_clamp(r->cpu_count, host_cpus, warnings);
  } else if (r->nano_cpus > 0) {
    wctr_err err = spec_hcs_hyperv_cpu(r->nano_cpus, host_cpus, vm_count, &cpu->maximum, e);
    if (err != WCTR_OK) return err;
  }
  if (*vm_count == 0) *vm_count = host_cpus < HCS_UVM_DEFAULT_CPUS ? (uint32_t)host_cpus : HCS_UVM_DEFAULT_CPUS;
  if (r->cpu_shares > 0) {
    /* Docker's precedence on Windows: shares over percent. --cpus with shares never gets here. */
    if (cpu->maximum == 0 && r->cpu_percent > 0) {
      spec_warn(warnings, "Conflicting options: CPU shares takes priority over CPU percent on Hyper-V containers. "
                          "CPU percent discarded");
    }
    cpu->maximum = 0;
    cpu->weight = (uint32_t)r->cpu_shares;
  } else if (cpu->maximum == 0 && r->cpu_percent > 0) {
    cpu->maximum = spec_cpu_rate_from_percent(r->cpu_percent);
  }
  return WCTR_OK;
}

static bool add_processor(cJSON *container, const cpu_numbers *cpu) {
  if (cpu->count == 0 && cpu->maximum == 0 && cpu->weight == 0) return true;
  cJSON *p = add_obj(container, "Processor");
  if (p == NULL) return false;
  if (cpu->count > 0 && !add_num(p, "Count", cpu->count)) return false;
  if (cpu->maximum > 0 && !add_num(p, "Maximum", cpu->maximum)) return false;
  if (cpu->weight > 0 && !add_num(p, "Weight", cpu->weight)) return false;
  return true;
}

uint64_t hcs_uvm_memory_mb(int64_t memory_bytes) {
  if (memory_bytes <= 0) return HCS_UVM_DEFAULT_MB;
  uint64_t mb = spec_hcs_memory_mb(memory_bytes) + HCS_UVM_OVERHEAD_MB;
  mb += mb & 1u;
  if (mb < HCS_UVM_MIN_MB) mb = HCS_UVM_MIN_MB;
  return mb;
}

/* --- the Container object -------------------------------------------------------------------------- */

/* vsmb: Hyper-V's hosted container (layer and mount paths are VSMB paths inside the VM). */
static wctr_err build_container(const spec_container *s, const hcs_doc_input *in, const spec_resources *r,
                                const cpu_numbers *cpu, bool vsmb, cJSON *container, wctr_errmsg *e) {
  char host[HCS_SHORT_ID + 1];
  const char *hostname = s->hostname;
  if (hostname == NULL) {
    snprintf(host, sizeof host, "%s", in->container_id);
    hostname = host;
  }
  cJSON *guest = add_obj(container, "GuestOs");
  if (guest == NULL || !add_str(guest, "HostName", hostname)) goto oom;

  cJSON *storage = add_obj(container, "Storage");
  cJSON *layers = storage != NULL ? cJSON_AddArrayToObject(storage, "Layers") : NULL;
  if (layers == NULL) goto oom;
  for (size_t i = 0; i < in->layer_count; i++) {
    cJSON *l = cJSON_CreateObject();
    if (l == NULL) goto oom;
    cJSON_AddItemToArray(layers, l);
    if (!add_str(l, "Id", in->layers[i].id)) goto oom;
    if (vsmb) {
      char *p = concat(HCS_VSMB_PREFIX, in->layers[i].id);
      bool ok = p != NULL && add_str(l, "Path", p);
      free(p);
      if (!ok) goto oom;
    } else if (!add_str(l, "Path", in->layers[i].path)) {
      goto oom;
    }
  }
  if (!add_str(storage, "Path", in->sandbox_path)) goto oom;
  if (r->io_maxiops > 0 || r->io_maxbandwidth > 0) {
    cJSON *qos = add_obj(storage, "QoS");
    if (qos == NULL) goto oom;
    if (r->io_maxiops > 0 && !add_num(qos, "IopsMaximum", (double)r->io_maxiops)) goto oom;
    if (r->io_maxbandwidth > 0 && !add_num(qos, "BandwidthMaximum", (double)r->io_maxbandwidth)) goto oom;
  }

  cJSON *dirs = NULL;
  cJSON *pipes = NULL;
  for (size_t i = 0; i < in->mount_count; i++) {
    const spec_mount *m = &in->mounts[i];
    if (m->host_path == NULL || m->container_path == NULL) {
      return wctr_fail(e, WCTR_EINVAL, "HCS document: mount %zu has no paths", i);
    }
    if (m->pipe) {
      if (vsmb) {
        return wctr_fail(e, WCTR_EINVAL, "-v %.200s: named pipes need --isolation=process", m->host_path);
      }
      if (pipes == NULL) pipes = cJSON_AddArrayToObject(container, "MappedPipes");
      if (pipes == NULL) goto oom;
      cJSON *p = cJSON_CreateObject();
      if (p == NULL) goto oom;
      cJSON_AddItemToArray(pipes, p);
      if (!add_str(p, "ContainerPipeName", m->container_path + strlen(SPEC_PIPE_PREFIX)) ||
          !add_str(p, "HostPath", m->host_path)) {
        goto oom;
      }
      continue;
    }
    if (dirs == NULL) dirs = cJSON_AddArrayToObject(container, "MappedDirectories");
    if (dirs == NULL) goto oom;
    cJSON *d = cJSON_CreateObject();
    if (d == NULL) goto oom;
    cJSON_AddItemToArray(dirs, d);
    if (vsmb) {
      char name[32];
      snprintf(name, sizeof name, "m%zu", i);
      char *p = concat(HCS_VSMB_PREFIX, name);
      bool ok = p != NULL && add_str(d, "HostPath", p);
      free(p);
      if (!ok) goto oom;
    } else if (!add_str(d, "HostPath", m->host_path)) {
      goto oom;
    }
    if (!add_str(d, "ContainerPath", m->container_path)) goto oom;
    if (m->read_only && !add_bool(d, "ReadOnly", true)) goto oom;
  }

  /* The network namespace HNS made for the container (process isolation: the host's compartment; Hyper-V:
   * the namespace the utility VM's guest was given), and --dns-search as hcsshim passes it, comma-joined. */
  if (in->network_namespace != NULL) {
    cJSON *net = add_obj(container, "Networking");
    if (net == NULL || !add_str(net, "Namespace", in->network_namespace)) goto oom;
    if (in->dns_search_count > 0) {
      size_t len = 1;
      for (size_t i = 0; i < in->dns_search_count; i++) len += strlen(in->dns_search[i]) + 1;
      char *list = malloc(len);
      if (list == NULL) goto oom;
      list[0] = '\0';
      size_t used = 0;
      for (size_t i = 0; i < in->dns_search_count; i++) {
        used += (size_t)snprintf(list + used, len - used, "%s%s", i > 0 ? "," : "", in->dns_search[i]);
      }
      bool ok = add_str(net, "DnsSearchList", list);
      free(list);
      if (!ok) goto oom;
    }
  }

  if (r->memory_bytes > 0) {
    cJSON *mem = add_obj(container, "Memory");
    if (mem == NULL || !add_num(mem, "SizeInMB", (double)spec_hcs_memory_mb(r->memory_bytes))) goto oom;
  }
  if (!add_processor(container, cpu)) goto oom;

  cJSON *reg = add_obj(container, "RegistryChanges");
  cJSON *values = reg != NULL ? cJSON_AddArrayToObject(reg, "AddValues") : NULL;
  cJSON *value = cJSON_CreateObject();
  if (values == NULL || value == NULL) {
    cJSON_Delete(value);
    goto oom;
  }
  cJSON_AddItemToArray(values, value);
  cJSON *key = add_obj(value, "Key");
  if (key == NULL || !add_str(key, "Hive", "System") || !add_str(key, "Name", "ControlSet001\\Control") ||
      !add_str(value, "Name", "WaitToKillServiceTimeout") || !add_str(value, "Type", "String") ||
      !add_str(value, "StringValue", "2147483647")) {
    goto oom;
  }
  return WCTR_OK;
oom:
  return wctr_fail(e, WCTR_ENOMEM, "HCS document: out of memory");
}

static cJSON *new_system(const hcs_doc_input *in) {
  cJSON *doc = cJSON_CreateObject();
  if (doc == NULL) return NULL;
  if (!add_str(doc, "Owner", in->owner != NULL ? in->owner : HCS_OWNER) || !add_version(doc)) {
    cJSON_Delete(doc);
    return NULL;
  }
  return doc;
}

/* With true HCS would terminate the system when wctrd's last handle closes - when wctrd crashes - and there
 * would be nothing to re-attach to (document.h). */
static bool add_terminate_flag(cJSON *doc) { return add_bool(doc, "ShouldTerminateOnLastHandleClosed", false); }

wctr_err hcs_doc_process_container(const spec_container *s, const hcs_doc_input *in, cJSON **out,
                                   spec_warnings *warnings, wctr_errmsg *e) {
  spec_resources r;
  cpu_numbers cpu;
  cJSON *doc = NULL;
  wctr_err err = check_input(s, in, WCTR_ISOLATION_PROCESS, out, &r, warnings, e);
  if (err != WCTR_OK) goto done;
  err = process_cpu(&r, in->host_cpus, warnings, &cpu, e);
  if (err != WCTR_OK) goto done;
  doc = new_system(in);
  cJSON *container = doc != NULL ? add_obj(doc, "Container") : NULL;
  if (container == NULL) {
    err = wctr_fail(e, WCTR_ENOMEM, "HCS document: out of memory");
    goto done;
  }
  err = build_container(s, in, &r, &cpu, false, container, e);
  if (err != WCTR_OK) goto done;
  if (!add_terminate_flag(doc)) err = wctr_fail(e, WCTR_ENOMEM, "HCS document: out of memory");
done:
  if (err != WCTR_OK) {
    cJSON_Delete(doc);
    return err;
  }
  *out = doc;
  return WCTR_OK;
}

wctr_err hcs_doc_hosted_container(const spec_container *s, const hcs_doc_input *in, cJSON **out,
                                  spec_warnings *warnings, wctr_errmsg *e) {
  spec_resources r;
  cpu_numbers cpu;
  cJSON *doc = NULL;
  wctr_err err = check_input(s, in, WCTR_ISOLATION_HYPERV, out, &r, warnings, e);
  if (err != WCTR_OK) goto done;
  if (in->uvm_id == NULL || in->uvm_id[0] == '\0') {
    err = wctr_fail(e, WCTR_EINVAL, "HCS document: uvm_id is required for Hyper-V isolation");
    goto done;
  }
  uint32_t vcpus = 0;
  err = hyperv_cpu(&r, in->host_cpus, warnings, &vcpus, &cpu, e);
  if (err != WCTR_OK) goto done;
  doc = new_system(in);
  bool ok = doc != NULL && add_str(doc, "HostingSystemId", in->uvm_id);
  cJSON *hosted = ok ? add_obj(doc, "HostedSystem") : NULL;
  cJSON *container = hosted != NULL && add_version(hosted) ? add_obj(hosted, "Container") : NULL;
  if (container == NULL) {
    err = wctr_fail(e, WCTR_ENOMEM, "HCS document: out of memory");
    goto done;
  }
  err = build_container(s, in, &r, &cpu, true, container, e);
  if (err != WCTR_OK) goto done;
  if (!add_terminate_flag(doc)) err = wctr_fail(e, WCTR_ENOMEM, "HCS document: out of memory");
done:
  if (err != WCTR_OK) {
    cJSON_Delete(doc);
    return err;
  }
  *out = doc;
  return WCTR_OK;
}

typedef enum share_kind { SHARE_LAYER, SHARE_READ_ONLY, SHARE_WRITABLE } share_kind;

/* hcsshim's VSMB options: image layers (and the OS share) read-only with TakeBackupPrivilege; a read-only
 * mount DefaultVSMBOptions(true); a writable mount none of the read-only ones (DefaultVSMBOptions(false):
 * caching, shared reads and pseudo-oplocks would hide the container's own writes), so no Options at all. */
static bool add_share(cJSON *shares, const char *name, const char *path, share_kind kind) {
  cJSON *s = cJSON_CreateObject();
  if (s == NULL) return false;
  cJSON_AddItemToArray(shares, s);
  if (!add_str(s, "Name", name) || !add_str(s, "Path", path)) return false;
  if (kind == SHARE_WRITABLE) return true;
  cJSON *o = add_obj(s, "Options");
  return o != NULL && add_bool(o, "ReadOnly", true) && add_bool(o, "ShareRead", true) && add_bool(o, "CacheIo", true) &&
         add_bool(o, "PseudoOplocks", true) && (kind != SHARE_LAYER || add_bool(o, "TakeBackupPrivilege", true));
}

wctr_err hcs_doc_uvm(const spec_container *s, const hcs_doc_input *in, cJSON **out, spec_warnings *warnings,
                     wctr_errmsg *e) {
  spec_resources r;
  cpu_numbers cpu;
  cJSON *doc = NULL;
  char *os_path = NULL;
  wctr_err err = check_input(s, in, WCTR_ISOLATION_HYPERV, out, &r, warnings, e);
  if (err != WCTR_OK) goto done;
  if (in->uvm_scratch_path == NULL || in->uvm_scratch_path[0] == '\0') {
    err = wctr_fail(e, WCTR_EINVAL, "HCS document: uvm_scratch_path is required for Hyper-V isolation");
    goto done;
  }
  for (size_t i = 0; i < in->mount_count; i++) {
    if (in->mounts != NULL && in->mounts[i].pipe) {
      err = wctr_fail(e, WCTR_EINVAL, "-v %.200s: named pipes need --isolation=process",
                      in->mounts[i].host_path != NULL ? in->mounts[i].host_path : "?");
      goto done;
    }
  }
  uint32_t vcpus = 0;
  err = hyperv_cpu(&r, in->host_cpus, warnings, &vcpus, &cpu, e);
  if (err != WCTR_OK) goto done;
  os_path = concat(in->layers[in->layer_count - 1].path, "\\UtilityVM\\Files");
  doc = new_system(in);
  cJSON *vm = doc != NULL && os_path != NULL ? add_obj(doc, "VirtualMachine") : NULL;
  bool ok = vm != NULL && add_bool(vm, "StopOnReset", true);
  cJSON *chipset = ok ? add_obj(vm, "Chipset") : NULL;
  cJSON *uefi = chipset != NULL ? add_obj(chipset, "Uefi") : NULL;
  cJSON *boot = uefi != NULL ? add_obj(uefi, "BootThis") : NULL;
  ok = boot != NULL && add_str(boot, "DeviceType", "VmbFs") &&
       add_str(boot, "DevicePath", "\\EFI\\Microsoft\\Boot\\bootmgfw.efi");
  cJSON *topo = ok ? add_obj(vm, "ComputeTopology") : NULL;
  cJSON *mem = topo != NULL ? add_obj(topo, "Memory") : NULL;
  ok = mem != NULL && add_num(mem, "SizeInMB", (double)hcs_uvm_memory_mb(r.memory_bytes)) &&
       add_bool(mem, "AllowOvercommit", true);
  cJSON *proc = ok ? add_obj(topo, "Processor") : NULL;
  ok = proc != NULL && add_num(proc, "Count", vcpus) && add_obj(vm, "GuestConnection") != NULL;
  cJSON *devices = ok ? add_obj(vm, "Devices") : NULL;
  cJSON *scsi = devices != NULL ? add_obj(devices, "Scsi") : NULL;
  cJSON *ctrl = scsi != NULL ? add_obj(scsi, HCS_SCSI_CONTROLLER_0) : NULL;
  cJSON *atts = ctrl != NULL ? add_obj(ctrl, "Attachments") : NULL;
  cJSON *att = atts != NULL ? add_obj(atts, "0") : NULL;
  ok = att != NULL && add_str(att, "Type", "VirtualDisk") && add_str(att, "Path", in->uvm_scratch_path);
  cJSON *smb = ok ? add_obj(devices, "VirtualSmb") : NULL;
  cJSON *shares = smb != NULL ? cJSON_AddArrayToObject(smb, "Shares") : NULL;
  ok = shares != NULL && add_share(shares, "os", os_path, SHARE_LAYER);
  for (size_t i = 0; ok && i < in->layer_count; i++) {
    ok = add_share(shares, in->layers[i].id, in->layers[i].path, SHARE_LAYER);
  }
  for (size_t i = 0; ok && i < in->mount_count; i++) {
    char name[32];
    snprintf(name, sizeof name, "m%zu", i);
    ok = add_share(shares, name, in->mounts[i].host_path, in->mounts[i].read_only ? SHARE_READ_ONLY : SHARE_WRITABLE);
  }
  cJSON *hv = ok ? add_obj(devices, "HvSocket") : NULL;
  cJSON *hvc = hv != NULL ? add_obj(hv, "HvSocketConfig") : NULL;
  ok = hvc != NULL && add_str(hvc, "DefaultBindSecurityDescriptor", "D:P(A;;FA;;;SY)(A;;FA;;;BA)") &&
       add_terminate_flag(doc);
  if (!ok) err = wctr_fail(e, WCTR_ENOMEM, "HCS document: out of memory");
done:
  free(os_path);
  if (err != WCTR_OK) {
    cJSON_Delete(doc);
    return err;
  }
  *out = doc;
  return WCTR_OK;
}

/* --- ProcessParameters ----------------------------------------------------------------------------- */

wctr_err hcs_doc_process_params(const spec_container *s, cJSON **out, wctr_errmsg *e) {
  wctr_cmdline cl = {0};
  cJSON *doc = NULL;
  char *key = NULL;
  wctr_err err = WCTR_OK;
  if (out != NULL) *out = NULL;
  if (s == NULL || out == NULL) return wctr_fail(e, WCTR_EINVAL, "ProcessParameters: container and out must not be NULL");
  const spec_process *p = &s->process;
  if (p->cmd_count == 0 || p->cmd == NULL) return wctr_fail(e, WCTR_EINVAL, "Cmd must hold at least the program");
  for (size_t i = 0; i < p->cmd_count; i++) {
    err = wctr_cmdline_append(&cl, p->cmd[i]);
    if (err != WCTR_OK) {
      err = wctr_fail(e, err, "ProcessParameters: out of memory");
      goto done;
    }
  }
  doc = cJSON_CreateObject();
  const char *user = p->user != NULL && p->user[0] != '\0' ? p->user : HCS_DEFAULT_USER;
  bool ok = doc != NULL && add_str(doc, "CommandLine", cl.text) && add_str(doc, "User", user);
  if (ok && p->working_dir != NULL && p->working_dir[0] != '\0') {
    ok = add_str(doc, "WorkingDirectory", p->working_dir);
  }
  if (ok && p->env_count > 0) {
    cJSON *env = add_obj(doc, "Environment");
    ok = env != NULL;
    for (size_t i = 0; ok && i < p->env_count; i++) {
      const char *kv = p->env[i];
      const char *eq = kv != NULL ? strchr(kv, '=') : NULL;
      if (eq == NULL || eq == kv) {
        err = wctr_fail(e, WCTR_EINVAL, "Env[%zu] \"%.100s\" must be KEY=VALUE", i, kv != NULL ? kv : "");
        goto done;
      }
      free(key);
      key = malloc((size_t)(eq - kv) + 1);
      if (key == NULL) {
        ok = false;
        break;
      }
      memcpy(key, kv, (size_t)(eq - kv));
      key[eq - kv] = '\0';
      cJSON_DeleteItemFromObjectCaseSensitive(env, key); /* a later duplicate wins, as in Docker */
      ok = add_str(env, key, eq + 1);
    }
  }
  ok = ok && add_bool(doc, "EmulateConsole", p->tty);
  if (ok && p->open_stdin) ok = add_bool(doc, "CreateStdInPipe", true);
  /* With a console, stderr is the console too: there is no separate pipe to ask for. */
  ok = ok && add_bool(doc, "CreateStdOutPipe", true) && (p->tty || add_bool(doc, "CreateStdErrPipe", true));
  if (!ok) err = wctr_fail(e, WCTR_ENOMEM, "ProcessParameters: out of memory");
done:
  free(key);
  wctr_cmdline_free(&cl);
  if (err != WCTR_OK) {
    cJSON_Delete(doc);
    return err;
  }
  *out = doc;
  return WCTR_OK;
}

/* --- computestorage and modify requests ------------------------------------------------------------ */

cJSON *hcs_doc_layer_data(const hcs_layer *layers, size_t count) {
  cJSON *doc = cJSON_CreateObject();
  cJSON *list = doc != NULL && add_version(doc) ? cJSON_AddArrayToObject(doc, "Layers") : NULL;
  bool ok = list != NULL;
  for (size_t i = 0; ok && i < count; i++) {
    cJSON *l = cJSON_CreateObject();
    ok = l != NULL && cJSON_AddItemToArray(list, l) && add_str(l, "Id", layers[i].id) &&
         add_str(l, "Path", layers[i].path);
  }
  if (!ok) {
    cJSON_Delete(doc);
    return NULL;
  }
  return doc;
}

cJSON *hcs_doc_layer_list(const hcs_layer *layers, size_t count) {
  cJSON *list = cJSON_CreateArray();
  bool ok = list != NULL;
  for (size_t i = 0; ok && i < count; i++) {
    cJSON *l = cJSON_CreateObject();
    ok = l != NULL && cJSON_AddItemToArray(list, l) && add_str(l, "Id", layers[i].id) && add_str(l, "Path", layers[i].path);
  }
  if (!ok) {
    cJSON_Delete(list);
    return NULL;
  }
  return list;
}

/* {"ResourceType","RequestType","Settings":{"ContainerPath","Lun"}}: the guest's side of the SCSI disk. */
static bool add_mapped_disk_request(cJSON *doc, const char *request, unsigned lun, const char *guest_path) {
  cJSON *g = add_obj(doc, "GuestRequest");
  cJSON *settings = g != NULL && add_str(g, "ResourceType", "MappedVirtualDisk") && add_str(g, "RequestType", request)
                        ? add_obj(g, "Settings")
                        : NULL;
  return settings != NULL && add_str(settings, "ContainerPath", guest_path) && add_num(settings, "Lun", lun);
}

static cJSON *scsi_request(unsigned lun, const char *request) {
  char path[160];
  snprintf(path, sizeof path, "VirtualMachine/Devices/Scsi/%s/Attachments/%u", HCS_SCSI_CONTROLLER_0, lun);
  cJSON *doc = cJSON_CreateObject();
  if (doc == NULL || !add_str(doc, "ResourcePath", path) || !add_str(doc, "RequestType", request)) {
    cJSON_Delete(doc);
    return NULL;
  }
  return doc;
}

cJSON *hcs_doc_scsi_add(unsigned lun, const char *host_path, const char *guest_path) {
  if (host_path == NULL) return NULL;
  cJSON *doc = scsi_request(lun, "Add");
  cJSON *settings = doc != NULL ? add_obj(doc, "Settings") : NULL;
  bool ok = settings != NULL && add_str(settings, "Type", "VirtualDisk") && add_str(settings, "Path", host_path) &&
            (guest_path == NULL || add_mapped_disk_request(doc, "Add", lun, guest_path));
  if (!ok) {
    cJSON_Delete(doc);
    return NULL;
  }
  return doc;
}

cJSON *hcs_doc_scsi_remove(unsigned lun, const char *guest_path) {
  if (guest_path == NULL) return NULL;
  cJSON *doc = scsi_request(lun, "Remove");
  if (doc == NULL || !add_mapped_disk_request(doc, "Remove", lun, guest_path)) {
    cJSON_Delete(doc);
    return NULL;
  }
  return doc;
}

cJSON *hcs_doc_combined_layers(const char *guest_path, const hcs_layer *layers, size_t count, bool add) {
  if (guest_path == NULL || (add && (layers == NULL || count == 0))) return NULL;
  cJSON *doc = cJSON_CreateObject();
  cJSON *g = doc != NULL ? add_obj(doc, "GuestRequest") : NULL;
  cJSON *settings = g != NULL && add_str(g, "ResourceType", "CombinedLayers") &&
                            add_str(g, "RequestType", add ? "Add" : "Remove")
                        ? add_obj(g, "Settings")
                        : NULL;
  bool ok = settings != NULL && add_str(settings, "ContainerRootPath", guest_path);
  cJSON *list = ok && add ? cJSON_AddArrayToObject(settings, "Layers") : NULL;
  ok = ok && (!add || list != NULL);
  for (size_t i = 0; ok && add && i < count; i++) {
    cJSON *l = cJSON_CreateObject();
    if (l == NULL || !cJSON_AddItemToArray(list, l)) {
      cJSON_Delete(l);
      ok = false;
      break;
    }
    char *vsmb = concat(HCS_VSMB_PREFIX, layers[i].id);
    ok = vsmb != NULL && add_str(l, "Id", layers[i].id) && add_str(l, "Path", vsmb);
    free(vsmb);
  }
  if (!ok) {
    cJSON_Delete(doc);
    return NULL;
  }
  return doc;
}

/* --- owner, layer folders, GUIDs -------------------------------------------------------------------- */

void hcs_owner_for_data_root(const char *data_root, char out[HCS_OWNER_SIZE]) {
  uint64_t h = 14695981039346656037ULL;
  size_t n = data_root != NULL ? strlen(data_root) : 0;
  while (n > 0 && (data_root[n - 1] == '\\' || data_root[n - 1] == '/')) n--;
  for (size_t i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)data_root[i];
    if (ch >= 'a' && ch <= 'z') ch = (unsigned char)(ch - 'a' + 'A');
    if (ch == '/') ch = '\\';
    h ^= ch;
    h *= 1099511628211ULL;
  }
  snprintf(out, HCS_OWNER_SIZE, "%s-%016llx", HCS_OWNER, (unsigned long long)h);
}

void hcs_layer_folder_name(const char *path, char *out, size_t size) {
  if (size == 0) return;
  out[0] = '\0';
  if (path == NULL) return;
  size_t end = strlen(path);
  while (end > 0 && (path[end - 1] == '\\' || path[end - 1] == '/')) end--;
  size_t start = end;
  while (start > 0 && path[start - 1] != '\\' && path[start - 1] != '/' && path[start - 1] != ':') start--;
  size_t len = end - start;
  if (len >= size) len = size - 1;
  memcpy(out, path + start, len);
  out[len] = '\0';
}

static int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool hcs_guid_parse(const char *text, hcs_guid *out) {
  if (text == NULL || out == NULL) return false;
  size_t n = strlen(text);
  bool braces = n == 38 && text[0] == '{' && text[37] == '}';
  if (braces) text++;
  if (n != (braces ? 38u : 36u)) return false;
  uint8_t b[16];
  size_t k = 0;
  for (size_t i = 0; i < 36; i++) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (text[i] != '-') return false;
      continue;
    }
    int hi = hex_value(text[i]);
    int lo = hex_value(text[i + 1]);
    if (hi < 0 || lo < 0) return false;
    b[k++] = (uint8_t)(hi << 4 | lo);
    i++;
  }
  out->data1 = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
  out->data2 = (uint16_t)(b[4] << 8 | b[5]);
  out->data3 = (uint16_t)(b[6] << 8 | b[7]);
  memcpy(out->data4, b + 8, 8);
  return true;
}

void hcs_guid_format(const hcs_guid *g, char out[HCS_GUID_SIZE]) {
  snprintf(out, HCS_GUID_SIZE, "%08x-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x", (unsigned)g->data1,
           (unsigned)g->data2, (unsigned)g->data3, g->data4[0], g->data4[1], g->data4[2], g->data4[3], g->data4[4],
           g->data4[5], g->data4[6], g->data4[7]);
}

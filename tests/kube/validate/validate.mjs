// tests/kube/validate/validate.mjs FILE.yaml... - validates what `wctr compose convert --format kubernetes`
// writes. scripts/kube-validate copies it next to its node_modules (build/kube-validate) and runs it there.
//
// Each document of each file is checked:
//   1. against Kubernetes' OpenAPI schema of its apiVersion and kind (kubernetes-models' validators: types,
//      required fields, enums, formats);
//   2. strictly, as `kubectl apply --validate=strict` does on the server: a field the schema does not
//      define is an error (the OpenAPI schemas themselves allow unknown fields; the field lists are read
//      from kubernetes-models' type declarations);
//   3. GMSACredentialSpec against the windows-gmsa CRD's schema (gmsa-crd-schema.json, our own fixture);
//   4. Kubernetes' rules the schemas do not hold: object names (DNS-1123), label keys and values, cluster-
//      scoped kinds without a namespace and namespaced ones with one, Windows pods (spec.os.name windows, no
//      Linux-only fields), HostProcess pods (hostNetwork, every container HostProcess, an allowed user), and
//      references inside the file (ServiceAccount, ClusterRole, GMSACredentialSpec, RuntimeClass, Secret and
//      ConfigMap keys, a Service's selector matching a workload's pods).
// Prints one line per file and exits 1 when a file has problems (listing them all). With --expect-refused
// first, every file must have a problem instead (the documents of tests/kube/validate/bad test the checks).
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";
import Ajv from "ajv";

const here = path.dirname(fileURLToPath(import.meta.url));
const models = path.join(here, "node_modules", "kubernetes-models");
const machinery = path.join(here, "node_modules", "@kubernetes-models", "apimachinery");

// ---- field lists from the type declarations ----

// alias (IIoK8s...) -> {fields: Map(name -> type text)}
const types = new Map();

function readDeclarations(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== "node_modules" && entry.name !== "_schemas") readDeclarations(p);
    } else if (entry.name.endsWith(".d.ts")) {
      parseDeclaration(fs.readFileSync(p, "utf8"), p);
    }
  }
}

const localInterfaces = new Map(); // file -> Map(local name -> fields)

function parseDeclaration(text, file) {
  const lines = text.split("\n");
  const local = new Map();
  for (let i = 0; i < lines.length; i++) {
    const m = /^export interface (I\w+)(?: extends [^{]+)? \{$/.exec(lines[i]);
    if (!m) continue;
    const fields = new Map();
    for (i++; i < lines.length && lines[i] !== "}"; i++) {
      const f = /^    "([^"]+)"\??: (.*)$/.exec(lines[i]);
      if (f) fields.set(f[1], f[2].replace(/;$/, ""));
    }
    local.set(m[1], fields);
  }
  localInterfaces.set(file, local);
  for (const m of text.matchAll(/export type \{([^}]*)\}/g)) {
    for (const part of m[1].split(",")) {
      const a = /(\w+) as (\w+)/.exec(part.trim());
      if (a && local.has(a[1])) types.set(a[2], local.get(a[1]));
    }
  }
}

function rootFields(group, version, kind) {
  const file = group === "" ? path.join(models, version, `${kind}.d.ts`) : path.join(models, group, version, `${kind}.d.ts`);
  const local = localInterfaces.get(file);
  return local ? local.get(`I${kind}`) : undefined;
}

function elementType(typeText) {
  const arr = /^Array<(\w+)>$/.exec(typeText);
  if (arr) return { array: true, name: arr[1] };
  if (/^\w+$/.test(typeText)) return { array: false, name: typeText };
  return null; // a map ({ [key: string]: ... }), a union of literals, a primitive
}

function strict(value, fields, where, problems) {
  if (value === null || typeof value !== "object" || Array.isArray(value) || !fields) return;
  for (const [key, v] of Object.entries(value)) {
    if (!fields.has(key)) {
      problems.push(`${where}.${key}: unknown field (the API server's strict field validation refuses it)`);
      continue;
    }
    const t = elementType(fields.get(key));
    if (!t || !types.has(t.name)) continue;
    if (t.array && Array.isArray(v)) v.forEach((item, i) => strict(item, types.get(t.name), `${where}.${key}[${i}]`, problems));
    else if (!t.array) strict(v, types.get(t.name), `${where}.${key}`, problems);
  }
}

// ---- Kubernetes' own rules ----

const label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const subdomain = (s) => typeof s === "string" && s.length <= 253 && s.split(".").every((p) => /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(p));
const qualified = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
function labelKey(k) {
  const i = k.indexOf("/");
  const name = i < 0 ? k : k.slice(i + 1);
  if (i >= 0 && !subdomain(k.slice(0, i))) return false;
  return name.length <= 63 && qualified.test(name);
}
const labelValue = (v) => v === "" || (v.length <= 63 && qualified.test(v));
const clusterScoped = new Set(["GMSACredentialSpec", "ClusterRole", "RuntimeClass"]);
const hostProcessUsers = new Set(["NT AUTHORITY\\SYSTEM", "NT AUTHORITY\\Local service", "NT AUTHORITY\\NetworkService"]);
const linuxOnly = ["runAsUser", "runAsGroup", "runAsNonRoot", "privileged", "readOnlyRootFilesystem", "capabilities",
  "seLinuxOptions", "seccompProfile", "procMount", "allowPrivilegeEscalation", "appArmorProfile"];

function podOf(obj) {
  if (obj.kind === "Deployment" || obj.kind === "Job") return obj.spec?.template;
  return null;
}

function checkPod(obj, where, byKind, problems) {
  const tmpl = podOf(obj);
  if (!tmpl) return;
  const pod = tmpl.spec ?? {};
  if (pod.os?.name !== "windows") problems.push(`${where}: spec.os.name is not windows`);
  if (pod.nodeSelector?.["kubernetes.io/os"] !== "windows") problems.push(`${where}: no nodeSelector kubernetes.io/os: windows`);
  const podWin = pod.securityContext?.windowsOptions ?? {};
  for (const f of linuxOnly) if (pod.securityContext && f in pod.securityContext) problems.push(`${where}: pod securityContext.${f} is forbidden for Windows pods`);
  const effective = [];
  for (const c of pod.containers ?? []) {
    const sc = c.securityContext ?? {};
    for (const f of linuxOnly) if (f in sc) problems.push(`${where}: container ${c.name}: securityContext.${f} is forbidden for Windows pods`);
    const win = { ...podWin, ...(sc.windowsOptions ?? {}) };
    effective.push(win);
    if (win.hostProcess === true && !hostProcessUsers.has(win.runAsUserName)) {
      problems.push(`${where}: container ${c.name}: a HostProcess container runs as ${[...hostProcessUsers].join(", ")}, not ${win.runAsUserName}`);
    }
    if (!win.runAsUserName) problems.push(`${where}: container ${c.name}: no runAsUserName (wctr always names the user)`);
  }
  const hp = effective.map((w) => w.hostProcess === true);
  if (hp.some((x) => x) && !hp.every((x) => x)) problems.push(`${where}: HostProcess and other containers in one pod`);
  if (hp.some((x) => x) && pod.hostNetwork !== true) problems.push(`${where}: a HostProcess pod needs hostNetwork: true`);
  if (!hp.some((x) => x) && pod.hostNetwork === true) problems.push(`${where}: hostNetwork without HostProcess`);
  const ref = (kind, name, what) => {
    if (name !== undefined && !byKind.get(kind)?.has(name)) problems.push(`${where}: ${what} ${name} is no ${kind} of the file`);
  };
  ref("ServiceAccount", pod.serviceAccountName, "serviceAccountName");
  ref("RuntimeClass", pod.runtimeClassName, "runtimeClassName");
  ref("GMSACredentialSpec", podWin.gmsaCredentialSpecName, "gmsaCredentialSpecName");
  if (podWin.gmsaCredentialSpecName !== undefined) {
    // The webhook lets a pod use a spec only when its service account may "use" it.
    const sa = pod.serviceAccountName ?? "default";
    const granted = [...(byKind.get("RoleBinding")?.values() ?? [])].some((rb) =>
      (rb.subjects ?? []).some((s) => s.kind === "ServiceAccount" && s.name === sa && s.namespace === obj.metadata.namespace) &&
      (byKind.get("ClusterRole")?.get(rb.roleRef?.name)?.rules ?? []).some((r) =>
        r.verbs?.includes("use") && r.resources?.includes("gmsacredentialspecs") && r.apiGroups?.includes("windows.k8s.io") &&
        r.resourceNames?.includes(podWin.gmsaCredentialSpecName)));
    if (!granted) problems.push(`${where}: service account ${sa} may not use GMSACredentialSpec ${podWin.gmsaCredentialSpecName}`);
  }
  const volumes = new Set((pod.volumes ?? []).map((v) => v.name));
  for (const c of pod.containers ?? []) {
    for (const m of c.volumeMounts ?? []) if (!volumes.has(m.name)) problems.push(`${where}: mount of unknown volume ${m.name}`);
    if ((c.volumeMounts ?? []).some((m) => m.subPath !== undefined)) problems.push(`${where}: subPath is not supported on Windows`);
  }
  for (const v of pod.volumes ?? []) {
    for (const s of v.projected?.sources ?? []) {
      const src = s.secret ? ["Secret", s.secret] : s.configMap ? ["ConfigMap", s.configMap] : null;
      if (!src) continue;
      const target = byKind.get(src[0])?.get(src[1].name);
      if (!target) {
        problems.push(`${where}: volume ${v.name}: ${src[0]} ${src[1].name} is not in the file`);
        continue;
      }
      for (const item of src[1].items ?? []) {
        const has = (target.data && item.key in target.data) || (target.binaryData && item.key in target.binaryData);
        if (!has) problems.push(`${where}: volume ${v.name}: ${src[0]} ${src[1].name} has no key ${item.key}`);
      }
    }
  }
  const tl = tmpl.metadata?.labels ?? {};
  if (obj.kind === "Deployment") {
    for (const [k, v] of Object.entries(obj.spec.selector?.matchLabels ?? {})) {
      if (tl[k] !== v) problems.push(`${where}: the selector's ${k}=${v} is not a label of its pods`);
    }
  }
}

// ---- main ----

readDeclarations(models);
readDeclarations(machinery);
if (types.size < 500) {
  console.error(`validate.mjs: only ${types.size} types were read from kubernetes-models' declarations`);
  process.exit(2);
}
const ajv = new Ajv({ allErrors: true, strict: true });
const gmsaSchema = JSON.parse(fs.readFileSync(path.join(here, "gmsa-crd-schema.json"), "utf8"));
const validateGmsa = ajv.compile(gmsaSchema);

const args = process.argv.slice(2);
const expectRefused = args[0] === "--expect-refused";
if (expectRefused) args.shift();
let failed = false;
let documents = 0;
for (const file of args) {
  const problems = [];
  const docs = parseAllDocuments(fs.readFileSync(file, "utf8"), { version: "1.2", uniqueKeys: true });
  const objects = [];
  for (const [i, doc] of docs.entries()) {
    if (doc.errors.length > 0) {
      problems.push(`document ${i}: YAML: ${doc.errors.map((e) => e.message).join("; ")}`);
      continue;
    }
    objects.push(doc.toJS());
  }
  const byKind = new Map();
  for (const o of objects) {
    if (!byKind.has(o?.kind)) byKind.set(o?.kind, new Map());
    byKind.get(o?.kind).set(o?.metadata?.name, o);
  }
  for (const [i, obj] of objects.entries()) {
    documents++;
    const where = `document ${i} (${obj?.kind}/${obj?.metadata?.name})`;
    if (!obj || typeof obj !== "object") {
      problems.push(`${where}: not an object`);
      continue;
    }
    const [group, version] = obj.apiVersion.includes("/") ? obj.apiVersion.split("/") : ["", obj.apiVersion];
    if (obj.kind === "GMSACredentialSpec") {
      if (!validateGmsa(obj)) problems.push(`${where}: windows-gmsa CRD schema: ${ajv.errorsText(validateGmsa.errors)}`);
    } else {
      const fields = rootFields(group, version, obj.kind);
      if (!fields) {
        problems.push(`${where}: kubernetes-models has no ${obj.apiVersion} ${obj.kind}`);
        continue;
      }
      const mod = await import(group === "" ? `kubernetes-models/${version}/${obj.kind}` : `kubernetes-models/${group}/${version}/${obj.kind}`);
      try {
        new mod[obj.kind](obj).validate();
      } catch (e) {
        problems.push(`${where}: OpenAPI schema: ${e.message}`);
      }
      strict(obj, fields, obj.kind, problems);
    }
    const meta = obj.metadata ?? {};
    if (!subdomain(meta.name)) problems.push(`${where}: metadata.name is not a DNS-1123 subdomain`);
    if (["Service", "Deployment", "Job"].includes(obj.kind) && !label.test(meta.name ?? "")) {
      problems.push(`${where}: metadata.name is not a DNS-1123 label`);
    }
    if (obj.kind === "Service" && !/^[a-z]/.test(meta.name ?? "")) problems.push(`${where}: a Service's name starts with a letter (DNS-1035)`);
    if (clusterScoped.has(obj.kind) === (meta.namespace !== undefined)) {
      problems.push(`${where}: ${clusterScoped.has(obj.kind) ? "a cluster-scoped object has a namespace" : "no metadata.namespace"}`);
    }
    const labelSets = [meta.labels, podOf(obj)?.metadata?.labels];
    for (const set of labelSets) {
      for (const [k, v] of Object.entries(set ?? {})) {
        if (!labelKey(k) || !labelValue(v)) problems.push(`${where}: label ${k}=${v} is not a valid Kubernetes label`);
      }
    }
    for (const k of Object.keys(podOf(obj)?.metadata?.annotations ?? {})) {
      if (!labelKey(k)) problems.push(`${where}: annotation key ${k} is not valid`);
    }
    if (obj.kind === "RoleBinding") {
      if (obj.roleRef?.kind === "ClusterRole" && !byKind.get("ClusterRole")?.has(obj.roleRef.name)) {
        problems.push(`${where}: roleRef ${obj.roleRef.name} is no ClusterRole of the file`);
      }
      for (const s of obj.subjects ?? []) {
        if (s.kind === "ServiceAccount" && !byKind.get("ServiceAccount")?.has(s.name)) problems.push(`${where}: subject ${s.name} is no ServiceAccount of the file`);
      }
    }
    if (obj.kind === "Service" && (byKind.get("Deployment") || byKind.get("Job"))) {
      const pods = [...(byKind.get("Deployment")?.values() ?? []), ...(byKind.get("Job")?.values() ?? [])].map((w) => podOf(w)?.metadata?.labels ?? {});
      const sel = obj.spec?.selector ?? {};
      if (!pods.some((l) => Object.entries(sel).every(([k, v]) => l[k] === v))) problems.push(`${where}: its selector matches no pod of the file`);
    }
    checkPod(obj, where, byKind, problems);
  }
  if (expectRefused) {
    if (problems.length === 0) failed = true;
    console.log(`${problems.length > 0 ? "refused" : "NOT REFUSED"} ${path.basename(file)}: ${problems.join(" | ")}`);
  } else if (problems.length > 0) {
    failed = true;
    console.log(`FAIL ${path.basename(file)}`);
    for (const p of problems) console.log(`  ${p}`);
  } else {
    console.log(`ok   ${path.basename(file)}: ${objects.length} objects`);
  }
}
console.log(`${documents} objects validated`);
process.exit(failed ? 1 : 0);

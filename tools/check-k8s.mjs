#!/usr/bin/env node
// Checks k8s/ (kustomize base + overlays) against the Kubernetes schemas and
// against the giia binary itself. Run by scripts/check_deploy.sh with
// GIIA_BINARY set; exits 1 when anything fails, naming it.
//
//  1. build: every overlay with tools/lib/kustomize.mjs (and, when kubectl
//     is installed, the same objects from `kubectl kustomize`);
//  2. schemas: kubernetes-models' validators, no unknown fields, and the
//     Prometheus Operator kinds' shapes;
//  3. wiring: ports (what `giia config print` resolves from each container's
//     ConfigMap + Secret against containerPorts, probes, Services, the
//     NetworkPolicies, the ServiceMonitor, the Ingress and AUTH_GRPC_ADDR),
//     security contexts, resources, replicas vs HPA vs PDB, grace period vs
//     SHUTDOWN_TIMEOUT, Secret templates holding placeholders only (and giia
//     refusing to start with them), ConfigMaps holding giia keys only;
//  4. commands: every container, init container and exec probe is a giia
//     command line that parses;
//  5. live: each overlay's Deployments run for real, in a private network
//     namespace as uid 10001 from a directory it cannot write, with the
//     container's exact command and environment (test values for the
//     Secret's keys): the startup and liveness exec probes must pass, the
//     readiness route answer, gRPC health be SERVING, /metrics answer on the
//     metrics port (and not on the HTTP port), each Ingress path reach a
//     route of its backend, reflection be on or off as configured, and
//     SIGTERM end the process with 0;
//  6. alerts: `promtool check rules` on the PrometheusRule, every metric it
//     names exported by the running servers, deploy/prometheus/alerts.yml
//     equal to it.
import { spawn, spawnSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  IMAGE_BINARY,
  ROOT,
  Report,
  cleanEnv,
  deepEqual,
  elapsed,
  giiaBinary,
  isGiiaKey,
  isObject,
  isSecretKey,
  lastLine,
  loadYamlFile,
  parseYamlText,
  parsesAsGiia,
  preloadYaml,
  rel,
  resolveConfig,
  urlHasPassword,
  yamlFilesUnder,
} from "./lib/common.mjs";
import { build, idOf } from "./lib/kustomize.mjs";
import { checkCrd, unknownFields, validateBuiltIn } from "./lib/k8s-schema.mjs";

const R = new Report("check-k8s");
const NAMESPACE = "giia";
const RUN_AS = 10001;
const PLACEHOLDER = "REPLACE_ME";
const OVERLAYS = ["dev", "staging", "prod"];
const BUILDS = ["base", ...OVERLAYS];
const dirOf = (b) => path.join(ROOT, "k8s", b === "base" ? "base" : `overlays/${b}`);

// The REST routes each Ingress path must reach on its backend (a route under
// that prefix that giia serves; any answer but 404 proves it).
const INGRESS_PROBES = {
  "/api/v1/auth": { method: "POST", path: "/api/v1/auth/login", body: "{}" },
  "/api/v1/users": { method: "GET", path: "/api/v1/users/me" },
  "/.well-known": { method: "GET", path: "/.well-known/jwks.json" },
  "/api/v1/products": { method: "GET", path: "/api/v1/products" },
  "/api/v1/suppliers": { method: "GET", path: "/api/v1/suppliers" },
  "/api/v1/buffer-profiles": { method: "GET", path: "/api/v1/buffer-profiles" },
};
// One RPC per service, so the gRPC metrics exist when /metrics is read.
const RPC_PROBES = {
  auth: { method: "giia.auth.v1.AuthService/ValidateToken", body: '{"token":"x"}' },
  catalog: { method: "giia.catalog.v1.CatalogService/GetProduct", body: '{"id":"x"}' },
};

// --- helpers ----------------------------------------------------------------

const labelsMatch = (selector, labels) =>
  isObject(selector) && Object.keys(selector).length > 0 &&
  Object.entries(selector).every(([k, v]) => labels?.[k] === v);

function parseDuration(text) {
  const re = /(\d+(?:\.\d+)?)(ms|h|m|s)/g;
  let total = 0;
  let used = "";
  for (const m of String(text).matchAll(re)) {
    total += Number(m[1]) * { ms: 0.001, s: 1, m: 60, h: 3600 }[m[2]];
    used += m[0];
  }
  return used === String(text) && used ? total : NaN;
}
function cpuCores(q) {
  const m = /^(\d+(?:\.\d+)?)(m)?$/.exec(String(q));
  return m ? Number(m[1]) / (m[2] ? 1000 : 1) : NaN;
}
function memBytes(q) {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(String(q));
  const unit = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, k: 1e3, M: 1e6, G: 1e9, T: 1e12 };
  return m ? Number(m[1]) * (m[2] ? unit[m[2]] : 1) : NaN;
}

class Build {
  constructor(name, objects) {
    this.name = name;
    this.objects = objects;
  }
  all(kind) {
    return this.objects.filter((o) => o.kind === kind);
  }
  get(kind, name) {
    return this.objects.find((o) => o.kind === kind && o.metadata.name === name);
  }
  workloads() {
    return this.objects.filter((o) => o.kind === "Deployment" || o.kind === "Job");
  }
  // The environment a container starts with: its envFrom ConfigMaps and
  // Secrets in order, then env. secretValue(key, value) decides what a
  // Secret's value becomes (the placeholder itself, or a test value).
  containerEnv(c, secretValue) {
    const env = {};
    for (const ef of c.envFrom || []) {
      const prefix = ef.prefix || "";
      if (ef.configMapRef) {
        const cm = this.get("ConfigMap", ef.configMapRef.name);
        if (!cm) throw new Error(`envFrom names ConfigMap ${ef.configMapRef.name}, which is not in the build`);
        for (const [k, v] of Object.entries(cm.data || {})) env[prefix + k] = v;
      } else if (ef.secretRef) {
        const s = this.get("Secret", ef.secretRef.name);
        if (!s) throw new Error(`envFrom names Secret ${ef.secretRef.name}, which is not in the build`);
        const data = { ...s.stringData };
        for (const [k, v] of Object.entries(s.data || {})) data[k] = Buffer.from(v, "base64").toString();
        for (const [k, v] of Object.entries(data)) env[prefix + k] = secretValue(prefix + k, v);
      }
    }
    for (const e of c.env || []) {
      if (e.valueFrom) throw new Error(`env ${e.name} uses valueFrom, which this check cannot resolve`);
      env[e.name] = e.value ?? "";
    }
    // A path into a Secret volume names the test file that stands in for it.
    const mounts = this.secretMounts(c);
    for (const [k, v] of Object.entries(env)) {
      const m = mounts.find((x) => typeof v === "string" && v.startsWith(`${x.mountPath}/`));
      if (m) env[k] = m.dir + v.slice(m.mountPath.length);
    }
    return env;
  }
  // The Secrets a container's pod spec names: in envFrom and as volumes.
  secretsOf(c) {
    const w = this.workloads().find((x) => containersOf(x).some((y) => y.c === c));
    const names = [
      ...(c.envFrom || []).filter((ef) => ef.secretRef).map((ef) => ef.secretRef.name),
      ...(w?.spec.template.spec.volumes || []).filter((v) => v.secret).map((v) => v.secret.secretName),
    ];
    return names.map((n) => this.get("Secret", n) || { metadata: { name: n }, stringData: {} });
  }
  // The Secret volumes a container mounts, each as a directory of test files
  // (testFile) in place of the Secret's keys: [{mountPath, dir}].
  secretMounts(c) {
    const w = this.workloads().find((x) => containersOf(x).some((y) => y.c === c));
    const volumes = w?.spec.template.spec.volumes || [];
    const out = [];
    for (const m of c.volumeMounts || []) {
      const v = volumes.find((x) => x.name === m.name);
      if (!v?.secret) continue;
      const s = this.get("Secret", v.secret.secretName);
      if (!s) throw new Error(`volume ${v.name} names Secret ${v.secret.secretName}, which is not in the build`);
      const dir = path.join(TEST_FILES, this.name, w.metadata.name, v.name);
      fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
      const items = v.secret.items || Object.keys(s.stringData || {}).map((key) => ({ key, path: key }));
      for (const it of items) fs.writeFileSync(path.join(dir, it.path), testFile(it.key), { mode: 0o644 });
      out.push({ mountPath: m.mountPath.replace(/\/$/, ""), dir });
    }
    return out;
  }
  servicesSelecting(labels) {
    return this.all("Service").filter((s) => labelsMatch(s.spec?.selector, labels));
  }
}

// Test values for Secret keys, so the services can start in the live run.
const TEST_JWT = `check-deploy-${crypto.randomBytes(24).toString("hex")}`;
function testSecret(key) {
  if (/DATABASE_URL$/.test(key)) return "postgresql://giia@127.0.0.1:5432/giia?connect_timeout=1";
  if (/JWT_SECRET$/.test(key)) return TEST_JWT;
  throw new Error(`Secret key ${key} has no test value in tools/check-k8s.mjs (testSecret)`);
}

// Test files for the keys of Secret volumes: one Ed25519 key pair per run
// stands in for the PEM keys, in a directory uid 10001 can read.
const TEST_KEYS = crypto.generateKeyPairSync("ed25519");
const TEST_FILES = fs.mkdtempSync(path.join(os.tmpdir(), "giia-check-k8s-files-"));
fs.chmodSync(TEST_FILES, 0o755);
process.on("exit", () => fs.rmSync(TEST_FILES, { recursive: true, force: true }));
function testFile(key) {
  if (/private/i.test(key)) return TEST_KEYS.privateKey.export({ type: "pkcs8", format: "pem" });
  if (/public/i.test(key)) return TEST_KEYS.publicKey.export({ type: "spki", format: "pem" });
  throw new Error(`Secret volume key ${key} has no test file in tools/check-k8s.mjs (testFile)`);
}

const containersOf = (w) => [
  ...(w.spec.template.spec.initContainers || []).map((c) => ({ c, init: true })),
  ...(w.spec.template.spec.containers || []).map((c) => ({ c, init: false })),
];

function containerPortByRef(c, ref) {
  const ports = c.ports || [];
  return typeof ref === "string" ? ports.find((p) => p.name === ref) : ports.find((p) => p.containerPort === ref);
}

// --- 1. build -------------------------------------------------------------------

preloadYaml(yamlFilesUnder("k8s"));
const builds = {};
R.section("kustomize build (tools/lib/kustomize.mjs)");
for (const b of BUILDS) {
  R.check(`build ${rel(dirOf(b))}`, () => {
    builds[b] = new Build(b, build(dirOf(b)));
  });
}
const kubectl = spawnSync("sh", ["-c", "command -v kubectl"], { encoding: "utf8" }).stdout.trim();
if (kubectl) {
  for (const b of BUILDS.filter((x) => builds[x])) {
    R.check(`kubectl kustomize ${rel(dirOf(b))} gives the same objects`, () => {
      const r = spawnSync(kubectl, ["kustomize", dirOf(b)], { encoding: "utf8", timeout: 60000 });
      if (r.status !== 0) return `kubectl kustomize failed: ${lastLine(r.stderr)}`;
      const theirs = new Map(parseYamlText(r.stdout).map((o) => [idOf(o), o]));
      const ours = new Map(builds[b].objects.map((o) => {
        const c = structuredClone(o);
        delete c.__source;
        return [idOf(o), c];
      }));
      const diff = [];
      for (const id of new Set([...theirs.keys(), ...ours.keys()])) {
        if (!theirs.has(id)) diff.push(`${id} only in ours`);
        else if (!ours.has(id)) diff.push(`${id} only in kustomize's`);
        else if (!deepEqual(theirs.get(id), ours.get(id))) diff.push(`${id} differs`);
      }
      return diff.join("; ");
    });
  }
} else {
  R.note("kubectl is not installed: the kustomize subset is not cross-checked against kustomize itself");
}

// --- 2. schemas -------------------------------------------------------------------

R.section("schemas (kubernetes-models validators, unknown fields, Prometheus Operator kinds)");
for (const b of BUILDS.filter((x) => builds[x])) {
  let bad = 0;
  for (const o of builds[b].objects) {
    const what = `${b}: ${o.kind}/${o.metadata.name} (${o.__source})`;
    const v = await validateBuiltIn(o);
    if (v.known) {
      if (v.error) (bad++, R.fail(what, v.error));
      const unknown = unknownFields(o);
      if (unknown.length) (bad++, R.fail(what, `unknown fields: ${unknown.join(", ")}`));
    } else {
      const problems = checkCrd(o);
      if (problems === null) (bad++, R.fail(what, `${o.apiVersion} ${o.kind} is neither in kubernetes-models nor a known CRD`));
      else if (problems.length) (bad++, R.fail(what, problems.join("; ")));
    }
  }
  if (!bad) R.ok(`${b}: all ${builds[b].objects.length} objects valid, no unknown fields`);
}

// --- 3 + 4. wiring and commands ----------------------------------------------------

const resolved = {}; // `${build}/${deployment}` -> {service, cfg, env, container, deployment}

function checkBuild(B) {
  const b = B.name;
  R.section(`wiring: ${rel(dirOf(b))}`);

  R.check(`${b}: Namespace ${NAMESPACE}, every object in it and labelled part-of giia`, () => {
    if (!B.get("Namespace", NAMESPACE)) return `no Namespace ${NAMESPACE}`;
    const bad = B.objects.filter((o) => o.kind !== "Namespace" && o.metadata.namespace !== NAMESPACE).map(idOf);
    if (bad.length) return `not in ${NAMESPACE}: ${bad.join(", ")}`;
    const unlabelled = B.objects.filter((o) => o.metadata.labels?.["app.kubernetes.io/part-of"] !== "giia").map(idOf);
    if (unlabelled.length) return `without app.kubernetes.io/part-of=giia: ${unlabelled.join(", ")}`;
  });

  for (const s of B.all("Secret")) {
    R.check(`${b}: Secret ${s.metadata.name} is a template (every value ${PLACEHOLDER})`, () => {
      if (s.data) return "use stringData with placeholders; data (base64) hides what is committed";
      const bad = Object.entries(s.stringData || {}).filter(([, v]) => v !== PLACEHOLDER).map(([k]) => k);
      if (!Object.keys(s.stringData || {}).length) return "no keys";
      if (bad.length) return `not a placeholder: ${bad.join(", ")}`;
    });
  }
  for (const cm of B.all("ConfigMap")) {
    R.check(`${b}: ConfigMap ${cm.metadata.name} holds giia keys only, no secrets`, () => {
      const problems = [];
      for (const [k, v] of Object.entries(cm.data || {})) {
        if (!isGiiaKey(k)) problems.push(`${k} is not a key giia reads`);
        if (isSecretKey(k) || /DATABASE_URL$/.test(k)) problems.push(`${k} belongs in a Secret`);
        if (urlHasPassword(v)) problems.push(`${k} carries a password`);
      }
      return problems.join("; ");
    });
  }

  const images = new Set();
  for (const w of B.workloads()) {
    const pod = w.spec.template.spec;
    const wname = `${w.kind}/${w.metadata.name}`;
    R.check(`${b}: ${wname} pod: own ServiceAccount without token, no service links, non-root, RuntimeDefault seccomp`, () => {
      const p = [];
      const sa = B.get("ServiceAccount", pod.serviceAccountName);
      if (!sa) p.push(`serviceAccountName ${pod.serviceAccountName} is not in the build`);
      else if (sa.automountServiceAccountToken !== false) p.push(`ServiceAccount ${sa.metadata.name} mounts a token`);
      if (pod.automountServiceAccountToken !== false) p.push("automountServiceAccountToken is not false");
      if (pod.enableServiceLinks !== false) p.push("enableServiceLinks is not false (Service environment variables)");
      const sc = pod.securityContext || {};
      if (sc.runAsNonRoot !== true || sc.runAsUser !== RUN_AS) p.push(`pod securityContext: runAsNonRoot true, runAsUser ${RUN_AS}`);
      if (sc.seccompProfile?.type !== "RuntimeDefault") p.push("pod seccompProfile is not RuntimeDefault");
      return p.join("; ");
    });
    for (const { c, init } of containersOf(w)) {
      const cname = `${wname} ${init ? "init " : ""}container ${c.name}`;
      images.add(c.image);
      R.check(`${b}: ${cname}: restricted securityContext, requests and limits`, () => {
        const p = [];
        const sc = c.securityContext || {};
        if (sc.runAsNonRoot !== true || sc.runAsUser !== RUN_AS) p.push(`runAsNonRoot true, runAsUser ${RUN_AS}`);
        if (sc.readOnlyRootFilesystem !== true) p.push("readOnlyRootFilesystem is not true");
        if (sc.allowPrivilegeEscalation !== false) p.push("allowPrivilegeEscalation is not false");
        if (!(sc.capabilities?.drop || []).includes("ALL")) p.push("capabilities do not drop ALL");
        if ((sc.capabilities?.add || []).length) p.push("adds capabilities");
        if (sc.seccompProfile && sc.seccompProfile.type !== "RuntimeDefault") p.push("seccompProfile is not RuntimeDefault");
        const r = c.resources || {};
        for (const kind of ["requests", "limits"]) {
          for (const res of ["cpu", "memory"]) if (r[kind]?.[res] === undefined) p.push(`no ${kind}.${res}`);
        }
        if (cpuCores(r.requests?.cpu) > cpuCores(r.limits?.cpu)) p.push("cpu request above its limit");
        if (memBytes(r.requests?.memory) > memBytes(r.limits?.memory)) p.push("memory request above its limit");
        return p.join("; ");
      });
      R.check(`${b}: ${cname} runs a giia command that parses: ${[...(c.command || []), ...(c.args || [])].join(" ")}`, () => {
        if (JSON.stringify(c.command) !== JSON.stringify([IMAGE_BINARY])) return `command must be ["${IMAGE_BINARY}"] (the image's binary)`;
        const env = B.containerEnv(c, (k) => testSecret(k));
        return parsesAsGiia([...c.command, ...(c.args || [])], env);
      });
      for (const probe of ["startupProbe", "livenessProbe", "readinessProbe"]) {
        const cmd = c[probe]?.exec?.command;
        if (cmd) R.check(`${b}: ${cname} ${probe} is a giia command that parses: ${cmd.join(" ")}`, () => parsesAsGiia(cmd));
      }
    }
  }
  R.expect(`${b}: every giia container runs the same image`, images.size === 1, `images: ${[...images].join(", ")}`);

  for (const d of B.all("Deployment")) checkDeployment(B, d);
  checkIngress(B);
  checkJob(B);
}

function checkDeployment(B, d) {
  const b = B.name;
  const name = `${b}: Deployment/${d.metadata.name}`;
  const pod = d.spec.template.spec;
  const labels = d.spec.template.metadata?.labels || {};
  if (pod.containers.length !== 1) return R.fail(name, "one container per pod expected");
  const c = pod.containers[0];
  const args = c.args || [];
  if (!(args[0] === "serve" && ["auth", "catalog"].includes(args[1]) && args.length === 2)) {
    return R.fail(name, `runs ${args.join(" ")}, expected serve auth or serve catalog`);
  }
  const service = args[1];
  const env = B.containerEnv(c, (k) => testSecret(k));
  const cfg = resolveConfig(service, env);
  if (!R.expect(`${name}: its ConfigMap + Secret validate (giia config print --service ${service})`, cfg.status === 0,
    `exit ${cfg.status}: ${cfg.problems.map((p) => p.message).join("; ") || lastLine(cfg.stderr)}`)) return;
  const v = cfg.values;
  resolved[`${b}/${d.metadata.name}`] = { service, cfg: v, env, container: c, deployment: d, labels };

  R.check(`${name}: the Secret templates fail closed (giia refuses their placeholders)`, () => {
    const rawEnv = B.containerEnv(c, (k, val) => val);
    const placeholders = Object.keys(rawEnv).filter((k) => rawEnv[k] === PLACEHOLDER);
    const raw = resolveConfig(service, rawEnv);
    if (raw.status !== 1) return `config print exited ${raw.status} with the placeholders in place`;
    const flagged = new Set(raw.problems.map((p) => p.key));
    const missing = placeholders.filter((k) => !flagged.has(k.replace(/^(AUTH|CATALOG)_/, "")));
    if (missing.length) return `not rejected: ${missing.join(", ")}`;
  });

  const http = Number(v.HTTP_PORT);
  const grpc = Number(v.GRPC_PORT);
  const metrics = v.METRICS_PORT === null ? NaN : Number(v.METRICS_PORT);
  R.check(`${name}: containerPorts http ${http}, grpc ${grpc}, metrics ${v.METRICS_PORT} (from giia config print)`, () => {
    if (Number.isNaN(metrics)) return "METRICS_PORT is not set: /metrics would share the HTTP port the Ingress exposes";
    if (new Set([http, grpc, metrics]).size !== 3) return "HTTP_PORT, GRPC_PORT and METRICS_PORT must differ";
    const want = { http, grpc, metrics };
    const got = Object.fromEntries((c.ports || []).map((p) => [p.name, p.containerPort]));
    if (!deepEqual(want, got)) return `containerPorts ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`;
    if ((c.ports || []).some((p) => (p.protocol || "TCP") !== "TCP")) return "every port is TCP";
  });

  R.check(`${name}: probes (exec giia health on /health/live :${http}, httpGet /health/ready :${http})`, () => {
    const p = [];
    for (const probe of ["startupProbe", "livenessProbe"]) {
      const cmd = c[probe]?.exec?.command;
      if (!cmd) {
        p.push(`${probe} is not an exec of giia health`);
        continue;
      }
      const i = cmd.indexOf("--http");
      if (cmd[0] !== IMAGE_BINARY || cmd[1] !== "health" || i < 0) p.push(`${probe}: ${cmd.join(" ")} is not giia health --http`);
      else if (cmd[i + 1] !== `http://127.0.0.1:${http}/health/live`) p.push(`${probe} asks ${cmd[i + 1]}, not http://127.0.0.1:${http}/health/live`);
    }
    const rp = c.readinessProbe?.httpGet;
    if (!rp) p.push("readinessProbe is not an httpGet");
    else {
      if (rp.path !== "/health/ready") p.push(`readinessProbe path ${rp.path}`);
      if (containerPortByRef(c, rp.port)?.containerPort !== http) p.push(`readinessProbe port ${rp.port} is not HTTP_PORT ${http}`);
    }
    if ((c.livenessProbe?.timeoutSeconds ?? 1) < 3) p.push("livenessProbe.timeoutSeconds below giia health's 2s timeout + start-up");
    // /health/ready waits up to 2 s per dependency check, and the catalog's
    // check of auth up to AUTH_GRPC_TIMEOUT.
    const readyNeeds = Math.max(2, service === "catalog" ? parseDuration(v.AUTH_GRPC_TIMEOUT) : 0) + 1;
    if ((c.readinessProbe?.timeoutSeconds ?? 1) < readyNeeds) p.push(`readinessProbe.timeoutSeconds below ${readyNeeds}s (what /health/ready may take)`);
    return p.join("; ");
  });

  R.check(`${name}: preStop sleep + SHUTDOWN_TIMEOUT (${v.SHUTDOWN_TIMEOUT}) fit terminationGracePeriodSeconds`, () => {
    const cmd = c.lifecycle?.preStop?.exec?.command || [];
    if (cmd[0] !== "/bin/sleep" || !/^\d+$/.test(cmd[1] || "") || cmd.length !== 2) return `preStop must be ["/bin/sleep", "N"], is ${JSON.stringify(cmd)}`;
    const need = Number(cmd[1]) + parseDuration(v.SHUTDOWN_TIMEOUT) + 5;
    const grace = pod.terminationGracePeriodSeconds ?? 30;
    if (!(grace >= need)) return `terminationGracePeriodSeconds ${grace} < preStop ${cmd[1]}s + SHUTDOWN_TIMEOUT + 5s margin = ${need}s`;
  });

  R.check(`${name}: rolling update without unavailability, anti-affinity on hostname`, () => {
    const s = d.spec.strategy || {};
    if (s.type !== "RollingUpdate" || s.rollingUpdate?.maxUnavailable !== 0 || !(s.rollingUpdate?.maxSurge >= 1)) {
      return `strategy ${JSON.stringify(s)}: RollingUpdate, maxUnavailable 0, maxSurge >= 1`;
    }
    const terms = pod.affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution || [];
    if (!terms.some((t) => t.podAffinityTerm?.topologyKey === "kubernetes.io/hostname" && labelsMatch(t.podAffinityTerm?.labelSelector?.matchLabels, labels))) {
      return "no preferred pod anti-affinity on kubernetes.io/hostname selecting its own pods";
    }
    if (!labelsMatch(d.spec.selector?.matchLabels, labels)) return "spec.selector does not select the pod template";
  });

  const services = B.servicesSelecting(labels);
  R.check(`${name}: its Services map every port to the matching container port`, () => {
    const p = [];
    if (!services.some((s) => s.spec.clusterIP !== "None")) p.push("no ClusterIP Service selects it");
    const headless = services.filter((s) => s.spec.clusterIP === "None");
    if (!headless.some((s) => s.spec.ports.some((sp) => containerPortByRef(c, sp.targetPort ?? sp.port)?.containerPort === grpc))) {
      p.push("no headless Service for gRPC (client-side balancing)");
    }
    for (const s of services) {
      for (const sp of s.spec.ports || []) {
        const cp = containerPortByRef(c, sp.targetPort ?? sp.port);
        if (!cp) p.push(`Service ${s.metadata.name} port ${sp.name} targets ${sp.targetPort}, which the container does not expose`);
        else if (cp.containerPort !== sp.port || cp.name !== sp.name) {
          p.push(`Service ${s.metadata.name} port ${sp.name}:${sp.port} -> ${cp.name}:${cp.containerPort} (keep name and number equal)`);
        }
      }
    }
    return p.join("; ");
  });

  R.check(`${name}: replicas, HorizontalPodAutoscaler and PodDisruptionBudget agree`, () => {
    const replicas = d.spec.replicas ?? 1;
    const hpa = B.all("HorizontalPodAutoscaler").find((h) => h.spec.scaleTargetRef?.kind === "Deployment" && h.spec.scaleTargetRef?.name === d.metadata.name);
    const pdb = B.all("PodDisruptionBudget").find((x) => labelsMatch(x.spec.selector?.matchLabels, labels));
    const p = [];
    if (!hpa) p.push("no HPA targets it");
    else {
      if (hpa.spec.minReplicas !== replicas) p.push(`HPA minReplicas ${hpa.spec.minReplicas} != replicas ${replicas}`);
      if (!(hpa.spec.maxReplicas >= hpa.spec.minReplicas)) p.push("HPA maxReplicas below minReplicas");
      if (!(hpa.spec.metrics || []).some((m) => m.resource?.name === "cpu")) p.push("HPA has no CPU target");
    }
    if (!pdb) p.push("no PodDisruptionBudget selects it");
    else if (pdb.spec.minAvailable === undefined) p.push("PDB without minAvailable");
    else if (!(pdb.spec.minAvailable < replicas || pdb.spec.minAvailable === 0)) p.push(`PDB minAvailable ${pdb.spec.minAvailable} with ${replicas} replicas would block every drain`);
    return p.join("; ");
  });

  R.check(`${name}: NetworkPolicies let in exactly its ports and let out DNS`, () => {
    const policies = B.all("NetworkPolicy").filter((np) => labelsMatch(np.spec.podSelector?.matchLabels, labels));
    if (!policies.length) return "no NetworkPolicy selects it";
    const portOf = (pp) => (typeof pp.port === "string" ? containerPortByRef(c, pp.port)?.containerPort : pp.port);
    const inPorts = new Set(policies.flatMap((np) => (np.spec.ingress || []).flatMap((r) => (r.ports || []).map(portOf))));
    const p = [];
    for (const want of [http, grpc, metrics]) if (!inPorts.has(want)) p.push(`port ${want} is not allowed in`);
    for (const got of inPorts) if (![http, grpc, metrics].includes(got)) p.push(`ingress allows ${got}, which it does not serve`);
    const egress = policies.flatMap((np) => np.spec.egress || []);
    if (!egress.some((r) => !r.to && (r.ports || []).some((pp) => pp.port === 53 && pp.protocol === "UDP"))) p.push("no egress to DNS (53/UDP)");
    for (const np of policies) if (!(np.spec.policyTypes || []).includes("Egress")) p.push(`${np.metadata.name} does not restrict egress`);
    return p.join("; ");
  });

  R.check(`${name}: a ServiceMonitor scrapes METRICS_PORT ${metrics} at /metrics`, () => {
    const sms = B.all("ServiceMonitor").filter((sm) => services.some((s) => labelsMatch(sm.spec.selector?.matchLabels, s.metadata.labels)));
    if (!sms.length) return "no ServiceMonitor selects its Services";
    for (const sm of sms) {
      if (!(sm.spec.namespaceSelector?.matchNames || []).includes(NAMESPACE)) return `${sm.metadata.name}: namespaceSelector does not name ${NAMESPACE}`;
      const selected = services.filter((s) => labelsMatch(sm.spec.selector.matchLabels, s.metadata.labels));
      for (const ep of sm.spec.endpoints) {
        const sp = selected.flatMap((s) => s.spec.ports).find((x) => x.name === ep.port);
        if (!sp) return `${sm.metadata.name}: no selected Service has a port named ${ep.port}`;
        if (containerPortByRef(c, sp.targetPort ?? sp.port)?.containerPort !== metrics) return `${sm.metadata.name}: port ${ep.port} is not METRICS_PORT`;
        if ((ep.path || "/metrics") !== "/metrics") return `${sm.metadata.name}: path ${ep.path}`;
      }
    }
  });

  if (service === "catalog") {
    R.check(`${name}: AUTH_GRPC_ADDR ${v.AUTH_GRPC_ADDR} is auth's gRPC port, allowed both ways by the NetworkPolicies`, () => {
      const m = /^([^:]+):(\d+)$/.exec(v.AUTH_GRPC_ADDR || "");
      if (!m) return "not host:port";
      const [svcName, ns = NAMESPACE, ...rest] = m[1].split(".");
      if (ns !== NAMESPACE || !["", "svc", "svc.cluster.local"].includes(rest.join("."))) return `${m[1]} is not a Service of namespace ${NAMESPACE}`;
      const s = B.get("Service", svcName);
      if (!s) return `no Service ${svcName}`;
      const sp = (s.spec.ports || []).find((x) => x.port === Number(m[2]));
      if (!sp) return `Service ${svcName} has no port ${m[2]}`;
      const auth = B.all("Deployment").find((x) => labelsMatch(s.spec.selector, x.spec.template.metadata.labels));
      if (!auth || auth.spec.template.spec.containers[0].args?.[1] !== "auth") return `Service ${svcName} does not select the auth Deployment`;
      const authC = auth.spec.template.spec.containers[0];
      const authCfg = resolveConfig("auth", B.containerEnv(authC, (k) => testSecret(k))).values;
      const target = containerPortByRef(authC, sp.targetPort ?? sp.port);
      if (target?.containerPort !== Number(authCfg.GRPC_PORT)) return `port ${m[2]} reaches ${target?.containerPort}, auth's GRPC_PORT is ${authCfg.GRPC_PORT}`;
      const authLabels = auth.spec.template.metadata.labels;
      const out = B.all("NetworkPolicy").filter((np) => labelsMatch(np.spec.podSelector?.matchLabels, labels))
        .flatMap((np) => np.spec.egress || [])
        .some((r) => (r.to || []).some((t) => labelsMatch(t.podSelector?.matchLabels, authLabels)) && (r.ports || []).some((pp) => pp.port === target.containerPort || pp.port === target.name));
      if (!out) return "the catalog's NetworkPolicy does not let it reach auth's gRPC port";
      const inn = B.all("NetworkPolicy").filter((np) => labelsMatch(np.spec.podSelector?.matchLabels, authLabels))
        .flatMap((np) => np.spec.ingress || [])
        .some((r) => (r.from || []).some((f) => labelsMatch(f.podSelector?.matchLabels, labels)) && (r.ports || []).some((pp) => pp.port === target.containerPort || pp.port === target.name));
      if (!inn) return "auth's NetworkPolicy does not let the catalog in on its gRPC port";
    });
  }

  if (b === "prod") {
    R.expect(`${name}: gRPC reflection is off in prod`, v.ENABLE_GRPC_REFLECTION === "false", `ENABLE_GRPC_REFLECTION=${v.ENABLE_GRPC_REFLECTION}`);
    // EdDSA in prod: only auth can sign. The catalog's pod spec names no
    // JWT_SECRET and no private key, in its environment or in any Secret it
    // mounts or reads, so a compromised catalog cannot mint tokens.
    const rawEnv = B.containerEnv(c, (k, val) => val);
    const has = (key) => Object.keys(rawEnv).some((k) => k === key || k === `${service.toUpperCase()}_${key}`);
    const secretKeys = B.secretsOf(c).flatMap((s) => Object.keys({ ...s.stringData, ...s.data }).map((k) => [s.metadata.name, k]));
    if (service === "catalog") {
      R.check(`${name}: holds the EdDSA public key only (no JWT_SECRET, no private key: it cannot mint tokens)`, () => {
        const p = [];
        for (const key of ["JWT_SECRET", "JWT_PRIVATE_KEY_FILE"]) if (has(key)) p.push(`its environment sets ${key}`);
        if (!has("JWT_PUBLIC_KEY_FILE")) p.push("no JWT_PUBLIC_KEY_FILE");
        for (const [s, k] of secretKeys) if (/JWT_SECRET|private/i.test(k)) p.push(`Secret ${s} in its pod spec holds ${k}`);
        return p.join("; ");
      });
    } else {
      R.check(`${name}: signs with the EdDSA key files, without JWT_SECRET`, () => {
        const p = [];
        if (has("JWT_SECRET") || secretKeys.some(([, k]) => /JWT_SECRET/.test(k))) p.push("JWT_SECRET is in its pod spec");
        for (const key of ["JWT_PRIVATE_KEY_FILE", "JWT_PUBLIC_KEY_FILE"]) if (!has(key)) p.push(`no ${key}`);
        return p.join("; ");
      });
    }
  }
}

function checkIngress(B) {
  for (const ing of B.all("Ingress")) {
    R.check(`${B.name}: Ingress ${ing.metadata.name} routes every path to a Service's HTTP_PORT`, () => {
      const p = [];
      for (const rule of ing.spec.rules || []) {
        for (const hp of rule.http?.paths || []) {
          const be = hp.backend?.service;
          const s = be && B.get("Service", be.name);
          if (!s) {
            p.push(`${hp.path}: no Service ${be?.name}`);
            continue;
          }
          const sp = (s.spec.ports || []).find((x) => (be.port.name ? x.name === be.port.name : x.port === be.port.number));
          const d = B.all("Deployment").find((x) => labelsMatch(s.spec.selector, x.spec.template.metadata.labels));
          const r = d && resolved[`${B.name}/${d.metadata.name}`];
          if (!sp || !r) p.push(`${hp.path}: ${be.name} has no such port or no giia Deployment behind it`);
          else if (containerPortByRef(r.container, sp.targetPort ?? sp.port)?.containerPort !== Number(r.cfg.HTTP_PORT)) p.push(`${hp.path}: ${be.name}:${sp.port} is not HTTP_PORT`);
          if (!INGRESS_PROBES[hp.path]) p.push(`${hp.path}: no probe request in INGRESS_PROBES (tools/check-k8s.mjs)`);
        }
      }
      return p.join("; ");
    });
  }
}

function checkJob(B) {
  for (const j of B.all("Job")) {
    const steps = containersOf(j).map(({ c }) => (c.args || []).join(" "));
    R.check(`${B.name}: Job/${j.metadata.name} runs migrate up, then seed-roles, with both services' database URLs`, () => {
      const p = [];
      const init = j.spec.template.spec.initContainers || [];
      if (!(init.length === 1 && init[0].args?.[0] === "migrate" && init[0].args?.[1] === "up")) p.push(`the init container must run migrate up (steps: ${steps.join(" | ")})`);
      const main = j.spec.template.spec.containers || [];
      if (!(main.length === 1 && main[0].args?.[0] === "seed-roles")) p.push("the container must run seed-roles");
      if (j.spec.template.spec.restartPolicy !== "Never") p.push("restartPolicy must be Never (backoffLimit retries)");
      if (init[0]) {
        const env = B.containerEnv(init[0], (k) => testSecret(k));
        for (const svc of ["AUTH", "CATALOG"]) if (!env[`${svc}_DATABASE_URL`] && !env.DATABASE_URL) p.push(`migrate has no ${svc}_DATABASE_URL nor DATABASE_URL`);
      }
      if (main[0]) {
        const env = B.containerEnv(main[0], (k) => testSecret(k));
        if (!env.AUTH_DATABASE_URL && !env.DATABASE_URL) p.push("seed-roles has no AUTH_DATABASE_URL nor DATABASE_URL");
      }
      const labels = j.spec.template.metadata?.labels;
      const np = B.all("NetworkPolicy").filter((x) => labelsMatch(x.spec.podSelector?.matchLabels, labels));
      const egress = np.flatMap((x) => x.spec.egress || []).flatMap((r) => r.ports || []).map((pp) => pp.port);
      if (!egress.includes(5432) || !egress.includes(53)) p.push("its NetworkPolicy must let it reach PostgreSQL (5432) and DNS");
      return p.join("; ");
    });
  }
}

for (const b of BUILDS.filter((x) => builds[x])) checkBuild(builds[b]);

// --- 5. live -------------------------------------------------------------------

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// spawnSync's result, without blocking the other live runs.
function runAsync(cmd, args, { timeout = 15000, env, cwd } = {}) {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { env, cwd, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d) => (stdout += d));
    p.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => p.kill("SIGKILL"), timeout);
    p.on("error", (e) => {
      clearTimeout(timer);
      resolve({ status: null, stdout, stderr: stderr + e.message });
    });
    p.on("close", (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}
const metricFamilies = new Set();

function netnsOf(pid) {
  try {
    return fs.readlinkSync(`/proc/${pid}/ns/net`);
  } catch {
    return null;
  }
}

// A private network namespace (loopback only) held open by a sleeping
// process; commands enter it with nsenter. The ports the manifests name can
// be used as they are, whatever runs on this machine.
async function withNetns(fn) {
  const holder = spawn("unshare", ["-n", "--", "sleep", "600"], { stdio: "ignore" });
  const mine = netnsOf(process.pid);
  for (let i = 0; i < 100 && (netnsOf(holder.pid) === null || netnsOf(holder.pid) === mine); i++) await sleep(20);
  try {
    if (netnsOf(holder.pid) === mine || holder.exitCode !== null) throw new Error("unshare -n failed (needs root)");
    const enter = ["nsenter", "-t", String(holder.pid), "-n", "--"];
    const up = spawnSync(enter[0], [...enter.slice(1), "ip", "link", "set", "lo", "up"], { encoding: "utf8" });
    if (up.status !== 0) throw new Error(`ip link set lo up: ${lastLine(up.stderr)}`);
    return await fn(enter);
  } finally {
    holder.kill("SIGKILL");
  }
}

async function liveRun(b, key, out) {
  const { service, cfg, env, container: c, deployment: d } = resolved[key];
  const name = `${b}: Deployment/${d.metadata.name}`;
  const giia = giiaBinary();
  const asUser = ["setpriv", `--reuid=${RUN_AS}`, `--regid=${RUN_AS}`, "--clear-groups", "--"];
  const mapArgv = (argv) => [argv[0] === IMAGE_BINARY ? giia : argv[0], ...argv.slice(1)];
  // The container's working directory stands in for the read-only root: the
  // process may not write to it (only /tmp is an emptyDir in the pod).
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), "giia-readonly-"));
  fs.chmodSync(cwd, 0o755);
  const logFile = path.join(os.tmpdir(), `giia-live-${b}-${service}-${process.pid}.log`);
  const log = fs.openSync(logFile, "w");
  const penv = cleanEnv(env);
  const http = Number(cfg.HTTP_PORT);
  const grpc = Number(cfg.GRPC_PORT);
  const metrics = Number(cfg.METRICS_PORT);
  try {
    await withNetns(async (enter) => {
      const inNs = (argv, opts = {}) => runAsync(enter[0], [...enter.slice(1), ...argv], { timeout: 15000, cwd, ...opts });
      const argv = [...asUser, ...mapArgv([...c.command, ...c.args])];
      const proc = spawn(enter[0], [...enter.slice(1), ...argv], { env: penv, cwd, stdio: ["ignore", log, log] });
      const exited = new Promise((resolve) => proc.on("exit", (code, signal) => resolve({ code, signal })));
      let status = null;
      exited.then((s) => (status = s));
      try {
        // startupProbe, exactly as the kubelet would run it, until it passes.
        const startup = [...asUser, ...mapArgv(c.startupProbe.exec.command)];
        let up = false;
        for (let i = 0; i < 100 && !up && !status; i++) {
          up = (await inNs(startup, { env: penv })).status === 0;
          if (!up) await sleep(100);
        }
        if (!out.expect(`${name} live: starts as uid ${RUN_AS}, the startupProbe passes`, up,
          status ? `exited ${JSON.stringify(status)}: ${lastLine(fs.readFileSync(logFile, "utf8"))}` : "startupProbe never passed in 10s")) return;
        const live = await inNs([...asUser, ...mapArgv(c.livenessProbe.exec.command)], { env: penv });
        out.expect(`${name} live: the livenessProbe passes`, live.status === 0, `exit ${live.status}: ${lastLine(live.stderr || live.stdout)}`);
        const rp = c.readinessProbe.httpGet;
        const rport = containerPortByRef(c, rp.port).containerPort;
        const curl = async (url, extra = []) => (await inNs(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "5", ...extra, url])).stdout;
        const ready = await curl(`http://127.0.0.1:${rport}${rp.path}`);
        out.expect(`${name} live: readinessProbe GET ${rp.path} on :${rport} answers (503 here: no PostgreSQL)`, ["200", "503"].includes(ready), `HTTP ${ready}`);
        const health = await inNs([giia, "health", "--grpc", `127.0.0.1:${grpc}`], { env: cleanEnv() });
        out.expect(`${name} live: gRPC health on :${grpc} is SERVING`, health.status === 0, `exit ${health.status}: ${lastLine(health.stdout + health.stderr)}`);
        const buf = path.join(ROOT, "node_modules", ".bin", "buf");
        const rpc = RPC_PROBES[service];
        const call = await inNs([buf, "curl", "--schema", path.join(ROOT, "proto"), "--protocol", "grpc", "--http2-prior-knowledge",
          "-d", rpc.body, `http://127.0.0.1:${grpc}/${rpc.method}`], { cwd: ROOT });
        out.expect(`${name} live: ${rpc.method} answers on :${grpc}`, call.status !== null && !/connection refused|unavailable/i.test(call.stderr + call.stdout),
          lastLine(call.stderr + call.stdout));
        const reflection = await inNs([buf, "curl", "--protocol", "grpc", "--http2-prior-knowledge", "--list-services", `http://127.0.0.1:${grpc}`], { cwd: ROOT });
        const wantReflection = cfg.ENABLE_GRPC_REFLECTION === "true";
        out.expect(`${name} live: gRPC reflection is ${wantReflection ? "on" : "off"} as ENABLE_GRPC_REFLECTION says`,
          (reflection.status === 0) === wantReflection, `buf curl --list-services exited ${reflection.status}`);
        const scrape = await inNs(["curl", "-s", "--max-time", "5", `http://127.0.0.1:${metrics}/metrics`]);
        const families = [...scrape.stdout.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]);
        families.forEach((f) => metricFamilies.add(f));
        out.expect(`${name} live: /metrics answers on METRICS_PORT ${metrics} (${families.length} metric families)`,
          scrape.status === 0 && families.includes("grpc_server_handled_total"), `curl exit ${scrape.status}, families: ${families.join(" ") || "none"}`);
        const onHttp = await curl(`http://127.0.0.1:${http}/metrics`);
        out.expect(`${name} live: /metrics is not on the HTTP port the Ingress exposes`, onHttp === "404", `HTTP ${onHttp}`);
        for (const ing of builds[b].all("Ingress")) {
          for (const hp of ing.spec.rules.flatMap((r) => r.http?.paths || [])) {
            const s = builds[b].get("Service", hp.backend.service.name);
            if (!s || !labelsMatch(s.spec.selector, d.spec.template.metadata.labels)) continue;
            const probe = INGRESS_PROBES[hp.path];
            if (!probe) continue;
            const got = await curl(`http://127.0.0.1:${http}${probe.path}`, ["-X", probe.method, ...(probe.body ? ["-d", probe.body] : [])]);
            out.expect(`${name} live: Ingress path ${hp.path} reaches a route (${probe.method} ${probe.path} -> ${got})`, got !== "404" && got !== "000", `HTTP ${got}`);
          }
        }
        // SIGTERM, as the kubelet sends after preStop: exit 0, in time.
        proc.kill("SIGTERM");
        const limit = (parseDuration(cfg.SHUTDOWN_TIMEOUT) + 5) * 1000;
        let timer;
        const result = await Promise.race([exited, new Promise((r) => (timer = setTimeout(() => r(null), limit)))]);
        clearTimeout(timer);
        out.expect(`${name} live: SIGTERM drains and exits 0 within SHUTDOWN_TIMEOUT`, result && result.code === 0,
          result ? `exit ${JSON.stringify(result)}: ${lastLine(fs.readFileSync(logFile, "utf8"))}` : "still running");
      } finally {
        if (!status) {
          proc.kill("SIGKILL");
          await exited;
        }
      }
    });
  } catch (e) {
    out.fail(`${name} live`, e.message);
  } finally {
    fs.closeSync(log);
    fs.rmSync(cwd, { recursive: true, force: true });
    fs.rmSync(logFile, { force: true });
  }
}

R.section("live: each overlay's Deployments, in a private network namespace");
if (process.env.GIIA_DEPLOY_LIVE === "0") {
  R.note("GIIA_DEPLOY_LIVE=0: skipped");
} else {
  // The overlays run side by side (a namespace each); their lines are
  // printed afterwards, in order.
  const logs = await Promise.all(OVERLAYS.map(async (b) => {
    const lines = [];
    const out = {
      expect: (what, cond, why) => (lines.push([!!cond, `${what}${process.env.CHECK_TIMING ? ` [${elapsed()} ms]` : ""}`, why]), !!cond),
      fail: (what, why) => lines.push([false, what, why]),
    };
    for (const key of Object.keys(resolved).filter((k) => k.startsWith(`${b}/`))) await liveRun(b, key, out);
    return lines;
  }));
  for (const [ok, what, why] of logs.flat()) ok ? R.ok(what) : R.fail(what, why);
}

// --- 6. alerts -------------------------------------------------------------------

R.section("alerts (PrometheusRule)");
const rules = builds.base?.all("PrometheusRule") || [];
for (const b of OVERLAYS.filter((x) => builds[x])) {
  R.expect(`${b}: the PrometheusRule is the base's`, deepEqual(builds[b].all("PrometheusRule"), rules), "an overlay changed it");
}
for (const pr of rules) {
  const tmp = path.join(os.tmpdir(), `giia-rules-${process.pid}.json`);
  fs.writeFileSync(tmp, JSON.stringify(pr.spec)); // JSON is YAML
  const r = spawnSync("promtool", ["check", "rules", tmp], { encoding: "utf8" });
  fs.rmSync(tmp, { force: true });
  R.expect(`promtool check rules on PrometheusRule/${pr.metadata.name}`, r.status === 0, (r.stdout + r.stderr).trim().split("\n").slice(-3).join(" | ") || r.error?.message);
  const names = new Set();
  for (const g of pr.spec.groups) {
    for (const rule of g.rules) {
      // metric names only: not the label names in {...} or by (...)
      const expr = rule.expr.replace(/\{[^}]*\}/g, "").replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, "");
      for (const m of expr.matchAll(/\b((?:giia|grpc|http|process)_[a-z0-9_]+)/g)) names.add(m[1]);
    }
  }
  if (metricFamilies.size) {
    const missing = [...names].filter((n) => !metricFamilies.has(n) && !metricFamilies.has(n.replace(/_(bucket|sum|count)$/, "")));
    R.expect(`PrometheusRule/${pr.metadata.name} names only metrics giia exports (${[...names].join(", ")})`, !missing.length, `not on any /metrics: ${missing.join(", ")}`);
  } else {
    R.fail(`PrometheusRule/${pr.metadata.name} metric names`, "no live /metrics scrape to compare with");
  }
  R.check("deploy/prometheus/alerts.yml (docker-compose) has the PrometheusRule's groups", () => {
    const doc = loadYamlFile("deploy/prometheus/alerts.yml")[0];
    if (!deepEqual(doc?.groups, pr.spec.groups)) return "they differ: edit both together";
  });
}
R.expect("one PrometheusRule in the base", rules.length === 1, `${rules.length}`);

R.finish();

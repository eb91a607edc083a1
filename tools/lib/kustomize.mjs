// The small part of kustomize that k8s/ uses, so that overlays can be built
// where no kustomize binary exists (Debian bookworm packages none):
//   - kustomization.yaml with apiVersion, kind, resources and patches;
//   - resources: YAML files (several documents each) or directories that
//     hold a kustomization.yaml;
//   - patches: entries with a `path` only (no target, no inline patch), each
//     file one or more strategic-merge patches, matched to exactly one
//     resource by apiVersion, kind, namespace and name.
// Strategic merge here: maps merge key by key, null deletes a key, the lists
// Kubernetes merges by a key (containers and initContainers by name, env by
// name, volumes by name, volumeMounts by mountPath, container ports by
// containerPort, Service ports by port) merge item by item, every other
// list is replaced. Any other kustomization field and any $patch-style
// directive is refused, never ignored. When kubectl is installed, the check
// also runs `kubectl kustomize` and requires the same objects.
import fs from "node:fs";
import path from "node:path";
import { isObject, loadYamlFile, rel } from "./common.mjs";

const KUSTOMIZATION_KEYS = new Set(["apiVersion", "kind", "resources", "patches"]);

export const idOf = (o) =>
  `${o.apiVersion}/${o.kind}/${o.metadata?.namespace ?? ""}/${o.metadata?.name ?? ""}`;

export function build(dir) {
  const file = path.join(dir, "kustomization.yaml");
  if (!fs.existsSync(file)) throw new Error(`${rel(dir)}: no kustomization.yaml`);
  const docs = loadYamlFile(file);
  if (docs.length !== 1 || !isObject(docs[0])) throw new Error(`${rel(file)}: expected one mapping`);
  const k = docs[0];
  for (const key of Object.keys(k)) {
    if (!KUSTOMIZATION_KEYS.has(key)) {
      throw new Error(`${rel(file)}: "${key}" is outside the kustomize subset tools/lib/kustomize.mjs builds`);
    }
  }
  if (k.apiVersion !== "kustomize.config.k8s.io/v1beta1" || k.kind !== "Kustomization") {
    throw new Error(`${rel(file)}: apiVersion/kind must be kustomize.config.k8s.io/v1beta1 Kustomization`);
  }
  const objects = [];
  for (const r of k.resources || []) {
    const p = path.resolve(dir, r);
    if (!fs.existsSync(p)) throw new Error(`${rel(file)}: resource ${r} does not exist`);
    if (fs.statSync(p).isDirectory()) {
      objects.push(...build(p));
    } else {
      for (const o of loadYamlFile(p)) {
        if (!isObject(o) || !o.apiVersion || !o.kind || !o.metadata?.name) {
          throw new Error(`${rel(p)}: every document needs apiVersion, kind and metadata.name`);
        }
        o.__source = rel(p);
        objects.push(o);
      }
    }
  }
  const seen = new Set();
  for (const o of objects) {
    const id = idOf(o);
    if (seen.has(id)) throw new Error(`${rel(file)}: ${id} is defined twice`);
    seen.add(id);
  }
  for (const entry of k.patches || []) {
    if (!isObject(entry) || Object.keys(entry).join() !== "path") {
      throw new Error(`${rel(file)}: patches entries may only name a path (strategic-merge patch files)`);
    }
    const p = path.resolve(dir, entry.path);
    for (const patch of loadYamlFile(p)) {
      const targets = objects.filter(
        (o) =>
          o.apiVersion === patch.apiVersion &&
          o.kind === patch.kind &&
          o.metadata.name === patch.metadata?.name &&
          (o.metadata.namespace ?? "") === (patch.metadata?.namespace ?? ""),
      );
      if (targets.length !== 1) {
        throw new Error(`${rel(p)}: patch ${idOf(patch)} matches ${targets.length} resources, not one`);
      }
      const i = objects.indexOf(targets[0]);
      const source = objects[i].__source;
      objects[i] = merge(objects[i], patch, []);
      objects[i].__source = source;
    }
  }
  return objects;
}

function mergeKey(pathKeys) {
  const last = pathKeys[pathKeys.length - 1];
  switch (last) {
    case "containers":
    case "initContainers":
    case "ephemeralContainers":
    case "env":
    case "volumes":
    case "imagePullSecrets":
      return "name";
    case "volumeMounts":
      return "mountPath";
    case "ports":
      return pathKeys.some((k) => /containers$/i.test(k)) ? "containerPort" : "port";
    default:
      return null;
  }
}

export function merge(base, patch, pathKeys) {
  if (isObject(patch)) {
    if (!isObject(base)) return stripNulls(patch);
    const out = { ...base };
    for (const [k, v] of Object.entries(patch)) {
      if (k.startsWith("$")) throw new Error(`directive ${k} at ${pathKeys.join(".")} is not supported`);
      if (v === null) delete out[k];
      else out[k] = merge(base[k], v, [...pathKeys, k]);
    }
    return out;
  }
  if (Array.isArray(patch)) {
    const key = mergeKey(pathKeys);
    if (!key || !Array.isArray(base)) return structuredClone(patch);
    const out = structuredClone(base);
    for (const item of patch) {
      if (!isObject(item) || !(key in item)) {
        throw new Error(`${pathKeys.join(".")}: every patch item needs its merge key "${key}"`);
      }
      const i = out.findIndex((x) => isObject(x) && x[key] === item[key]);
      if (i >= 0) out[i] = merge(out[i], item, pathKeys);
      else out.push(stripNulls(item));
    }
    return out;
  }
  return patch;
}

function stripNulls(v) {
  if (Array.isArray(v)) return v.map(stripNulls);
  if (isObject(v)) {
    const out = {};
    for (const [k, x] of Object.entries(v)) if (x !== null) out[k] = stripNulls(x);
    return out;
  }
  return v;
}

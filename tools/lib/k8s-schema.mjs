// Kubernetes schema checks for the built manifests.
// 1. kubernetes-models (node_modules, pinned in package-lock.json): each
//    built-in kind's generated validator (types, formats such as quantities,
//    enums, required fields).
// 2. Unknown fields: the OpenAPI schemas those validators come from allow
//    any extra property, so a misspelt field (readinesProbe) would pass
//    them. The same package's .d.ts files list every field of every type;
//    unknownFields() walks an object along them, like kubectl's strict
//    field validation.
// 3. Prometheus Operator kinds (ServiceMonitor, PrometheusRule) are not in
//    kubernetes-models: CRD_SHAPES below describes the fields k8s/ uses, with
//    the same no-unknown-fields rule; PrometheusRule expressions also go
//    through promtool (tools/check-k8s.mjs).
import fs from "node:fs";
import path from "node:path";
import { ROOT, isObject } from "./common.mjs";

const MODELS = path.join(ROOT, "node_modules", "kubernetes-models");

export async function validateBuiltIn(obj) {
  const file = path.join(MODELS, obj.apiVersion, `${obj.kind}.js`);
  if (!fs.existsSync(file)) return { known: false };
  const mod = await import(`kubernetes-models/${obj.apiVersion}/${obj.kind}`);
  const Model = mod[obj.kind];
  const clean = structuredClone(obj);
  delete clean.__source;
  try {
    new Model(clean).validate();
    return { known: true, error: null };
  } catch (e) {
    return { known: true, error: e.message };
  }
}

// --- unknown fields, from the .d.ts files -----------------------------------

const typeCache = new Map();

function resolveImport(fromFile, spec) {
  if (spec.startsWith(".")) return path.resolve(path.dirname(fromFile), spec.replace(/\.js$/, ".d.ts"));
  return path.join(ROOT, "node_modules", `${spec}.d.ts`);
}

// {props: {name: typeRef}} for the interface a .d.ts file declares, or null
// when the file declares a plain type (string, IntOrString, Quantity, ...).
function loadInterface(file) {
  if (typeCache.has(file)) return typeCache.get(file);
  const text = fs.readFileSync(file, "utf8");
  const imports = {};
  for (const m of text.matchAll(/import \{ (\w+) \} from "([^"]+)";/g)) imports[m[1]] = resolveImport(file, m[2]);
  const lines = text.split("\n");
  const start = lines.findIndex((l) => /^export interface I\w+( extends [\w, ]+)? \{$/.test(l));
  let result = null;
  if (start >= 0) {
    const props = {};
    for (let i = start + 1; i < lines.length && lines[i] !== "}"; i++) {
      const m = /^ {4}"([^"]+)"\??: (.*)$/.exec(lines[i]);
      if (!m) continue;
      let type = m[2];
      if (type === "{") {
        // an inline map type: { [key: string]: T; }
        const body = [];
        while (!/^ {4}\};$/.test(lines[++i])) body.push(lines[i].trim());
        const mm = /^\[key: string\]: (\w+);$/.exec(body.join(" "));
        props[m[1]] = mm && imports[mm[1]] ? { map: imports[mm[1]] } : { leaf: true };
        continue;
      }
      type = type.replace(/;$/, "");
      let mm;
      if ((mm = /^Array<(\w+)>$/.exec(type)) && imports[mm[1]]) props[m[1]] = { array: imports[mm[1]] };
      else if (imports[type]) props[m[1]] = { ref: imports[type] };
      else props[m[1]] = { leaf: true };
    }
    if (/extends TypeMeta/.test(lines[start])) {
      props.apiVersion ??= { leaf: true };
      props.kind ??= { leaf: true };
    }
    result = props;
  }
  typeCache.set(file, result);
  return result;
}

function walk(value, file, where, out) {
  const props = loadInterface(file);
  if (!props || !isObject(value)) return;
  for (const [k, v] of Object.entries(value)) {
    if (k === "__source") continue;
    const t = props[k];
    const here = where ? `${where}.${k}` : k;
    if (!t) {
      out.push(here);
      continue;
    }
    if (t.ref) walk(v, t.ref, here, out);
    else if (t.array && Array.isArray(v)) v.forEach((x, i) => walk(x, t.array, `${here}[${i}]`, out));
    else if (t.map && isObject(v)) for (const [mk, mv] of Object.entries(v)) walk(mv, t.map, `${here}.${mk}`, out);
  }
}

// The fields of obj that its kind does not have (empty: none).
export function unknownFields(obj) {
  const file = path.join(MODELS, obj.apiVersion, `${obj.kind}.d.ts`);
  const out = [];
  walk(obj, file, "", out);
  return out;
}

// --- Prometheus Operator CRDs -----------------------------------------------

const OBJECT_META = path.join(ROOT, "node_modules", "@kubernetes-models", "apimachinery", "apis", "meta", "v1", "ObjectMeta.d.ts");
const DURATION = /^(\d+(ms|s|m|h|d|w|y))+$/;
const str = (v) => typeof v === "string" && v.length > 0;
const strMap = (v) => isObject(v) && Object.values(v).every((x) => typeof x === "string");
const duration = (v) => typeof v === "string" && DURATION.test(v);

// Each shape: {field: check} where check is a predicate, a nested shape, or
// [shape] for a list of them; `required` lists the fields that must be there.
const LABEL_SELECTOR = {
  matchLabels: strMap,
  matchExpressions: (v) => Array.isArray(v),
};
export const CRD_SHAPES = {
  "monitoring.coreos.com/v1/ServiceMonitor": {
    required: ["selector", "endpoints"],
    selector: LABEL_SELECTOR,
    namespaceSelector: { matchNames: (v) => Array.isArray(v) && v.every(str), any: (v) => typeof v === "boolean" },
    jobLabel: str,
    endpoints: [
      {
        required: ["port"],
        port: str,
        path: (v) => str(v) && v.startsWith("/"),
        scheme: (v) => v === "http" || v === "https",
        interval: duration,
        scrapeTimeout: duration,
        honorLabels: (v) => typeof v === "boolean",
      },
    ],
  },
  "monitoring.coreos.com/v1/PrometheusRule": {
    required: ["groups"],
    groups: [
      {
        required: ["name", "rules"],
        name: str,
        interval: duration,
        rules: [
          {
            required: ["expr"],
            alert: str,
            record: str,
            expr: str,
            for: duration,
            labels: strMap,
            annotations: strMap,
          },
        ],
      },
    ],
  },
};

function checkShape(value, shape, where, out) {
  if (!isObject(value)) {
    out.push(`${where}: expected a mapping`);
    return;
  }
  for (const r of shape.required || []) if (!(r in value)) out.push(`${where}.${r}: required`);
  for (const [k, v] of Object.entries(value)) {
    const s = shape[k];
    const here = `${where}.${k}`;
    if (!s || k === "required") out.push(`${here}: unknown field`);
    else if (typeof s === "function") {
      if (!s(v)) out.push(`${here}: invalid value ${JSON.stringify(v)}`);
    } else if (Array.isArray(s)) {
      if (!Array.isArray(v) || v.length === 0) out.push(`${here}: expected a non-empty list`);
      else v.forEach((x, i) => checkShape(x, s[0], `${here}[${i}]`, out));
    } else checkShape(v, s, here, out);
  }
}

// Problems of a CRD object (empty: none), or null when the kind is unknown.
export function checkCrd(obj) {
  const shape = CRD_SHAPES[`${obj.apiVersion}/${obj.kind}`];
  if (!shape) return null;
  const out = [];
  for (const k of Object.keys(obj)) {
    if (!["apiVersion", "kind", "metadata", "spec", "__source"].includes(k)) out.push(`${k}: unknown field`);
  }
  if (!str(obj.metadata?.name)) out.push("metadata.name: required");
  const meta = [];
  walk(obj.metadata, OBJECT_META, "metadata", meta);
  out.push(...meta.map((m) => `${m}: unknown field`));
  checkShape(obj.spec, shape, "spec", out);
  if (obj.kind === "PrometheusRule") {
    for (const g of obj.spec?.groups || []) {
      for (const r of g.rules || []) {
        if (!!r.alert === !!r.record) out.push(`rule in group ${g.name}: exactly one of alert or record`);
        if (r.record && (r.for || r.annotations)) out.push(`recording rule ${r.record}: no for/annotations`);
      }
    }
  }
  return out;
}

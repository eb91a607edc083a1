#!/usr/bin/env node
// Checks deploy/environments/.env.{dev,staging,prod} (giia --env-file files).
// Run by scripts/check_deploy.sh with GIIA_BINARY set; exits 1 on a failure.
//  - every key is one giia reads (`giia config print` lists it, bare or
//    prefixed with AUTH_/CATALOG_);
//  - no secret: no JWT_SECRET, *PASSWORD or *WEBHOOK_URL, no URL with a
//    password, no ${...} reference (giia does not expand them: it would
//    take the text literally);
//  - `giia --env-file F config print --service auth|catalog` exits 0 with
//    nothing else in the environment;
//  - LOG_LEVEL and ENABLE_GRPC_REFLECTION match the Kubernetes overlay of
//    the same environment.
import fs from "node:fs";
import path from "node:path";
import { ROOT, Report, isGiiaKey, isSecretKey, lastLine, preloadYaml, resolveConfig, urlHasPassword, yamlFilesUnder } from "./lib/common.mjs";
import { build } from "./lib/kustomize.mjs";

const R = new Report("check-env-files");
const ENVS = ["dev", "staging", "prod"];
preloadYaml(yamlFilesUnder("k8s"));

// The same reading as giia's (src/cli/env_file.cpp): KEY=VALUE, # comments,
// optional "export ", quotes, an unquoted value ends at " #".
function readEnvFile(file) {
  const out = {};
  fs.readFileSync(file, "utf8").split("\n").forEach((raw) => {
    let line = raw.replace(/\r$/, "").trimStart();
    if (!line || line.startsWith("#")) return;
    if (line.startsWith("export ")) line = line.slice(7);
    const eq = line.indexOf("=");
    if (eq <= 0) return;
    const key = line.slice(0, eq).trimEnd();
    let value = line.slice(eq + 1).trimStart();
    if (/^["']/.test(value)) value = value.slice(1, value.indexOf(value[0], 1));
    else value = value.split(" #")[0].trimEnd();
    out[key] = value;
  });
  return out;
}

for (const env of ENVS) {
  const file = path.join(ROOT, "deploy", "environments", `.env.${env}`);
  const name = `deploy/environments/.env.${env}`;
  R.section(name);
  if (!R.expect(`${name} exists`, fs.existsSync(file), "missing")) continue;
  const kv = readEnvFile(file);
  R.check(`${name}: only keys giia reads`, () => {
    const bad = Object.keys(kv).filter((k) => !isGiiaKey(k));
    if (bad.length) return `not read by giia: ${bad.join(", ")}`;
  });
  R.check(`${name}: no secrets (secret keys, passwords in URLs, \${...} references)`, () => {
    const p = [];
    for (const [k, v] of Object.entries(kv)) {
      if (isSecretKey(k)) p.push(`${k} is a secret: leave it to the secret store`);
      if (urlHasPassword(v)) p.push(`${k} carries a password`);
      if (v.includes("${")) p.push(`${k}=${v}: giia does not expand references`);
    }
    return p.join("; ");
  });
  const values = {};
  for (const service of ["auth", "catalog"]) {
    const c = resolveConfig(service, {}, { envFile: file });
    values[service] = c.values;
    R.expect(`giia --env-file ${name} config print --service ${service} exits 0`, c.status === 0,
      `exit ${c.status}: ${c.problems.map((p) => p.message).join("; ") || lastLine(c.stderr)}`);
  }
  R.check(`${name}: LOG_LEVEL and ENABLE_GRPC_REFLECTION as in k8s/overlays/${env}`, () => {
    const objects = build(path.join(ROOT, "k8s", "overlays", env));
    const p = [];
    for (const service of ["auth", "catalog"]) {
      const cm = objects.find((o) => o.kind === "ConfigMap" && o.metadata.name === `giia-${service}-config`);
      for (const key of ["LOG_LEVEL", "ENABLE_GRPC_REFLECTION"]) {
        const want = cm?.data?.[key];
        if (want !== undefined && values[service][key] !== want) p.push(`${service} ${key}=${values[service][key]}, the overlay says ${want}`);
      }
    }
    return p.join("; ");
  });
}

R.finish();

#!/usr/bin/env node
// Checks the OpenAPI documents against the server's permission matrix and
// the protos, beyond what `redocly lint` knows:
//   - every operation under /api/ lists a 4xx (the rule redocly.yaml relaxes
//     for the health and metrics routes only);
//   - every /api/ operation names its RPC (x-giia-rpc), the RPC exists in the
//     service's proto, and the matrix row of that RPC
//     (src/core/<service>/access.cpp) agrees with the document: public
//     methods have `security: []`, the others keep bearer auth and list 401,
//     permission methods list 403 and name the same permissions in
//     x-giia-permissions;
//   - PUT and DELETE of a versioned entity (.../{id}, .../{id}/buffer-profile)
//     take If-Match;
//   - every response declares X-Request-Id, every 4xx/5xx has the error body
//     {"error": {code, message, field, request_id}}.
//
// Usage: check-openapi.mjs ROOT SERVICE BUNDLED.json
//   ROOT the checkout; SERVICE auth|catalog; BUNDLED.json the document after
//   `redocly bundle --dereferenced --ext json`.
// Prints every problem; exits 1 when there is one.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const [root, service, bundled] = process.argv.slice(2);
if (!root || !service || !bundled) {
  console.error('usage: check-openapi.mjs ROOT auth|catalog BUNDLED.json');
  process.exit(2);
}
const spec = JSON.parse(readFileSync(bundled, 'utf8'));
const proto = readFileSync(join(root, `proto/giia/${service}/v1/${service}.proto`), 'utf8');
const policyFile = `src/core/${service}/access.cpp`;
const policy = readFileSync(join(root, policyFile), 'utf8');

const rpcs = new Set([...proto.matchAll(/^\s*rpc\s+(\w+)\s*\(/gm)].map((m) => m[1]));

// Rows, keyed by use case (the RPC's name): {"Login", Kind::kPublic} and
// {"AssignBufferProfile", Kind::kPermission, "catalog:write", "buffers:read"}.
const matrix = new Map();
for (const m of policy.matchAll(
  /\{\s*"(\w+)"\s*,\s*Kind::k(\w+)\s*(?:,\s*"([^"]*)")?(?:\s*,\s*"([^"]*)")?\s*\}/g,
)) {
  matrix.set(m[1], { kind: m[2], permissions: [m[3], m[4]].filter((p) => p) });
}
if (matrix.size === 0) {
  console.error(`check-openapi: no rows found in ${policyFile}`);
  process.exit(1);
}

const problems = [];
const fail = (where, what) => problems.push(`${service}.yaml ${where}: ${what}`);
const methods = ['get', 'put', 'post', 'delete', 'patch'];
const globalSecurity = spec.security ?? [];

function isErrorBody(schema) {
  const inner = schema?.properties?.error;
  if (!inner || !(schema.required ?? []).includes('error')) return false;
  const props = inner.properties ?? {};
  return ['code', 'message', 'field', 'request_id'].every((k) => k in props);
}

for (const [path, item] of Object.entries(spec.paths ?? {})) {
  for (const method of methods) {
    const op = item[method];
    if (!op) continue;
    const where = `${method.toUpperCase()} ${path}`;
    const responses = op.responses ?? {};
    const statuses = Object.keys(responses);
    const security = op.security ?? globalSecurity;
    const isPublic = security.length === 0 || security.every((s) => Object.keys(s).length === 0);
    const params = [...(item.parameters ?? []), ...(op.parameters ?? [])];

    for (const [status, response] of Object.entries(responses)) {
      const headers = Object.keys(response.headers ?? {}).map((h) => h.toLowerCase());
      if (!headers.includes('x-request-id')) fail(where, `response ${status} does not declare X-Request-Id`);
      // (/health/ready answers 503 with the readiness body, not an error.)
      if (/^[45]/.test(status) && !path.startsWith('/health/')) {
        const schema = response.content?.['application/json']?.schema;
        if (!isErrorBody(schema)) fail(where, `response ${status} is not the JSON error body`);
      }
    }

    if (!path.startsWith('/api/')) continue;
    if (!statuses.some((s) => /^4/.test(s))) fail(where, 'lists no 4xx response');

    const named = op['x-giia-rpc'];
    const names = Array.isArray(named) ? named : named ? [named] : [];
    if (names.length === 0) {
      fail(where, 'names no RPC (x-giia-rpc)');
      continue;
    }
    const wanted = op['x-giia-permissions'] ?? [];
    for (const rpc of names) {
      if (!rpcs.has(rpc)) fail(where, `x-giia-rpc ${rpc} is not an rpc of proto/giia/${service}/v1/${service}.proto`);
      const row = matrix.get(rpc);
      if (!row) {
        fail(where, `${rpc} has no row in the permission matrix (the server denies it)`);
        continue;
      }
      if (row.kind === 'Public' && !isPublic) fail(where, `${rpc} is public in the matrix: needs security: []`);
      if (row.kind !== 'Public') {
        if (isPublic) fail(where, `${rpc} needs an access token in the matrix, but the operation is public`);
        if (!statuses.includes('401')) fail(where, `${rpc} needs an access token: list 401`);
      }
      if (row.kind === 'Permission') {
        if (!statuses.includes('403')) fail(where, `${rpc} needs a permission: list 403`);
        const a = [...row.permissions].sort().join(', ');
        const b = [...wanted].sort().join(', ');
        if (a !== b) fail(where, `x-giia-permissions [${b}] but the matrix row of ${rpc} needs [${a}]`);
      } else if (wanted.length > 0) {
        fail(where, `x-giia-permissions [${wanted.join(', ')}] but ${rpc} needs no permission in the matrix`);
      }
    }

    const versioned = /\/\{id\}$/.test(path) || /\/\{id\}\/buffer-profile$/.test(path);
    if (service === 'catalog' && versioned && (method === 'put' || method === 'delete')) {
      if (!params.some((p) => p.in === 'header' && p.name.toLowerCase() === 'if-match')) {
        fail(where, 'an update or delete of a versioned entity takes If-Match');
      }
      if (!statuses.includes('409')) fail(where, 'a stale version is 409: list it');
    }
  }
}

if (problems.length > 0) {
  for (const p of problems) console.error(`check-openapi: ${p}`);
  process.exit(1);
}
console.log(`check-openapi: ${service}.yaml agrees with the permission matrix and the proto`);

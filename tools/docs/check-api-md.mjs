#!/usr/bin/env node
// Checks that docs/API.md covers every REST operation of the OpenAPI
// documents and every RPC of the protos, and names nothing else:
//   - a heading `### METHOD /path` per operation (paths as in the specs),
//     whose section has a shell block with `curl`;
//   - a heading `### Service.Method` per RPC of giia.auth.v1.AuthService and
//     giia.catalog.v1.CatalogService, whose section has a shell block with
//     `buf curl`.
//
// Usage: check-api-md.mjs ROOT API.md BUNDLED.json...
//   BUNDLED.json: the OpenAPI documents after `redocly bundle --ext json`.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const [root, apiMd, ...bundles] = process.argv.slice(2);
if (!root || !apiMd || bundles.length === 0) {
  console.error('usage: check-api-md.mjs ROOT API.md BUNDLED.json...');
  process.exit(2);
}
const problems = [];

const want = new Map(); // heading text -> 'rest' | 'grpc'
for (const file of bundles) {
  const spec = JSON.parse(readFileSync(file, 'utf8'));
  for (const [path, item] of Object.entries(spec.paths ?? {})) {
    for (const method of ['get', 'put', 'post', 'delete', 'patch']) {
      if (item[method]) want.set(`${method.toUpperCase()} ${path}`, 'rest');
    }
  }
}
for (const [proto, service] of [
  ['proto/giia/auth/v1/auth.proto', 'AuthService'],
  ['proto/giia/catalog/v1/catalog.proto', 'CatalogService'],
]) {
  const text = readFileSync(join(root, proto), 'utf8');
  for (const m of text.matchAll(/^\s*rpc\s+(\w+)\s*\(/gm)) want.set(`${service}.${m[1]}`, 'grpc');
}

// Sections: a level-3 heading up to the next heading of level 1-3.
const lines = readFileSync(apiMd, 'utf8').split('\n');
const sections = new Map();
let current = null;
let fence = false;
for (const line of lines) {
  if (/^\s*(```|~~~)/.test(line)) fence = !fence;
  if (!fence && /^#{1,3} /.test(line)) {
    current = null;
    const m = /^### `?(.+?)`?\s*$/.exec(line);
    if (m) {
      const name = m[1];
      if (sections.has(name)) problems.push(`"### ${name}" appears twice`);
      current = { name, body: [] };
      sections.set(name, current);
    }
    continue;
  }
  if (current) current.body.push(line);
}

for (const [name, kind] of want) {
  const section = sections.get(name);
  if (!section) {
    problems.push(`no section "### ${name}"`);
    continue;
  }
  const body = section.body.join('\n');
  const blocks = [...body.matchAll(/```(?:sh|bash|shell|console)?\n([\s\S]*?)```/g)].map((m) => m[1]);
  const example = kind === 'rest' ? /\bcurl\b/ : /\bbuf curl\b/;
  if (!blocks.some((b) => example.test(b))) {
    problems.push(`"### ${name}" has no example (a shell block with ${kind === 'rest' ? 'curl' : 'buf curl'})`);
  }
}
for (const name of sections.keys()) {
  const looksRest = /^(GET|PUT|POST|DELETE|PATCH) \//.test(name);
  const looksRpc = /^(AuthService|CatalogService)\.\w+$/.test(name);
  if ((looksRest || looksRpc) && !want.has(name)) {
    problems.push(`"### ${name}" is neither a route of the OpenAPI documents nor an RPC of the protos`);
  }
}

if (problems.length > 0) {
  for (const p of problems) console.error(`check-api-md: ${p}`);
  process.exit(1);
}
const rest = [...want.values()].filter((k) => k === 'rest').length;
console.log(`check-api-md: ${apiMd} documents all ${rest} REST operations and ${want.size - rest} RPCs, each with an example`);

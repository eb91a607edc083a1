#!/usr/bin/env node
// Checks the Grafana dashboard (docs/grafana/giia.json) against the metrics
// the services export:
//   - every giia_/grpc_/http_/process_ metric a query names is registered by
//     the service code (src/server/**, src/cli/runtime/**: GetCounter,
//     GetHistogram, GetGauge, AddCallback; a histogram also as _bucket, _sum,
//     _count), and every metric registered there is on the dashboard;
//   - every query parses as PromQL (`promtool check rules` over a temporary
//     rule file, with Grafana's variables replaced by plain values);
//   - panel ids are unique.
//
// Usage: check-dashboard.mjs ROOT DASHBOARD.json

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [root, dashboardFile] = process.argv.slice(2);
if (!root || !dashboardFile) {
  console.error('usage: check-dashboard.mjs ROOT DASHBOARD.json');
  process.exit(2);
}
const problems = [];

// --- what the services register

function sources(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sources(path));
    else if (/\.(cpp|hpp)$/.test(name)) out.push(path);
  }
  return out;
}
const exported = new Set();
const histograms = new Set();
for (const file of [...sources(join(root, 'src/server')), ...sources(join(root, 'src/cli/runtime'))]) {
  const text = readFileSync(file, 'utf8');
  for (const m of text.matchAll(/\b(GetCounter|GetHistogram|GetGauge|AddCallback)\(\s*"([a-zA-Z_:][a-zA-Z0-9_:]*)"/g)) {
    exported.add(m[2]);
    if (m[1] === 'GetHistogram') histograms.add(m[2]);
  }
}
if (exported.size === 0) problems.push('no metric registrations found under src/server and src/cli/runtime');
const known = new Set(exported);
for (const h of histograms) for (const s of ['_bucket', '_sum', '_count']) known.add(h + s);

// --- what the dashboard asks

const dashboard = JSON.parse(readFileSync(dashboardFile, 'utf8'));
const queries = []; // {where, expr}
const ids = new Set();
function walkPanels(panels) {
  for (const p of panels ?? []) {
    if (ids.has(p.id)) problems.push(`panel id ${p.id} is used twice`);
    ids.add(p.id);
    for (const t of p.targets ?? []) if (t.expr) queries.push({ where: `panel "${p.title}" ${t.refId}`, expr: t.expr });
    walkPanels(p.panels);
  }
}
walkPanels(dashboard.panels);
for (const v of dashboard.templating?.list ?? []) {
  const q = typeof v.query === 'string' ? v.query : v.query?.query;
  if (v.type === 'query' && q) queries.push({ where: `variable $${v.name}`, expr: q, variable: true });
}
if (queries.length === 0) problems.push('the dashboard has no queries');

// Metric names in a query: the prefixed identifiers outside label matchers
// ({...}) and label lists (by (...), without (...), on (...), ...).
function metricsOf(expr) {
  const bare = expr
    .replace(/\{[^}]*\}/g, '{}')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '$1()');
  return [...bare.matchAll(/\b(?:giia|grpc|http|process)_[a-zA-Z0-9_:]*/g)].map((m) => m[0]);
}
const used = new Set();
for (const { where, expr } of queries) {
  for (const name of metricsOf(expr)) {
    used.add(name.replace(/_(bucket|sum|count)$/, (s) => (histograms.has(name.slice(0, -s.length)) ? '' : s)));
    if (!known.has(name)) problems.push(`${where}: ${name} is not a metric the services export`);
  }
}
for (const name of exported) {
  if (!used.has(name)) problems.push(`${name} is exported by the services but on no panel`);
}

// --- PromQL syntax, by promtool

const plain = (expr) =>
  expr
    .replace(/\$__rate_interval|\$__interval|\$__range/g, '5m')
    .replace(/\$\{?\w+\}?/g, '.*');
const rules = queries
  .filter((q) => !q.variable)
  .map((q, i) => `      - record: giia:dashboard_query_${i}\n        expr: ${JSON.stringify(plain(q.expr))}`);
const dir = mkdtempSync(join(tmpdir(), 'giia-dashboard-'));
try {
  const file = join(dir, 'rules.yaml');
  writeFileSync(file, `groups:\n  - name: dashboard\n    rules:\n${rules.join('\n')}\n`);
  const run = spawnSync('promtool', ['check', 'rules', file], { encoding: 'utf8' });
  if (run.error) problems.push(`promtool cannot be run (${run.error.code}): install the Debian package prometheus`);
  else if (run.status !== 0) problems.push(`promtool check rules: ${(run.stderr || run.stdout).trim()}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

if (problems.length > 0) {
  for (const p of problems) console.error(`check-dashboard: ${p}`);
  process.exit(1);
}
console.log(`check-dashboard: ${queries.length} queries over ${used.size} of the ${exported.size} exported metrics (all of them), PromQL valid`);

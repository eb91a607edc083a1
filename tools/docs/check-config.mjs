#!/usr/bin/env node
// Checks the key table of docs/CONFIGURATION.md against what the binary
// prints: `giia config print --service S --output json`, run with an empty
// environment so that every value is the built-in default.
//
// Usage: check-config.mjs CONFIGURATION.md AUTH.json CATALOG.json
//
// Fails (exit 1, every problem printed) when a key printed is not in the
// table, a key in the table is not printed, a default or the secrecy differs,
// a value did not come from the default (the environment leaked in), or a row
// names no command that reads the key.

import { readFileSync } from 'node:fs';

const [doc, authJson, catalogJson] = process.argv.slice(2);
if (!doc || !authJson || !catalogJson) {
  console.error('usage: check-config.mjs CONFIGURATION.md AUTH.json CATALOG.json');
  process.exit(2);
}

const problems = [];
const text = readFileSync(doc, 'utf8');
const begin = text.indexOf('<!-- config-table:begin -->');
const end = text.indexOf('<!-- config-table:end -->');
if (begin < 0 || end < begin) {
  console.error(`check-config: ${doc} has no <!-- config-table:begin --> ... <!-- config-table:end --> block`);
  process.exit(1);
}

// `value` -> "value"; (unset) -> null.
function defaultOf(cellText, key, column) {
  const t = cellText.trim();
  if (t === '(unset)') return null;
  const m = /^`([^`]*)`$/.exec(t);
  if (!m) {
    problems.push(`${key}: the ${column} cell "${t}" is neither \`value\` nor (unset)`);
    return undefined;
  }
  return m[1];
}

const documented = new Map();
for (const raw of text.slice(begin, end).split('\n')) {
  const line = raw.trim();
  if (!line.startsWith('|') || line.startsWith('|---') || line.startsWith('| Key ')) continue;
  const cells = line.slice(1, -1).split(' | ');
  if (cells.length !== 6) {
    problems.push(`a table row without 6 cells: ${line}`);
    continue;
  }
  const keyMatch = /^`([A-Z0-9_]+)`$/.exec(cells[0].trim());
  if (!keyMatch) {
    problems.push(`a table row whose key is not \`KEY\`: ${line}`);
    continue;
  }
  const key = keyMatch[1];
  if (documented.has(key)) problems.push(`${key} is in the table twice`);
  const secret = cells[3].trim();
  if (secret !== 'yes' && secret !== 'no') problems.push(`${key}: Secret must be yes or no, not "${secret}"`);
  if (!cells[4].trim()) problems.push(`${key}: "Read by" is empty`);
  if (!cells[5].trim()) problems.push(`${key}: no description`);
  documented.set(key, {
    auth: defaultOf(cells[1], key, 'auth default'),
    catalog: defaultOf(cells[2], key, 'catalog default'),
    secret: secret === 'yes',
  });
}
if (documented.size === 0) problems.push('the table has no rows');

for (const [service, file] of [
  ['auth', authJson],
  ['catalog', catalogJson],
]) {
  const printed = JSON.parse(readFileSync(file, 'utf8'));
  if (printed.service !== service) problems.push(`${file}: service is ${printed.service}, not ${service}`);
  for (const p of printed.problems ?? []) problems.push(`config print --service ${service} reports a problem: ${JSON.stringify(p)}`);
  const seen = new Set();
  for (const v of printed.values ?? []) {
    seen.add(v.key);
    if (v.source !== 'default') {
      problems.push(`config print --service ${service}: ${v.key} came from ${v.source} (${v.origin}), not the default: run it with an empty environment`);
    }
    const d = documented.get(v.key);
    if (!d) {
      problems.push(`${v.key} is printed by config print --service ${service} but not documented`);
      continue;
    }
    const want = d[service];
    const got = v.value ?? null;
    if (want !== undefined && want !== got) {
      problems.push(
        `${v.key}: ${service} default is ${got === null ? '(unset)' : `\`${got}\``} but the table says ${want === null ? '(unset)' : `\`${want}\``}`,
      );
    }
    if (Boolean(v.secret) !== d.secret) {
      problems.push(`${v.key}: config print says secret=${Boolean(v.secret)}, the table says ${d.secret ? 'yes' : 'no'}`);
    }
  }
  for (const key of documented.keys()) {
    if (!seen.has(key)) problems.push(`${key} is documented but not printed by config print --service ${service}`);
  }
}

if (problems.length > 0) {
  for (const p of problems) console.error(`check-config: ${p}`);
  process.exit(1);
}
console.log(`check-config: ${documented.size} keys documented, with the defaults config print shows for auth and catalog`);

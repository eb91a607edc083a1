#!/usr/bin/env node
// Checks the relative links of Markdown files: the file linked exists, and a
// `#fragment` names a heading of it (GitHub's slugs) or an `<a id="...">`.
// Links to http(s), mailto and the like are not followed.
//
// Usage: check-links.mjs FILE.md...

import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: check-links.mjs FILE.md...');
  process.exit(2);
}

// GitHub: lower case; drop what is not a letter, digit, space, - or _; spaces to -.
function slug(text) {
  return text
    .trim()
    .toLowerCase()
    .replace(/<[^>]+>/g, '')
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

const anchorCache = new Map();
function anchorsOf(file) {
  if (anchorCache.has(file)) return anchorCache.get(file);
  const anchors = new Set();
  const counts = new Map();
  let fence = false;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) fence = !fence;
    if (fence) continue;
    const h = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (h) {
      const base = slug(h[1].replace(/`/g, ''));
      const n = counts.get(base) ?? 0;
      counts.set(base, n + 1);
      anchors.add(n === 0 ? base : `${base}-${n}`);
    }
    for (const m of line.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) anchors.add(m[1]);
  }
  anchorCache.set(file, anchors);
  return anchors;
}

const problems = [];
let links = 0;
for (const file of files) {
  let fence = false;
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      if (/^\s*(```|~~~)/.test(line)) fence = !fence;
      if (fence) return;
      const code = line.replace(/`[^`]*`/g, '');
      for (const m of code.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
        const target = m[1];
        if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue;
        links++;
        const [path, fragment] = target.split('#');
        const linked = path ? resolve(dirname(file), decodeURIComponent(path)) : resolve(file);
        if (!existsSync(linked)) {
          problems.push(`${file}:${i + 1}: ${target}: ${path} does not exist`);
          continue;
        }
        if (fragment !== undefined && fragment !== '') {
          if (statSync(linked).isDirectory() || !linked.endsWith('.md')) {
            problems.push(`${file}:${i + 1}: ${target}: a fragment into a file that is not Markdown`);
          } else if (!anchorsOf(linked).has(decodeURIComponent(fragment))) {
            problems.push(`${file}:${i + 1}: ${target}: no heading or anchor "${fragment}" in ${path || file}`);
          }
        }
      }
    });
}

if (problems.length > 0) {
  for (const p of problems) console.error(`check-links: ${p}`);
  process.exit(1);
}
console.log(`check-links: ${links} relative links in ${files.length} files resolve`);

#!/usr/bin/env node
// Checks that the repository paths the Markdown names in backticks exist, so
// that docs/DEVELOPMENT.md's "where things go" and the layout notes follow
// the code when files move. A path is a backticked word that starts with one
// of the top folders below and has no space; `{a,b}` expands to each choice;
// a part with NNNN, N or <...> (a name still to be chosen) only needs its
// folder to exist.
//
// Usage: check-paths.mjs ROOT FILE.md...

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const [root, ...files] = process.argv.slice(2);
if (!root || files.length === 0) {
  console.error('usage: check-paths.mjs ROOT FILE.md...');
  process.exit(2);
}
const TOP = /^(src|tests|proto|sql|scripts|tools|docs|deploy|examples|\.ci)\//;

function expand(path) {
  const m = /\{([^{}]*)\}/.exec(path);
  if (!m) return [path];
  return m[1].split(',').flatMap((choice) => expand(path.slice(0, m.index) + choice + path.slice(m.index + m[0].length)));
}

const problems = [];
let checked = 0;
for (const file of files) {
  const lines = readFileSync(file, 'utf8').split('\n');
  lines.forEach((line, i) => {
    for (const m of line.matchAll(/`([^`\s]+)`/g)) {
      let path = m[1].replace(/[:,.;)]+$/, '').replace(/:[A-Za-z_][\w:]*$/, '');
      if (!TOP.test(path)) continue;
      for (let p of expand(path)) {
        if (/NNNN|<[^>]*>|\*|\bN\b/.test(p)) p = dirname(p.replace(/[^/]*(NNNN|<[^>]*>|\*|\bN\b).*$/, 'x'));
        checked += 1;
        if (!existsSync(join(root, p))) problems.push(`${file}:${i + 1}: ${p} does not exist`);
      }
    }
  });
}
for (const p of problems) console.error(p);
if (problems.length > 0) process.exit(1);
console.log(`check-paths: ${checked} paths named in ${files.length} files, all there`);

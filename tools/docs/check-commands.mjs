#!/usr/bin/env node
// Checks that every `giia ...` command line in the fenced shell blocks of the
// given Markdown files parses with the binary at hand:
//   - each subcommand exists (in its parent's `--help` "Subcommands:"), and the
//     command reached is a leaf (a command with subcommands needs one);
//   - each flag is in that command's `--help` "Options:" or the global
//     options of `giia --help` (they may follow the subcommand), and a flag
//     that takes a value has one;
//   - positionals are only given to commands that declare them;
//   - `$GIIA_BINARY <the same arguments> --help` exits 0: CLI11 then also
//     checks choices ({auth,catalog,all}) and types (UINT, INT:POSITIVE).
// Nothing but `--help` is ever run.
//
// Usage: check-commands.mjs GIIA_BINARY FILE.md...
// A shell block is a fence whose info string is empty, sh, bash, shell,
// console or zsh. Within it, `$ ` prompts, `# comments`, `\` continuations,
// `VAR=value` prefixes and `kubectl exec ... --` wrappers are understood; a
// command starts at a word that is exactly `giia` in command position.

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const [binary, ...files] = process.argv.slice(2);
if (!binary || files.length === 0) {
  console.error('usage: check-commands.mjs GIIA_BINARY FILE.md...');
  process.exit(2);
}

// --- help texts, parsed

const helpCache = new Map();
function help(path) {
  const key = path.join(' ');
  if (helpCache.has(key)) return helpCache.get(key);
  const run = spawnSync(binary, [...path, '--help'], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`${binary} ${key} --help exited ${run.status}: ${run.stderr.trim()}`);
  const parsed = { options: new Map(), subcommands: new Set(), positionals: [] };
  let section = '';
  for (const line of run.stdout.split('\n')) {
    if (/^\S.*:$/.test(line)) {
      section = line.slice(0, -1);
      continue;
    }
    if (/^\S/.test(line)) {
      section = '';
      continue;
    }
    if (section === 'Options') {
      const m = /^ {2}(-\S+)(?: (\S+))?(?:\s{2,}|\s*$)/.exec(line);
      if (!m) continue;
      for (const name of m[1].split(',')) parsed.options.set(name, { takesValue: Boolean(m[2]), type: m[2] ?? '' });
    } else if (section === 'Subcommands') {
      const m = /^ {2}(\S+)/.exec(line);
      if (m) parsed.subcommands.add(m[1]);
    } else if (section === 'Positionals') {
      const m = /^ {2}(\S+) (\S+)( \.\.\.)?/.exec(line);
      if (m) parsed.positionals.push({ name: m[1], many: Boolean(m[3]) });
    }
  }
  helpCache.set(key, parsed);
  return parsed;
}

// --- shell lines, tokenized (quotes, comments, operators)

const SEPARATOR = Symbol('separator');
function tokenize(text) {
  const out = [];
  let word = null;
  const flush = () => {
    if (word !== null) out.push(word);
    word = null;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "'") {
      const j = text.indexOf("'", i + 1);
      word = (word ?? '') + text.slice(i + 1, j < 0 ? text.length : j);
      i = j < 0 ? text.length : j;
    } else if (c === '"') {
      let j = i + 1;
      let s = '';
      while (j < text.length && text[j] !== '"') {
        if (text[j] === '\\' && j + 1 < text.length) j++;
        s += text[j++];
      }
      word = (word ?? '') + s;
      i = j;
    } else if (c === '\\' && i + 1 < text.length) {
      word = (word ?? '') + text[++i];
    } else if (/\s/.test(c)) {
      flush();
    } else if (c === '#' && word === null) {
      break; // a comment
    } else if (c === '$' && text[i + 1] === '(') {
      flush();
      out.push(SEPARATOR);
      i++;
    } else if ('|&;()`'.includes(c)) {
      flush();
      out.push(SEPARATOR);
    } else {
      word = (word ?? '') + c;
    }
  }
  flush();
  return out;
}

// Every command line of the shell blocks: [{file, line, text}].
function commandLines(file) {
  const lines = readFileSync(file, 'utf8').split('\n');
  const out = [];
  let fence = null;
  let shell = false;
  let pending = null;
  lines.forEach((raw, index) => {
    const open = /^\s*(`{3,}|~{3,})\s*([\w-]*)/.exec(raw);
    if (fence === null && open) {
      fence = open[1];
      shell = ['', 'sh', 'bash', 'shell', 'console', 'zsh'].includes(open[2].toLowerCase());
      return;
    }
    if (fence !== null && raw.trim().startsWith(fence) && raw.trim().replace(/[`~]/g, '') === '') {
      fence = null;
      pending = null;
      return;
    }
    if (fence === null || !shell) return;
    let text = raw.replace(/^\s*\$ /, '');
    const continued = /\\\s*$/.test(text);
    if (continued) text = text.replace(/\\\s*$/, ' ');
    if (pending) {
      pending.text += ` ${text}`;
    } else {
      pending = { file, line: index + 1, text };
    }
    if (!continued) {
      out.push(pending);
      pending = null;
    }
  });
  return out;
}

// --- checking one command

const root = help([]);
const globals = root.options;

function check(args) {
  const problems = [];
  const path = [];
  let current = root;
  let positionals = 0;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg.startsWith('-') && arg !== '-' && !/^-\d/.test(arg)) {
      const [name, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), true] : [arg, false];
      const spec = current.options.get(name) ?? globals.get(name);
      if (!spec) {
        problems.push(`giia ${path.join(' ')} has no option ${name}`);
        continue;
      }
      if (spec.takesValue && !inline) {
        if (i + 1 >= args.length) problems.push(`${name} takes a value (${spec.type}) and has none`);
        i++;
      }
      continue;
    }
    if (current.subcommands.size > 0) {
      if (!current.subcommands.has(arg)) {
        problems.push(`giia ${path.join(' ')} has no subcommand "${arg}" (it has: ${[...current.subcommands].join(', ')})`);
        return problems;
      }
      path.push(arg);
      current = help(path);
      continue;
    }
    positionals++;
    const declared = current.positionals;
    const open = declared.some((p) => p.many);
    if (declared.length === 0) problems.push(`giia ${path.join(' ')} takes no positional argument, but got "${arg}"`);
    else if (!open && positionals > declared.length) problems.push(`giia ${path.join(' ')} takes ${declared.length} positional argument(s), got "${arg}" too`);
  }
  if (path.length === 0) problems.push('no command after giia');
  else if (current.subcommands.size > 0) problems.push(`giia ${path.join(' ')} needs a subcommand (${[...current.subcommands].join(', ')})`);
  if (problems.length === 0) {
    const run = spawnSync(binary, [...args, '--help'], { encoding: 'utf8' });
    if (run.status !== 0) problems.push(`CLI11 refuses it: ${(run.stderr || run.stdout).trim().split('\n')[0]}`);
  }
  return problems;
}

// --- main

let commands = 0;
let failures = 0;
for (const file of files) {
  for (const { line, text } of commandLines(file)) {
    const tokens = tokenize(text);
    // Segments between operators; a command starts at the word `giia`.
    let segment = [];
    const segments = [];
    for (const t of tokens) {
      if (t === SEPARATOR) {
        segments.push(segment);
        segment = [];
      } else {
        segment.push(t);
      }
    }
    segments.push(segment);
    for (const words of segments) {
      // At command position: first after VAR=value prefixes, or after `--`
      // (kubectl exec/run, docker compose run), sudo, exec, env or time.
      const at = words.findIndex(
        (w, i) =>
          w === 'giia' &&
          (words.slice(0, i).every((p) => /^[A-Za-z_]\w*=/.test(p)) ||
            ['--', 'sudo', 'exec', 'env', 'time', 'command'].includes(words[i - 1])),
      );
      if (at < 0) continue;
      const args = words.slice(at + 1);
      commands++;
      const problems = check(args);
      if (problems.length > 0) {
        failures++;
        console.error(`check-commands: ${file}:${line}: giia ${args.join(' ')}`);
        for (const p of problems) console.error(`    ${p}`);
      }
    }
  }
}

if (commands === 0) {
  console.error(`check-commands: no giia command lines found in ${files.join(' ')}`);
  process.exit(1);
}
if (failures > 0) {
  console.error(`check-commands: ${failures} of ${commands} giia command lines do not parse`);
  process.exit(1);
}
console.log(`check-commands: ${commands} giia command lines parse (${binary})`);

#!/usr/bin/env node
// A structural check of the ```mermaid blocks of Markdown files (no renderer
// is installed): sequence diagrams line by line against the statements
// mermaid knows, with every participant declared before use and every
// alt/opt/loop/par/critical/break/rect closed by `end`; flowcharts for a
// header, balanced brackets and subgraph/end. `;` and `#` are refused in
// both: mermaid ends a statement at `;` and reads `#...;` as an entity.
//
// Usage: check-mermaid.mjs FILE.md...

import { readFileSync } from 'node:fs';

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: check-mermaid.mjs FILE.md...');
  process.exit(2);
}
const problems = [];
let diagrams = 0;

const ARROW = '(?:-->>|->>|-->|->|--x|-x|--\\)|-\\))';
const MESSAGE = new RegExp(`^(\\w+)\\s*${ARROW}\\s*[+-]?(\\w+)\\s*:\\s*\\S.*$`);
const NOTE = /^[Nn]ote\s+(?:(?:left|right)\s+of\s+(\w+)|over\s+(\w+)(?:\s*,\s*(\w+))?)\s*:\s*\S.*$/;
const PARTICIPANT = /^(participant|actor)\s+(\w+)(?:\s+as\s+\S.*)?$/;
const OPENERS = new Set(['alt', 'opt', 'loop', 'par', 'critical', 'break', 'rect']);

function checkSequence(where, lines) {
  const declared = new Set();
  const stack = [];
  const use = (name, at) => {
    if (!declared.has(name)) problems.push(`${at}: participant ${name} is not declared`);
  };
  for (const { text, at } of lines) {
    const line = text.trim();
    if (line === '' || line.startsWith('%%')) continue;
    if (/[;#]/.test(line)) problems.push(`${at}: ";" or "#" in a sequence diagram line: ${line}`);
    if (line === 'autonumber') continue;
    let m;
    if ((m = PARTICIPANT.exec(line))) {
      if (declared.has(m[2])) problems.push(`${at}: participant ${m[2]} declared twice`);
      declared.add(m[2]);
    } else if ((m = MESSAGE.exec(line))) {
      use(m[1], at);
      use(m[2], at);
    } else if ((m = NOTE.exec(line))) {
      for (const p of [m[1], m[2], m[3]]) if (p) use(p, at);
    } else if ((m = /^(\w+)(?:\s+\S.*)?$/.exec(line)) && OPENERS.has(m[1])) {
      stack.push(m[1]);
    } else if (/^else(\s+\S.*)?$/.test(line)) {
      if (stack.at(-1) !== 'alt') problems.push(`${at}: else outside alt`);
    } else if (/^and(\s+\S.*)?$/.test(line)) {
      if (stack.at(-1) !== 'par') problems.push(`${at}: and outside par`);
    } else if (/^option(\s+\S.*)?$/.test(line)) {
      if (stack.at(-1) !== 'critical') problems.push(`${at}: option outside critical`);
    } else if (line === 'end') {
      if (stack.length === 0) problems.push(`${at}: end without a block`);
      stack.pop();
    } else if ((m = /^(activate|deactivate)\s+(\w+)$/.exec(line))) {
      use(m[2], at);
    } else {
      problems.push(`${at}: not a sequence diagram statement: ${line}`);
    }
  }
  if (stack.length > 0) problems.push(`${where}: ${stack.join(', ')} not closed by end`);
}

function checkFlowchart(where, lines) {
  let depth = 0;
  for (const { text, at } of lines) {
    const line = text.trim();
    if (line === '' || line.startsWith('%%')) continue;
    if (/[;#]/.test(line)) problems.push(`${at}: ";" or "#" in a flowchart line: ${line}`);
    if (/^subgraph\b/.test(line)) depth++;
    else if (line === 'end') {
      if (depth === 0) problems.push(`${at}: end without subgraph`);
      depth--;
    }
    const open = (line.match(/[[({]/g) ?? []).length;
    const close = (line.match(/[\])}]/g) ?? []).length;
    if (open !== close) problems.push(`${at}: unbalanced brackets: ${line}`);
    if ((line.match(/\|/g) ?? []).length % 2 !== 0) problems.push(`${at}: an edge label without its closing |: ${line}`);
  }
  if (depth > 0) problems.push(`${where}: subgraph not closed by end`);
}

for (const file of files) {
  const lines = readFileSync(file, 'utf8').split('\n');
  let block = null;
  lines.forEach((text, i) => {
    if (block === null) {
      if (/^\s*```mermaid\s*$/.test(text)) block = { start: i + 1, lines: [] };
      return;
    }
    if (/^\s*```\s*$/.test(text)) {
      diagrams++;
      const where = `${file}:${block.start}`;
      const body = block.lines.filter((l) => l.text.trim() !== '' && !l.text.trim().startsWith('%%'));
      const header = body.shift();
      if (!header) problems.push(`${where}: an empty mermaid block`);
      else if (header.text.trim() === 'sequenceDiagram') checkSequence(where, body);
      else if (/^(flowchart|graph)\s+(LR|RL|TB|TD|BT)$/.test(header.text.trim())) checkFlowchart(where, body);
      else problems.push(`${where}: only sequenceDiagram and flowchart are checked, not "${header.text.trim()}"`);
      block = null;
      return;
    }
    block.lines.push({ text, at: `${file}:${i + 1}` });
  });
  if (block !== null) problems.push(`${file}:${block.start}: mermaid block not closed`);
}

if (problems.length > 0) {
  for (const p of problems) console.error(`check-mermaid: ${p}`);
  process.exit(1);
}
console.log(`check-mermaid: ${diagrams} diagrams in ${files.length} files are well formed`);

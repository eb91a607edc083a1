// Shared by the deployment checks (tools/check-*.mjs, run by
// scripts/check_deploy.sh): reporting, YAML loading, running giia.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const rel = (p) => path.relative(ROOT, p) || ".";

// CHECK_TIMING=1: milliseconds since start before every line (finding slow steps).
const T0 = Date.now();
if (process.env.CHECK_TIMING) {
  const log = console.log;
  console.log = (...a) => log(String(Date.now() - T0).padStart(6), ...a);
}
export const elapsed = () => Date.now() - T0;

// One line per check: "ok   what" or "FAIL what: why"; finish() sets the
// exit code to 1 after any failure.
export class Report {
  constructor(name) {
    this.name = name;
    this.passed = 0;
    this.failed = 0;
  }
  section(title) {
    console.log(`\n-- ${title}`);
  }
  ok(what) {
    this.passed++;
    console.log(`ok   ${what}`);
  }
  fail(what, why) {
    this.failed++;
    console.log(`FAIL ${what}${why ? `: ${why}` : ""}`);
  }
  note(text) {
    console.log(`     ${text}`);
  }
  // check(what, fn): fn returns nothing (pass), a string (the failure), or
  // throws (a failure with the error's message).
  check(what, fn) {
    let why;
    try {
      why = fn();
    } catch (e) {
      why = e.message;
    }
    if (why) this.fail(what, why);
    else this.ok(what);
    return !why;
  }
  expect(what, cond, why) {
    if (cond) this.ok(what);
    else this.fail(what, why);
    return !!cond;
  }
  finish() {
    console.log(`\n${this.name}: ${this.passed} checks ok, ${this.failed} failed`);
    process.exitCode = this.failed ? 1 : 0;
  }
}

// YAML through PyYAML (python3-yaml, a Debian package; there is no YAML
// parser in node_modules). Duplicate keys are an error, as in kubectl.
const PY_LOAD = `
import sys, json, yaml
class Loader(yaml.SafeLoader):
    pass
def mapping(loader, node, deep=False):
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(None, None, "duplicate key %r" % (key,), key_node.start_mark)
        seen.add(key)
    return yaml.SafeLoader.construct_mapping(loader, node, deep)
Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping)
def load(text):
    return [d for d in yaml.load_all(text, Loader=Loader) if d is not None]
out = {}
if len(sys.argv) == 1:
    out["-"] = load(sys.stdin.read())
for f in sys.argv[1:]:
    with open(f) as fh:
        out[f] = load(fh)
json.dump(out, sys.stdout, default=str)
`;

const yamlCache = new Map();

export function loadYamlFile(file) {
  const abs = path.resolve(ROOT, file);
  if (!yamlCache.has(abs)) {
    const r = spawnSync("python3", ["-c", PY_LOAD, abs], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`${rel(abs)}: not valid YAML: ${lastLine(r.stderr)}`);
    yamlCache.set(abs, JSON.parse(r.stdout)[abs]);
  }
  return structuredClone(yamlCache.get(abs));
}

// Loads many files in one python3 run (each run costs a fifth of a second).
export function preloadYaml(files) {
  const todo = files.map((f) => path.resolve(ROOT, f)).filter((f) => !yamlCache.has(f));
  if (!todo.length) return;
  const r = spawnSync("python3", ["-c", PY_LOAD, ...todo], { encoding: "utf8", maxBuffer: 64 << 20 });
  if (r.status !== 0) {
    for (const f of todo) loadYamlFile(f); // one at a time, to name the bad file
    return;
  }
  const out = JSON.parse(r.stdout);
  for (const f of todo) yamlCache.set(f, out[f]);
}

export function yamlFilesUnder(dir) {
  const out = [];
  for (const e of fs.readdirSync(path.resolve(ROOT, dir), { withFileTypes: true })) {
    const p = path.join(path.resolve(ROOT, dir), e.name);
    if (e.isDirectory()) out.push(...yamlFilesUnder(p));
    else if (/\.ya?ml$/.test(e.name)) out.push(p);
  }
  return out;
}

export function parseYamlText(text) {
  const r = spawnSync("python3", ["-c", PY_LOAD], { input: text, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`not valid YAML: ${lastLine(r.stderr)}`);
  return JSON.parse(r.stdout)["-"];
}

export function lastLine(text) {
  const lines = String(text || "").trim().split("\n");
  return lines[lines.length - 1];
}

export const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);

export function deepEqual(a, b) {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}
function canonical(v) {
  if (Array.isArray(v)) return v.map(canonical);
  if (isObject(v)) {
    const out = {};
    for (const k of Object.keys(v).sort()) out[k] = canonical(v[k]);
    return out;
  }
  return v;
}

// --- giia -------------------------------------------------------------------

export const IMAGE_BINARY = "/usr/local/bin/giia"; // where the Dockerfile installs it

export function giiaBinary() {
  const bin = process.env.GIIA_BINARY;
  if (!bin) throw new Error("GIIA_BINARY is not set (the giia binary to check against)");
  if (!fs.existsSync(bin)) throw new Error(`GIIA_BINARY=${bin} does not exist`);
  return path.resolve(bin);
}

// The environment giia runs with in these checks: nothing from the caller's
// (a DATABASE_URL exported in the shell must not leak in) but PATH and the
// sanitizer settings of an instrumented build.
export function cleanEnv(extra = {}) {
  const env = { PATH: "/usr/local/bin:/usr/bin:/bin" };
  for (const k of ["ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"]) {
    if (process.env[k]) env[k] = process.env[k];
  }
  return { ...env, ...extra };
}

export function runGiia(args, { env = {}, timeout = 20000, cwd } = {}) {
  const r = spawnSync(giiaBinary(), args, { env: cleanEnv(env), encoding: "utf8", timeout, cwd });
  return { status: r.status, signal: r.signal, stdout: r.stdout || "", stderr: r.stderr || "", error: r.error };
}

let keysCache;
// Every key giia reads, from `giia config print --output json`.
export function giiaKeys() {
  if (!keysCache) {
    const r = runGiia(["config", "print", "--output", "json"]);
    if (r.status !== 0) throw new Error(`giia config print --output json exited ${r.status}: ${lastLine(r.stderr)}`);
    keysCache = JSON.parse(r.stdout).values.map((v) => v.key);
  }
  return keysCache;
}

export function isGiiaKey(key) {
  const keys = giiaKeys();
  if (keys.includes(key)) return true;
  const m = /^(AUTH|CATALOG)_(.+)$/.exec(key);
  return !!m && keys.includes(m[2]);
}

// Keys giia treats as secrets (src/cli/config.cpp IsSecretKey), plus URLs
// that carry a password.
export function isSecretKey(key) {
  return key.endsWith("JWT_SECRET") || key.endsWith("PASSWORD") || key.endsWith("WEBHOOK_URL");
}
export function urlHasPassword(value) {
  return /^[a-z][a-z0-9+.-]*:\/\/[^/@\s]*:[^/@\s]*@/i.test(String(value));
}

// `giia config print --service S --output json` with exactly this
// environment: {status, values: {KEY: value|null}, problems: [...]}.
export function resolveConfig(service, env, { envFile } = {}) {
  const args = envFile ? ["--env-file", envFile] : [];
  const r = runGiia([...args, "config", "print", "--service", service, "--output", "json"], { env });
  let doc = null;
  try {
    doc = JSON.parse(r.stdout);
  } catch {
    // config print writes its JSON before failing; no JSON at all is a usage error
  }
  const values = {};
  const sources = {};
  for (const v of doc?.values || []) {
    values[v.key] = v.value;
    sources[v.key] = v.origin;
  }
  return { status: r.status, values, sources, problems: doc?.problems || [], stderr: r.stderr };
}

// Does this giia command line parse? Runs it exactly, with every
// DATABASE_URL set to an invalid value: giia parses the command line first
// (a bad flag or subcommand: exit 1 and CLI11's message), then validates the
// configuration (exit 1, "configuration: ... DATABASE_URL ..."), so a
// configuration error proves the arguments parsed, and nothing connects or
// listens. Commands that need no database (health --http) just run: any
// exit code but 1 (usage) passes.
export function parsesAsGiia(argv, env = {}) {
  if (argv[0] !== IMAGE_BINARY && argv[0] !== "giia") {
    return `runs ${JSON.stringify(argv[0])}, not giia (${IMAGE_BINARY})`;
  }
  const bad = "invalid://check-deploy-parse-only";
  const r = runGiia(argv.slice(1), {
    env: { ...env, DATABASE_URL: bad, AUTH_DATABASE_URL: bad, CATALOG_DATABASE_URL: bad },
    timeout: 15000,
  });
  if (r.error) return `giia ${argv.slice(1).join(" ")}: ${r.error.message}`;
  if (r.status !== 1) return null;
  if (/configuration: .*DATABASE_URL/.test(r.stderr)) return null;
  return `giia ${argv.slice(1).join(" ")} is a usage error: ${lastLine(r.stderr)}`;
}

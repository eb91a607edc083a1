#!/usr/bin/env node
// Checks the Dockerfile without Docker. Run by scripts/check_deploy.sh with
// GIIA_BINARY set; exits 1 on a failure.
//  - two stages: debian:bookworm (build) and debian:bookworm-slim (runtime);
//  - the build stage installs every build package of scripts/lib/common.sh
//    (GIIA_PACKAGES less the servers and test tools) and builds Release with
//    CMake + Ninja; the files it copies exist, are not excluded by
//    .dockerignore, and are enough for that exact `cmake` configure (run
//    here on a copy of just those files);
//  - every runtime package exists in this machine's apt sources (bookworm);
//    no -dev package or compiler in the runtime stage;
//  - every shared library the giia binary needs directly (readelf NEEDED)
//    comes from a package the runtime stage names, and every library `ldd`
//    lists from one of those packages or their dependencies (dpkg -S, apt's
//    dependency closure); sanitizer runtimes of an instrumented test build
//    are left out;
//  - the binary lands at /usr/local/bin/giia (where k8s/ and compose run
//    it), the image runs as uid 10001, and its HEALTHCHECK is a giia command
//    that parses.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { IMAGE_BINARY, ROOT, Report, giiaBinary, lastLine, parsesAsGiia } from "./lib/common.mjs";

const R = new Report("check-dockerfile");
const sh = (cmd, args, opts = {}) => spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 32 << 20, ...opts });

// Instructions, with continuation lines joined and comments dropped.
function parseDockerfile(text) {
  const out = [];
  let cur = "";
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!cur && (line.startsWith("#") || !line)) continue;
    if (line.startsWith("#")) continue;
    cur += (cur ? " " : "") + line.replace(/\\$/, "").trim();
    if (!line.endsWith("\\")) {
      const m = /^(\w+)\s+(.*)$/.exec(cur);
      if (m) out.push({ op: m[1].toUpperCase(), args: m[2] });
      cur = "";
    }
  }
  const stages = [];
  for (const ins of out) {
    if (ins.op === "FROM") {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?/i.exec(ins.args);
      stages.push({ image: m[1], name: m[2], ins: [] });
    } else if (stages.length) stages[stages.length - 1].ins.push(ins);
  }
  return stages;
}

function aptInstalls(stage) {
  const pkgs = [];
  for (const ins of stage.ins.filter((i) => i.op === "RUN")) {
    for (const part of ins.args.split(/&&|;/)) {
      const m = /apt-get install (.*)$/.exec(part.trim());
      if (m) pkgs.push(...m[1].split(/\s+/).filter((w) => w && !w.startsWith("-")));
    }
  }
  return pkgs;
}

const dockerfile = fs.readFileSync(path.join(ROOT, "Dockerfile"), "utf8");
const stages = parseDockerfile(dockerfile);
const build = stages[0];
const runtime = stages[stages.length - 1];

R.section("Dockerfile stages");
R.expect("two stages: debian:bookworm (build), debian:bookworm-slim (runtime)",
  stages.length === 2 && build.image === "debian:bookworm" && runtime.image === "debian:bookworm-slim",
  stages.map((s) => s.image).join(", "));

// --- build stage ---------------------------------------------------------------
const common = fs.readFileSync(path.join(ROOT, "scripts", "lib", "common.sh"), "utf8");
const listed = /GIIA_PACKAGES=\(([^)]*)\)/.exec(common)?.[1].split(/\s+/).filter((w) => w && !w.startsWith("#")) || [];
const NOT_FOR_BUILD = new Set(["ccache", "mold", "clang-format", "clang-tidy-14", "gcovr", "curl", "catch2", "libcpp-httplib-dev", "clang-14", "libclang-rt-14-dev", "postgresql", "redis-server", "nats-server", "prometheus", "pgbouncer"]);
const buildPkgs = aptInstalls(build);
R.check(`build stage installs the build packages of scripts/lib/common.sh (${listed.filter((p) => !NOT_FOR_BUILD.has(p)).length})`, () => {
  if (!listed.length) return "GIIA_PACKAGES not found in scripts/lib/common.sh";
  const missing = listed.filter((p) => !NOT_FOR_BUILD.has(p) && !buildPkgs.includes(p));
  if (missing.length) return `missing: ${missing.join(" ")}`;
});
const runs = build.ins.filter((i) => i.op === "RUN").map((i) => i.args).join(" && ");
const cmakeConfigure = /cmake (-S [^&]*)/.exec(runs)?.[1]?.trim().split(/\s+/) || [];
R.check("build stage configures Release with Ninja, tests off, and builds the giia target", () => {
  const a = cmakeConfigure.join(" ");
  if (!/-G Ninja/.test(a) || !/-DCMAKE_BUILD_TYPE=Release/.test(a) || !/-DGIIA_BUILD_TESTS=OFF/.test(a)) return `cmake ${a}`;
  if (!/cmake --build \S+ --target giia/.test(runs)) return "no cmake --build ... --target giia";
});

const ignore = fs.existsSync(path.join(ROOT, ".dockerignore"))
  ? fs.readFileSync(path.join(ROOT, ".dockerignore"), "utf8").split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#"))
  : [];
const copies = build.ins.filter((i) => i.op === "COPY" && !/--from/.test(i.args)).map((i) => i.args.split(/\s+/).slice(0, -1)).flat();
R.check(`build stage copies ${copies.join(" ")}: they exist and .dockerignore keeps them`, () => {
  const p = [];
  for (const c of copies) {
    const top = c.replace(/\/$/, "");
    if (!fs.existsSync(path.join(ROOT, top))) p.push(`${c} does not exist`);
    if (ignore.some((pat) => pat === top || pat === `${top}/` || pat === `/${top}`)) p.push(`${c} is excluded by .dockerignore`);
  }
  return p.join("; ");
});
R.check("those files alone configure with the Dockerfile's cmake command (what docker build runs)", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "giia-docker-context-"));
  try {
    for (const c of copies) fs.cpSync(path.join(ROOT, c), path.join(dir, c.replace(/\/$/, "")), { recursive: true });
    const args = cmakeConfigure.map((a) => (a === "build" ? path.join(dir, "build") : a));
    const r = sh("cmake", args, { cwd: dir, timeout: 120000 });
    if (r.status !== 0) {
      const err = (r.stderr || r.stdout).split("\n").filter((l) => /Error|error:|Cannot find/.test(l)).slice(0, 3).join(" | ");
      return `cmake ${cmakeConfigure.join(" ")} failed: ${err || lastLine(r.stderr)}`;
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

// --- runtime stage ----------------------------------------------------------------
R.section("runtime stage");
const runtimePkgs = aptInstalls(runtime);
R.check(`runtime packages exist in apt (${runtimePkgs.length}): ${runtimePkgs.join(" ")}`, () => {
  const r = sh("apt-cache", ["show", "--no-all-versions", ...runtimePkgs]);
  const found = new Set([...r.stdout.matchAll(/^Package: (\S+)$/gm)].map((m) => m[1]));
  const missing = runtimePkgs.filter((p) => !found.has(p));
  if (missing.length) return `not in apt: ${missing.join(" ")} (apt-get update first?)`;
});
R.check("runtime stage has no -dev packages or compilers", () => {
  const bad = runtimePkgs.filter((p) => /-dev$|^build-essential$|^g\+\+|^gcc|^cmake$|^clang/.test(p));
  if (bad.length) return bad.join(" ");
});

// Which package ships each file (one dpkg -S for all; usr-merged paths are
// recorded either way, so every file is asked under each of its names).
function packagesOf(files) {
  const names = new Map(); // file -> candidate paths
  for (const file of files) {
    const c = new Set([file, fs.realpathSync(file)]);
    for (const f of [...c]) {
      if (f.startsWith("/usr/lib/")) c.add(f.slice(4));
      else if (f.startsWith("/lib/")) c.add(`/usr${f}`);
    }
    names.set(file, [...c]);
  }
  const owner = new Map();
  const r = sh("dpkg", ["-S", ...new Set([...names.values()].flat())]);
  for (const line of r.stdout.split("\n")) {
    const m = /^(\S+?)(?::\w+)?: (\/.*)$/.exec(line);
    if (m) owner.set(m[2], m[1].split(",")[0]);
  }
  const out = new Map();
  for (const [file, cands] of names) out.set(file, cands.map((f) => owner.get(f)).find(Boolean) || null);
  return out;
}

const bin = giiaBinary();
const ldd = sh("ldd", [bin]);
const libs = {}; // soname -> path
for (const m of ldd.stdout.matchAll(/^\s*(\S+) => (\/\S+)/gm)) libs[m[1]] = m[2];
const owners = packagesOf(Object.values(libs));
const packageOf = (file) => owners.get(file) ?? null;
const needed = [...sh("readelf", ["-d", bin]).stdout.matchAll(/Shared library: \[([^\]]+)\]/g)].map((m) => m[1]);
const SANITIZER = /^lib(asan|ubsan|lsan|tsan|hwasan)\.so/;
const BASE = new Set(["libc6", "libgcc-s1", "libstdc++6"]); // in every Debian image, debian:bookworm-slim too
const closure = new Set(runtimePkgs);
{
  const r = sh("apt-cache", ["depends", "--recurse", "--no-recommends", "--no-suggests", "--no-conflicts", "--no-breaks", "--no-replaces", "--no-enhances", ...runtimePkgs]);
  for (const line of r.stdout.split("\n")) if (/^[a-z0-9]/.test(line)) closure.add(line.trim().replace(/:amd64$/, ""));
}
R.expect(`ldd ${path.relative(ROOT, bin)} resolves every library`, ldd.status === 0 && !/not found/.test(ldd.stdout), lastLine(ldd.stdout));
// A sanitizer build links without --as-needed, so its NEEDED list is longer
// than the Release image's: there, the direct libraries are held to the
// dependency closure like the rest.
const sanitized = needed.some((so) => SANITIZER.test(so));
R.check(`every library giia needs directly (${needed.length}, readelf NEEDED) comes from a ${sanitized ? "runtime package or a dependency of one" : "package the runtime stage names"}`, () => {
  const p = [];
  for (const so of needed) {
    if (SANITIZER.test(so)) continue;
    const pkg = libs[so] ? packageOf(libs[so]) : null;
    if (!pkg) p.push(`${so}: no package ships it`);
    else if (sanitized ? !closure.has(pkg) : !runtimePkgs.includes(pkg) && !BASE.has(pkg)) p.push(`${so} is in ${pkg}, which the runtime stage does not install`);
  }
  return p.join("; ");
});
R.check(`every library ldd lists (${Object.keys(libs).length}) comes from the runtime packages or their dependencies`, () => {
  const p = [];
  for (const [so, file] of Object.entries(libs)) {
    if (SANITIZER.test(so)) continue;
    const pkg = packageOf(file);
    if (!pkg) p.push(`${so}: no package ships ${file}`);
    else if (!closure.has(pkg)) p.push(`${so} (${pkg}) is not pulled in by the runtime packages`);
  }
  return p.join("; ");
});
if (sanitized) R.note("GIIA_BINARY is a sanitizer build: its sanitizer runtimes are left out (Release has none), and its direct libraries are checked against the dependency closure");

R.check(`the binary is installed as ${IMAGE_BINARY}, the entrypoint`, () => {
  const copy = runtime.ins.find((i) => i.op === "COPY" && /--from=/.test(i.args));
  if (!copy || !copy.args.trim().endsWith(` ${IMAGE_BINARY}`)) return `COPY --from=build ... ${IMAGE_BINARY} not found`;
  const entry = runtime.ins.find((i) => i.op === "ENTRYPOINT");
  if (!entry || JSON.stringify(JSON.parse(entry.args)) !== JSON.stringify([IMAGE_BINARY])) return `ENTRYPOINT ${entry?.args}`;
});
R.check("the image runs as uid 10001", () => {
  const users = runtime.ins.filter((i) => i.op === "USER").map((i) => i.args.trim());
  if (users[users.length - 1] !== "10001:10001") return `USER ${users.join(", ") || "(none: root)"}`;
  if (!runtime.ins.some((i) => i.op === "RUN" && /useradd [^&]*--uid 10001/.test(i.args))) return "no user 10001 created";
});
R.check("EXPOSE names the services' ports (8083 8084 9091 9092 9100)", () => {
  const exposed = runtime.ins.filter((i) => i.op === "EXPOSE").flatMap((i) => i.args.split(/\s+/));
  const missing = ["8083", "8084", "9091", "9092", "9100"].filter((p) => !exposed.includes(p));
  if (missing.length) return `missing ${missing.join(" ")}`;
});
R.check("HEALTHCHECK is a giia health command that parses", () => {
  const hc = runtime.ins.find((i) => i.op === "HEALTHCHECK");
  const m = hc && /CMD\s+(.*)$/.exec(hc.args);
  if (!m) return "no HEALTHCHECK CMD";
  // Shell form: expand ${HTTP_PORT:-8083} as sh would with HTTP_PORT unset.
  const cmd = m[1].replace(/\$\{(\w+):-([^}]*)\}/g, "$2").replace(/"/g, "").split(/\s+/);
  if (cmd[1] !== "health") return `${m[1]} is not giia health`;
  return parsesAsGiia(cmd);
});

R.finish();

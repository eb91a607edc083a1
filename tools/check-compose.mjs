#!/usr/bin/env node
// Checks docker-compose.yaml and deploy/prometheus/ against the giia binary
// (no Docker daemon needed). Run by scripts/check_deploy.sh with GIIA_BINARY
// set; exits 1 when anything fails.
//  - `docker-compose config -q` accepts the file (with JWT_SECRET set) and
//    refuses it without (the secret is required, never defaulted);
//  - the services: PostgreSQL 15, Redis 7, NATS with JetStream, a one-shot
//    migrate + seed-roles, auth and catalog built from the Dockerfile,
//    Prometheus with deploy/prometheus;
//  - every giia command line (commands, `sh -c` steps, healthchecks) parses;
//  - each service's environment validates (`giia config print`), and the
//    ports, healthcheck URLs, AUTH_GRPC_ADDR, dependency URLs and the
//    Prometheus targets agree with what giia resolves from it;
//  - the containers run as uid 10001, read-only, without capabilities, and
//    publish on loopback only;
//  - `promtool check config` on deploy/prometheus/prometheus.yml.
import { spawnSync } from "node:child_process";
import crypto from "node:crypto";
import path from "node:path";
import {
  IMAGE_BINARY,
  ROOT,
  Report,
  isObject,
  lastLine,
  loadYamlFile,
  parseYamlText,
  parsesAsGiia,
  resolveConfig,
} from "./lib/common.mjs";

const R = new Report("check-compose");
const FILE = path.join(ROOT, "docker-compose.yaml");
const PROM_DIR = path.join(ROOT, "deploy", "prometheus");
const RUN_AS = "10001:10001";

function compose(args, env) {
  return spawnSync("docker-compose", ["-f", FILE, ...args], { cwd: ROOT, env, encoding: "utf8", timeout: 60000 });
}

// docker-compose 1.x prints ports and volumes in their short forms.
function portSpec(p) {
  if (isObject(p)) return p;
  const m = /^(?:([\d.]+|\[[\da-f:]+\]):)?(?:(\d+):)?(\d+)(?:\/\w+)?$/.exec(String(p));
  return m ? { host_ip: m[1], published: m[2], target: m[3] } : { target: String(p) };
}
function volumeSpec(v) {
  if (isObject(v)) return v;
  const [source, target] = String(v).split(":");
  return { source, target };
}

R.section("docker-compose.yaml");
const secret = crypto.randomBytes(24).toString("hex");
const withSecret = { ...process.env, JWT_SECRET: secret };
const { JWT_SECRET: _drop, ...withoutSecret } = process.env;
const q = compose(["config", "-q"], withSecret);
if (q.error) R.fail("docker-compose config -q", `${q.error.message} (install Debian's docker-compose)`);
else R.expect("docker-compose config -q", q.status === 0, lastLine(q.stderr));
const noSecret = compose(["config", "-q"], withoutSecret);
R.expect("docker-compose refuses to start without JWT_SECRET (no default secret)", noSecret.status !== 0 && /JWT_SECRET/.test(noSecret.stderr), "it accepted the file without JWT_SECRET");

let cfg = null;
const full = compose(["config"], withSecret);
if (full.status === 0) cfg = parseYamlText(full.stdout)[0];
else R.fail("docker-compose config", lastLine(full.stderr));

if (cfg) {
  const svc = cfg.services || {};
  const envOf = (s) => {
    const e = svc[s]?.environment || {};
    return Array.isArray(e) ? Object.fromEntries(e.map((x) => x.split(/=(.*)/s).slice(0, 2))) : { ...e };
  };
  const cmdList = (v) => (v === undefined ? [] : Array.isArray(v) ? v : ["/bin/sh", "-c", v]);
  const builtHere = (s) => {
    const b = svc[s]?.build;
    const ctx = isObject(b) ? b.context : b;
    return ctx && path.resolve(ROOT, ctx) === ROOT && (!isObject(b) || !b.dockerfile || b.dockerfile === "Dockerfile");
  };

  R.expect("postgres: PostgreSQL 15", /^postgres:15(\.|-|$)/.test(svc.postgres?.image || ""), `image ${svc.postgres?.image}`);
  R.expect("redis: Redis 7", /^redis:7(\.|-|$)/.test(svc.redis?.image || ""), `image ${svc.redis?.image}`);
  R.expect("nats: NATS with JetStream (-js)", /^nats:2\./.test(svc.nats?.image || "") && cmdList(svc.nats?.command).some((a) => a === "-js" || a === "--jetstream"), `image ${svc.nats?.image}, command ${JSON.stringify(svc.nats?.command)}`);
  for (const s of ["postgres", "redis", "nats"]) R.expect(`${s}: has a healthcheck`, !!svc[s]?.healthcheck?.test, "none");

  // The giia services' command lines, as the image runs them.
  const giiaArgv = (s) => {
    const entry = svc[s].entrypoint ? cmdList(svc[s].entrypoint) : [IMAGE_BINARY];
    const all = [...entry, ...cmdList(svc[s].command)];
    if (all[0] === "/bin/sh" && all[1] === "-c") {
      return all.slice(2).join(" ").split("&&").map((step) => step.trim().split(/\s+/));
    }
    return [all];
  };
  const resolved = {};
  for (const s of ["migrate", "auth", "catalog"]) {
    if (!svc[s]) {
      R.fail(`${s}: service missing`);
      continue;
    }
    R.expect(`${s}: built from the Dockerfile`, builtHere(s), `build ${JSON.stringify(svc[s].build)}`);
    const env = envOf(s);
    for (const argv of giiaArgv(s)) {
      R.check(`${s}: giia command parses: ${argv.join(" ")}`, () => parsesAsGiia(argv, env));
    }
    const hc = svc[s].healthcheck?.test;
    if (hc) R.check(`${s}: healthcheck parses: ${hc.slice(1).join(" ")}`, () => (hc[0] === "CMD" ? parsesAsGiia(hc.slice(1), env) : "use the CMD form"));
  }

  R.check("migrate: one shot, migrate up then seed-roles, after PostgreSQL is healthy", () => {
    const steps = giiaArgv("migrate").map((a) => a.slice(1, 3).join(" "));
    if (steps[0] !== "migrate up" || !steps[1]?.startsWith("seed-roles")) return `steps: ${steps.join(" | ")}`;
    if (!["no", undefined].includes(svc.migrate.restart)) return `restart: ${svc.migrate.restart}`;
    if (svc.migrate.depends_on?.postgres?.condition !== "service_healthy") return "does not wait for postgres to be healthy";
  });

  for (const s of ["auth", "catalog"]) {
    if (!svc[s]) continue;
    const env = envOf(s);
    const argv = giiaArgv(s)[0];
    if (!R.expect(`${s}: runs giia serve ${s}`, argv[1] === "serve" && argv[2] === s && argv.length === 3, argv.join(" "))) continue;
    const c = resolveConfig(s, env);
    if (!R.expect(`${s}: its environment validates (giia config print --service ${s})`, c.status === 0, c.problems.map((p) => p.message).join("; ") || lastLine(c.stderr))) continue;
    resolved[s] = c.values;
    const v = c.values;
    R.check(`${s}: publishes HTTP_PORT ${v.HTTP_PORT} and GRPC_PORT ${v.GRPC_PORT} on loopback only`, () => {
      const ports = (svc[s].ports || []).map(portSpec);
      const targets = new Set(ports.map((p) => Number(p?.target)));
      const p = [];
      for (const want of [v.HTTP_PORT, v.GRPC_PORT]) if (!targets.has(Number(want))) p.push(`${want} not published`);
      for (const x of ports) if (x?.host_ip !== "127.0.0.1") p.push(`${x?.target} published on ${x?.host_ip || "every address"}`);
      return p.join("; ");
    });
    R.check(`${s}: the healthcheck asks /health/ready on HTTP_PORT ${v.HTTP_PORT}`, () => {
      const hc = svc[s].healthcheck?.test || [];
      const url = hc[hc.indexOf("--http") + 1];
      if (url !== `http://127.0.0.1:${v.HTTP_PORT}/health/ready`) return `asks ${url}`;
    });
    R.check(`${s}: uid 10001, read-only root, no capabilities, no new privileges, 45 s to stop`, () => {
      const x = svc[s];
      const p = [];
      if (x.user !== RUN_AS) p.push(`user ${x.user}`);
      if (x.read_only !== true) p.push("read_only is not true");
      if (!(x.cap_drop || []).includes("ALL")) p.push("cap_drop does not name ALL");
      if (!(x.security_opt || []).some((o) => /^no-new-privileges(:true)?$/.test(o))) p.push("no no-new-privileges");
      if (!(x.tmpfs || []).includes("/tmp")) p.push("no tmpfs /tmp");
      if (!/^4[5-9]s|^[5-9]\ds/.test(x.stop_grace_period || "")) p.push(`stop_grace_period ${x.stop_grace_period} below SHUTDOWN_TIMEOUT + margin`);
      return p.join("; ");
    });
    R.check(`${s}: DATABASE_URL, REDIS_URL and NATS_URL name the compose services`, () => {
      const p = [];
      const pg = svc.postgres?.environment || {};
      const db = new URL(v.DATABASE_URL.replace(/^postgres(ql)?:/, "http:"));
      if (db.hostname !== "postgres" || (db.port || "5432") !== "5432") p.push(`DATABASE_URL host ${db.host}`);
      if (db.username !== pg.POSTGRES_USER || db.pathname.slice(1) !== pg.POSTGRES_DB) p.push("DATABASE_URL user/database differ from POSTGRES_USER/POSTGRES_DB");
      if (db.password) p.push("DATABASE_URL carries a password");
      if (!/^redis:\/\/redis:6379(\/|$)/.test(v.REDIS_URL)) p.push(`REDIS_URL ${v.REDIS_URL}`);
      if (!/^nats:\/\/nats:4222$/.test(v.NATS_URL)) p.push(`NATS_URL ${v.NATS_URL}`);
      const deps = svc[s].depends_on || {};
      if (s === "auth" && deps.migrate?.condition !== "service_completed_successfully") p.push("auth does not wait for migrate to complete");
      if (s === "catalog" && !deps.auth) p.push("catalog does not wait for auth");
      return p.join("; ");
    });
  }
  if (resolved.auth && resolved.catalog) {
    R.expect(`catalog: AUTH_GRPC_ADDR ${resolved.catalog.AUTH_GRPC_ADDR} is auth's gRPC port`, resolved.catalog.AUTH_GRPC_ADDR === `auth:${resolved.auth.GRPC_PORT}`, `auth serves gRPC on auth:${resolved.auth.GRPC_PORT}`);
    R.expect("auth and catalog publish different host ports", new Set([resolved.auth.HTTP_PORT, resolved.auth.GRPC_PORT, resolved.catalog.HTTP_PORT, resolved.catalog.GRPC_PORT]).size === 4, "two services want the same port");
  }

  // Prometheus
  R.section("Prometheus (deploy/prometheus)");
  R.check("prometheus: mounts deploy/prometheus and reads prometheus.yml from it", () => {
    const p = svc.prometheus;
    if (!p || !/^prom\/prometheus:/.test(p.image || "")) return `image ${p?.image}`;
    const vols = (p.volumes || []).map(volumeSpec);
    const mount = vols.find((x) => path.resolve(ROOT, x.source || "") === PROM_DIR);
    if (!mount) return "deploy/prometheus is not mounted";
    const flag = cmdList(p.command).find((a) => a.startsWith("--config.file="));
    if (flag !== `--config.file=${mount.target}/prometheus.yml`) return `${flag} is not ${mount.target}/prometheus.yml`;
  });
  const promtool = spawnSync("promtool", ["check", "config", path.join(PROM_DIR, "prometheus.yml")], { encoding: "utf8" });
  R.expect("promtool check config deploy/prometheus/prometheus.yml (and its rule files)", promtool.status === 0, (promtool.stdout + promtool.stderr).trim().split("\n").slice(-2).join(" | ") || promtool.error?.message);
  R.check("Prometheus scrapes auth and catalog on their METRICS_PORT, as jobs giia-auth and giia-catalog", () => {
    const prom = loadYamlFile(path.join(PROM_DIR, "prometheus.yml"))[0];
    const p = [];
    for (const s of ["auth", "catalog"]) {
      const job = (prom.scrape_configs || []).find((j) => j.job_name === `giia-${s}`);
      const m = resolved[s]?.METRICS_PORT;
      if (!job) p.push(`no job giia-${s}`);
      else if (!m) p.push(`${s} sets no METRICS_PORT`);
      else if (!(job.static_configs || []).some((sc) => (sc.targets || []).includes(`${s}:${m}`))) p.push(`job giia-${s} does not scrape ${s}:${m}`);
      else if ((job.metrics_path || "/metrics") !== "/metrics") p.push(`job giia-${s} path ${job.metrics_path}`);
    }
    return p.join("; ");
  });
}

R.finish();

#!/usr/bin/env node
// Berth API throughput benchmark: `node bench/api/run.mjs` (or `npm run bench:api`).
//
// One run, on this machine, measures Berth next to two bare-Node baselines:
//   R        bare node:http, constant JSON                     (ceiling for a trivial route)
//   N        bare NestJS 12 + Fastify, constant JSON            (the framework's floor; no target)
//   Q        bare node:http + pg.Pool(16), one indexed query   (ceiling for a one-query read)
//   version  Berth GET /api/v1/version                 target: >= 0.5 x R
//   companies Berth GET /api/v1/companies/ (token)     target: >= 0.75 x Q and p99 < 40 ms
//   plans    Berth GET /api/v1/{company_id}/plans/     target: >= 0.75 x Q and p99 < 40 ms
// Each figure: autocannon, 64 connections, 2 s warm-up then 10 s measured, 127.0.0.1 only.
//
// It creates a throw-away database berth_bench_<random> and a private memory-only
// redis-server, starts Berth (BERTH_ROLES=api,
// LOG_LEVEL=info, logs to a file under the OS temp dir) which migrates it, registers an
// account, runs the figures, prints a table and the results as JSON, and always stops
// every child and drops the database (also on error, SIGINT and SIGTERM).
// Exit 0 when the run was valid (whether or not targets pass), 1 when it was not
// (non-2xx/errors/timeouts, a server that did not start or died, a time-out).
//
// Knobs for investigation (defaults are the benchmark; anything else is flagged as
// "non-standard" in the output): BENCH_DURATION, BENCH_WARMUP, BENCH_CONNECTIONS,
// BENCH_LOG_LEVEL, BENCH_POOL_SIZE (Berth's DATABASE_POOL_SIZE), BENCH_NODE_ARGS
// (extra node flags for Berth, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"),
// BENCH_ONLY (comma list of r,n,q,version,companies,plans), BENCH_KEEP_LOG=1.
// `--build` forces `npx nest build` first; otherwise it builds only when dist/ is missing.

import autocannon from 'autocannon';
import { fork, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const HERE = fileURLToPath(new URL('.', import.meta.url));
const MAIN = path.join(ROOT, 'dist/src/main.js');
const HOST = '127.0.0.1';
const RUN_LIMIT_MS = 170_000; // hard stop for the whole run

// ---------------------------------------------------------------- settings

const DEFAULTS = { duration: 10, warmup: 2, connections: 64, logLevel: 'info', poolSize: '', nodeArgs: '', only: '' };
const settings = {
  duration: intEnv('BENCH_DURATION', DEFAULTS.duration, 1, 60),
  warmup: intEnv('BENCH_WARMUP', DEFAULTS.warmup, 0, 30),
  connections: intEnv('BENCH_CONNECTIONS', DEFAULTS.connections, 1, 1024),
  logLevel: process.env.BENCH_LOG_LEVEL || DEFAULTS.logLevel,
  poolSize: process.env.BENCH_POOL_SIZE || DEFAULTS.poolSize,
  nodeArgs: process.env.BENCH_NODE_ARGS || DEFAULTS.nodeArgs,
  only: process.env.BENCH_ONLY || DEFAULTS.only,
};
const keepLog = process.env.BENCH_KEEP_LOG === '1';
const nonStandard = Object.keys(DEFAULTS).filter((k) => String(settings[k]) !== String(DEFAULTS[k]));
const wanted = new Set((settings.only || 'r,n,q,version,companies,plans').split(',').map((s) => s.trim()).filter(Boolean));

function intEnv(name, fallback, min, max) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    console.error(`bench: ${name} must be an integer from ${min} to ${max}`);
    process.exit(1);
  }
  return n;
}

// ---------------------------------------------------------------- run state + cleanup

const adminUrl = new URL(process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/berth');
const dbName = `berth_bench_${randomBytes(5).toString('hex')}`;
const benchUrl = new URL(adminUrl);
benchUrl.pathname = `/${dbName}`;
adminUrl.pathname = '/postgres';
const logPath = path.join(os.tmpdir(), `${dbName}.log`);

const children = new Set(); // { name, proc }
let dbCreated = false;
let currentCannon = null;
let cleaning = null;
const problems = []; // anything that makes the run invalid

function log(...args) {
  console.log(...args);
}

async function stopChild(child, graceMs = 5000) {
  const { proc } = child;
  if (proc.exitCode === null && proc.signalCode === null) {
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill('SIGTERM');
    const timer = new Promise((resolve) => setTimeout(resolve, graceMs, 'timeout'));
    if ((await Promise.race([exited, timer])) === 'timeout') {
      proc.kill('SIGKILL');
      await exited;
    }
  }
  children.delete(child);
}

function cleanup() {
  cleaning ??= (async () => {
    try {
      currentCannon?.stop();
    } catch {
      // already stopped
    }
    await Promise.allSettled([...children].map((c) => stopChild(c)));
    await monitor?.end().catch(() => {});
    monitor = null;
    if (dbCreated) {
      const admin = new pg.Client({ connectionString: adminUrl.href });
      try {
        await admin.connect();
        await admin.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
        dbCreated = false;
      } catch (err) {
        console.error(`bench: could not drop database ${dbName}: ${err.message} (drop it by hand)`);
      } finally {
        await admin.end().catch(() => {});
      }
    }
    const keep = keepLog || problems.length > 0 || settings.nodeArgs !== '';
    if (!keep) fs.rmSync(logPath, { force: true });
  })();
  return cleaning;
}

async function abort(reason, code) {
  console.error(`\nbench: ${reason}; cleaning up`);
  problems.push(reason);
  await cleanup();
  if (fs.existsSync(logPath)) console.error(`bench: Berth's log kept at ${logPath}`);
  process.exit(code);
}

process.on('SIGINT', () => void abort('interrupted (SIGINT)', 130));
process.on('SIGTERM', () => void abort('terminated (SIGTERM)', 143));
process.on('uncaughtException', (err) => void abort(`uncaught exception: ${err.stack ?? err}`, 1));
process.on('unhandledRejection', (err) => void abort(`unhandled rejection: ${err?.stack ?? err}`, 1));
// Last resort if the process exits without cleanup having finished: no orphan servers.
process.on('exit', () => {
  for (const { proc } of children) proc.kill('SIGKILL');
});
setTimeout(() => void abort(`run exceeded ${RUN_LIMIT_MS / 1000} s`, 1), RUN_LIMIT_MS).unref();

// ---------------------------------------------------------------- helpers

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, HOST, () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function tail(file, lines = 30) {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

async function startBaseline(name, file, env = {}) {
  const proc = fork(path.join(HERE, file), [], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const child = { name, proc };
  children.add(child);
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`baseline ${name} did not start within 10 s`)), 10_000);
    proc.once('message', (m) => {
      clearTimeout(timer);
      resolve(m.port);
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`baseline ${name} exited with code ${code} before listening`));
    });
  });
  return { child, base: `http://${HOST}:${port}` };
}

/**
 * A private, memory-only redis-server for this run, so the bench neither depends on nor
 * leaves state in a shared Redis (Berth keeps rate-limit counters there). Falls back to
 * REDIS_URL when redis-server is not installed.
 */
async function startRedis() {
  const which = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' });
  if (which.status !== 0) return { url: process.env.REDIS_URL || 'redis://127.0.0.1:6379', private: false };
  const port = await freePort();
  const proc = spawn(which.stdout.trim(), ['--bind', HOST, '--port', String(port), '--save', '', '--appendonly', 'no', '--protected-mode', 'yes'], {
    stdio: 'ignore',
  });
  children.add({ name: 'redis', proc });
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`private redis-server exited with code ${proc.exitCode}`);
    const up = await new Promise((resolve) => {
      const sock = net.connect(port, HOST, () => {
        sock.end();
        resolve(true);
      });
      sock.on('error', () => resolve(false));
    });
    if (up) return { url: `redis://${HOST}:${port}`, private: true, pid: proc.pid };
    if (Date.now() > deadline) throw new Error('private redis-server did not start within 10 s');
    await sleep(100);
  }
}

async function startBerth(redisUrl) {
  if (!fs.existsSync(MAIN) || process.argv.includes('--build')) {
    log('building Berth (npx nest build) ...');
    const built = spawnSync('npx', ['nest', 'build'], { cwd: ROOT, stdio: 'inherit' });
    if (built.status !== 0 || !fs.existsSync(MAIN)) throw new Error('npx nest build failed');
  }
  const port = await freePort();
  const env = {
    ...process.env,
    PORT: String(port),
    HOST,
    DATABASE_URL: benchUrl.href,
    REDIS_URL: redisUrl,
    // The bench registers one account per run from 127.0.0.1; it measures reads, not the limiter.
    REGISTRATIONS_PER_IP: '0',
    LOG_LEVEL: settings.logLevel,
    BERTH_ROLES: 'api',
    MIGRATIONS_RUN: 'true',
  };
  delete env.DATABASE_POOL_SIZE;
  if (settings.poolSize) env.DATABASE_POOL_SIZE = settings.poolSize;
  const out = fs.openSync(logPath, 'w');
  const nodeArgs = settings.nodeArgs ? settings.nodeArgs.split(/\s+/).filter(Boolean) : [];
  const proc = spawn(process.execPath, [...nodeArgs, MAIN], { cwd: ROOT, env, stdio: ['ignore', out, out] });
  fs.closeSync(out);
  const child = { name: 'berth', proc };
  children.add(child);
  const base = `http://${HOST}:${port}`;

  const deadline = Date.now() + 60_000;
  for (;;) {
    if (proc.exitCode !== null || proc.signalCode !== null) {
      throw new Error(`Berth exited (code ${proc.exitCode ?? proc.signalCode}) before it was healthy; log tail:\n${tail(logPath)}`);
    }
    try {
      const res = await fetch(`${base}/api/v1/health`, { signal: AbortSignal.timeout(2000) });
      const body = await res.json().catch(() => null);
      if (res.status === 200 && body?.status === 'ok') break;
      if (Date.now() > deadline) throw new Error(`Berth health is ${res.status} ${JSON.stringify(body)}`);
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`Berth not healthy within 60 s (${err.message}); log tail:\n${tail(logPath)}`);
    }
    await sleep(250);
  }
  return { child, base };
}

async function register(base) {
  const email = `bench-${randomBytes(6).toString('hex')}@example.test`;
  const res = await fetch(`${base}/api/v1/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: randomBytes(12).toString('hex'), name: 'Bench Account' }),
  });
  const body = await res.json().catch(() => null);
  if (res.status !== 200 || !body?.token || !body?.company?.id) {
    throw new Error(`register answered ${res.status}: ${JSON.stringify(body)}`);
  }
  return { token: body.token, companyId: body.company.id };
}

// ---- CPU accounting (Linux /proc): how much CPU did processes *outside* this benchmark
// use during a measured window? This machine has 2 cores; anything else busy (a build,
// npm install, tests) steals from the server and the load generator alike.
const CLK_TCK = 100; // USER_HZ on Linux
const hasProc = fs.existsSync('/proc/stat');
let monitor = null; // pg client on the admin database, to list our backends

function machineBusyTicks() {
  const f = fs.readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest time is already inside user)
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: total - f[3] - f[4], steal: f[7] ?? 0 };
}

function pidTicks(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]); // utime + stime
  } catch {
    return 0;
  }
}

function pidSysTicks(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[12]); // stime
  } catch {
    return 0;
  }
}

async function ourPids(server) {
  const pids = [process.pid];
  if (server.child) pids.push(server.child.proc.pid);
  if (monitor) {
    const { rows } = await monitor.query('SELECT pid FROM pg_stat_activity WHERE datname = $1', [dbName]);
    pids.push(...rows.map((r) => r.pid));
  }
  return pids;
}

async function cpuSnapshot(server) {
  if (!hasProc) return null;
  const pids = await ourPids(server);
  const ours = Object.fromEntries(pids.map((pid) => [pid, pidTicks(pid)]));
  const serverSys = server.child ? pidSysTicks(server.child.proc.pid) : 0;
  return { at: performance.now(), ...machineBusyTicks(), ours, serverSys };
}

/**
 * CPU used during the window, in % of one core: the load generator (this process), the
 * server under test, its PostgreSQL backends, and everyone else ("other").
 */
function cpuDelta(a, b, server, requests) {
  if (!a || !b) return null;
  const secs = (b.at - a.at) / 1000;
  const d = (pid) => (b.ours[pid] ?? 0) - (a.ours[pid] ?? b.ours[pid] ?? 0);
  const serverPid = server.child?.proc.pid;
  let ours = 0;
  let backends = 0;
  for (const pid of Object.keys(b.ours)) {
    ours += d(pid);
    if (Number(pid) !== process.pid && Number(pid) !== serverPid) backends += d(pid);
  }
  const busy = b.busy - a.busy;
  const pct = (ticks) => Math.round((ticks / CLK_TCK / secs) * 1000) / 10;
  const serverTicks = serverPid ? d(serverPid) : 0;
  return {
    ours_pct: pct(ours),
    loadgen_pct: pct(d(process.pid)),
    server_pct: pct(serverTicks),
    pg_backends_pct: pct(backends),
    other_pct: pct(Math.max(0, busy - ours)),
    steal_pct: pct(b.steal - a.steal),
    server_cpu_us_per_req: requests > 0 ? Math.round(((serverTicks / CLK_TCK) * 1e6) / requests) : null,
    server_sys_us_per_req: requests > 0 ? Math.round((((b.serverSys - a.serverSys) / CLK_TCK) * 1e6) / requests) : null,
    pg_cpu_us_per_req: requests > 0 ? Math.round(((backends / CLK_TCK) * 1e6) / requests) : null,
  };
}

const NOISY_PCT = 15; // other processes using more than this % of one core make a figure unreliable

function cannon(opts) {
  return new Promise((resolve, reject) => {
    currentCannon = autocannon(opts, (err, result) => {
      currentCannon = null;
      if (err) reject(err);
      else resolve(result);
    });
  });
}

function summarize(r) {
  return {
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    max: r.latency.max,
    total: r.requests.total,
    ok2xx: r['2xx'],
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    statusCodes: Object.fromEntries(Object.entries(r.statusCodeStats).map(([code, s]) => [code, s.count])),
  };
}

/** One figure: a sanity request, a warm-up, then the measured run. */
async function measure(fig, server) {
  const url = server.base + fig.path;
  const headers = fig.headers ?? {};
  const probe = await fetch(url, { headers });
  const probeBody = await probe.text();
  if (probe.status !== 200) throw new Error(`${fig.key}: sanity request answered ${probe.status}: ${probeBody.slice(0, 300)}`);

  process.stdout.write(`  ${fig.label.padEnd(38)} `);
  const common = { url, headers, connections: settings.connections, pipelining: 1, timeout: 10 };
  let warm = null;
  if (settings.warmup > 0) warm = summarize(await cannon({ ...common, duration: settings.warmup }));
  const before = await cpuSnapshot(server);
  const s = summarize(await cannon({ ...common, duration: settings.duration }));
  s.cpu = cpuDelta(before, await cpuSnapshot(server), server, s.total);
  s.noisy = s.cpu ? s.cpu.other_pct > NOISY_PCT : false;
  const warmBad = warm ? warm.non2xx + warm.errors + warm.timeouts : 0;
  const bad = s.non2xx + s.errors + s.timeouts;
  const cpuText = s.cpu
    ? `  cpu %: server ${s.cpu.server_pct}, pg ${s.cpu.pg_backends_pct}, loadgen ${s.cpu.loadgen_pct}, other ${s.cpu.other_pct}${s.noisy ? ' NOISY' : ''}` +
      `; server ${s.cpu.server_cpu_us_per_req} us/req (${s.cpu.server_sys_us_per_req} in kernel)`
    : '';
  log(`${fmt(s.rps, 0).padStart(8)} req/s  p99 ${fmt(s.p99, 1).padStart(6)} ms  non-2xx ${s.non2xx}  errors ${s.errors}  timeouts ${s.timeouts}${cpuText}` +
    (warmBad ? `  (warm-up: non-2xx ${warm.non2xx}, errors ${warm.errors}, timeouts ${warm.timeouts})` : ''));
  if (bad > 0) problems.push(`${fig.key}: ${s.non2xx} non-2xx (${JSON.stringify(s.statusCodes)}), ${s.errors} errors, ${s.timeouts} timeouts`);
  if (warmBad > 0) problems.push(`${fig.key} warm-up: ${warm.non2xx} non-2xx (${JSON.stringify(warm.statusCodes)}), ${warm.errors} errors, ${warm.timeouts} timeouts`);
  if (server.child && (server.child.proc.exitCode !== null || server.child.proc.signalCode !== null)) {
    problems.push(`${fig.key}: the server (${server.child.name}) died during the run`);
  }
  return { ...fig, url: fig.path, ...s, warmup: warm };
}

function fmt(n, digits) {
  return typeof n === 'number' && Number.isFinite(n) ? n.toFixed(digits) : '-';
}

function table(rows) {
  const head = ['figure', 'req/s', 'p99 ms', 'ratio', 'target', 'result', 'other CPU'];
  const body = rows.map((r) => [
    r.label,
    fmt(r.rps, 0),
    fmt(r.p99, 1),
    r.ratio !== null && (r.baseline || r.key === 'n') ? `${fmt(r.ratio, 2)} x ${r.baseline ?? 'R'}` : '-',
    r.targetText,
    r.result,
    r.cpu ? `${r.cpu.other_pct}%${r.noisy ? ' NOISY' : ''}` : '-',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells) => cells.map((c, i) => (i === 1 || i === 2 || i === 6 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

// ---------------------------------------------------------------- main

async function main() {
  const started = new Date();
  const loadAtStart = os.loadavg().map((n) => round(n, 2));
  log(`Berth API benchmark — ${started.toISOString()}`);
  log(`node ${process.version}, ${os.cpus().length} CPU(s) (${os.cpus()[0]?.model ?? '?'}), autocannon ${settings.connections} connections, ` +
    `${settings.warmup} s warm-up + ${settings.duration} s per figure, ${HOST} only`);
  log(`load average before the run: ${os.loadavg().map((n) => n.toFixed(2)).join(' ')} (other busy processes on this machine skew every figure)`);
  if (nonStandard.length) log(`NON-STANDARD settings: ${nonStandard.map((k) => `${k}=${JSON.stringify(settings[k])}`).join(', ')}`);

  const admin = new pg.Client({ connectionString: adminUrl.href });
  await admin.connect();
  const pgVersion = (await admin.query('SHOW server_version')).rows[0].server_version;
  await admin.query(`CREATE DATABASE "${dbName}"`);
  dbCreated = true;
  monitor = admin; // stays open (idle) to list this run's backends for the CPU accounting
  log(`database ${dbName} created (PostgreSQL ${pgVersion})`);

  const redis = await startRedis();
  log(redis.private ? `private redis-server at ${redis.url} (pid ${redis.pid})` : `redis: ${redis.url} (shared; redis-server not found)`);
  const berth = await startBerth(redis.url);
  const { token, companyId } = await register(berth.base);
  log(`Berth up at ${berth.base} (pid ${berth.child.proc.pid}, BERTH_ROLES=api, LOG_LEVEL=${settings.logLevel}` +
    `${settings.poolSize ? `, DATABASE_POOL_SIZE=${settings.poolSize}` : ''}), log ${logPath}; registered, company ${companyId}`);

  const auth = { authorization: `Token ${token}` };
  const results = {};
  log('\nmeasuring:');

  if (wanted.has('r')) {
    const r = await startBaseline('R', 'baseline-r.mjs');
    results.r = await measure({ key: 'r', label: 'R  bare node:http, constant JSON', path: '/' }, r);
    await stopChild(r.child);
  }
  if (wanted.has('n')) {
    const n = await startBaseline('N', 'baseline-n.mjs');
    results.n = await measure({ key: 'n', label: 'N  bare NestJS 12 + Fastify route', path: '/' }, n);
    await stopChild(n.child);
  }
  if (wanted.has('q')) {
    const q = await startBaseline('Q', 'baseline-q.mjs', { DATABASE_URL: benchUrl.href, BASELINE_POOL_SIZE: '16' });
    results.q = await measure({ key: 'q', label: 'Q  bare node:http + pg, plans query', path: '/' }, q);
    await stopChild(q.child);
  }
  if (wanted.has('version')) {
    results.version = await measure({ key: 'version', label: 'Berth GET /api/v1/version', path: '/api/v1/version' }, berth);
  }
  if (wanted.has('companies')) {
    results.companies = await measure({ key: 'companies', label: 'Berth GET /api/v1/companies/', path: '/api/v1/companies/', headers: auth }, berth);
  }
  if (wanted.has('plans')) {
    results.plans = await measure(
      { key: 'plans', label: 'Berth GET /api/v1/{company_id}/plans/', path: `/api/v1/${companyId}/plans/`, headers: auth },
      berth,
    );
  }

  // Targets.
  const rows = [];
  for (const [key, res] of Object.entries(results)) {
    const row = { ...res, baseline: null, ratio: null, targetText: 'baseline', result: '-' };
    if (key === 'n') {
      // Information, not a target: the framework's floor, as a share of R.
      row.ratio = results.r ? res.rps / results.r.rps : null;
      row.targetText = 'floor (no target)';
    } else if (key === 'version') {
      row.baseline = 'R';
      row.targetText = '>= 0.50 x R';
      row.ratio = results.r ? res.rps / results.r.rps : null;
      row.pass = row.ratio !== null ? row.ratio >= 0.5 : null;
    } else if (key === 'companies' || key === 'plans') {
      row.baseline = 'Q';
      row.targetText = '>= 0.75 x Q, p99 < 40 ms';
      row.ratio = results.q ? res.rps / results.q.rps : null;
      row.pass = row.ratio !== null ? row.ratio >= 0.75 && res.p99 < 40 : null;
    }
    if (row.baseline) row.result = row.pass === null ? 'n/a (no baseline)' : row.pass ? 'PASS' : 'FAIL';
    rows.push(row);
  }

  const valid = problems.length === 0;
  log('\nresults:');
  log(table(rows));
  log('');
  if (valid) {
    const failed = rows.filter((r) => r.pass === false).map((r) => r.key);
    const judged = rows.filter((r) => typeof r.pass === 'boolean').length;
    const verdict = judged === 0 ? 'none evaluated' : failed.length ? `FAIL for ${failed.join(', ')}` : 'all PASS';
    log(`run VALID (no non-2xx, errors or timeouts); targets: ${verdict}` +
      (nonStandard.length ? ' — NON-STANDARD settings, not comparable with the targets' : ''));
    const noisy = rows.filter((r) => r.noisy).map((r) => r.key);
    if (noisy.length) {
      log(`NOISY: other processes used more than ${NOISY_PCT}% of a core during ${noisy.join(', ')}; those figures (and their ratios) are unreliable — re-run on a quiet machine`);
    }
  } else {
    log('run INVALID:');
    for (const p of problems) log(`  - ${p}`);
  }

  const json = {
    valid,
    problems,
    started_at: started.toISOString(),
    finished_at: new Date().toISOString(),
    machine: { node: process.version, cpus: os.cpus().length, cpu_model: os.cpus()[0]?.model ?? null, postgres: pgVersion, loadavg_at_start: loadAtStart },
    git_commit: gitCommit(),
    settings: { ...settings, non_standard: nonStandard, berth_roles: 'api', q_baseline_query: 'SELECT id, name, ram, disk, cpu_quota, price FROM plans ORDER BY id', q_baseline_pool: 16 },
    figures: rows.map((r) => ({
      key: r.key,
      label: r.label,
      path: r.key === 'plans' ? '/api/v1/{company_id}/plans/' : r.url,
      rps: round(r.rps, 1),
      p50_ms: r.p50,
      p99_ms: r.p99,
      max_ms: r.max,
      requests: r.total,
      non2xx: r.non2xx,
      errors: r.errors,
      timeouts: r.timeouts,
      status_codes: r.statusCodes,
      baseline: r.baseline,
      ratio: r.ratio === null ? null : round(r.ratio, 3),
      target: r.baseline ? r.targetText : null,
      pass: r.baseline ? r.pass : null,
      cpu_pct_of_one_core: r.cpu,
      noisy: r.noisy,
    })),
  };
  log('--- results JSON ---');
  log(JSON.stringify(json, null, 2));
  return valid;
}

function round(n, d) {
  return typeof n === 'number' ? Math.round(n * 10 ** d) / 10 ** d : n;
}

function gitCommit() {
  const r = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

let valid = false;
try {
  valid = await main();
} catch (err) {
  problems.push(err.message);
  console.error(`\nbench: run INVALID: ${err.message}`);
}
await cleanup();
if (!valid && fs.existsSync(logPath)) console.error(`bench: Berth's log kept at ${logPath}`);
process.exit(valid ? 0 : 1);

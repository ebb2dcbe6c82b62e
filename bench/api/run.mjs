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
// Each figure: autocannon, 64 connections, 2 s warm-up then 12 s measured, 127.0.0.1 only;
// Q, companies and plans first settle for 10 s each (measured servers have been running a
// while, past their JIT's first seconds), then are measured in three alternating rounds.
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
// "non-standard" in the output): BENCH_DURATION, BENCH_WARMUP, BENCH_SETTLE, BENCH_CONNECTIONS,
// BENCH_LOG_LEVEL, BENCH_POOL_SIZE (Berth's DATABASE_POOL_SIZE), BENCH_NODE_ARGS
// (extra node flags for Berth, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"),
// BENCH_ONLY (comma list of r,n,q,version,companies,plans), BENCH_KEEP_LOG=1.
// `--build` forces `npx nest build` first; otherwise it builds only when dist/ is missing.
//
// This file is the orchestration (settings, the sequence of figures, targets, verdict);
// lib/processes.mjs starts and always cleans up the database, redis-server, Berth and the
// baselines; lib/measure.mjs runs autocannon; lib/cpu.mjs does the /proc CPU accounting;
// lib/report.mjs prints the table and the JSON.

import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import { NOISY_PCT } from './lib/cpu.mjs';
import { combine, measure, settle, stopLoad } from './lib/measure.mjs';
import {
  backendPids,
  benchUrl,
  cleanup,
  createDatabase,
  dbName,
  HOST,
  installCleanup,
  logPath,
  problems,
  startBaseline,
  startBerth,
  startRedis,
  stopChild,
} from './lib/processes.mjs';
import { resultsJson, round, table } from './lib/report.mjs';

const RUN_LIMIT_MS = 240_000; // hard stop for the whole run

// ---------------------------------------------------------------- settings

const DEFAULTS = { duration: 12, warmup: 2, settle: 10, connections: 64, rounds: 3, logLevel: 'info', poolSize: '', nodeArgs: '', only: '' };
const settings = {
  duration: intEnv('BENCH_DURATION', DEFAULTS.duration, 1, 60),
  warmup: intEnv('BENCH_WARMUP', DEFAULTS.warmup, 0, 30),
  settle: intEnv('BENCH_SETTLE', DEFAULTS.settle, 0, 60),
  connections: intEnv('BENCH_CONNECTIONS', DEFAULTS.connections, 1, 1024),
  rounds: intEnv('BENCH_ROUNDS', DEFAULTS.rounds, 1, 12),
  logLevel: process.env.BENCH_LOG_LEVEL || DEFAULTS.logLevel,
  poolSize: process.env.BENCH_POOL_SIZE || DEFAULTS.poolSize,
  nodeArgs: process.env.BENCH_NODE_ARGS || DEFAULTS.nodeArgs,
  only: process.env.BENCH_ONLY || DEFAULTS.only,
};
const keepLog = process.env.BENCH_KEEP_LOG === '1';
const forceBuild = process.argv.includes('--build'); // otherwise it builds only when dist/ is missing
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

// ---------------------------------------------------------------- cleanup

// Every child is stopped and the database dropped also on error, SIGINT, SIGTERM and after
// RUN_LIMIT_MS. Berth's log is kept when the run was invalid, with BENCH_KEEP_LOG=1, and
// with BENCH_NODE_ARGS (a profiling run wants to look at it).
installCleanup({ keepLog: keepLog || settings.nodeArgs !== '', stopLoad, limitMs: RUN_LIMIT_MS });

function log(...args) {
  console.log(...args);
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

// ---------------------------------------------------------------- main

async function main() {
  const started = new Date();
  const loadAtStart = os.loadavg().map((n) => round(n, 2));
  log(`Berth API benchmark — ${started.toISOString()}`);
  log(`node ${process.version}, ${os.cpus().length} CPU(s) (${os.cpus()[0]?.model ?? '?'}), autocannon ${settings.connections} connections, ` +
    `${settings.settle ? `${settings.settle} s settling for Q and Berth's reads, then ` : ''}${settings.warmup} s warm-up + ${settings.duration} s per figure, ${HOST} only`);
  log(`load average before the run: ${os.loadavg().map((n) => n.toFixed(2)).join(' ')} (other busy processes on this machine skew every figure)`);
  if (nonStandard.length) log(`NON-STANDARD settings: ${nonStandard.map((k) => `${k}=${JSON.stringify(settings[k])}`).join(', ')}`);

  const pgVersion = await createDatabase();
  log(`database ${dbName} created (PostgreSQL ${pgVersion})`);

  const redis = await startRedis();
  log(redis.private ? `private redis-server at ${redis.url} (pid ${redis.pid})` : `redis: ${redis.url} (shared; redis-server not found)`);
  const berth = await startBerth(redis.url, { ...settings, build: forceBuild });
  const { token, companyId } = await register(berth.base);
  log(`Berth up at ${berth.base} (pid ${berth.child.proc.pid}, BERTH_ROLES=api, LOG_LEVEL=${settings.logLevel}` +
    `${settings.poolSize ? `, DATABASE_POOL_SIZE=${settings.poolSize}` : ''}), log ${logPath}; registered, company ${companyId}`);

  const auth = { authorization: `Token ${token}` };
  const run = { settings, problems, backendPids }; // what measure() needs
  const results = {};
  log('\nmeasuring:');

  if (wanted.has('r')) {
    const r = await startBaseline('R', 'baseline-r.mjs');
    results.r = await measure({ key: 'r', label: 'R  bare node:http, constant JSON', path: '/' }, r, run);
    await stopChild(r.child);
  }
  if (wanted.has('n')) {
    const n = await startBaseline('N', 'baseline-n.mjs');
    results.n = await measure({ key: 'n', label: 'N  bare NestJS 12 + Fastify route', path: '/' }, n, run);
    await stopChild(n.child);
  }
  // Q and the authenticated reads are measured in alternating rounds (Q, companies, plans, Q, ...),
  // each its share of the duration: PostgreSQL drifts over a run (its caches, autovacuum, the
  // machine's neighbours), and a ratio of figures taken minutes apart would carry that drift.
  const q = wanted.has('q') ? await startBaseline('Q', 'baseline-q.mjs', { DATABASE_URL: benchUrl.href, BASELINE_POOL_SIZE: '16' }) : null;
  const rounds = [
    q && [{ key: 'q', label: 'Q  bare node:http + pg, plans query', path: '/' }, q],
    wanted.has('companies') && [{ key: 'companies', label: 'Berth GET /api/v1/companies/', path: '/api/v1/companies/', headers: auth }, berth],
    wanted.has('plans') && [{ key: 'plans', label: 'Berth GET /api/v1/{company_id}/plans/', path: `/api/v1/${companyId}/plans/`, headers: auth }, berth],
  ].filter(Boolean);
  // Each server settles first (see settle()): what is measured is a server that has been
  // answering for a while, as one in production has, not its JIT's first seconds.
  const settled = {};
  if (settings.settle > 0) for (const [fig, server] of rounds) settled[fig.key] = await settle(fig, server, run, settings.settle);
  const parts = {};
  const share = settings.duration / settings.rounds;
  // A round (one turn of every figure) in which something outside the benchmark took more than
  // NOISY_PCT of a core during any figure (on this VM: the hypervisor's steal) is measured again,
  // the whole turn, so that Q and the reads stay measured side by side; at most `rounds` times in
  // a run. What was measured again is printed and kept in the JSON (noisy_rounds_measured_again).
  const again = [];
  for (let round = 0; round < settings.rounds; round++) {
    // The order turns each round (Q, companies, plans; companies, plans, Q; ...), so that no figure
    // always follows the same one: what a figure leaves behind (connections idling out, statistics
    // flushed late) lands on whichever comes next.
    const order = rounds.map((_, i) => rounds[(i + round) % rounds.length]);
    const turn = {};
    for (const [fig, server] of order) {
      // Each round warms up again (a second after the first): a pool idle through the other figures
      // has closed connections, and opening them again belongs to no figure.
      const roundRun = { ...run, settings: { ...settings, duration: share, warmup: round === 0 ? settings.warmup : Math.min(1, settings.warmup) } };
      turn[fig.key] = await measure({ ...fig, label: `${fig.label} (${round + 1}/${settings.rounds})` }, server, roundRun);
    }
    const noisy = Object.values(turn).filter((p) => p.noisy);
    if (noisy.length && again.length < settings.rounds) {
      again.push({ round: round + 1, other_pct: Object.fromEntries(Object.entries(turn).map(([k, p]) => [k, p.cpu?.other_pct ?? null])), steal_pct: Object.fromEntries(Object.entries(turn).map(([k, p]) => [k, p.cpu?.steal_pct ?? null])) });
      log(`  round ${round + 1} is measured again: other processes took more than ${NOISY_PCT}% of a core during ${noisy.map((p) => p.key).join(', ')}`);
      round -= 1;
      continue;
    }
    for (const [key, part] of Object.entries(turn)) (parts[key] ??= []).push(part);
  }
  for (const [key, list] of Object.entries(parts)) results[key] = { ...combine(list), settled: settled[key] ?? null };
  if (q) await stopChild(q.child);
  if (wanted.has('version')) {
    results.version = await measure({ key: 'version', label: 'Berth GET /api/v1/version', path: '/api/v1/version' }, berth, run);
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

  const json = { ...resultsJson({ valid, problems, started, pgVersion, loadAtStart, settings, nonStandard, rows }), noisy_rounds_measured_again: again };
  log('--- results JSON ---');
  log(JSON.stringify(json, null, 2));
  return valid;
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

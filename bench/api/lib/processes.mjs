// The benchmark run's resources, and the guarantee that none outlives it: the throw-away
// database berth_bench_<random>, the private memory-only redis-server, Berth and the
// baselines as child processes, and Berth's log file under the OS temp dir.
// cleanup() always stops every child and drops the database; installCleanup() makes it
// run on SIGINT, SIGTERM, an uncaught error and the run's time limit too.

import { fork, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

export const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const HERE = fileURLToPath(new URL('..', import.meta.url)); // bench/api/, where the baselines live
const MAIN = path.join(ROOT, 'dist/src/main.js');
export const HOST = '127.0.0.1';

// ---------------------------------------------------------------- run state + cleanup

const adminUrl = new URL(process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/berth');
export const dbName = `berth_bench_${randomBytes(5).toString('hex')}`;
export const benchUrl = new URL(adminUrl);
benchUrl.pathname = `/${dbName}`;
adminUrl.pathname = '/postgres';
export const logPath = path.join(os.tmpdir(), `${dbName}.log`);
// Berth's RELEASES_DIR for the run: an API checks the archive copies there against its database,
// and the bench's database is not that of the installation whose copies the default one holds.
const releasesDir = path.join(os.tmpdir(), `${dbName}-releases`);

const children = new Set(); // { name, proc }
let dbCreated = false;
let monitor = null; // pg client on the admin database, to list our backends
let cleaning = null;
let keepLog = false; // keep Berth's log even when the run was valid
let stopLoad = () => {}; // stops the load generator, if one is running
export const problems = []; // anything that makes the run invalid

export async function stopChild(child, graceMs = 5000) {
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

export function cleanup() {
  cleaning ??= (async () => {
    try {
      stopLoad();
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
    fs.rmSync(releasesDir, { recursive: true, force: true });
    const keep = keepLog || problems.length > 0;
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

/**
 * Cleans up on SIGINT (exit 130), SIGTERM (143), an uncaught error or after limitMs (1).
 * keepLog: keep Berth's log even for a valid run; stopLoad: stops the running load generator.
 */
export function installCleanup(options) {
  keepLog = options.keepLog;
  stopLoad = options.stopLoad;
  process.on('SIGINT', () => void abort('interrupted (SIGINT)', 130));
  process.on('SIGTERM', () => void abort('terminated (SIGTERM)', 143));
  process.on('uncaughtException', (err) => void abort(`uncaught exception: ${err.stack ?? err}`, 1));
  process.on('unhandledRejection', (err) => void abort(`unhandled rejection: ${err?.stack ?? err}`, 1));
  // Last resort if the process exits without cleanup having finished: no orphan servers.
  process.on('exit', () => {
    for (const { proc } of children) proc.kill('SIGKILL');
  });
  setTimeout(() => void abort(`run exceeded ${options.limitMs / 1000} s`, 1), options.limitMs).unref();
}

// ---------------------------------------------------------------- the throw-away database

/** Creates this run's database; returns the PostgreSQL server version. */
export async function createDatabase() {
  const admin = new pg.Client({ connectionString: adminUrl.href });
  await admin.connect();
  const pgVersion = (await admin.query('SHOW server_version')).rows[0].server_version;
  await admin.query(`CREATE DATABASE "${dbName}"`);
  dbCreated = true;
  monitor = admin; // stays open (idle) to list this run's backends for the CPU accounting
  return pgVersion;
}

/** The pids of the PostgreSQL backends serving this run's database. */
export async function backendPids() {
  if (!monitor) return [];
  const { rows } = await monitor.query('SELECT pid FROM pg_stat_activity WHERE datname = $1', [dbName]);
  return rows.map((r) => r.pid);
}

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

// ---------------------------------------------------------------- servers

export async function startBaseline(name, file, env = {}) {
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
export async function startRedis() {
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

/**
 * Starts Berth (BERTH_ROLES=api, migrating this run's database, logging to logPath) and
 * waits until it is healthy. Builds dist/ first when it is missing or `build` is set.
 * options: { logLevel, poolSize, nodeArgs, build }
 */
export async function startBerth(redisUrl, options) {
  if (!fs.existsSync(MAIN) || options.build) {
    console.log('building Berth (npx nest build) ...');
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
    // Requests are counted per token as in production, against a limit no run reaches: the
    // limiter's cost (a Redis reservation per 50 requests) is in every figure.
    RATE_LIMIT_PER_MINUTE: '100000000',
    LOG_LEVEL: options.logLevel,
    BERTH_ROLES: 'api',
    MIGRATIONS_RUN: 'true',
    RELEASES_DIR: releasesDir,
  };
  delete env.DATABASE_POOL_SIZE;
  if (options.poolSize) env.DATABASE_POOL_SIZE = options.poolSize;
  const out = fs.openSync(logPath, 'w');
  const nodeArgs = options.nodeArgs ? options.nodeArgs.split(/\s+/).filter(Boolean) : [];
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

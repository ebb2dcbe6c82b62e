// Shared by the benchmarks that need a whole Berth installation (provision, ssh, edge, config, deploy):
// a throw-away database, Berth processes with roles of their own, its Docker objects
// under a prefix of the run's own, and the guarantee that all of it is gone when the
// run ends: normally, on error, on SIGINT/SIGTERM, or at the run's time limit.

import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { removeRedisKeys } from './redis-keys.mjs';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);
// Berth's default VOLUMES_DIR, where apps' /srv images live.
const VOLUMES_DIR = '/var/lib/berth/volumes';
// Berth's default RELEASES_DIR: this host's copies of release archives, one directory per installation (its name prefix).
const RELEASES_DIR = '/var/lib/berth/releases';

export async function sh(cmd, args, options = {}) {
  return (await run(cmd, args, { timeout: 120_000, maxBuffer: 64 * 1024 * 1024, ...options })).stdout.trim();
}
export const docker = (...args) => sh('docker', args);

const adminUrl = new URL(process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres');
adminUrl.pathname = '/postgres';

const cleanups = [];
let cleaning = null;

/** Registers work that must run when the benchmark ends, whatever the reason (last registered runs first). */
export function onCleanup(fn) {
  cleanups.unshift(fn);
}

export function cleanup() {
  cleaning ??= (async () => {
    for (const fn of cleanups) await Promise.resolve().then(fn).catch((err) => console.error(`bench: cleanup: ${err.message}`));
    removeLogs();
  })();
  return cleaning;
}

// Berth's logs (one file per process startBerth started): deleted at the end of a run that got its
// figures, kept (and named) otherwise or with BENCH_KEEP_LOGS=1.
const logFiles = [];
let gotFigures = false;

/** The run got its figures: Berth's logs are not needed any more. */
export function runSucceeded() {
  gotFigures = true;
}

/** The logs of the Berth processes started so far, and whether the run got its figures. */
export function berthLogs() {
  return { files: [...logFiles], succeeded: gotFigures };
}

function removeLogs() {
  if (logFiles.length === 0) return;
  if (gotFigures && process.env.BENCH_KEEP_LOGS !== '1') logFiles.forEach((file) => fs.rmSync(file, { force: true }));
  else console.error(`bench: Berth's logs are kept: ${logFiles.join(' ')}`);
}

/** Cleans up on signals, uncaught errors and after `limitMs`, then exits. */
export function installCleanup(limitMs) {
  const bail = (why, code) => {
    console.error(`bench: ${why}; cleaning up`);
    cleanup().finally(() => process.exit(code));
  };
  process.once('SIGINT', () => bail('interrupted', 130));
  process.once('SIGTERM', () => bail('terminated', 143));
  process.once('uncaughtException', (err) => bail(`error: ${err.stack ?? err}`, 1));
  process.once('unhandledRejection', (err) => bail(`error: ${err?.stack ?? err}`, 1));
  setTimeout(() => bail(`time limit of ${limitMs / 1000} s reached`, 2), limitMs).unref();
}

/** A fresh database, dropped at cleanup. */
export async function createDatabase(label) {
  const name = `berth_bench_${label}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl.href });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  onCleanup(async () => {
    const c = new pg.Client({ connectionString: adminUrl.href });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await c.end();
  });
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.href;
}

export async function query(url, sql, params = []) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows;
  } finally {
    await client.end();
  }
}

/** Environment for one installation of the run: its database, queues, Docker names and ports. */
export function installationEnv(databaseUrl, ports) {
  const id = randomBytes(3).toString('hex');
  const prefix = `bbench${id}`;
  const redisUrl = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
  onCleanup(() => removeInstallation(prefix));
  onCleanup(() => removeRedisKeys(redisUrl, `berth-bench-${id}`));
  return {
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    QUEUE_PREFIX: `berth-bench-${id}`,
    // Benchmarks drive one token far past any per-token limit.
    RATE_LIMIT_PER_MINUTE: '0',
    RATE_LIMIT_DEPLOYS_PER_MINUTE: '0',
    DOCKER_NAME_PREFIX: prefix,
    APP_PORTS: ports.apps,
    SSH_PORTS: ports.ssh,
    // An apps network of the run's own (subnets may not overlap); the database servers
    // listen on the machine's own apps gateway (scripts/storage-network.sh).
    APPS_SUBNET: `10.212.${randomBytes(1)[0]}.0/24`,
    STORAGE_PGSQL_ADDRESS: '10.210.0.1',
    STORAGE_MARIADB_ADDRESS: '10.210.0.1',
    APPS_PER_COMPANY: '1000',
    REGISTRATIONS_PER_IP: '0',
    LOG_LEVEL: 'warn',
    // bench/edge turns the edge on with ports of its own; the others reach apps on their published ports.
    EDGE_ROUTER: 'off',
  };
}

export async function removeInstallation(prefix) {
  const filter = `label=berth.installation=${prefix}`;
  const ids = (await docker('ps', '-aq', '--filter', filter)).split('\n').filter(Boolean);
  if (ids.length) await docker('rm', '-f', ...ids).catch(() => undefined);
  const volumes = (await docker('volume', 'ls', '-q', '--filter', filter)).split('\n').filter(Boolean);
  if (volumes.length) await docker('volume', 'rm', '-f', ...volumes).catch(() => undefined);
  const networks = (await docker('network', 'ls', '-q', '--filter', filter)).split('\n').filter(Boolean);
  if (networks.length) await docker('network', 'rm', ...networks).catch(() => undefined);
  // Apps' /srv images (DISK_QUOTA=loop): unmounted and deleted.
  const mounts = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4]);
  for (const point of mounts.filter((m) => m?.startsWith(`${VOLUMES_DIR}/${prefix}-`))) await sh('umount', ['-l', point]).catch(() => undefined);
  const entries = fs.existsSync(VOLUMES_DIR) ? fs.readdirSync(VOLUMES_DIR) : [];
  for (const entry of entries.filter((e) => e.startsWith(`${prefix}-`))) fs.rmSync(path.join(VOLUMES_DIR, entry), { recursive: true, force: true });
  // This host's copies of the release archives of apps the run did not delete.
  fs.rmSync(path.join(RELEASES_DIR, prefix), { recursive: true, force: true });
}

/**
 * Environment for an edge of the run's own: Berth's edge role starts a Caddy listening on the
 * loopback `ports` ({http, https, admin}), with Caddy's internal CA and its data in a temporary
 * directory that goes at cleanup (after Berth, and with it Caddy, has stopped).
 */
export function edgeEnv(ports) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-bench-caddy-'));
  onCleanup(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  return {
    EDGE_ROUTER: 'caddy',
    CADDY_ADMIN_URL: `http://127.0.0.1:${ports.admin}`,
    EDGE_HTTP_PORT: String(ports.http),
    EDGE_HTTPS_PORT: String(ports.https),
    EDGE_LISTEN_ADDRESS: '127.0.0.1',
    ACME_CA: 'internal',
    CADDY_DATA_DIR: dataDir,
  };
}

/**
 * `GET path` on the edge's HTTP port of loopback with `Host: host`, as a browser asking for an
 * app's domain would (fetch will not send a Host header of the caller's choosing).
 * Resolves with the status and the body as text.
 */
export function edgeGet(port, host, { path: urlPath = '/', agent, timeoutMs = 1000 } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: urlPath, headers: { host }, agent, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

// How long a Berth process gets to stop on SIGTERM at cleanup before it is killed.
const STOP_GRACE_MS = 20_000;

/** Starts `dist/src/main.js` with `roles`; resolves once it logs that it started. */
export async function startBerth(env, roles, logName) {
  const main = path.join(ROOT, 'dist/src/main.js');
  if (!fs.existsSync(main)) throw new Error('dist/src/main.js is missing: run `npm run build` first');
  const logFile = path.join(process.env.TMPDIR || '/tmp', `${env.QUEUE_PREFIX}-${logName}.log`);
  logFiles.push(logFile);
  const log = fs.createWriteStream(logFile);
  const proc = spawn(process.execPath, [main], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOST: '127.0.0.1', PORT: '0', ...env, BERTH_ROLES: roles, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  onCleanup(async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGTERM');
    // A process that does not stop (a job it waits for that will not end) must not hold up the cleanup for ever.
    let timer;
    const stopped = await Promise.race([exited.then(() => true), new Promise((r) => (timer = setTimeout(() => r(false), STOP_GRACE_MS)))]);
    clearTimeout(timer);
    if (stopped) return;
    console.error(`bench: berth (${roles}, pid ${proc.pid}) still running ${STOP_GRACE_MS / 1000} s after SIGTERM: SIGKILL`);
    proc.kill('SIGKILL');
    await exited;
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`berth (${roles}) did not start in 60 s`)), 60_000);
    const onData = (chunk) => {
      log.write(chunk);
      if (output.length < 1e6) output += chunk;
      if (/"msg":"berth started"/.test(output)) {
        clearTimeout(timer);
        const url = /"api":"(http:\/\/[^"]+)"/.exec(output)?.[1];
        proc.stdout.removeAllListeners('data');
        proc.stdout.on('data', (c) => log.write(c));
        resolve({ proc, pid: proc.pid, url: url ? `${url}/api/v1` : null });
      }
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', (c) => log.write(c));
    proc.once('exit', (code) => reject(new Error(`berth (${roles}) exited with ${code}:\n${output.slice(-2000)}`)));
  });
}

export async function api(base, method, url, token, body) {
  const response = await fetch(`${base}${url}`, {
    method,
    headers: { ...(token ? { authorization: `Token ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = await response.json().catch(() => null);
  if (response.status !== 200) throw new Error(`${method} ${url}: ${response.status} ${JSON.stringify(json)}`);
  return json;
}

export async function registerAccount(base) {
  const email = `bench-${randomBytes(4).toString('hex')}@example.test`;
  const { token, company } = await api(base, 'POST', '/auth/register/', null, { email, password: 'benchmark password', name: 'Bench' });
  return { token, companyId: company.id };
}

export async function waitForOperation(base, account, id, ms = 120_000) {
  const until = Date.now() + ms;
  for (;;) {
    const op = await api(base, 'GET', `/${account.companyId}/operations/${id}/`, account.token);
    if (op.status === 'success') return op;
    if (op.status === 'error') throw new Error(`operation ${id} failed: ${op.message}`);
    if (Date.now() > until) throw new Error(`operation ${id} still ${op.status} after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Polls `url` every `everyMs` until it answers 200; resolves with the time it did (performance.now()). */
export async function firstOk(url, ms = 60_000, everyMs = 20) {
  const until = Date.now() + ms;
  for (;;) {
    const answer = await fetch(url, { signal: AbortSignal.timeout(1000) }).catch(() => null);
    await answer?.body?.cancel();
    if (answer?.status === 200) return performance.now();
    if (Date.now() > until) throw new Error(`${url} gave no 200 within ${ms} ms`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Resident memory of a process, MB (from /proc). */
export function rssMb(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)[1]) / 1024;
}

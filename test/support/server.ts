import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { removeRedisKeys } from '../../bench/lib/redis-keys.mjs';
import { REDIS_URL } from './services.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface BerthProcess {
  url: string;
  process: ChildProcess;
  logs: () => string;
  /** Logs are written in batches: wait until a line matching `pattern` has arrived. */
  waitForLog(pattern: RegExp, ms?: number): Promise<string>;
  stop(): Promise<void>;
  /** Whether the process still runs, and its last warnings and errors: what a failed test's message should carry. */
  describe(): string;
}

/** The last `count` lines at warn level or above, and any line that is not a log record (a crash's stack trace). */
function troubles(output: string, count = 25): string[] {
  const lines = output.split('\n').filter((line) => {
    if (!line.trim()) return false;
    const level = /^\{"level":(\d+)/.exec(line)?.[1];
    return level === undefined || Number(level) >= 40;
  });
  return lines.slice(-count).map((line) => (line.length > 400 ? `${line.slice(0, 400)}…` : line));
}

/** Starts the built server (`dist/src/main.js`) as its own process on a free port, as an operator would. */
/** `wrap`: a command Berth runs under (it gets node and its arguments appended), as `unshare ...`. */
export async function startBerth(env: Record<string, string>, wrap: string[] = []): Promise<BerthProcess> {
  const [command, ...args] = [...wrap, process.execPath, 'dist/src/main.js'];
  // Never the machine's own RELEASES_DIR: an API or a worker checks the archive copies there
  // against its database, and a test's database is not the installation's that keeps them.
  const releasesDir = env.RELEASES_DIR ? null : mkdtempSync(join(tmpdir(), 'berth-releases-'));
  // A prefix of its own unless the test shares one between processes: its keys go when it stops.
  const ownPrefix = env.QUEUE_PREFIX ? null : `berth-test-${randomBytes(4).toString('hex')}`;
  const child = spawn(command, args, {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOST: '127.0.0.1',
      PORT: '0',
      REDIS_URL,
      BERTH_ROLES: 'api',
      LOG_LEVEL: 'info',
      // Every test client comes from 127.0.0.1; per-address limits are tested on their own.
      LOGIN_FAILURES_PER_IP: '0',
      REGISTRATIONS_PER_IP: '0',
      // Test clients make many requests with one token; per-token limits are tested on their own.
      RATE_LIMIT_PER_MINUTE: '0',
      RATE_LIMIT_DEPLOYS_PER_MINUTE: '0',
      // Test files run in parallel against one Redis: each server gets queues of its own.
      ...(ownPrefix ? { QUEUE_PREFIX: ownPrefix } : {}),
      ...(releasesDir ? { RELEASES_DIR: releasesDir } : {}),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    // Generous: a loaded CI machine runs several test files' servers and containers at once.
    const timer = setTimeout(() => reject(new Error(`berth did not start within 60 s:\n${output}`)), 60_000);
    let started = false;
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (!started && /"msg":"berth started"/.test(output)) {
        started = true;
        clearTimeout(timer);
        // A process without the api role listens nowhere: its url stays empty.
        resolve(/"api":"(http:\/\/[^"]+)".*"msg":"berth started"/.exec(output)?.[1] ?? '');
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (releasesDir) rmSync(releasesDir, { recursive: true, force: true });
      // Once started, stop() removes its keys.
      if (started) return;
      // A process that refused to start may have made its queues' keys first.
      const removed = ownPrefix ? removeKeys(env.REDIS_URL ?? REDIS_URL, ownPrefix) : Promise.resolve();
      void removed.then(() => reject(new Error(`berth exited with ${code} before starting:\n${output}`)));
    });
  });
  return {
    url: `${url}/api/v1`,
    process: child,
    logs: () => output,
    waitForLog: async (pattern, ms = 3000) => {
      const until = Date.now() + ms;
      while (!pattern.test(output)) {
        if (Date.now() > until) throw new Error(`no log line matching ${pattern} within ${ms} ms`);
        await new Promise((r) => setTimeout(r, 50));
      }
      return output;
    },
    describe: () => {
      const state = child.exitCode !== null || child.signalCode !== null ? `exited (${child.signalCode ?? `code ${child.exitCode}`})` : `running (pid ${child.pid})`;
      const lines = troubles(output);
      return `the Berth process is ${state}; ${lines.length ? `its last warnings:\n${lines.join('\n')}` : 'it logged no warning'}`;
    },
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await once(child, 'exit');
      }
      if (releasesDir) rmSync(releasesDir, { recursive: true, force: true });
      if (ownPrefix) await removeKeys(env.REDIS_URL ?? REDIS_URL, ownPrefix);
    },
  };
}

/** Deletes a stopped process's Redis keys (queues, logs, caches): tests leave nothing in the machine's Redis. */
export async function removeKeys(url: string, prefix: string): Promise<void> {
  // A test's own Redis may be gone by now: then there is nothing to remove.
  await removeRedisKeys(url, prefix).catch(() => undefined);
}

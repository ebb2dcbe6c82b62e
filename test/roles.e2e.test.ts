import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client } from './support/http.js';
import { removeKeys, ROOT, startBerth } from './support/server.js';
import { createTestDatabase, REDIS_URL, TestDatabase } from './support/services.js';

let db: TestDatabase;
// The processes runUntil starts share a queue prefix of this file's own, not the machine's `berth`.
const prefix = `berth-test-roles-${randomBytes(4).toString('hex')}`;
beforeAll(async () => {
  db = await createTestDatabase('roles');
});
afterAll(async () => {
  await removeKeys(REDIS_URL, prefix);
  await db?.drop();
});

/** Runs the server until it logs `until` or exits; returns its output and exit code. */
function runUntil(env: Record<string, string>, until: RegExp): Promise<{ output: string; code: number | null }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['dist/src/main.js'], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', REDIS_URL, QUEUE_PREFIX: prefix, ...env } });
    let output = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (until.test(output)) child.kill('SIGTERM');
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ output, code });
    });
  });
}

describe('one build, several roles', () => {
  it('runs every role in one process by default', async () => {
    const berth = await startBerth({ DATABASE_URL: db.url, BERTH_ROLES: '' });
    try {
      expect(berth.logs()).toMatch(/"roles":\["api","worker","ssh","edge"\]/);
      expect((await client(berth.url).get('/health')).status).toBe(200);
      // One process, one label: not "api" on some lines and "worker,ssh,edge" on the API's others.
      const labels = new Set([...berth.logs().matchAll(/"role":"([^"]*)"/g)].map((m) => m[1]));
      expect([...labels]).toEqual(['api,worker,ssh,edge']);
    } finally {
      await berth.stop();
    }
  });

  it('runs a background role without an HTTP listener', async () => {
    const { output, code } = await runUntil({ DATABASE_URL: db.url, BERTH_ROLES: 'worker', PORT: '0' }, /berth started/);
    expect(output).toMatch(/"roles":\["worker"\]/);
    expect(output).not.toMatch(/Server listening/);
    expect(code).toBe(0);
  });

  it('refuses to start on invalid configuration, naming each variable', async () => {
    const { output, code } = await runUntil({ DATABASE_URL: 'mysql://x', PORT: 'abc', BERTH_ROLES: 'api,mailer' }, /$^/);
    expect(code).toBe(2);
    expect(output).toMatch(/BERTH_ROLES/);
    expect(output).toMatch(/PORT must be a whole number/);
    expect(output).toMatch(/DATABASE_URL must be a postgres/);
  });
});

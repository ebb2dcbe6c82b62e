import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, Client, register } from './support/http.js';
import { freePort, startRedis, stopRedis } from './support/private-redis.js';
import { BerthProcess, startBerth } from './support/server.js';
import { adminQuery, createTestDatabase, TestDatabase } from './support/services.js';

async function eventually(check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 200));
  }
}

let db: TestDatabase;
let berth: BerthProcess;
let api: Client;
let redis: ChildProcess;
let redisPort: number;

beforeAll(async () => {
  db = await createTestDatabase('health');
  redisPort = await freePort();
  redis = await startRedis(redisPort);
  berth = await startBerth({ DATABASE_URL: db.url, REDIS_URL: `redis://127.0.0.1:${redisPort}` });
  api = client(berth.url);
});
afterAll(async () => {
  await berth?.stop();
  if (redis) await stopRedis(redis);
  await adminQuery(`ALTER DATABASE ${db.name} WITH ALLOW_CONNECTIONS true`).catch(() => undefined);
  await db?.drop();
});

describe('health', () => {
  it('reports ok with database and redis up, without a token', async () => {
    const answer = await api.get('/health');
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ status: 'ok', checks: { database: { status: 'up' }, redis: { status: 'up' } } });
    expect(answer.body.version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('answers 503 naming redis when Redis is down, and recovers when it is back', async () => {
    await stopRedis(redis);
    const down = await api.get('/health');
    expect(down.status).toBe(503);
    expect(down.body).toMatchObject({ status: 'unavailable', checks: { database: { status: 'up' }, redis: { status: 'down' } } });
    expect(down.body.checks.redis.message).toBeTruthy();

    redis = await startRedis(redisPort);
    await eventually(async () => (await api.get('/health')).status === 200);
  });

  it('answers 503 naming the database when PostgreSQL refuses, and other routes 503 unavailable', async () => {
    const { token, company } = await register(api);
    const fresh = await api.post('/tokens/', { token, body: { name: 'uncached' } });
    await adminQuery(`ALTER DATABASE ${db.name} WITH ALLOW_CONNECTIONS false`);
    await adminQuery('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [db.name]);
    try {
      await eventually(async () => (await api.get('/health')).status === 503);
      const down = await api.get('/health');
      expect(down.body.checks).toMatchObject({ database: { status: 'down' }, redis: { status: 'up' } });
      await new Promise((r) => setTimeout(r, 1100)); // let cached tokens age out
      const read = await api.get(`/${company.id}/plans/`, { token: fresh.body.token });
      expect(read.status).toBe(503);
      expect(read.body).toMatchObject({ code: 'unavailable', errors: {} });
    } finally {
      await adminQuery(`ALTER DATABASE ${db.name} WITH ALLOW_CONNECTIONS true`);
    }
    await eventually(async () => (await api.get('/health')).status === 200);
    expect((await api.get(`/${company.id}/plans/`, { token: fresh.body.token })).status).toBe(200);
  });

  it('starts while Redis is down, reporting it, and serves what needs no Redis', async () => {
    const nowhere = await freePort();
    const degraded = await startBerth({ DATABASE_URL: db.url, MIGRATIONS_RUN: 'false', REDIS_URL: `redis://127.0.0.1:${nowhere}` });
    try {
      const other = client(degraded.url);
      const health = await other.get('/health');
      expect(health.status).toBe(503);
      expect(health.body.checks).toMatchObject({ database: { status: 'up' }, redis: { status: 'down' } });
      const { token } = await register(api);
      expect((await other.get('/companies/', { token })).status).toBe(200);
      // Login counts failures in Redis: without it, it refuses with 503 rather than going unprotected.
      const login = await other.post('/auth/login/', { body: { email: 'x@example.test', password: 'whatever it is' } });
      expect(login.status).toBe(503);
      expect(login.body.code).toBe('unavailable');
    } finally {
      await degraded.stop();
    }
  });

  it('stops on SIGTERM within SHUTDOWN_TIMEOUT_MS when Redis is gone, which its queues would wait for for ever', async () => {
    const port = await freePort();
    const own = await startRedis(port);
    const worker = await startBerth({ DATABASE_URL: db.url, MIGRATIONS_RUN: 'false', REDIS_URL: `redis://127.0.0.1:${port}`, BERTH_ROLES: 'api,worker', SHUTDOWN_TIMEOUT_MS: '3000' });
    await stopRedis(own);
    await new Promise((r) => setTimeout(r, 500));
    const began = Date.now();
    worker.process.kill('SIGTERM');
    const [code] = await once(worker.process, 'exit');
    expect(Date.now() - began).toBeLessThan(10_000);
    expect(code).toBe(1);
    expect(worker.logs()).toMatch(/berth did not stop within SHUTDOWN_TIMEOUT_MS: exiting anyway/);
    // Exited already: this removes what it was given (its releases directory).
    await worker.stop();
  });

  it('exposes a trivial public version route', async () => {
    const answer = await api.get('/version/');
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ name: 'berth', version: expect.any(String) });
  });
});

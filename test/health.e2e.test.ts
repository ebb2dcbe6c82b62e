import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, Client, register } from './support/http.js';
import { BerthProcess, startBerth } from './support/server.js';
import { adminQuery, createTestDatabase, TestDatabase } from './support/services.js';

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  return port;
}

/** A Redis of the test's own, so it can be stopped without disturbing anything else. */
async function startRedis(port: number): Promise<ChildProcess> {
  const redis = spawn('redis-server', ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  for (let i = 0; i < 50; i++) {
    const probe = await fetch(`http://127.0.0.1:${port}`).catch((e) => e);
    // Redis answers HTTP with a protocol error; a refused connection means not yet.
    if (!String(probe?.cause?.code ?? '').includes('ECONNREFUSED')) return redis;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('redis did not start');
}

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
  redis?.kill('SIGKILL');
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
    redis.kill('SIGKILL');
    await once(redis, 'exit');
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

  it('exposes a trivial public version route', async () => {
    const answer = await api.get('/version/');
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ name: 'berth', version: expect.any(String) });
  });
});

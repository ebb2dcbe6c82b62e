import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { once } from 'node:events';
import { createServer, connect, Server, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, register, waitForOperation } from './support/http.js';
import { BerthProcess, removeKeys, startBerth } from './support/server.js';
import { dockerEnv } from './support/docker.js';
import { createTestDatabase, REDIS_URL, TestDatabase } from './support/services.js';
import { dropStoragesOnServers, mariadb } from './support/storage-clients.js';

/** A TCP relay to the real MariaDB that the test can switch off and on: the server "goes down". */
class SwitchableRelay {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  port = 0;

  async up(): Promise<void> {
    this.server = createServer((inbound) => {
      const outbound = connect(3306, '127.0.0.1');
      for (const s of [inbound, outbound]) {
        this.sockets.add(s);
        s.on('error', () => undefined).on('close', () => this.sockets.delete(s));
      }
      inbound.pipe(outbound).pipe(inbound);
    });
    this.server.listen(this.port, '127.0.0.1');
    await once(this.server, 'listening');
    this.port = (this.server.address() as { port: number }).port;
  }

  async down(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise((r) => this.server?.close(r));
  }
}

const relay = new SwitchableRelay();
let db: TestDatabase;
let berth: BerthProcess;

beforeAll(async () => {
  await relay.up();
  db = await createTestDatabase('storage_faults');
  berth = await startBerth({
    DATABASE_URL: db.url,
    BERTH_ROLES: 'api,worker',
    STORAGE_MARIADB_URL: `mysql://root@127.0.0.1:${relay.port}`,
    JOB_ATTEMPTS: '3',
    JOB_BACKOFF_MS: '400',
  });
});
afterAll(async () => {
  await berth?.stop();
  if (db) await dropStoragesOnServers((sql) => db.query(sql));
  await relay.down().catch(() => undefined);
  await db?.drop();
});

describe('a database server that is down', () => {
  it('ends the operation in error after the retries, with a message, and leaves nothing behind', async () => {
    const api = client(berth.url);
    const { token, company } = await register(api);
    await relay.down();
    try {
      const created = await api.post(`/${company.id}/storages/`, { token, body: { type: 'mariadb', password: 'Down-server-pass1' } });
      expect(created.status).toBe(200);
      const op = await waitForOperation(api, token, company.id, created.body.operation_id);
      expect(op.status).toBe('error');
      expect(op.message).toMatch(/failed after 3 tries: .*(ECONNREFUSED|connect)/i);
      const storage = await api.get(`/${company.id}/storages/${created.body.id}/`, { token });
      expect(storage.body.status).toBe('error');
      // Nothing reached the server, so nothing is there.
      await expect(mariadb('root', '', 'mysql', `SELECT COUNT(*) FROM mysql.user WHERE User = '${created.body.username}'`)).resolves.toBe('0');
    } finally {
      await relay.up();
    }
  });

  it('retries a failed try, and succeeds once the server is back', async () => {
    const api = client(berth.url);
    const { token, company } = await register(api);
    await relay.down();
    const created = await api.post(`/${company.id}/storages/`, { token, body: { type: 'mariadb', password: 'Comes-back-pass1' } });
    // Wait until the first try has failed and a retry is scheduled, then bring the server back.
    for (let i = 0; ; i++) {
      const op = await api.get(`/${company.id}/operations/${created.body.operation_id}/`, { token });
      if (/will retry/.test(op.body.message)) break;
      if (i > 100) throw new Error(`no retry scheduled: ${op.text}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    await relay.up();
    const op = await waitForOperation(api, token, company.id, created.body.operation_id);
    expect(op.status, op.message).toBe('success');
    expect(await mariadb(created.body.username, 'Comes-back-pass1', created.body.name, 'SELECT 1')).toBe('1');

    const deleted = await api.delete(`/${company.id}/storages/${created.body.id}/`, { token });
    expect((await waitForOperation(api, token, company.id, deleted.body.operation_id)).status).toBe('success');
  });
});

describe('a create that fails half-way', () => {
  it('removes the user and database it made before ending in error', async () => {
    // An admin that may create databases and users but not grant: ensure() gets as far as
    // the GRANT, then fails on every try, leaving a database and a user to clean up.
    const admin = `berth_ltd_${Date.now().toString(36)}`;
    await mariadb('root', '', 'mysql', `CREATE USER '${admin}'@'127.0.0.1' IDENTIFIED BY 'Ltd-admin-pass1'; GRANT CREATE, DROP, CREATE USER, SELECT, PROCESS ON *.* TO '${admin}'@'127.0.0.1'`);
    const limited = await startBerth({
      DATABASE_URL: db.url,
      MIGRATIONS_RUN: 'false',
      BERTH_ROLES: 'api,worker',
      STORAGE_MARIADB_URL: `mysql://${admin}:Ltd-admin-pass1@127.0.0.1:3306`,
      JOB_ATTEMPTS: '2',
      JOB_BACKOFF_MS: '100',
    });
    try {
      const api = client(limited.url);
      const { token, company } = await register(api);
      const created = await api.post(`/${company.id}/storages/`, { token, body: { type: 'mariadb', password: 'Half-way-pass-1' } });
      const op = await waitForOperation(api, token, company.id, created.body.operation_id);
      expect(op.status).toBe('error');
      expect(op.message).toMatch(/failed after 2 tries: .*denied/i);
      const name = created.body.name;
      expect(await mariadb('root', '', 'mysql', `SELECT COUNT(*) FROM mysql.user WHERE User = '${name}'`)).toBe('0');
      expect(await mariadb('root', '', 'mysql', `SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '${name}'`)).toBe('0');
      expect((await api.get(`/${company.id}/storages/${created.body.id}/`, { token })).body.status).toBe('error');
    } finally {
      await limited.stop();
      await mariadb('root', '', 'mysql', `DROP USER IF EXISTS '${admin}'@'127.0.0.1'`);
    }
  });
});

describe('a job queue that is down', () => {
  it('answers 503 and records nothing', async () => {
    const noRedis = await startBerth({ DATABASE_URL: db.url, MIGRATIONS_RUN: 'false', REDIS_URL: 'redis://127.0.0.1:1' });
    try {
      const api = client(noRedis.url);
      const { token, company } = await register(client(berth.url));
      const answer = await api.post(`/${company.id}/storages/`, { token, body: { type: 'pgsql', password: 'No-queue-pass-1' } });
      expect(answer.status).toBe(503);
      expect(answer.body.code).toBe('unavailable');
      expect((await api.get(`/${company.id}/storages/`, { token })).body).toEqual([]);
      const active = await db.query(`SELECT count(*)::int AS n FROM operations WHERE company_id = $1 AND status IN ('pending', 'running')`, [company.id]);
      expect(active.rows[0].n).toBe(0);
    } finally {
      await noRedis.stop();
    }
  });
});

describe('a job that disappeared from the queue', () => {
  it('ends its operation as lost, saying what to do, and marks the new storage in error', async () => {
    // An API alone queues the job; nothing takes it until the worker below starts.
    const prefix = `berth-test-lost-${Date.now().toString(36)}`;
    const apiOnly = await startBerth({ DATABASE_URL: db.url, MIGRATIONS_RUN: 'false', BERTH_ROLES: 'api', QUEUE_PREFIX: prefix });
    const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    const queue = new Queue('storages', { connection: redis, prefix });
    let worker: BerthProcess | undefined;
    try {
      const api = client(apiOnly.url);
      const { token, company } = await register(api);
      const created = await api.post(`/${company.id}/storages/`, { token, body: { type: 'pgsql', password: 'Lost-job-pass-1' } });
      expect(created.status).toBe(200);
      const opId = created.body.operation_id;
      // Redis loses the job, and the operation is older than the sweep's margin for slow starts.
      expect(await queue.getJob(`op-${opId}`)).toBeTruthy();
      await queue.remove(`op-${opId}`);
      await db.query(`UPDATE operations SET created_at = now() - interval '2 minutes' WHERE id = $1`, [opId]);

      worker = await startBerth({ ...dockerEnv(), DATABASE_URL: db.url, MIGRATIONS_RUN: 'false', BERTH_ROLES: 'api,worker', QUEUE_PREFIX: prefix, SWEEP_INTERVAL_MS: '300' });
      const op = await waitForOperation(api, token, company.id, opId);
      expect(op.status).toBe('error');
      expect(op.message).toMatch(/^lost: .*repeat the change$/);
      expect((await api.get(`/${company.id}/storages/${created.body.id}/`, { token })).body.status).toBe('error');
    } finally {
      await worker?.stop();
      await apiOnly.stop();
      await queue.close();
      await redis.quit();
      // Every queue's keys under the prefix, not only this queue's.
      await removeKeys(REDIS_URL, prefix);
    }
    // Longer than waitForOperation's minute, so a failure still runs the cleanup above.
  }, 90_000);
});

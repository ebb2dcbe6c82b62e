import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useBerth } from './support/fixture.js';
import { register, waitForOperation } from './support/http.js';
import { adminQuery } from './support/services.js';
import { dropStoragesOnServers, login } from './support/storage-clients.js';

const fx = useBerth('storages', { BERTH_ROLES: 'api,worker', STORAGES_PER_COMPANY: '4', JOB_BACKOFF_MS: '100' });
const TYPES = ['mariadb', 'pgsql'] as const;
// Quotes, backslash, semicolon, dollar, spaces and non-ASCII: must all work exactly.
const NASTY = `pa'ss"wo\\rd; DROP $x ü 日本 🎉`;

async function existsOnServer(type: 'mariadb' | 'pgsql', name: string) {
  if (type === 'pgsql') {
    const db = await adminQuery('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    const user = await adminQuery('SELECT 1 FROM pg_roles WHERE rolname = $1', [name]);
    return { database: db.rowCount === 1, user: user.rowCount === 1 };
  }
  const { execFileSync } = await import('node:child_process');
  const ask = (sql: string) => execFileSync('mariadb', ['-h', '127.0.0.1', '-u', 'root', '-N', '-B', '-e', sql]).toString().trim();
  return {
    database: ask(`SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '${name}'`) === '1',
    user: ask(`SELECT COUNT(*) FROM mysql.user WHERE User = '${name}'`) === '1',
  };
}

let owner: Awaited<ReturnType<typeof register>>;
beforeAll(async () => {
  owner = await register(fx.api, 'Data Co');
});
// Runs before the fixture's own teardown drops the test database.
afterAll(() => dropStoragesOnServers((sql) => fx.db.query(sql)));

async function createStorage(type: string, password: string, note?: string) {
  const created = await fx.api.post(`/${owner.company.id}/storages/`, { token: owner.token, body: { type, password, note } });
  expect(created.status, created.text).toBe(200);
  const op = await waitForOperation(fx.api, owner.token, owner.company.id, created.body.operation_id);
  expect(op, JSON.stringify(op)).toMatchObject({ status: 'success', kind: 'storage.create', target_type: 'storage', target_id: created.body.id });
  return created.body;
}

describe.each(TYPES)('%s storages', (type) => {
  let storage: any;

  it('creates a database the returned credentials log into, with a password of any characters', async () => {
    storage = await createStorage(type, NASTY, 'shop data');
    // The app-facing name every app container resolves (the servers' own address is the admin's business).
    expect(storage).toMatchObject({ type, host: `${type}.berth.internal`, port: type === 'pgsql' ? 5432 : 3306, note: 'shop data', status: 'creating' });
    expect(storage.name).toMatch(/^[a-z][a-z0-9_]+$/);
    const read = await fx.api.get(`/${owner.company.id}/storages/${storage.id}/`, { token: owner.token });
    expect(read.body.status).toBe('ready');
    expect(read.text).not.toContain('password');

    await login[type](storage.username, NASTY, storage.name, 'CREATE TABLE t (i int); INSERT INTO t VALUES (42)');
    expect(await login[type](storage.username, NASTY, storage.name, 'SELECT i FROM t')).toBe('42');
    await expect(login[type](storage.username, NASTY.slice(0, -1), storage.name, 'SELECT 1')).rejects.toThrow();
  });

  it('keeps the password nowhere in Berth: not in reads, rows or logs', async () => {
    const list = await fx.api.get(`/${owner.company.id}/storages/`, { token: owner.token });
    expect(list.text).not.toContain(NASTY);
    const rows = await fx.db.query(`SELECT (SELECT string_agg(s::text, '') FROM storages s) || (SELECT string_agg(o::text, '') FROM operations o) AS all`);
    expect(rows.rows[0].all).not.toContain('ss"wo');
    await fx.berth.waitForLog(/storage.create done/);
    expect(fx.berth.logs()).not.toContain('ss"wo');
  });

  it('changes the password on the server: the old one stops working, the new one works', async () => {
    const changed = await fx.api.put(`/${owner.company.id}/storages/${storage.id}/`, { token: owner.token, body: { password: 'N3w-Secret-pass!', note: 'rotated' } });
    expect(changed.status, changed.text).toBe(200);
    expect(changed.body.operation_id).not.toBe(storage.operation_id);
    const op = await waitForOperation(fx.api, owner.token, owner.company.id, changed.body.operation_id);
    expect(op.status).toBe('success');
    await expect(login[type](storage.username, NASTY, storage.name, 'SELECT 1')).rejects.toThrow();
    expect(await login[type](storage.username, 'N3w-Secret-pass!', storage.name, 'SELECT i FROM t')).toBe('42');
    expect((await fx.api.get(`/${owner.company.id}/storages/${storage.id}/`, { token: owner.token })).body.note).toBe('rotated');
  });

  it("keeps one storage's user out of another storage's database", async () => {
    const other = await createStorage(type, 'Other-Secret-pass1');
    await login[type](other.username, 'Other-Secret-pass1', other.name, 'CREATE TABLE mine (i int)');
    // Neither connecting to nor reading the first storage's database works.
    await expect(login[type](other.username, 'Other-Secret-pass1', storage.name, 'SELECT i FROM t')).rejects.toThrow();
    const sql = type === 'pgsql' ? `SELECT count(*) FROM t` : `SELECT i FROM \`${storage.name}\`.t`;
    await expect(login[type](other.username, 'Other-Secret-pass1', other.name, sql)).rejects.toThrow();
  });

  it('drops the database and the user on delete', async () => {
    expect(await existsOnServer(type, storage.name)).toEqual({ database: true, user: true });
    const deleted = await fx.api.delete(`/${owner.company.id}/storages/${storage.id}/`, { token: owner.token });
    expect(deleted.status).toBe(200);
    expect(deleted.body.status).toBe('deleting');
    const op = await waitForOperation(fx.api, owner.token, owner.company.id, deleted.body.operation_id);
    expect(op).toMatchObject({ status: 'success', kind: 'storage.delete' });
    expect(await existsOnServer(type, storage.name)).toEqual({ database: false, user: false });
    expect((await fx.api.get(`/${owner.company.id}/storages/${storage.id}/`, { token: owner.token })).status).toBe(404);
  });
});

describe('storage rules', () => {
  it('names the field: unknown type, weak or missing password, unknown fields', async () => {
    const path = `/${owner.company.id}/storages/`;
    const unknown = await fx.api.post(path, { token: owner.token, body: { type: 'oracle', password: 'Long-enough-pass1' } });
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors).toEqual({ type: ['must be one of mariadb, pgsql'] });
    const weak = await fx.api.post(path, { token: owner.token, body: { type: 'pgsql', password: 'password' } });
    expect(weak.status).toBe(400);
    expect(Object.keys(weak.body.errors)).toEqual(['password']);
    const lowercase = await fx.api.post(path, { token: owner.token, body: { type: 'pgsql', password: 'alllowercaseletters' } });
    expect(lowercase.body.errors.password[0]).toMatch(/three of/);
    const missing = await fx.api.post(path, { token: owner.token, body: { type: 'mariadb' } });
    expect(Object.keys(missing.body.errors)).toEqual(['password']);
    const surrogate = await fx.api.post(path, { token: owner.token, rawBody: '{"type":"pgsql","password":"Abcdefgh-12\\ud800"}', headers: { 'content-type': 'application/json' } });
    expect(surrogate.body.errors).toEqual({ password: ['must be valid Unicode'] });
    const extra = await fx.api.post(path, { token: owner.token, body: { type: 'mariadb', password: 'Long-enough-pass1', name: 'mine' } });
    expect(extra.body.errors).toEqual({ name: ['is not a known field'] });
  });

  it('enforces the per-company cap with 403 quota_exceeded', async () => {
    const company = await register(fx.api, 'Capped');
    for (let i = 0; i < 4; i++) {
      const ok = await fx.api.post(`/${company.company.id}/storages/`, { token: company.token, body: { type: 'pgsql', password: `Cap-pass-${i}-long` } });
      expect(ok.status).toBe(200);
    }
    const over = await fx.api.post(`/${company.company.id}/storages/`, { token: company.token, body: { type: 'mariadb', password: 'Cap-pass-x-long' } });
    expect(over.status).toBe(403);
    expect(over.body.code).toBe('quota_exceeded');
  });

  it("gives another company's token 404 on every storage route", async () => {
    const mine = await createStorage('mariadb', 'Isolated-pass-1');
    const stranger = await register(fx.api, 'Stranger');
    const own = `/${owner.company.id}/storages`;
    for (const [method, path, body] of [
      ['GET', `${own}/`, undefined],
      ['POST', `${own}/`, { type: 'pgsql', password: 'Whatever-pass-1' }],
      ['GET', `${own}/${mine.id}/`, undefined],
      ['PUT', `${own}/${mine.id}/`, { note: 'x' }],
      ['DELETE', `${own}/${mine.id}/`, undefined],
      ['GET', `/${owner.company.id}/operations/${mine.operation_id}/`, undefined],
    ] as const) {
      expect((await fx.api.call(method, path, { token: stranger.token, body })).status, `${method} ${path}`).toBe(404);
    }
    // Through the stranger's own company the storage does not exist either.
    expect((await fx.api.get(`/${stranger.company.id}/storages/${mine.id}/`, { token: stranger.token })).status).toBe(404);
    expect((await fx.api.get(`/${owner.company.id}/storages/${mine.id}/`, { token: owner.token })).body.note).toBe('');
  });
});

// Storages bound to apps end to end: a Node app that knows nothing but DATABASE_URL reaches its
// PostgreSQL storage; a password change through the storages API reaches it and it reconnects;
// `rotate` gives a MariaDB storage a new password that only Berth and the app know; a bound
// storage is not deleted by accident. Passwords are never stored or logged in clear.
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { createApp, deploy, Owner, sourceTree, TestApp, vendorPackages } from './support/apps.js';
import { eventually, publishedPort } from './support/docker.js';
import { useBerth } from './support/fixture.js';
import { register, waitForOperation } from './support/http.js';
import { PG_ADMIN_URL } from './support/services.js';
import { runTool, SshUser } from './support/ssh.js';
import { dropStoragesOnServers, login } from './support/storage-clients.js';

const fx = useBerth('bindings', { BERTH_ROLES: 'api,worker,ssh', SSH_SYNC_INTERVAL_MS: '200', SECRETS_KEY: randomBytes(32).toString('base64') });
afterAll(() => dropStoragesOnServers((sql) => fx.db.query(sql)));
const user = new SshUser();
const key = user.key('tenant');
const FIRST = `Bind-pass-${randomBytes(6).toString('hex')}`;
const SECOND = `Bind-pass-${randomBytes(6).toString('hex')}`;
let owner: Owner;
let app: TestApp;
let pgsql: { id: number; name: string; username: string };
let mariadb: { id: number; name: string; username: string };
let rotated = '';

// Nothing but DATABASE_URL: a pool per process, as a real app keeps one.
const NODE_APP = `
const { Pool } = require('pg');
const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 2 });
require('node:http').createServer(async (req, res) => {
  try {
    const { rows } = await pool.query('SELECT current_user AS who, current_database() AS db');
    res.end('pg ok user=' + rows[0].who + ' db=' + rows[0].db);
  } catch (err) {
    res.statusCode = 500;
    res.end('pg error: ' + err.message);
  }
}).listen(process.env.PORT);
`;

const as = () => ({ token: owner.token });
const base = () => `/${owner.company.id}`;
const settle = async (operationId: number) => {
  const op = await waitForOperation(fx.api, owner.token, owner.company.id, operationId, 120_000);
  expect(op.status, op.message).toBe('success');
};

async function createStorage(type: 'pgsql' | 'mariadb', password: string) {
  const created = await fx.api.post(`${base()}/storages/`, { ...as(), body: { type, password } });
  expect(created.status, created.text).toBe(200);
  await settle(created.body.operation_id);
  return created.body;
}

async function answer(): Promise<string> {
  const port = await publishedPort(`${fx.env.DOCKER_NAME_PREFIX}-app-${app.id}`, 8080);
  return fetch(`http://127.0.0.1:${port}/`).then((r) => r.text(), (err) => `unreachable: ${err.message}`);
}

async function printenv(name: string): Promise<string> {
  const run = await user.ssh(app.sshPort, key.path, [`printenv ${name} || echo '(unset)'`]);
  return run.stdout.toString().replace(/\n$/, '');
}

describe('storage bindings', () => {
  it('gives an app DATABASE_URL for its storage, which is all the app needs', async () => {
    owner = await register(fx.api, 'Binder');
    pgsql = await createStorage('pgsql', FIRST);
    app = await createApp(fx.api, owner, user, key, { name: 'binder' });
    const dir = sourceTree(user, 'binder', { 'server.js': NODE_APP });
    vendorPackages(dir, ['pg']);
    await deploy(user, app, key.path, dir, '/usr/local/bin/node /srv/app/server.js');
    expect(await answer()).toMatch(/^pg error/);

    const wrong = await fx.api.post(`${base()}/apps/${app.id}/bindings/`, { ...as(), body: { storage_id: pgsql.id, password: 'not-the-password' } });
    expect(wrong.status).toBe(400);
    expect(wrong.body.errors.password).toEqual(["is not the storage's current password"]);
    const reserved = await fx.api.post(`${base()}/apps/${app.id}/bindings/`, { ...as(), body: { storage_id: pgsql.id, password: FIRST, prefix: 'BERTH' } });
    expect(reserved.body.errors.prefix[0]).toMatch(/BERTH_/);
    const both = await fx.api.post(`${base()}/apps/${app.id}/bindings/`, { ...as(), body: { storage_id: pgsql.id, password: FIRST, rotate: true } });
    expect(both.body.errors.password).toBeDefined();

    const bound = await fx.api.post(`${base()}/apps/${app.id}/bindings/`, { ...as(), body: { storage_id: pgsql.id, password: FIRST } });
    expect(bound.status, bound.text).toBe(200);
    expect(bound.body).toMatchObject({ storage_id: pgsql.id, type: 'pgsql', prefix: 'DATABASE', version: 1 });
    expect(bound.body.variables).toEqual(['DATABASE_URL', 'DATABASE_HOST', 'DATABASE_PORT', 'DATABASE_NAME', 'DATABASE_USER', 'DATABASE_PASSWORD']);
    await settle(bound.body.operation_id);
    await eventually('the app reaches its database', async () => (await answer()).startsWith('pg ok'), 60_000);
    expect(await answer()).toBe(`pg ok user=${pgsql.username} db=${pgsql.name}`);
    expect(await printenv('DATABASE_URL')).toBe(`postgresql://${pgsql.username}:${FIRST}@pgsql.berth.internal:5432/${pgsql.name}`);
    expect(await printenv('DATABASE_PASSWORD')).toBe(FIRST);

    const config = await fx.api.get(`${base()}/apps/${app.id}/config/`, as());
    expect(config.body.vars.DATABASE_PASSWORD).toBe('[REDACTED]');
    expect(config.body.vars.DATABASE_URL).toBe(`postgresql://${pgsql.username}:[REDACTED]@pgsql.berth.internal:5432/${pgsql.name}`);
    expect(config.body.managed.DATABASE_URL).toBe(pgsql.id);
    expect(config.body.secrets).toContain('DATABASE_PASSWORD');
    const listed = await fx.api.get(`${base()}/apps/${app.id}/bindings/`, as());
    expect(listed.body).toEqual([expect.objectContaining({ storage_id: pgsql.id, prefix: 'DATABASE' })]);
  });

  it('refuses to change managed variables, to bind twice, and to delete a bound storage', async () => {
    const managed = await fx.api.patch(`${base()}/apps/${app.id}/config/`, { ...as(), body: { vars: { DATABASE_URL: 'postgres://elsewhere' } } });
    expect(managed.status).toBe(400);
    expect(managed.body.errors['vars.DATABASE_URL'][0]).toMatch(/managed by the binding of storage/);
    const twice = await fx.api.post(`${base()}/apps/${app.id}/bindings/`, { ...as(), body: { storage_id: pgsql.id, password: FIRST, prefix: 'OTHER' } });
    expect(twice.status).toBe(409);
    const deleting = await fx.api.delete(`${base()}/storages/${pgsql.id}/`, as());
    expect(deleting.status).toBe(409);
    expect(deleting.body.message).toMatch(/bound to app binder/);
    const foreign = await register(fx.api, 'Outsider');
    const theirs = await fx.api.post(`/${foreign.company.id}/apps/${app.id}/bindings/`, { token: foreign.token, body: { storage_id: pgsql.id, password: FIRST } });
    expect(theirs.status).toBe(404);
    // Their storage cannot be bound to our app either: it is not one of this company's.
    const foreignStorage = await fx.api.post(`/${foreign.company.id}/storages/`, { token: foreign.token, body: { type: 'pgsql', password: FIRST } });
    await waitForOperation(fx.api, foreign.token, foreign.company.id, foreignStorage.body.operation_id);
    const stolen = await fx.api.post(`${base()}/apps/${app.id}/bindings/`, { ...as(), body: { storage_id: foreignStorage.body.id, password: FIRST, prefix: 'THEIRS' } });
    expect(stolen.status).toBe(400);
    expect(stolen.body.errors.storage_id).toEqual(['is not a storage of this company']);
  });

  it('follows a password change through the storages API: the app gets it and reconnects', async () => {
    const before = (await fx.api.get(`${base()}/apps/${app.id}/`, as())).body.config_version;
    const changed = await fx.api.put(`${base()}/storages/${pgsql.id}/`, { ...as(), body: { password: SECOND } });
    expect(changed.status, changed.text).toBe(200);
    await settle(changed.body.operation_id);
    const read = (await fx.api.get(`${base()}/apps/${app.id}/`, as())).body;
    expect(read.config_version).toBe(before + 1);
    await settle(read.operation_id);
    await eventually('the app has the new password', async () => (await printenv('DATABASE_PASSWORD')) === SECOND, 60_000);
    await eventually('the app reconnects', async () => (await answer()).startsWith('pg ok'), 60_000);
    expect(await login.pgsql(pgsql.username, SECOND, pgsql.name, 'SELECT 1')).toContain('1');
  });

  it('rotates a storage password nobody but Berth and the app knows', async () => {
    mariadb = await createStorage('mariadb', FIRST);
    const bound = await fx.api.post(`${base()}/apps/${app.id}/bindings/`, { ...as(), body: { storage_id: mariadb.id, rotate: true, prefix: 'CACHE' } });
    expect(bound.status, bound.text).toBe(200);
    expect(bound.body.storage_operation_id).toEqual(expect.any(Number));
    await settle(bound.body.storage_operation_id);
    await settle(bound.body.operation_id);
    rotated = await printenv('CACHE_PASSWORD');
    expect(rotated).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(await login.mariadb(mariadb.username, rotated, mariadb.name, 'SELECT 1')).toContain('1');
    await expect(login.mariadb(mariadb.username, FIRST, mariadb.name, 'SELECT 1')).rejects.toThrow();
    expect(await printenv('CACHE_URL')).toBe(`mysql://${mariadb.username}:${rotated}@mariadb.berth.internal:3306/${mariadb.name}`);

    const unbound = await fx.api.delete(`${base()}/apps/${app.id}/bindings/${mariadb.id}/`, as());
    expect(unbound.status, unbound.text).toBe(200);
    await settle(unbound.body.operation_id);
    expect(await printenv('CACHE_URL')).toBe('(unset)');
    // Unbound, Berth keeps its password no longer.
    expect((await fx.db.query('SELECT sealed_password FROM storages WHERE id = $1', [mariadb.id])).rows[0].sealed_password).toBeNull();
  });

  it('deletes a bound storage when forced, unbinding it, and never stored a password in clear', async () => {
    const forced = await fx.api.delete(`${base()}/storages/${pgsql.id}/?force=true`, as());
    expect(forced.status, forced.text).toBe(200);
    await settle(forced.body.operation_id);
    expect((await fx.api.get(`${base()}/apps/${app.id}/bindings/`, as())).body).toEqual([]);
    const read = (await fx.api.get(`${base()}/apps/${app.id}/config/`, as())).body;
    expect(read.version).toBeGreaterThan(read.running_version);
    expect(read.managed).toEqual({});

    const dump = await runTool('pg_dump', ['--data-only', `${PG_ADMIN_URL.replace(/\/[^/]*$/, '')}/${fx.db.name}`]);
    expect(dump.code, dump.stderr).toBe(0);
    for (const where of [dump.stdout.toString(), fx.berth.logs()]) {
      for (const password of [FIRST, SECOND, rotated]) expect(where).not.toContain(password);
    }
  });
});

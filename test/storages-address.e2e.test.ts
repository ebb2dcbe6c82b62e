// The address storage reads give is the one configured per engine (where apps and people
// connect), not necessarily the admin connection Berth itself uses.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { useBerth } from './support/fixture.js';
import { register, waitForOperation } from './support/http.js';
import { dropStoragesOnServers, login } from './support/storage-clients.js';

const fx = useBerth('storageaddr', {
  BERTH_ROLES: 'api,worker',
  STORAGE_PGSQL_HOST: 'pg.example.test',
  STORAGE_PGSQL_PORT: '6543',
  STORAGE_MARIADB_HOST: 'mysql.example.test',
});
let owner: Awaited<ReturnType<typeof register>>;
beforeAll(async () => {
  owner = await register(fx.api, 'Address Co');
});
afterAll(() => dropStoragesOnServers((sql) => fx.db.query(sql)));

it.each([
  ['pgsql', 'pg.example.test', 6543],
  // The port was not set: the admin URL's (the server's own) stays.
  ['mariadb', 'mysql.example.test', 3306],
] as const)('%s storages read the configured app-facing host and port, and are made on the admin server', async (type, host, port) => {
  const created = await fx.api.post(`/${owner.company.id}/storages/`, { token: owner.token, body: { type, password: 'Public-address-pass1' } });
  expect(created.status, created.text).toBe(200);
  expect(created.body).toMatchObject({ host, port });
  expect((await waitForOperation(fx.api, owner.token, owner.company.id, created.body.operation_id)).status).toBe('success');
  const read = await fx.api.get(`/${owner.company.id}/storages/${created.body.id}/`, { token: owner.token });
  expect(read.body).toMatchObject({ host, port, status: 'ready' });
  // The database was made where Berth administers it (here, this machine's server).
  expect(await login[type](created.body.username, 'Public-address-pass1', created.body.name, 'SELECT 1')).toBe('1');
});

// Attack catalogue: SSH forwarding as a way into the platform's network. Rosti's way into a
// database from a laptop is an SSH tunnel through the app's endpoint to the storage server's
// app-facing name (used here with the real psql and mariadb clients); any other destination
// (the host's loopback services, Redis, the Docker API, a metadata address, another port),
// and remote, dynamic and streamlocal forwards, are refused. The tunnel is a storage user's
// connection like any other: its limits hold, and the admin accounts are out of reach.
// Reference: OWASP API Security Top 10 2023, API7 Server Side Request Forgery and API4
// Unrestricted Resource Consumption.
import { ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, Owner, TestApp } from '../support/apps.js';
import { eventually, HOST_GATEWAY } from '../support/docker.js';
import { useBerth } from '../support/fixture.js';
import { register, waitForOperation } from '../support/http.js';
import { runTool, SshUser } from '../support/ssh.js';
import { dropStoragesOnServers, mariadb as mariadbAdmin } from '../support/storage-clients.js';

const LIMIT = 3;
const fx = useBerth('sshtunnel', { BERTH_ROLES: 'api,worker,ssh', SSH_SYNC_INTERVAL_MS: '200', SWEEP_INTERVAL_MS: '1000', STORAGE_CONNECTIONS_PER_USER: String(LIMIT) });
afterAll(() => dropStoragesOnServers((sql) => fx.db.query(sql)));
const user = new SshUser();
const key = user.key('laptop');
const tunnels: ChildProcess[] = [];
afterAll(() => tunnels.forEach((t) => t.kill()));

let owner: Owner;
let stranger: Owner;
let app: TestApp;
let strangerApp: TestApp;
const storages: Record<string, any> = {};

async function storage(who: Owner, type: 'pgsql' | 'mariadb', password: string) {
  const created = await fx.api.post(`/${who.company.id}/storages/`, { token: who.token, body: { type, password } });
  expect(created.status, created.text).toBe(200);
  expect((await waitForOperation(fx.api, who.token, who.company.id, created.body.operation_id)).status).toBe('success');
  return { ...created.body, password };
}

/** A loopback port nothing listens on now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** `ssh -N` with `forward` (-L or -D) in the background, ready once the local port takes connections. */
async function background(sshPort: number, forward: (local: number) => string[]): Promise<number> {
  const local = await freePort();
  const child = spawn('ssh', [...user.options(key.path), '-N', '-o', 'ExitOnForwardFailure=yes', ...forward(local), '-p', String(sshPort), `app@${user.host}`], { stdio: 'ignore' });
  tunnels.push(child);
  await eventually(`ssh ${forward(local).join(' ')} listens`, async () => (await runTool('bash', ['-c', `echo > /dev/tcp/127.0.0.1/${local}`])).code === 0, 20_000);
  return local;
}

const tunnel = (sshPort: number, target: string) => background(sshPort, (local) => ['-L', `127.0.0.1:${local}:${target}`]);

const psql = (port: number, who: string, password: string, database: string, sql: string) =>
  runTool('psql', ['-h', '127.0.0.1', '-p', String(port), '-U', who, '-d', database, '-w', '-X', '-Atc', sql], { env: { PGPASSWORD: password, PGCONNECT_TIMEOUT: '10' }, timeoutMs: 30_000 });
const mariadb = (port: number, who: string, password: string, database: string, sql: string) =>
  runTool('mariadb', ['-h', '127.0.0.1', '-P', String(port), '-u', who, '-N', '-B', database, '-e', sql], { env: { MYSQL_PWD: password }, timeoutMs: 30_000 });

beforeAll(async () => {
  owner = await register(fx.api, 'Tunnel Co');
  stranger = await register(fx.api, 'No Storage Co');
  storages.pgsql = await storage(owner, 'pgsql', 'Tunnel-pg-Passw0rd');
  storages.mariadb = await storage(owner, 'mariadb', 'Tunnel-my-Passw0rd');
  app = await createApp(fx.api, owner, user, key, { name: 'web' });
  strangerApp = await createApp(fx.api, stranger, user, key, { name: 'other' });
}, 180_000);

describe('ssh -L to a storage', () => {
  it('reaches a PostgreSQL storage with psql on the host, and only as its own user', async () => {
    const s = storages.pgsql;
    const port = await tunnel(app.sshPort, `${s.host}:${s.port}`);
    const own = await psql(port, s.username, s.password, s.name, 'select current_user');
    expect(own.code, own.stderr).toBe(0);
    expect(own.stdout.toString().trim()).toBe(s.username);
    // The tunnel arrives as an app would: no trusted loopback, so the admin gets nothing.
    const admin = await psql(port, 'postgres', '', 'postgres', 'select 1');
    expect(admin.code).not.toBe(0);
    expect(admin.stderr).toMatch(/no pg_hba.conf entry|password authentication failed|rejects connection/);
    const other = await psql(port, s.username, s.password, 'postgres', 'select 1');
    expect(other.stderr).toMatch(/rejects connection|no pg_hba.conf entry/);
  });

  it('reaches a MariaDB storage with the mariadb client by its address too', async () => {
    const s = storages.mariadb;
    const port = await tunnel(app.sshPort, `${HOST_GATEWAY}:${s.port}`);
    const own = await mariadb(port, s.username, s.password, s.name, 'select current_user()');
    expect(own.code, own.stderr).toBe(0);
    expect(own.stdout.toString().trim()).toBe(`${s.username}@%`);
    const root = await mariadb(port, 'root', '', 'mysql', 'select 1');
    expect(root.code).not.toBe(0);
    expect(root.stderr).toMatch(/not allowed to connect|Access denied/);
  });

  it(`refuses a storage user past its connection limit (${LIMIT}), tunnels included`, async () => {
    const s = storages.pgsql;
    const port = await tunnel(app.sshPort, `${s.host}:${s.port}`);
    const sleepers = Array.from({ length: LIMIT }, () => psql(port, s.username, s.password, s.name, 'select pg_sleep(20)'));
    await eventually(`${LIMIT} sessions of the storage user`, async () => {
      const { rows } = await fx.db.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = $1', [s.username]);
      return rows[0].n >= LIMIT;
    });
    const one = await psql(port, s.username, s.password, s.name, 'select 1');
    expect(one.code).not.toBe(0);
    expect(one.stderr).toMatch(/too many connections for role/);
    await fx.db.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1', [s.username]);
    await Promise.all(sleepers);
  });

  it('brings storage users made without the limit (before it existed) to it on the next sweep', async () => {
    const pg = storages.pgsql.username;
    const my = storages.mariadb.username;
    await fx.db.query(`ALTER ROLE "${pg}" CONNECTION LIMIT -1`);
    await mariadbAdmin('root', '', 'mysql', `ALTER USER '${my}'@'%' WITH MAX_USER_CONNECTIONS 0`);
    await eventually('the sweep restores both limits', async () => {
      const { rows } = await fx.db.query('SELECT rolconnlimit AS n FROM pg_roles WHERE rolname = $1', [pg]);
      const mine = await mariadbAdmin('root', '', 'mysql', `SELECT max_user_connections FROM mysql.user WHERE User = '${my}'`);
      return rows[0].n === LIMIT && mine === String(LIMIT);
    });
  });

  it('refuses every other destination, and a company without that engine', async () => {
    const s = storages.pgsql;
    const refused = [
      `127.0.0.1:${s.port}`, // the server's trusted loopback
      'localhost:6379', // Redis
      `${HOST_GATEWAY}:22`, // the host itself
      `${s.host}:2375`, // the storage name, another port (a Docker API)
      '169.254.169.254:80', // a metadata service
      `${s.host}:3306`, // a real storage port under the other engine's name
      'mariadb.berth.internal:5432',
    ];
    for (const target of refused) {
      const forward = await user.ssh(app.sshPort, key.path, [], { args: ['-W', target] });
      expect(forward.code, target).toBe(255);
      expect(forward.stderr, target).toMatch(/stdio forwarding failed|open failed|prohibited/i);
      // Refused by the gateway, not tried and failed: it never dials such a destination.
      await fx.berth.waitForLog(new RegExp(`"destination":"${target.replace(/\./g, '\\.')}".*ssh forward refused: not a storage server`));
    }
    // Stranger's company has no storage: not even the storage name answers.
    const foreign = await user.ssh(strangerApp.sshPort, key.path, [], { args: ['-W', `${s.host}:${s.port}`] });
    expect(foreign.code).toBe(255);
    // The gateway says why in its log, naming what was asked for.
    await fx.berth.waitForLog(/ssh forward refused: the company has no pgsql storage/);
  });

  it('refuses remote, dynamic and streamlocal forwards', async () => {
    const remote = await user.ssh(app.sshPort, key.path, ['true'], { args: ['-o', 'ExitOnForwardFailure=yes', '-R', '0:127.0.0.1:9'] });
    expect(remote.code).toBe(255);
    expect(remote.stderr).toMatch(/remote port forwarding failed|forwarding failed/i);
    // A local port forwarded to the engine's socket (direct-streamlocal): nothing comes back.
    const docker = await background(app.sshPort, (local) => ['-L', `127.0.0.1:${local}:/var/run/docker.sock`]);
    const engine = await runTool('curl', ['-s', '--max-time', '5', `http://127.0.0.1:${docker}/version`]);
    expect(engine.code).not.toBe(0);
    expect(engine.stdout.toString()).not.toMatch(/ApiVersion/);
    // -D: a SOCKS proxy whose every connection is a forward to what the client names.
    const socks = await background(app.sshPort, (local) => ['-D', `127.0.0.1:${local}`]);
    const through = await runTool('curl', ['-s', '--max-time', '5', '--socks5-hostname', `127.0.0.1:${socks}`, `${fx.berth.url}/health`]);
    expect(through.code).not.toBe(0);
    expect(through.stdout.toString()).toBe('');
  });
});

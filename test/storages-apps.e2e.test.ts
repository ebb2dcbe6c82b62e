// Database-backed apps end to end: a Node app on PostgreSQL (with npm's pg) and a Python app
// on MariaDB (with pymysql), deployed over rsync, each using exactly the host, port, user and
// database its storage read gives, and answering through the edge with data from it. Inside the
// container the storage user reaches its own database only, and the admin accounts not at all.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, deploy, Owner, sourceTree, TestApp, vendorPackages } from './support/apps.js';
import { eventually } from './support/docker.js';
import { useEdgeBerth } from './support/edge.js';
import { register, waitForOperation } from './support/http.js';
import { runTool, SshUser } from './support/ssh.js';
import { dropStoragesOnServers, login } from './support/storage-clients.js';

const { fx, edge } = useEdgeBerth('storapps', () => ({ BERTH_ROLES: 'api,worker,ssh,edge', SSH_SYNC_INTERVAL_MS: '200' }));
afterAll(() => dropStoragesOnServers((sql) => fx.db.query(sql)));
const user = new SshUser();
const key = user.key('tenant');
let owner: Owner;

const NODE_APP = `
const http = require('node:http');
const { Pool } = require('pg');
const s = require('./storage.json');
const pool = new Pool({ host: s.host, port: s.port, user: s.username, database: s.name, password: s.password, max: 2 });
http.createServer(async (req, res) => {
  try {
    await pool.query('CREATE TABLE IF NOT EXISTS visits (id serial PRIMARY KEY, path text NOT NULL)');
    await pool.query('INSERT INTO visits (path) VALUES ($1)', [req.url]);
    const { rows } = await pool.query('SELECT count(*)::int AS n, current_database() AS db, current_user AS who FROM visits');
    res.end(\`pg visits=\${rows[0].n} db=\${rows[0].db} user=\${rows[0].who}\\n\`);
  } catch (err) {
    res.statusCode = 500;
    res.end('pg error: ' + err.message + '\\n');
  }
}).listen(process.env.PORT);
`;

const PYTHON_APP = `
import json, os, pymysql
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
s = json.load(open('/srv/app/storage.json'))

class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        try:
            db = pymysql.connect(host=s['host'], port=s['port'], user=s['username'], password=s['password'], database=s['name'], autocommit=True)
            with db.cursor() as c:
                c.execute('CREATE TABLE IF NOT EXISTS visits (id INT AUTO_INCREMENT PRIMARY KEY, path VARCHAR(200) NOT NULL)')
                c.execute('INSERT INTO visits (path) VALUES (%s)', (self.path,))
                c.execute('SELECT COUNT(*), DATABASE(), CURRENT_USER() FROM visits')
                n, name, who = c.fetchone()
            db.close()
            body, status = f'mariadb visits={n} db={name} user={who}\\n', 200
        except Exception as err:
            body, status = f'mariadb error: {err}\\n', 500
        self.send_response(status)
        self.send_header('Content-Length', str(len(body.encode())))
        self.end_headers()
        self.wfile.write(body.encode())

ThreadingHTTPServer(('0.0.0.0', int(os.environ['PORT'])), Handler).serve_forever()
`;

async function createStorage(type: 'pgsql' | 'mariadb', password: string) {
  const created = await fx.api.post(`/${owner.company.id}/storages/`, { token: owner.token, body: { type, password } });
  expect(created.status, created.text).toBe(200);
  const op = await waitForOperation(fx.api, owner.token, owner.company.id, created.body.operation_id);
  expect(op.status, op.message).toBe('success');
  // What a person copies from the read into their app's configuration.
  return { ...(await fx.api.get(`/${owner.company.id}/storages/${created.body.id}/`, { token: owner.token })).body, password };
}

/** GET through the edge by the app's default domain, as a visitor would. */
async function visit(app: TestApp, path = '/') {
  const run = await runTool('curl', ['-s', '--max-time', '10', '-w', '\n%{http_code}', `http://${app.body.domains[0]}:${edge.http}${path}`]);
  const text = run.stdout.toString();
  const cut = text.lastIndexOf('\n');
  return { status: Number(text.slice(cut + 1)), body: text.slice(0, cut) };
}

const inContainer = async (app: TestApp, command: string) => {
  const run = await user.ssh(app.sshPort, key.path, [command]);
  return { code: run.code, out: run.stdout.toString() + run.stderr };
};

beforeAll(async () => {
  owner = await register(fx.api, 'Data Co');
});

describe.each([
  {
    type: 'pgsql' as const,
    image: 'berth/runtime:2026.11-1',
    files: { 'server.js': NODE_APP, 'package.json': '{"name":"pgapp","private":true}\n' } as Record<string, string>,
    vendor: ['pg'],
    command: '/usr/local/bin/node /srv/app/server.js',
    host: 'pgsql.berth.internal',
    port: 5432,
    // The real clients, run inside the app's container.
    asUser: (s: any, database: string) => `PGPASSWORD='${s.password}' psql -h ${s.host} -p ${s.port} -U ${s.username} -d ${database} -w -Atc 'select current_database()'`,
    asAdmin: (s: any) => `psql -h ${s.host} -p ${s.port} -U postgres -d postgres -w -Atc 'select 1'`,
    // Berth's own database among them.
    otherDatabases: () => ['postgres', 'template1', fx.db.name],
    refusal: /pg_hba.conf rejects connection|no pg_hba.conf entry/,
  },
  {
    type: 'mariadb' as const,
    image: 'berth/runtime-python:2026.11-1',
    files: { 'app.py': PYTHON_APP } as Record<string, string>,
    vendor: [],
    command: '/usr/bin/python3 /srv/app/app.py',
    host: 'mariadb.berth.internal',
    port: 3306,
    asUser: (s: any, database: string) => `MYSQL_PWD='${s.password}' mariadb -h ${s.host} -P ${s.port} -u ${s.username} -N -B -e 'select database()' ${database}`,
    asAdmin: (s: any) => `mariadb -h ${s.host} -P ${s.port} -u root -N -B -e 'select 1'`,
    otherDatabases: () => ['mysql', 'test'],
    refusal: /Access denied|is not allowed to connect/,
  },
])('a $type storage in an app', ({ type, image, files, vendor, command, host, port, asUser, asAdmin, otherDatabases, refusal }) => {
  let storage: any;
  let app: TestApp;

  beforeAll(async () => {
    storage = await createStorage(type, `App-${type}-Passw0rd!`);
    app = await createApp(fx.api, owner, user, key, { name: `${type}app`, image });
  }, 120_000);

  it('gives the app-facing address in the read', () => {
    expect(storage).toMatchObject({ host, port, type, status: 'ready', username: storage.name });
  });

  it('is what a deployed app reads and writes, answering through the edge', async () => {
    const dir = sourceTree(user, `${type}-app`, { ...files, 'storage.json': JSON.stringify(storage) });
    vendorPackages(dir, vendor);
    await deploy(user, app, key.path, dir, command);
    const first = await eventually(`the ${type} app answers with its data`, async () => {
      const page = await visit(app, '/first');
      return page.status === 200 ? page : undefined;
    }, 60_000);
    expect(first.body).toMatch(new RegExp(`^${type === 'pgsql' ? 'pg' : 'mariadb'} visits=\\d+ db=${storage.name} user=${storage.username}`));
    const n = Number(/visits=(\d+)/.exec(first.body)![1]);
    const second = await visit(app, '/second');
    expect(second.body).toContain(`visits=${n + 1} `);
    // The rows are in the storage itself, as its owner sees it from outside.
    expect(await login[type](storage.username, storage.password, storage.name, 'select path from visits order by id desc limit 1')).toBe('/second');
  }, 120_000);

  it('lets the storage user into its own database only, and no admin in at all, from inside the container', async () => {
    const own = await inContainer(app, asUser(storage, storage.name));
    expect(own.code, own.out).toBe(0);
    expect(own.out.trim()).toBe(storage.name);
    for (const database of otherDatabases()) {
      const other = await inContainer(app, asUser(storage, database));
      expect(other.code, `${database}: ${other.out}`).not.toBe(0);
      expect(other.out).toMatch(refusal);
    }
    const admin = await inContainer(app, asAdmin(storage));
    expect(admin.code, admin.out).not.toBe(0);
    expect(admin.out).toMatch(refusal);
    // 127.0.0.1 in the container is the container: the host's loopback-only services are out of reach.
    const loopback = await inContainer(app, `timeout 5 bash -c 'echo > /dev/tcp/127.0.0.1/${port}' 2>/dev/null && echo open || echo closed`);
    expect(loopback.out.trim()).toBe('closed');
  });
});

// An app's environment end to end: variables and secrets set through the API reach the app's
// supervisord program (answering through the edge) and SSH sessions, survive stop/start and
// rebuild, are versioned, and a secret's value is nowhere in clear: not in reads, logs, events,
// operations or a dump of the database. Keys rotate with the operator command.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SecretBox } from '../src/app-config/secret-box.js';
import { Secret } from '../src/config/secret.js';
import { createApp, deploy, Owner, sourceTree, TestApp } from './support/apps.js';
import { eventually } from './support/docker.js';
import { useEdgeBerth } from './support/edge.js';
import { register, waitForOperation } from './support/http.js';
import { startBerth } from './support/server.js';
import { PG_ADMIN_URL } from './support/services.js';
import { runTool, SshUser } from './support/ssh.js';

const OLD_KEY = randomBytes(32).toString('base64');
const NEW_KEY = randomBytes(32).toString('base64');
const SECRET = `s3cr3t-${randomBytes(12).toString('hex')}`;
const { fx, edge } = useEdgeBerth('appconfig', () => ({
  BERTH_ROLES: 'api,worker,ssh,edge',
  SSH_SYNC_INTERVAL_MS: '200',
  SECRETS_KEY: OLD_KEY,
  CONFIG_VALUE_MAX_BYTES: '1000',
  CONFIG_TOTAL_MAX_BYTES: '3000',
}));
const user = new SshUser();
const key = user.key('tenant');
let owner: Owner;
let app: TestApp;

// Answers /NAME with that variable's value as the program sees it.
const ENV_APP = `require('node:http').createServer((req, res) => {
  const name = req.url.slice(1);
  res.end(name in process.env ? process.env[name] : '(unset)');
}).listen(process.env.PORT);
`;

const path = (suffix = '') => `/${owner.company.id}/apps/${app.id}/config/${suffix}`;
const as = (token = owner.token) => ({ token });

/** What the app's program answers through the edge for a variable. */
async function seen(name: string): Promise<string> {
  const run = await runTool('curl', ['-s', '--max-time', '10', `http://${app.body.domains[0]}:${edge.http}/${name}`]);
  return run.stdout.toString();
}

/** What an SSH session sees. */
async function printenv(name: string): Promise<string> {
  const run = await user.ssh(app.sshPort, key.path, [`printenv ${name} || echo '(unset)'`]);
  return run.stdout.toString().replace(/\n$/, '');
}

async function applied(answer: { status: number; text: string; body: any }) {
  expect(answer.status, answer.text).toBe(200);
  expect(answer.body.operation_id).toEqual(expect.any(Number));
  const op = await waitForOperation(fx.api, owner.token, owner.company.id, answer.body.operation_id);
  expect(op.status, op.message).toBe('success');
  return answer.body.version as number;
}

const programSees = (name: string, value: string) => eventually(`the program sees ${name}=${value}`, async () => (await seen(name)) === value, 60_000);

describe('app config', () => {
  it('sets variables that the program and SSH sessions see, and removes them', async () => {
    owner = await register(fx.api, 'Config Owner');
    app = await createApp(fx.api, owner, user, key, { name: 'envy' });
    await deploy(user, app, key.path, sourceTree(user, 'envy', { 'server.js': ENV_APP }), '/usr/local/bin/node /srv/app/server.js');
    await programSees('GREETING', '(unset)');

    const tricky = 'a "quoted" $HOME value\nwith a second line and ünïcode';
    const version = await applied(await fx.api.patch(path(), { ...as(), body: { vars: { GREETING: 'hello world', TRICKY: tricky } } }));
    expect(version).toBe(1);
    await programSees('GREETING', 'hello world');
    expect(await seen('TRICKY')).toBe(tricky);
    expect(await printenv('GREETING')).toBe('hello world');
    const read = await fx.api.get(path(), as());
    expect(read.body).toMatchObject({ version: 1, running_version: 1, vars: { GREETING: 'hello world', TRICKY: tricky }, secrets: [] });
    expect((await fx.api.get(`/${owner.company.id}/apps/${app.id}/`, as())).body).toMatchObject({ config_version: 1, config_running_version: 1 });

    expect(await applied(await fx.api.delete(path('TRICKY/'), as()))).toBe(2);
    await programSees('TRICKY', '(unset)');
    expect(await printenv('TRICKY')).toBe('(unset)');
    expect((await fx.api.delete(path('TRICKY/'), as())).status).toBe(404);
  });

  it('keeps a secret sealed: redacted in reads, in the environment in clear', async () => {
    const put = await fx.api.put(path('secrets/API_KEY/'), { ...as(), body: { value: SECRET } });
    expect(await applied(put)).toBe(3);
    await programSees('API_KEY', SECRET);
    expect(await printenv('API_KEY')).toBe(SECRET);
    const read = await fx.api.get(path(), as());
    expect(read.body.vars.API_KEY).toBe('[REDACTED]');
    expect(read.body.secrets).toEqual(['API_KEY']);
    expect(read.text).not.toContain(SECRET);
  });

  it('stores a change with restart=false and applies it at the next restart', async () => {
    const stored = await fx.api.patch(`${path()}?restart=false`, { ...as(), body: { vars: { LATER: 'after restart' } } });
    expect(stored.status, stored.text).toBe(200);
    expect(stored.body).toEqual({ version: 4, operation_id: null });
    expect((await fx.api.get(path(), as())).body).toMatchObject({ version: 4, running_version: 3 });
    expect(await printenv('LATER')).toBe('(unset)');

    const restart = await fx.api.put(`/${owner.company.id}/apps-action/${app.id}/`, { ...as(), body: { action: 'restart' } });
    expect(restart.status, restart.text).toBe(200);
    expect((await waitForOperation(fx.api, owner.token, owner.company.id, restart.body.operation_id)).status).toBe('success');
    await programSees('LATER', 'after restart');
    expect((await fx.api.get(path(), as())).body).toMatchObject({ version: 4, running_version: 4 });
  });

  it('keeps the environment through stop/start and rebuild', async () => {
    for (const action of ['stop', 'start', 'rebuild']) {
      const answer = await fx.api.put(`/${owner.company.id}/apps-action/${app.id}/`, { ...as(), body: { action } });
      expect(answer.status, answer.text).toBe(200);
      expect((await waitForOperation(fx.api, owner.token, owner.company.id, answer.body.operation_id)).status).toBe('success');
    }
    await eventually('SSH is back', async () => (await user.ssh(app.sshPort, key.path, ['true'])).code === 0, 60_000);
    expect(await printenv('API_KEY')).toBe(SECRET);
    expect(await printenv('GREETING')).toBe('hello world');
    // The program comes back with the container (its supervisor file lives on /srv).
    await programSees('API_KEY', SECRET);
    // A program restarted by supervisorctl gets the same environment: supervisord's own.
    const restarted = await user.ssh(app.sshPort, key.path, ['supervisorctl restart app']);
    expect(restarted.code, restarted.stderr).toBe(0);
    await programSees('LATER', 'after restart');
  });

  it('keeps the history: names changed, never a value', async () => {
    const list = await fx.api.get(path('versions/'), as());
    expect(list.status, list.text).toBe(200);
    expect(list.body.map((v: any) => v.version)).toEqual([4, 3, 2, 1]);
    expect(list.body[1].changes).toEqual([{ name: 'API_KEY', change: 'set', secret: true }]);
    expect(list.body[3].changes).toEqual([
      { name: 'GREETING', change: 'set', secret: false },
      { name: 'TRICKY', change: 'set', secret: false },
    ]);
    expect(list.body[0].created_by).toBe(owner.account.id);
    const one = await fx.api.get(path('versions/2/'), as());
    expect(one.body).toMatchObject({ version: 2, changes: [{ name: 'TRICKY', change: 'unset', secret: false }] });
    expect((await fx.api.get(path('versions/9/'), as())).status).toBe(404);
    expect(JSON.stringify(list.body)).not.toContain('hello world');
    const paged = await fx.api.get(`${path('versions/')}?limit=3`, as());
    expect(paged.body).toHaveLength(3);
    expect(paged.headers.get('link')).toContain('after=');
  });

  it('refuses bad names and values, naming each variable', async () => {
    const bad = await fx.api.patch(path(), { ...as(), body: { vars: { PORT: '1', BERTH_X: '1', SUPERVISOR_Y: '1', '1ST': 'x', 'A-B': 'x', NUM: 5, BIG: 'x'.repeat(1001), OK: 'fine' } } });
    expect(bad.status, bad.text).toBe(400);
    expect(Object.keys(bad.body.errors).sort()).toEqual(['vars.1ST', 'vars.A-B', 'vars.BERTH_X', 'vars.BIG', 'vars.NUM', 'vars.PORT', 'vars.SUPERVISOR_Y']);
    expect(bad.body.errors['vars.PORT'][0]).toMatch(/set by Berth/);
    expect(bad.body.errors['vars.BIG'][0]).toMatch(/longer than 1000 bytes/);
    const nul = await fx.api.patch(path(), { ...as(), body: { vars: { NUL: 'a\u0000b' } } });
    expect(nul.status).toBe(400);
    expect(nul.body.errors['vars.NUL']).toEqual(['must not contain NUL characters']);
    const total = await fx.api.patch(path(), { ...as(), body: { vars: { A1: 'x'.repeat(900), A2: 'x'.repeat(900), A3: 'x'.repeat(900), A4: 'x'.repeat(900) } } });
    expect(total.status, total.text).toBe(400);
    expect(total.body.errors.vars[0]).toMatch(/above the 3000 allowed/);
    const empty = await fx.api.patch(path(), { ...as(), body: { vars: {} } });
    expect(empty.status).toBe(400);
    const secretName = await fx.api.put(path('secrets/HOME/'), { ...as(), body: { value: 'x' } });
    expect(secretName.status).toBe(400);
    expect(secretName.body.errors.name[0]).toMatch(/set by Berth/);
    const noValue = await fx.api.put(path('secrets/TOKEN/'), { ...as(), body: {} });
    expect(noValue.body.errors.value).toEqual(['must be a string']);
    expect((await fx.api.patch(`${path()}?restart=maybe`, { ...as(), body: { vars: { X: '1' } } })).body.errors.restart).toBeDefined();
    // Nothing of that was stored.
    expect((await fx.api.get(path(), as())).body.version).toBe(4);
  });

  it('holds no secret in clear anywhere: logs, events, operations, a database dump', async () => {
    const events = await fx.api.get(`/${owner.company.id}/events/?limit=500`, as());
    expect(events.body.filter((e: any) => e.action === 'app.config')).toHaveLength(4);
    const operations = await fx.api.get(`/${owner.company.id}/operations/?limit=500`, as());
    const dump = await runTool('pg_dump', ['--data-only', `${PG_ADMIN_URL.replace(/\/[^/]*$/, '')}/${fx.db.name}`]);
    expect(dump.code, dump.stderr).toBe(0);
    expect(dump.stdout.toString()).toContain('app_config_vars');
    for (const where of [events.text, operations.text, fx.berth.logs(), dump.stdout.toString()]) expect(where).not.toContain(SECRET);
  });

  it('re-seals every secret under a new key with `berth secrets:rotate`', async () => {
    const rotate = await runTool('node', ['dist/src/cli/berth.js', 'secrets:rotate'], {
      env: { PATH: process.env.PATH, DATABASE_URL: fx.db.url, SECRETS_KEY: NEW_KEY, SECRETS_KEY_PREVIOUS: OLD_KEY },
    });
    expect(rotate.code, rotate.stderr).toBe(0);
    expect(rotate.stdout.toString()).toContain('re-sealed 1 of 1 secrets');
    const [row] = (await fx.db.query(`SELECT app_id, name, sealed FROM app_config_vars WHERE sealed IS NOT NULL`)).rows;
    const config = (k: string | null) => ({ secretsKey: k ? new Secret(Buffer.from(k, 'base64')) : null, secretsPreviousKey: null, valueMaxBytes: 1, totalMaxBytes: 1, versionsKept: 1 });
    expect(new SecretBox(config(NEW_KEY)).open(row.sealed, `berth:app-config:${row.app_id}:${row.name}`)).toBe(SECRET);
    expect(() => new SecretBox(config(OLD_KEY)).open(row.sealed, `berth:app-config:${row.app_id}:${row.name}`)).toThrow();
    // The values config versions keep for rollbacks were re-sealed too: every one opens with the new key only.
    expect(rotate.stdout.toString()).toMatch(/and [1-9]\d* of [1-9]\d* values kept by config versions/);
    const kept = (await fx.db.query(`SELECT app_id, snapshot FROM app_config_versions WHERE snapshot::text LIKE '%sealed%'`)).rows;
    expect(kept.length).toBeGreaterThan(0);
    for (const version of kept) {
      for (const [name, value] of Object.entries(version.snapshot as Record<string, { sealed?: string }>)) {
        if (!value.sealed) continue;
        expect(new SecretBox(config(NEW_KEY)).open(value.sealed, `berth:app-config:${version.app_id}:${name}`)).toBe(SECRET);
        expect(() => new SecretBox(config(OLD_KEY)).open(value.sealed!, `berth:app-config:${version.app_id}:${name}`)).toThrow();
      }
    }
    // Moved to another variable, a sealed value does not open.
    expect(() => new SecretBox(config(NEW_KEY)).open(row.sealed, `berth:app-config:${row.app_id}:OTHER`)).toThrow();
    // Run again, it finds nothing left to do.
    const again = await runTool('node', ['dist/src/cli/berth.js', 'secrets:rotate'], { env: { PATH: process.env.PATH, DATABASE_URL: fx.db.url, SECRETS_KEY: NEW_KEY } });
    expect(again.stdout.toString()).toContain('re-sealed 0 of 1 secrets');
  });

  it('refuses to start a worker without the key once secrets exist', async () => {
    const { SECRETS_KEY: _, ...withoutKey } = fx.env;
    await expect(startBerth({ ...withoutKey, BERTH_ROLES: 'worker' })).rejects.toThrow(/SECRETS_KEY is not set, but the database holds 1 app secret/);
  });
});

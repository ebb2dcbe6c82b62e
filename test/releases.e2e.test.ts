// Releases end to end: archives deployed through the API into a real container, served through a
// real Caddy, with berth.json's release command, automatic rollback of a release that never
// answers, rollback (files and config) and SSH deploys recorded as releases.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createApp, deploy, Owner, sourceTree, TestApp } from './support/apps.js';
import { eventually } from './support/docker.js';
import { useEdgeBerth } from './support/edge.js';
import { client, register, waitForOperation } from './support/http.js';
import { startBerth } from './support/server.js';
import { SshUser } from './support/ssh.js';

const { fx, edge } = useEdgeBerth('releases', () => ({
  BERTH_ROLES: 'api,worker,ssh,edge',
  SSH_SYNC_INTERVAL_MS: '200',
  RELEASE_HEALTH_TIMEOUT_MS: '6000',
  RELEASES_KEPT: '6',
  // Shared with the API below that runs as if on another machine: it queues work for this worker.
  QUEUE_PREFIX: `berth-test-releases-${process.pid}`,
}));
const user = new SshUser();
const key = user.key('releaser');
let owner: Owner;
let app: TestApp;
let v13Archive = '';

/** A server that answers `<label>:<COLOR>` and lets in-flight requests finish when supervisord stops it. */
const server = (label: string) => `const server = require('node:http').createServer((req, res) => res.end('${label}:' + (process.env.COLOR || 'none')));
server.listen(process.env.PORT);
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;

/** A tar.gz of `files`, made by GNU tar as a CI pipeline would. */
function archive(name: string, files: Record<string, string>): Buffer {
  const dir = join(user.dir, 'trees', name);
  mkdirSync(dir, { recursive: true });
  for (const [path, text] of Object.entries(files)) writeFileSync(join(dir, path), text);
  return execFileSync('tar', ['-czf', '-', '-C', dir, '.']);
}

const releases = (suffix = '') => `/${owner.company.id}/apps/${app.id}/releases/${suffix}`;

async function upload(body: Buffer, token = owner.token, path = releases()) {
  const answer = await fetch(`${fx.berth.url}${path}`, { method: 'POST', headers: { authorization: `Token ${token}`, 'content-type': 'application/gzip' }, body: new Uint8Array(body) });
  const text = await answer.text();
  return { status: answer.status, text, body: text ? JSON.parse(text) : undefined };
}

/** Deploys and follows the operation; the release as the API then shows it. */
async function deployed(body: Buffer, expected: 'success' | 'error') {
  const answer = await upload(body);
  expect(answer.status, answer.text).toBe(200);
  expect(answer.body).toMatchObject({ version: expect.any(Number), status: 'deploying', operation_id: expect.any(Number) });
  const op = await waitForOperation(fx.api, owner.token, owner.company.id, answer.body.operation_id, 120_000);
  expect(op.status, op.message).toBe(expected);
  return (await fx.api.get(releases(`${answer.body.version}/`), { token: owner.token })).body;
}

/** What the app answers through the edge. */
function viaEdge(agent?: Agent): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: edge.http, path: '/', headers: { host: app.body.domains[0] }, agent, timeout: 10_000 }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.end();
  });
}

const serves = (text: string) => eventually(`the edge serves ${text}`, async () => (await viaEdge().catch(() => null))?.body === text, 30_000);

async function active(): Promise<number[]> {
  const list = (await fx.api.get(releases(), { token: owner.token })).body as Array<{ version: number; status: string }>;
  return list.filter((r) => r.status === 'active').map((r) => r.version);
}

describe('releases', () => {
  it('deploys v1 and v2 through the API; v2 is served through the edge, and requests meanwhile see only v1 or v2', async () => {
    owner = await register(fx.api, 'Release Owner');
    app = await createApp(fx.api, owner, user, key, { name: 'shipit' });
    const v1 = await deployed(archive('v1', { 'server.js': server('v1') }), 'success');
    expect(v1).toMatchObject({ version: 1, status: 'active', source: 'archive', config_version: 0, rollback_of: null, created_by: owner.account.id });
    expect(v1.size).toBeGreaterThan(100);
    expect(v1.log).toMatch(/switching \/srv\/app to the new tree/);
    expect(v1.log).toMatch(/supervisord: restarted app:app/);
    // Not the runtime's log listener: the app's output as it starts would be lost or doubled.
    expect(v1.log).not.toMatch(/restarted berth-log/);
    await serves('v1:none');

    // v2 brings a release command: it runs before the switch, with the app's environment, its output in the log.
    const v2Files = {
      'server.js': server('v2'),
      'berth.json': JSON.stringify({ release: 'echo "migrating as $(whoami) in $PWD, port $PORT" && touch /srv/var/migrated-v$BERTH_RELEASE', health_path: '/healthz' }),
    };
    const agent = new Agent({ keepAlive: true, maxSockets: 4 });
    const seen: string[] = [];
    let looping = true;
    const loop = (async () => {
      while (looping) {
        const answer = await viaEdge(agent).then(
          (a) => `${a.status} ${a.body}`,
          (err: Error) => `error ${err.message}`,
        );
        seen.push(answer);
      }
    })();
    const v2 = await deployed(archive('v2', v2Files), 'success');
    await serves('v2:none');
    looping = false;
    await loop;
    agent.destroy();
    expect(v2).toMatchObject({ version: 2, status: 'active' });
    expect(v2.log).toMatch(/migrating as app in \/srv\/\.berth\/deploy\/incoming, port 8080/);
    expect(v2.log).toMatch(/waiting up to 6 s for HTTP on port 8080 \(\/healthz\)/);
    const unexpected = seen.filter((s) => s !== '200 v1:none' && s !== '200 v2:none');
    expect(unexpected, `of ${seen.length} answers`).toEqual([]);
    expect(seen).toContain('200 v1:none');
    expect(seen.at(-1)).toBe('200 v2:none');
    expect(await active()).toEqual([2]);
    expect((await fx.api.get(releases('1/'), { token: owner.token })).body.status).toBe('superseded');
    const migrated = await user.ssh(app.sshPort, key.path, ['ls /srv/var/ && stat -c "%U:%G %n" /srv/app /srv/app/server.js /srv/app/berth.json']);
    expect(migrated.stdout.toString()).toContain('migrated-v2');
    // Unpacked as the app's user: every file is the app's own (the archive was made by root).
    expect(migrated.stdout.toString()).toContain('app:app /srv/app\napp:app /srv/app/server.js\napp:app /srv/app/berth.json');
  }, 300_000);

  it('leaves v2 serving when a v3 release command fails', async () => {
    const v3 = await deployed(archive('v3', { 'server.js': server('v3'), 'berth.json': JSON.stringify({ release: 'echo "schema broken" >&2; exit 3' }) }), 'error');
    expect(v3).toMatchObject({ version: 3, status: 'failed', config_version: null });
    expect(v3.message).toMatch(/release command exited with code 3/);
    expect(v3.log).toContain('schema broken');
    expect((await viaEdge()).body).toBe('v2:none');
    expect(await active()).toEqual([2]);
    const op = (await fx.api.get(`/${owner.company.id}/operations/${v3.operation_id}/`, { token: owner.token })).body;
    expect(op).toMatchObject({ status: 'error', message: expect.stringMatching(/release 3 failed: the release command exited with code 3/) });
    // Nothing of v3 is left in /srv.
    const left = await user.ssh(app.sshPort, key.path, ['ls -A /srv/.berth/deploy/; cat /srv/app/server.js']);
    expect(left.stdout.toString()).toContain("'v2:'");
    expect(left.stdout.toString()).not.toContain('incoming');
  }, 120_000);

  it('rolls a v4 that never answers HTTP back to v2 by itself', async () => {
    const v4 = await deployed(archive('v4', { 'server.js': 'setInterval(() => {}, 1000);\n' }), 'error');
    expect(v4).toMatchObject({ version: 4, status: 'failed' });
    expect(v4.message).toMatch(/did not answer HTTP on port 8080 within 6 s; the previous release was restored/);
    expect(v4.log).toMatch(/swapping the previous tree back/);
    await serves('v2:none');
    expect(await active()).toEqual([2]);
  }, 120_000);

  it('rolls back to v1 with its config version, and to the one before by default', async () => {
    // A config change after v2: v2 runs with config version 1, v1 ran with none.
    const set = await fx.api.patch(`/${owner.company.id}/apps/${app.id}/config/`, { token: owner.token, body: { vars: { COLOR: 'blue' } } });
    expect(set.status, set.text).toBe(200);
    expect((await waitForOperation(fx.api, owner.token, owner.company.id, set.body.operation_id, 120_000)).status).toBe('success');
    await serves('v2:blue');
    const v5 = await deployed(archive('v5', { 'server.js': server('v5') }), 'success');
    expect(v5).toMatchObject({ version: 5, config_version: 1 });
    await serves('v5:blue');

    const back = await fx.api.post(`/${owner.company.id}/apps/${app.id}/rollback/`, { token: owner.token, body: { version: 1 } });
    expect(back.status, back.text).toBe(200);
    expect((await waitForOperation(fx.api, owner.token, owner.company.id, back.body.operation_id, 120_000)).status).toBe('success');
    await serves('v1:none');
    const v6 = (await fx.api.get(releases(`${back.body.version}/`), { token: owner.token })).body;
    expect(v6).toMatchObject({ version: 6, status: 'active', source: 'rollback', rollback_of: 1, config_version: 0 });
    expect(v6.log).toMatch(/config of version 0 restored as config version 2 \(unset COLOR\)/);
    const config = (await fx.api.get(`/${owner.company.id}/apps/${app.id}/config/`, { token: owner.token })).body;
    expect(config).toMatchObject({ version: 2, running_version: 2, vars: {} });

    // No version: the release active before this one (v5), with its config.
    const again = await fx.api.post(`/${owner.company.id}/apps/${app.id}/rollback/`, { token: owner.token });
    expect(again.status, again.text).toBe(200);
    expect((await waitForOperation(fx.api, owner.token, owner.company.id, again.body.operation_id, 120_000)).status).toBe('success');
    await serves('v5:blue');
    const v7 = (await fx.api.get(releases('7/'), { token: owner.token })).body;
    expect(v7).toMatchObject({ source: 'rollback', rollback_of: 5, config_version: 1 });
    // v5's tree was kept beside /srv/app since v6 replaced it: it swaps back in, nothing unpacked.
    expect(v7.log).toMatch(/switched \/srv\/app to the tree of release 5, kept beside it/);
    expect(v7.log).not.toMatch(/unpacking/);

    // A failed release has nothing to go back to.
    const failed = await fx.api.post(`/${owner.company.id}/apps/${app.id}/rollback/`, { token: owner.token, body: { version: 3 } });
    expect(failed.status).toBe(409);
    expect(failed.body.message).toMatch(/release 3 failed/);
  }, 300_000);

  it('records what SSH deployed as a release, and never mistakes a tree changed over SSH for a kept release', async () => {
    // v7 (v5's files) is active; rsync changes it in place. A deploy after that must not keep the
    // changed tree as "v5's files": a rollback to v7 unpacks v5's archive instead of swapping it back.
    await deploy(user, app, key.path, sourceTree(user, 'by-ssh', { 'server.js': server('ssh') }), '/usr/local/bin/node /srv/app/server.js');
    await serves('ssh:blue');
    await deployed(archive('v8', { 'server.js': server('v8') }), 'success');
    await serves('v8:blue');
    const toV7 = await fx.api.post(`/${owner.company.id}/apps/${app.id}/rollback/`, { token: owner.token, body: { version: 7 } });
    expect((await waitForOperation(fx.api, owner.token, owner.company.id, toV7.body.operation_id, 120_000)).status).toBe('success');
    await serves('v5:blue');
    // Unpacked (v8's running tree is known, so only what differs from it), not swapped back.
    const v9 = (await fx.api.get(releases('9/'), { token: owner.token })).body.log;
    expect(v9).toMatch(/unpacking the \d+ changed entries of the archive beside \/srv\/app/);
    expect(v9).not.toMatch(/switched \/srv\/app to the tree of release/);

    await deploy(user, app, key.path, sourceTree(user, 'by-ssh', { 'server.js': server('ssh') }), '/usr/local/bin/node /srv/app/server.js');
    await serves('ssh:blue');
    const snap = await fx.api.post(releases(), { token: owner.token, body: { from: 'srv' } });
    expect(snap.status, snap.text).toBe(200);
    expect((await waitForOperation(fx.api, owner.token, owner.company.id, snap.body.operation_id, 120_000)).status).toBe('success');
    const v10 = (await fx.api.get(releases(`${snap.body.version}/`), { token: owner.token })).body;
    // The rollback to v5 restored config version 1's values as version 3: what the app runs now.
    expect(v10).toMatchObject({ version: 10, status: 'active', source: 'srv', config_version: 3 });
    expect(v10.size).toBeGreaterThan(0);

    const toV5 = await fx.api.post(`/${owner.company.id}/apps/${app.id}/rollback/`, { token: owner.token, body: { version: 5 } });
    expect((await waitForOperation(fx.api, owner.token, owner.company.id, toV5.body.operation_id, 120_000)).status).toBe('success');
    await serves('v5:blue');
    // Back to the snapshot: its tree is the one kept beside /srv/app, so it swaps in without unpacking.
    const toSsh = await fx.api.post(`/${owner.company.id}/apps/${app.id}/rollback/`, { token: owner.token, body: { version: 10 } });
    expect((await waitForOperation(fx.api, owner.token, owner.company.id, toSsh.body.operation_id, 120_000)).status).toBe('success');
    await serves('ssh:blue');
    expect((await fx.api.get(releases(`${toSsh.body.version}/`), { token: owner.token })).body.log).toMatch(/switched \/srv\/app to the tree of release 10, kept beside it/);
  }, 300_000);

  it('deploys an upload that an API on another machine took, and rolls back through it', async () => {
    // Another machine's API: its disk is not this host's (a private tmpfs over /var/lib, where it
    // keeps its copies of archives), and it runs no worker. The worker here deploys what it took,
    // read from the database.
    const elsewhere = await startBerth({ ...fx.env, BERTH_ROLES: 'api', RELEASES_DIR: '/var/lib/berth/releases' }, ['unshare', '--mount', '--propagation', 'private', '--', 'sh', '-c', 'mount -t tmpfs tmpfs /var/lib && exec "$@"', 'sh']);
    try {
      const path = releases();
      const taken = await fetch(`${elsewhere.url}${path}`, { method: 'POST', headers: { authorization: `Token ${owner.token}`, 'content-type': 'application/gzip' }, body: new Uint8Array(archive('v-elsewhere', { 'server.js': server('elsewhere') })) });
      const body = await taken.json();
      expect(taken.status, JSON.stringify(body)).toBe(200);
      expect((await waitForOperation(fx.api, owner.token, owner.company.id, body.operation_id, 120_000)).status).toBe('success');
      await serves('elsewhere:blue');
      v13Archive = (await fx.db.query('SELECT archive FROM releases WHERE app_id = $1 AND version = $2', [app.id, body.version])).rows[0].archive;
      const back = await client(elsewhere.url, elsewhere).post(`/${owner.company.id}/apps/${app.id}/rollback/`, { token: owner.token, body: {} });
      expect(back.status, back.text).toBe(200);
      expect((await waitForOperation(fx.api, owner.token, owner.company.id, back.body.operation_id, 120_000)).status).toBe('success');
      await serves('ssh:blue');
    } finally {
      await elsewhere.stop();
    }
  }, 300_000);

  it('keeps RELEASES_KEPT releases, their archives outside /srv, shared by rollbacks, and removes them with the app', async () => {
    const list = (await fx.api.get(releases(), { token: owner.token })).body as Array<{ version: number; status: string }>;
    expect(list.map((r) => r.version)).toEqual([14, 13, 12, 11, 10, 9]);
    // Rollbacks share their origin's archive: v14 and v12 are v10's files, v13 has its own, v11 and v9 are v5's (pruned, its archive kept).
    const stored = async () =>
      (await fx.db.query<{ name: string; complete: boolean; manifest: boolean; bytes: string; size: string }>(
        `SELECT a.name, a.complete, a.manifest IS NOT NULL AS manifest, a.size, (SELECT coalesce(sum(length(c.data)), 0) FROM release_archive_chunks c WHERE c.app_id = a.app_id AND c.name = a.name) AS bytes
           FROM release_archives a WHERE a.app_id = $1`,
        [app.id],
      )).rows;
    const archives = await stored();
    expect(archives.length).toBe(3);
    // Each whole, its chunks adding up to its size, with its manifest (what a deploy compares to unpack only what changed).
    for (const a of archives) expect(a).toMatchObject({ complete: true, manifest: true, bytes: a.size });
    // This host's copies: those of the archives its API took (v13's went to the other API's host).
    const copies = join(fx.env.RELEASES_DIR, fx.env.DOCKER_NAME_PREFIX, String(app.id));
    expect(readdirSync(copies).sort()).toEqual(archives.map((a) => a.name).filter((n) => n !== v13Archive).sort());
    const gone = await fx.api.delete(`/${owner.company.id}/apps/${app.id}/`, { token: owner.token });
    expect((await waitForOperation(fx.api, owner.token, owner.company.id, gone.body.operation_id, 120_000)).status).toBe('success');
    expect(await stored()).toEqual([]);
    expect((await fx.db.query('SELECT 1 FROM release_archive_chunks WHERE app_id = $1', [app.id])).rows).toEqual([]);
    expect(() => readdirSync(copies)).toThrow(/ENOENT/);
  }, 120_000);
});

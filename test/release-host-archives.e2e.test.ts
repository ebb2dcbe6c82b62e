// Release archives an earlier Berth kept only on the host (RELEASES_DIR/<prefix>/<app id>/<name>.tar.gz)
// move into the database when a worker on that host starts, and a rollback to their release works.
// A host that runs only the API drops its copies of archives a worker elsewhere pruned, and old
// copies of archives that no deploy or rollback without a version would read.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createApp } from './support/apps.js';
import { eventually } from './support/docker.js';
import { useBerth } from './support/fixture.js';
import { client, register, waitForOperation } from './support/http.js';
import { startBerth } from './support/server.js';
import { SshUser } from './support/ssh.js';

const hostDir = mkdtempSync(join(tmpdir(), 'berth-host-releases-'));
// The copies of an API that runs on a host of its own, with no worker.
const apiHostDir = mkdtempSync(join(tmpdir(), 'berth-api-host-releases-'));
afterAll(() => {
  for (const dir of [hostDir, apiHostDir]) rmSync(dir, { recursive: true, force: true });
});
// Three releases kept: a fourth deploy prunes the first.
const fx = useBerth('host_archives', { BERTH_ROLES: 'api,worker,ssh', RELEASES_DIR: hostDir, RELEASES_KEPT: '3', QUEUE_PREFIX: `berth-test-host-archives-${process.pid}` });
const user = new SshUser();
const key = user.key('host-archives');

function archive(name: string, text: string): Buffer {
  const dir = join(user.dir, 'trees', name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'server.js'), `require('node:http').createServer((q, s) => s.end('${text}')).listen(process.env.PORT);\n`);
  return execFileSync('tar', ['-czf', '-', '-C', dir, '.']);
}

describe('release archives kept on the host by an earlier Berth', () => {
  it('move into the database when a worker starts, the files stay as copies, and a rollback to their release works', async () => {
    const owner = await register(fx.api, 'Host Archives');
    const app = await createApp(fx.api, owner, user, key, { name: 'kept' });
    const releases = `/${owner.company.id}/apps/${app.id}/releases/`;
    for (const [name, text] of [['v1', 'one'], ['v2', 'two']]) {
      const answer = await fetch(`${fx.berth.url}${releases}`, { method: 'POST', headers: { authorization: `Token ${owner.token}`, 'content-type': 'application/gzip' }, body: new Uint8Array(archive(name, text)) });
      const body = await answer.json();
      expect(answer.status, JSON.stringify(body)).toBe(200);
      expect((await waitForOperation(fx.api, owner.token, owner.company.id, body.operation_id, 120_000)).status).toBe('success');
    }
    // As an earlier Berth left it: release 1's archive a file on the host, not in the database.
    const dir = join(hostDir, fx.env.DOCKER_NAME_PREFIX, String(app.id));
    const name: string = (await fx.db.query('SELECT archive FROM releases WHERE app_id = $1 AND version = 1', [app.id])).rows[0].archive;
    const chunks = await fx.db.query<{ data: Buffer }>('SELECT data FROM release_archive_chunks WHERE app_id = $1 AND name = $2 ORDER BY seq', [app.id, name]);
    const bytes = Buffer.concat(chunks.rows.map((r) => r.data));
    const size = (await fx.db.query('SELECT size FROM release_archives WHERE app_id = $1 AND name = $2', [app.id, name])).rows[0].size;
    expect(bytes.length).toBe(Number(size));
    // This host's copy of it is that file already.
    expect(readFileSync(join(dir, name)).equals(bytes)).toBe(true);
    await fx.db.query('DELETE FROM release_archives WHERE app_id = $1 AND name = $2', [app.id, name]);
    // And a copy of an archive no release names (pruned since, by a process on another host): it goes.
    writeFileSync(join(dir, 'ffff0000.tar.gz'), 'an archive pruned since');
    const missing = await fx.api.post(`/${owner.company.id}/apps/${app.id}/rollback/`, { token: owner.token, body: { version: 1 } });
    expect(missing.status, missing.text).toBe(409);
    expect(missing.body.message).toMatch(/missing from the release store/);

    const worker = await startBerth({ ...fx.env, BERTH_ROLES: 'worker' });
    try {
      await eventually('the archive is in the database', async () => (await fx.db.query('SELECT 1 FROM release_archives WHERE app_id = $1 AND name = $2 AND complete', [app.id, name])).rows.length === 1, 30_000);
      const stored = await fx.db.query<{ size: string; chunks: number }>('SELECT size, chunks FROM release_archives WHERE app_id = $1 AND name = $2', [app.id, name]);
      expect(stored.rows).toEqual([{ size: String(bytes.length), chunks: Math.ceil(bytes.length / 1024 ** 2) }]);
      const back = Buffer.concat((await fx.db.query<{ data: Buffer }>('SELECT data FROM release_archive_chunks WHERE app_id = $1 AND name = $2 ORDER BY seq', [app.id, name])).rows.map((r) => r.data));
      expect(back.equals(bytes)).toBe(true);
      // The file stays as this host's copy; the one no release names goes.
      expect(existsSync(join(dir, name))).toBe(true);
      await eventually('the file no release names is removed', async () => !existsSync(join(dir, 'ffff0000.tar.gz')), 10_000);
    } finally {
      await worker.stop();
    }
    const rollback = await fx.api.post(`/${owner.company.id}/apps/${app.id}/rollback/`, { token: owner.token, body: { version: 1 } });
    expect(rollback.status, rollback.text).toBe(200);
    expect((await waitForOperation(fx.api, owner.token, owner.company.id, rollback.body.operation_id, 120_000)).status).toBe('success');
    const served = await user.ssh(app.sshPort, key.path, ['cat /srv/app/server.js']);
    expect(served.stdout.toString()).toContain("s.end('one')");
  }, 300_000);

  it('on a host that runs only the API, the copy of an archive a worker elsewhere pruned goes at the next check, and so do old copies no deploy is likely to need', async () => {
    const elsewhere = await startBerth({ ...fx.env, BERTH_ROLES: 'api', RELEASES_DIR: apiHostDir, RELEASES_HOST_CHECK_EVERY_MS: '1000' });
    try {
      const owner = await register(fx.api, 'API Host Copies');
      const app = await createApp(fx.api, owner, user, key, { name: 'pruned' });
      const copies = join(apiHostDir, fx.env.DOCKER_NAME_PREFIX, String(app.id));
      const archiveOf = async (version: number): Promise<string> => (await fx.db.query('SELECT archive FROM releases WHERE app_id = $1 AND version = $2', [app.id, version])).rows[0].archive;
      const texts = ['one', 'two', 'three', 'four'];
      for (const [i, text] of texts.entries()) {
        const answer = await fetch(`${elsewhere.url}/${owner.company.id}/apps/${app.id}/releases/`, { method: 'POST', headers: { authorization: `Token ${owner.token}`, 'content-type': 'application/gzip' }, body: new Uint8Array(archive(`p${i + 1}`, text)) });
        const body = await answer.json();
        expect(answer.status, JSON.stringify(body)).toBe(200);
        expect((await waitForOperation(fx.api, owner.token, owner.company.id, body.operation_id, 120_000)).status).toBe('success');
        if (i === 0) {
          // The API's host keeps a copy of what it took; the worker's host has none (it read the database).
          expect(readdirSync(copies)).toEqual([await archiveOf(1)]);
          expect(existsSync(join(hostDir, fx.env.DOCKER_NAME_PREFIX, String(app.id), await archiveOf(1)))).toBe(false);
        }
      }
      const [second, third, fourth] = [await archiveOf(2), await archiveOf(3), await archiveOf(4)];
      // The fourth deploy pruned release 1, in the worker, with its archive: its copy goes at the next check.
      expect((await fx.db.query('SELECT version FROM releases WHERE app_id = $1 ORDER BY version', [app.id])).rows.map((r) => r.version)).toEqual([2, 3, 4]);
      await eventually('the API host drops its copy of the pruned archive', async () => readdirSync(copies).sort().join() === [second, third, fourth].sort().join(), 15_000);
      // New copies stay whatever their release; an old one stays for the active release (4) and
      // the one a rollback goes back to (3), not for release 2, whose archive the database keeps.
      await new Promise((r) => setTimeout(r, 2500));
      expect(readdirSync(copies).sort()).toEqual([second, third, fourth].sort());
      const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
      for (const name of [second, third, fourth]) utimesSync(join(copies, name), twoHoursAgo, twoHoursAgo);
      await eventually('the old copy of release 2 goes', async () => readdirSync(copies).sort().join() === [third, fourth].sort().join(), 15_000);
      expect((await fx.db.query('SELECT 1 FROM release_archives WHERE app_id = $1 AND name = $2 AND complete', [app.id, second])).rows).toHaveLength(1);
      // A rollback to it reads the database.
      const back = await client(elsewhere.url, elsewhere).post(`/${owner.company.id}/apps/${app.id}/rollback/`, { token: owner.token, body: { version: 2 } });
      expect(back.status, back.text).toBe(200);
      expect((await waitForOperation(fx.api, owner.token, owner.company.id, back.body.operation_id, 120_000)).status).toBe('success');
      expect((await user.ssh(app.sshPort, key.path, ['cat /srv/app/server.js'])).stdout.toString()).toContain("s.end('two')");
    } finally {
      await elsewhere.stop();
    }
  }, 300_000);
});

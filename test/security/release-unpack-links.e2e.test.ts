// A tenant with a shell in their own container (SSH gives them one) plants links where a deploy
// unpacks, and has the archive write through them. When the engine unpacked (as root, following
// links in the directory it unpacked into), that wrote into the container's read-only root
// filesystem: /etc, the runtime's binaries, and the host's disk beyond the plan's quota. Two ways in,
// both against a real Berth (API and worker) and Docker:
// - a link in /srv/app, and the marker that makes the deploy trust the last archive's list of files
//   touched, so the link is copied into the new tree unseen and the archive's `foo/etc/…` lands in /etc;
// - a snapshot of /srv/app made by a `tar` of the tenant's (/srv/bin comes first on PATH) holding a
//   link to / and a file under it, unpacked by a rollback.
// Now the archive is unpacked by the app's own user: a link leads nowhere it could not write anyway;
// and a snapshot is made by the image's own tar, whatever the tenant has on PATH.
// Reference: CWE-59 (link following), CWE-250 (execution with unnecessary privileges).
import { execFileSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { docker } from '../support/docker.js';
import { useBerth } from '../support/fixture.js';
import { register, waitForOperation } from '../support/http.js';
import { crafted, Entry } from '../support/crafted-tar.js';

const fx = useBerth('unpacklinks', { BERTH_ROLES: 'api,worker', JOB_BACKOFF_MS: '200' });
const IMAGE = 'berth/runtime:2026.11-1';
const SERVER = "require('node:http').createServer((q, s) => s.end(process.env.BERTH_RELEASE || 'up')).listen(process.env.PORT);\n";
type Who = Awaited<ReturnType<typeof register>>;

let owner: Who;
let appId: number;
const container = () => `${fx.env.DOCKER_NAME_PREFIX}-app-${appId}`;
const releases = (suffix = '') => `/${owner.company.id}/apps/${appId}/releases/${suffix}`;

/** A shell command in the app's container as its user, as the tenant runs it over SSH. */
const asTenant = (command: string, input?: Buffer) =>
  input ? execFileSync('docker', ['exec', '-i', '-u', 'app', container(), 'sh', '-c', command], { input }) : docker('exec', '-u', 'app', container(), 'sh', '-c', command);

/** Whatever the container's root filesystem gained (not /srv, /tmp or the other mounts): `docker diff`. */
const rootfsChanges = async () => (await docker('diff', container())).split('\n').filter((line) => line.includes('berth-pwned'));

async function deploy(archive: Buffer) {
  const posted = await fetch(`${fx.berth.url}${releases()}`, { method: 'POST', headers: { authorization: `Token ${owner.token}`, 'content-type': 'application/gzip' }, body: new Uint8Array(archive) });
  const answer = await posted.json();
  expect(posted.status, JSON.stringify(answer)).toBe(200);
  return finished(answer);
}

async function finished(answer: { operation_id: number; version: number }) {
  const op = await waitForOperation(fx.api, owner.token, owner.company.id, answer.operation_id, 120_000);
  const release = (await fx.api.get(releases(`${answer.version}/`), { token: owner.token })).body;
  return { op, release };
}

const files = (extra: Entry[] = []) => crafted([{ name: 'server.js', data: SERVER }, ...extra]);

beforeAll(async () => {
  owner = await register(fx.api, 'Link Planter');
  const plan = (await fx.api.get(`/${owner.company.id}/plans/`, { token: owner.token })).body[0].id;
  const created = await fx.api.post(`/${owner.company.id}/apps/`, { token: owner.token, body: { name: 'planter', image: IMAGE, plan } });
  expect(created.status, created.text).toBe(200);
  expect((await waitForOperation(fx.api, owner.token, owner.company.id, created.body.operation_id, 120_000)).status).toBe('success');
  appId = created.body.id;
  const v1 = await deploy(files());
  expect(v1.op.status, v1.op.message).toBe('success');
}, 240_000);

describe('links planted where a deploy unpacks', () => {
  it('a link in /srv/app, trusted as the last archive\'s tree: the archive cannot write through it into /etc', async () => {
    await asTenant('ln -s / /srv/app/foo && touch /srv/.berth/deploy/active');
    const { op, release } = await deploy(files([{ name: 'foo/etc/berth-pwned-a', data: 'written through a link' }]));
    expect(await rootfsChanges()).toEqual([]);
    expect((await docker('exec', container(), 'sh', '-c', 'test -e /etc/berth-pwned-a && echo there || echo absent')).trim()).toBe('absent');
    // The deploy fails, naming what its unpacking could not do; the running release is untouched.
    expect([op.status, release.status]).toEqual(['error', 'failed']);
    expect(release.message).toMatch(/unpacking failed.*berth-pwned-a/);
    await asTenant('rm /srv/app/foo');
  }, 180_000);

  it("a snapshot made by the tenant's own tar, rolled back to: the image's tar makes it, and nothing lands outside /srv", async () => {
    const evil = crafted([
      { name: './server.js', data: SERVER },
      { name: './x', type: 'symlink', linkname: '/' },
      { name: './x/etc/berth-pwned-c', data: 'written through a snapshot' },
    ]);
    asTenant('mkdir -p /srv/bin /srv/var && cat > /srv/var/evil.tar.gz', evil);
    await asTenant('printf "#!/bin/sh\\nexec gzip -dc /srv/var/evil.tar.gz\\n" > /srv/bin/tar && chmod +x /srv/bin/tar');
    const snap = await fx.api.post(releases(), { token: owner.token, body: { from: 'srv' } });
    expect(snap.status, snap.text).toBe(200);
    const snapshot = await finished(snap.body);
    expect(snapshot.op.status, snapshot.op.message).toBe('success');
    await asTenant('rm -f /srv/bin/tar /srv/var/evil.tar.gz');
    // Two releases since: the snapshot's tree is no longer the one kept beside /srv/app, so a rollback unpacks it.
    for (let i = 0; i < 2; i++) expect((await deploy(files([{ name: `v${i}.txt`, data: String(i) }]))).op.status).toBe('success');

    const back = await fx.api.post(`/${owner.company.id}/apps/${appId}/rollback/`, { token: owner.token, body: { version: snap.body.version } });
    expect(back.status, back.text).toBe(200);
    const rollback = await finished(back.body);
    expect(await rootfsChanges()).toEqual([]);
    expect((await docker('exec', container(), 'sh', '-c', 'test -e /etc/berth-pwned-c && echo there || echo absent')).trim()).toBe('absent');
    // The snapshot was /srv/app as it was, not what the tenant's tar printed: back to it, whole.
    expect([rollback.op.status, rollback.release.status], rollback.release.message).toEqual(['success', 'active']);
    expect((await docker('exec', container(), 'ls', '-A', '/srv/app')).split('\n').sort()).toEqual(['server.js']);
  }, 240_000);
});

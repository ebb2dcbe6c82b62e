// A deploy unpacks only what changed since the running release, linking the rest, against a real
// Berth, Docker and the runtime image: the new tree is exactly the new archive (changed, new, gone,
// re-moded and re-linked entries, long names), unchanged files share their inode with the tree kept
// for a rollback, and a tree the tenant changed (an rsync, an edit in place of a linked file) is
// never trusted: the whole archive is unpacked, or a rollback unpacks instead of swapping back.
import { execFileSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { docker, eventually } from './support/docker.js';
import { useBerth } from './support/fixture.js';
import { register, waitForOperation } from './support/http.js';

const fx = useBerth('relinc', { BERTH_ROLES: 'api,worker', JOB_BACKOFF_MS: '200', RELEASE_HEALTH_TIMEOUT_MS: '10000' });
const work = mkdtempSync(join(tmpdir(), 'berth-relinc-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
type Owner = Awaited<ReturnType<typeof register>>;
let owner: Owner;
let appId = 0;
let hostPort = 0;
const LONG = `deep/${'a'.repeat(60)}/${'b'.repeat(60)}/long-name.txt`;

const server = (label: string) => `require('node:http').createServer((q, s) => s.end('${label}')).listen(process.env.PORT);\n`;
const container = () => `${fx.env.DOCKER_NAME_PREFIX}-app-${appId}`;
const sh = (script: string, user = 'app') => docker('exec', '-u', user, container(), 'sh', '-c', script);

/** A tar.gz made by GNU tar (pax, for the long name) of files, modes and links. */
function archive(name: string, files: Record<string, string>, options: { exec?: string[]; links?: Record<string, string> } = {}): Buffer {
  const dir = join(work, name);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
    chmodSync(join(dir, path), options.exec?.includes(path) ? 0o755 : 0o644);
  }
  for (const [path, target] of Object.entries(options.links ?? {})) symlinkSync(target, join(dir, path));
  return execFileSync('tar', ['--format=pax', '-czf', '-', '-C', dir, '.']);
}

async function deployed(body: Buffer, path = `/${owner.company.id}/apps/${appId}/releases/`) {
  const answer = await fetch(`${fx.berth.url}${path}`, { method: 'POST', headers: { authorization: `Token ${owner.token}`, 'content-type': 'application/gzip' }, body: new Uint8Array(body) });
  const created = await answer.json();
  expect(answer.status, JSON.stringify(created)).toBe(200);
  const op = await waitForOperation(fx.api, owner.token, owner.company.id, created.operation_id, 120_000);
  expect(op.status, op.message).toBe('success');
  return (await fx.api.get(`/${owner.company.id}/apps/${appId}/releases/${created.version}/`, { token: owner.token })).body as { version: number; log: string };
}

async function rollback(version: number) {
  const answer = await fx.api.post(`/${owner.company.id}/apps/${appId}/rollback/`, { token: owner.token, body: { version } });
  expect(answer.status, answer.text).toBe(200);
  expect((await waitForOperation(fx.api, owner.token, owner.company.id, answer.body.operation_id, 120_000)).status).toBe('success');
  return (await fx.api.get(`/${owner.company.id}/apps/${appId}/releases/${answer.body.version}/`, { token: owner.token })).body as { log: string };
}

const serves = (text: string) => eventually(`the app serves ${text}`, async () => (await fetch(`http://127.0.0.1:${hostPort}/`).then((r) => r.text()).catch(() => '')) === text, 30_000);

/** `path: contents` of every file, `path -> target` of every link, and `path mode` of every entry, under /srv/app. */
const tree = () =>
  sh(`cd /srv/app && find . -mindepth 1 | LC_ALL=C sort | while read -r p; do if [ -L "$p" ]; then echo "$p -> $(readlink "$p")"; elif [ -f "$p" ]; then echo "$p: $(cat "$p" | head -c 200)"; fi; echo "$p $(stat -c %a "$p")"; done`);
const inode = (path: string) => sh(`stat -c %i ${path}`);

const V1 = { 'server.js': server('v1'), 'keep.txt': 'kept', 'gone.txt': 'goes', 'dir/nested.txt': 'nested', 'tool.sh': 'echo tool', [LONG]: 'long' };
const V2 = { 'server.js': server('v2'), 'keep.txt': 'kept', 'new.txt': 'new', 'dir/nested.txt': 'nested', 'tool.sh': 'echo tool', [LONG]: 'long' };

describe('incremental deploys', () => {
  it('unpacks only what changed, and the new tree is exactly the new archive', async () => {
    owner = await register(fx.api, 'Incremental Owner');
    const plans = (await fx.api.get(`/${owner.company.id}/plans/`, { token: owner.token })).body;
    const created = await fx.api.post(`/${owner.company.id}/apps/`, { token: owner.token, body: { name: 'incr', image: 'berth/runtime:2026.11-1', plan: plans[0].id } });
    expect(created.status, created.text).toBe(200);
    expect((await waitForOperation(fx.api, owner.token, owner.company.id, created.body.operation_id)).status).toBe('success');
    appId = created.body.id;
    // Where the app is published on the host (no edge here).
    hostPort = Number((await docker('port', container(), '8080/tcp')).split('\n')[0].split(':').pop());

    const v1 = await deployed(archive('v1', V1, { links: { 'link.txt': 'keep.txt' } }));
    // The image's own default app was there: v1 shares nothing with it.
    expect(v1.log).toMatch(/unpacking the \d+ changed entries of the archive beside \/srv\/app; its 0 unchanged files/);
    await serves('v1');

    // server.js changes, gone.txt goes, new.txt comes, tool.sh becomes executable, the link points elsewhere.
    const v2 = await deployed(archive('v2', V2, { exec: ['tool.sh'], links: { 'link.txt': 'new.txt' } }));
    expect(v2.log).toMatch(/unpacking the \d+ changed entries of the archive beside \/srv\/app; its 3 unchanged files are linked from the running tree/);
    await serves('v2');
    const expected = execFileSync('sh', ['-c', `cd ${join(work, 'v2')} && find . -mindepth 1 | LC_ALL=C sort | while read -r p; do if [ -L "$p" ]; then echo "$p -> $(readlink "$p")"; elif [ -f "$p" ]; then echo "$p: $(cat "$p" | head -c 200)"; fi; echo "$p $(stat -c %a "$p")"; done`]).toString().trim();
    expect(await tree()).toBe(expected);
    // Unchanged files are the kept tree's own (one inode, no room taken twice); changed ones are new.
    expect(await inode('/srv/app/keep.txt')).toBe(await inode('/srv/.berth/deploy/previous/keep.txt'));
    expect(await inode(`/srv/app/${LONG}`)).toBe(await inode(`/srv/.berth/deploy/previous/${LONG}`));
    expect(await inode('/srv/app/server.js')).not.toBe(await inode('/srv/.berth/deploy/previous/server.js'));
    expect(await sh('cat /srv/.berth/deploy/previous/server.js')).toContain("'v1'");
    expect(await sh('stat -c "%U:%G" /srv/app/new.txt /srv/app/keep.txt')).toBe('app:app\napp:app');
  }, 300_000);

  it('compares with what /srv/app holds, read through the engine, when it was changed since it became active', async () => {
    await sh('echo tampered >> /srv/app/keep.txt && touch /srv/app/extra.txt && mkdir /srv/app/made && touch /srv/app/made/file');
    const v3 = await deployed(archive('v3', { ...V2, 'server.js': server('v3') }, { exec: ['tool.sh'], links: { 'link.txt': 'new.txt' } }));
    // keep.txt changed: unpacked again; what the archive does not have goes; the rest is linked.
    expect(v3.log).toMatch(/unpacking the \d+ changed entries of the archive beside \/srv\/app; its 5 unchanged files are linked/);
    await serves('v3');
    const expected = execFileSync('sh', ['-c', `cd ${join(work, 'v3')} && find . -mindepth 1 | LC_ALL=C sort | while read -r p; do if [ -L "$p" ]; then echo "$p -> $(readlink "$p")"; elif [ -f "$p" ]; then echo "$p: $(cat "$p" | head -c 200)"; fi; echo "$p $(stat -c %a "$p")"; done`]).toString().trim();
    expect(await tree()).toBe(expected);
  }, 120_000);

  it('never swaps back a kept tree whose linked file was edited in place through the running one', async () => {
    const v4 = await deployed(archive('v4', { ...V2, 'server.js': server('v4') }, { exec: ['tool.sh'], links: { 'link.txt': 'new.txt' } }));
    expect(v4.log).toMatch(/changed entries of the archive/);
    await serves('v4');
    // keep.txt in /srv/app and in the kept v3 tree are one inode: an edit in place shows in both.
    expect(await inode('/srv/app/keep.txt')).toBe(await inode('/srv/.berth/deploy/previous/keep.txt'));
    await sh('echo edited > /srv/app/keep.txt');
    expect(await sh('cat /srv/.berth/deploy/previous/keep.txt')).toBe('edited');
    const back = await rollback(3);
    expect(back.log).not.toMatch(/kept beside it/);
    expect(back.log).toMatch(/unpacking/);
    await serves('v3');
    expect(await sh('cat /srv/app/keep.txt')).toBe('kept');
  }, 120_000);

  it('swaps a kept tree back when nothing touched it', async () => {
    const v6 = await deployed(archive('v6', { ...V2, 'server.js': server('v6') }, { exec: ['tool.sh'], links: { 'link.txt': 'new.txt' } }));
    expect(v6.log).toMatch(/changed entries of the archive/);
    const back = await rollback(5);
    expect(back.log).toMatch(/kept beside it/);
    await serves('v3');
    expect(await sh('cat /srv/app/keep.txt')).toBe('kept');
  }, 120_000);

  it("never reaches through a link the tenant made in /srv/app when it removes what changed", async () => {
    await sh('mkdir -p /srv/var/keep && echo precious > /srv/var/keep/file && ln -s /srv/var/keep /srv/app/data && ln -s /srv/var/keep/file /srv/app/alias');
    const v8 = await deployed(archive('v8', { ...V2, 'server.js': server('v8'), 'data/file': 'from the archive', alias: 'plain' }, { exec: ['tool.sh'], links: { 'link.txt': 'new.txt' } }));
    expect(v8.log).toMatch(/changed entries of the archive/);
    await serves('v8');
    expect(await sh('cat /srv/var/keep/file; cat /srv/app/data/file; echo; cat /srv/app/alias; echo; [ -L /srv/app/data ] || echo "data is a directory"')).toBe('precious\nfrom the archive\nplain\ndata is a directory');
  }, 120_000);

  it('unpacks the whole archive when the running tree cannot be linked, and the deploy goes on', async () => {
    // A directory its owner may not read: linking /srv/app fails part-way, after the preparing.
    await sh('mkdir -p /srv/app/locked && chmod 000 /srv/app/locked');
    const v9 = await deployed(archive('v9', { ...V2, 'server.js': server('v9') }, { exec: ['tool.sh'], links: { 'link.txt': 'new.txt' } }));
    expect(v9.log).toMatch(/the running tree could not be linked, so the whole archive is unpacked: linking the running tree failed \(exit 1\): .*locked/);
    expect(v9.log).toMatch(/unpacking the archive beside \/srv\/app/);
    await serves('v9');
    const expected = execFileSync('sh', ['-c', `cd ${join(work, 'v9')} && find . -mindepth 1 | LC_ALL=C sort | while read -r p; do if [ -L "$p" ]; then echo "$p -> $(readlink "$p")"; elif [ -f "$p" ]; then echo "$p: $(cat "$p" | head -c 200)"; fi; echo "$p $(stat -c %a "$p")"; done`]).toString().trim();
    expect(await tree()).toBe(expected);
    // The next deploy prepares again over the kept tree that holds it, and links as before.
    await sh('chmod 700 /srv/.berth/deploy/previous/locked');
    const v10 = await deployed(archive('v10', { ...V2, 'server.js': server('v10') }, { exec: ['tool.sh'], links: { 'link.txt': 'new.txt' } }));
    expect(v10.log).toMatch(/changed entries of the archive beside \/srv\/app; its \d+ unchanged files are linked/);
    await serves('v10');
  }, 120_000);

  it('deploys at the first try an archive padded with zeros past its end, which tar leaves unread', async () => {
    // GNU tar stops at the end-of-archive marker and exits 0; the zeros after it then meet a closed
    // stdin. Each try failed on that ("Premature close") and the job was retried.
    const dir = join(work, 'v11');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'server.js'), server('v11'));
    const tar = Buffer.concat([execFileSync('tar', ['-cf', '-', '-C', dir, '.']), Buffer.alloc(16 * 1024 ** 2)]);
    const v11 = await deployed(gzipSync(tar));
    await serves('v11');
    expect(v11.log.match(/unpacking the/g)).toHaveLength(1);
  }, 120_000);
});

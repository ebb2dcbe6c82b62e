// Attack catalogue: release uploads over real HTTP against a real Berth (API role only, so a
// release that is accepted stays deploying). Archives that would reach outside /srv/app (`..`, an
// absolute name, a link out, a pax path override, a hard link out, a device, a decompression
// bomb) are refused with 400 naming the entry and leave neither a release nor a file behind; an
// upload past RELEASE_ARCHIVE_MAX is 413 whether it declares its length or streams it chunked, and
// leaves no partial file (and the connection of a refused chunked upload must not be left open
// and deaf); six parallel deploys of one app race for the deploy slot and exactly one
// wins; another company's owner, a token without access and a viewer get 404, 401 and 403 on every
// release route. Reference: OWASP API Security Top 10 2023, API1 Broken Object Level Authorization,
// API4 Unrestricted Resource Consumption, API5 Broken Function Level Authorization, API8 Security
// Misconfiguration; CWE-22, CWE-59, CWE-409.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/docker.js';
import { useBerth } from '../support/fixture.js';
import { register } from '../support/http.js';
import { crafted } from '../support/crafted-tar.js';

const fx = useBerth('secrelease', { BERTH_ROLES: 'api', RELEASE_ARCHIVE_MAX: '2mb', RELEASE_UNPACKED_MAX: '10mb' });
const IMAGE = 'berth/runtime:2026.11-1';
const MB = 1024 * 1024;
type Who = Awaited<ReturnType<typeof register>>;


const scratch = mkdtempSync(join(tmpdir(), 'berth-release-attack-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A valid release made by GNU tar, as a CI pipeline would. */
function validArchive(): Buffer {
  const dir = mkdtempSync(join(scratch, 'tree-'));
  writeFileSync(join(dir, 'server.js'), "require('node:http').createServer((q, s) => s.end('ok')).listen(process.env.PORT);\n");
  return execFileSync('tar', ['-czf', '-', '-C', dir, '.']);
}

let owner: Who;
let other: Who;
let plan: number;

beforeAll(async () => {
  owner = await register(fx.api, 'Release Target Co');
  other = await register(fx.api, 'Release Attacker Co');
  plan = (await fx.api.get(`/${owner.company.id}/plans/`, { token: owner.token })).body[0].id;
});

/** A new app of the owner's company; without a worker it stays as created (and enabled). */
async function newApp(name: string): Promise<number> {
  const created = await fx.api.post(`/${owner.company.id}/apps/`, { token: owner.token, body: { name, image: IMAGE, plan } });
  expect(created.status, created.text).toBe(200);
  return created.body.id;
}

const releasesPath = (appId: number, suffix = '', company = owner.company.id) => `/${company}/apps/${appId}/releases/${suffix}`;

/** POSTs `body` as an archive (`application/gzip`); a ReadableStream goes chunked, with no Content-Length. */
async function upload(appId: number, body: Buffer | ReadableStream<Uint8Array>, options: { authorization?: string | null; company?: number } = {}) {
  const headers: Record<string, string> = { 'content-type': 'application/gzip' };
  const authorization = options.authorization === undefined ? `Token ${owner.token}` : options.authorization;
  if (authorization !== null) headers.authorization = authorization;
  const init: RequestInit & { duplex?: 'half' } = { method: 'POST', headers, body: body as BodyInit };
  if (!Buffer.isBuffer(body)) init.duplex = 'half';
  const answer = await fetch(`${fx.berth.url}${releasesPath(appId, '', options.company)}`, init);
  const text = await answer.text();
  let parsed: any;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: answer.status, text, body: parsed };
}

/**
 * Every archive (partial uploads included) the release store holds for the app, and every chunk
 * that belongs to none: one stored archive is one entry.
 */
async function storedFiles(appId: number): Promise<string[]> {
  const archives = await fx.db.query<{ name: string; complete: boolean }>('SELECT name, complete FROM release_archives WHERE app_id = $1', [appId]);
  const orphans = await fx.db.query<{ name: string }>('SELECT DISTINCT name FROM release_archive_chunks c WHERE app_id = $1 AND NOT EXISTS (SELECT 1 FROM release_archives a WHERE a.app_id = c.app_id AND a.name = c.name)', [appId]);
  return [...archives.rows.map((a) => `${a.name}${a.complete ? '' : ' (partial)'}`), ...orphans.rows.map((o) => `${o.name} (orphan chunks)`)];
}

async function releaseList(appId: number, who: Who = owner) {
  const list = await fx.api.get(releasesPath(appId), { token: who.token });
  expect(list.status, list.text).toBe(200);
  return list.body as Array<{ version: number; status: string }>;
}

/** `bytes` random bytes in 64 KB chunks, streamed (fetch sends them chunked, with no Content-Length). */
/**
 * A well-formed tar.gz of about `bytes` (one file of random bytes, which gzip cannot shrink): the
 * check, reading it as it streams in, finds nothing to refuse, so the size limit is what stops it.
 */
function incompressibleArchive(bytes: number): Buffer {
  const dir = mkdtempSync(join(scratch, 'random-'));
  writeFileSync(join(dir, 'noise.bin'), randomBytes(bytes));
  return execFileSync('tar', ['-czf', '-', '-C', dir, 'noise.bin'], { maxBuffer: 64 * MB });
}

function chunkedBody(bytes: number): ReadableStream<Uint8Array> {
  const archive = incompressibleArchive(bytes);
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= archive.length) return controller.close();
      controller.enqueue(new Uint8Array(archive.subarray(at, at + 64 * 1024)));
      at += 64 * 1024;
    },
  });
}

/**
 * On one raw connection: a chunked upload of an archive of about `bytes` (random, so incompressible), then (once its
 * answer is in) a GET of the same path. The first answer's head, what came back to the GET
 * within 5 s, and whether the server closed the connection.
 */
async function chunkedThenGet(path: string, bytes: number): Promise<{ first: string; second: string; closed: boolean }> {
  const url = new URL(fx.berth.url);
  const socket = connect(Number(url.port), url.hostname);
  let received = '';
  let closed = false;
  socket.on('data', (data: Buffer) => (received += data.toString('latin1')));
  socket.on('error', () => undefined);
  socket.on('close', () => (closed = true));
  await once(socket, 'connect');
  const until = async (done: () => boolean, ms: number) => {
    for (const end = Date.now() + ms; !done() && !closed && Date.now() < end; ) await new Promise((r) => setTimeout(r, 20));
  };
  const head = (method: string, extra: string) => `${method} ${url.pathname}${path} HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: Token ${owner.token}\r\n${extra}\r\n`;
  socket.write(head('POST', 'Content-Type: application/gzip\r\nTransfer-Encoding: chunked\r\n'));
  const archive = incompressibleArchive(bytes);
  for (let at = 0; at < archive.length; at += 64 * 1024) {
    const chunk = archive.subarray(at, at + 64 * 1024);
    socket.write(`${chunk.length.toString(16)}\r\n`);
    socket.write(chunk);
    socket.write('\r\n');
  }
  socket.write('0\r\n\r\n');
  const complete = () => {
    const end = received.indexOf('\r\n\r\n');
    const length = /^content-length: *(\d+)/im.exec(received);
    return end !== -1 && length !== null && received.length >= end + 4 + Number(length[1]);
  };
  await until(complete, 15_000);
  const first = received.split('\r\n\r\n')[0];
  received = '';
  if (!closed) socket.write(head('GET', ''));
  await until(() => received.includes('\r\n\r\n'), 5_000);
  const second = received;
  socket.destroy();
  return { first, second, closed };
}

/** Sends the head of an upload declaring `declared` bytes and `sent` of them, then drops the connection. */
async function abandonedUpload(path: string, declared: number, sent: number): Promise<void> {
  const url = new URL(fx.berth.url);
  const socket = connect(Number(url.port), url.hostname);
  socket.on('error', () => undefined);
  await once(socket, 'connect');
  socket.write(`POST ${url.pathname}${path} HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: Token ${owner.token}\r\nContent-Type: application/gzip\r\nContent-Length: ${declared}\r\n\r\n`);
  socket.write(incompressibleArchive(sent).subarray(0, sent));
  await new Promise((r) => setTimeout(r, 300));
  socket.destroy();
}

describe('archives that reach outside /srv/app', () => {
  // Attack: each archive would write or link outside the tree it unpacks to, or unpack past the limit.
  // Refusal: 400 validation_error, errors.archive naming the entry; no release, no file kept.
  it('refuses each with 400 naming the entry, and keeps neither a release nor a file', async () => {
    const appId = await newApp('attacked');
    const attacks: Array<[string, Buffer, string, RegExp]> = [
      ['..', crafted([{ name: 'app.js', data: 'x' }, { name: '../evil', data: 'x' }]), '../evil', /climbs out of the tree with "\.\."/],
      ['nested ..', crafted([{ name: 'a/../../evil', data: 'x' }]), 'a/../../evil', /climbs out of the tree/],
      ['absolute', crafted([{ name: '/etc/passwd', data: 'root::0:0::/:/bin/sh\n' }]), '/etc/passwd', /is an absolute path/],
      ['symlink out', crafted([{ name: 'etc', type: 'symlink', linkname: '/etc' }]), 'etc', /is a link to the absolute path "\/etc"/],
      ['symlink up', crafted([{ name: 'up', type: 'symlink', linkname: '../..' }]), 'up', /leads outside the app's tree/],
      ['member under a link', crafted([{ name: 'sub', type: 'dir' }, { name: 'link', type: 'symlink', linkname: 'sub' }, { name: 'link/file', data: 'x' }]), 'link/file', /lies under "link"/],
      ['pax path override', crafted([{ name: 'innocent', data: 'x', pax: { path: '../x' } }]), '../x', /climbs out of the tree/],
      ['hard link out', crafted([{ name: 'h', type: 'hardlink', linkname: '../x' }]), 'h', /climbs out of the tree/],
      ['device', crafted([{ name: 'app.js', data: 'x' }, { name: 'mem', type: 'chr' }]), 'mem', /is a device/],
      ['bomb', crafted([{ name: 'app.js', data: 'x' }, { name: 'bomb.bin', zeros: 200 * MB }]), 'bomb.bin', /past 10485760 bytes/],
    ];
    for (const [label, archive, entry, problem] of attacks) {
      expect(archive.length, label).toBeLessThan(MB);
      const answer = await upload(appId, archive);
      expect(answer.status, `${label}: ${answer.text}`).toBe(400);
      expect(answer.body.code, label).toBe('validation_error');
      expect(answer.body.errors.archive[0], label).toContain(`entry "${entry}": `);
      expect(answer.body.errors.archive[0], label).toMatch(problem);
    }
    expect(await releaseList(appId)).toEqual([]);
    expect(await storedFiles(appId)).toEqual([]);
    // The app still takes a good release afterwards.
    const good = await upload(appId, validArchive());
    expect(good.status, good.text).toBe(200);
    expect(await storedFiles(appId)).toHaveLength(1);
  });

  // Attack: a hard link whose size field announces data, the data being a link to /etc: GNU tar
  // (the extractor in the app's container) reads no data after a hard link and unpacks the link.
  it('refuses a member hidden in the data of a hard link', async () => {
    const appId = await newApp('smuggled');
    const archive = crafted([
      { name: 'target', data: 'hi' },
      { name: 'h', type: 'hardlink', linkname: 'target', smuggle: [{ name: 'esc', type: 'symlink', linkname: '/etc' }] },
    ]);
    expect(execFileSync('tar', ['-tvzf', '-'], { input: archive }).toString()).toMatch(/ esc -> \/etc$/m);
    const answer = await upload(appId, archive);
    // The hard link that declares data is refused before anything after it is read.
    expect(answer.status, answer.text).toBe(400);
    expect(answer.body.errors.archive[0]).toContain('entry "h": declares 512 bytes of data, which a hardlink cannot have');
    expect(await releaseList(appId)).toEqual([]);
  });
});

describe('one deploy at a time', () => {
  let appId = 0;

  // Attack: race six deploys of one app to run two at once in its container.
  // Refusal: exactly one 200, five 409 conflict; one release row, one archive kept.
  it('lets exactly one of six parallel uploads through', async () => {
    appId = await newApp('raced');
    const archive = validArchive();
    const answers = await Promise.all(Array.from({ length: 6 }, () => upload(appId, archive)));
    expect(answers.map((a) => a.status).sort(), answers.map((a) => a.text).join('\n')).toEqual([200, 409, 409, 409, 409, 409]);
    for (const refused of answers.filter((a) => a.status === 409)) {
      expect(refused.body.code).toBe('conflict');
      expect(refused.body.message).toMatch(/release 1 is still deploying/);
    }
    expect(answers.find((a) => a.status === 200)!.body).toMatchObject({ version: 1, status: 'deploying' });
    expect((await releaseList(appId)).map((r) => [r.version, r.status])).toEqual([[1, 'deploying']]);
    const rows = await fx.db.query('SELECT version FROM releases WHERE app_id = $1', [appId]);
    expect(rows.rows).toHaveLength(1);
    const files = await storedFiles(appId);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^[a-z0-9]+\.tar\.gz$/);
  });

  it('refuses a rollback, a snapshot and another upload while release 1 deploys', async () => {
    const rollback = await fx.api.post(`/${owner.company.id}/apps/${appId}/rollback/`, { token: owner.token, body: { version: 1 } });
    expect(rollback.status, rollback.text).toBe(409);
    const snapshot = await fx.api.post(releasesPath(appId), { token: owner.token, body: { from: 'srv' } });
    expect(snapshot.status, snapshot.text).toBe(409);
    const again = await upload(appId, validArchive());
    expect(again.status, again.text).toBe(409);
    expect(await releaseList(appId)).toHaveLength(1);
    expect(await storedFiles(appId)).toHaveLength(1);
  });

  // Attack: reach another company's app's releases by its id, or without a valid token.
  // Refusal: 404 as for a missing app; 401 without a valid token; nothing recorded or kept.
  it('answers 404 to another company’s owner and 401 to a token without access, on every release route', async () => {
    const company = owner.company.id;
    const routes = (authorization: string | null) => {
      const headers: Record<string, string> = authorization === null ? {} : { authorization };
      return [
        ['GET list', () => fx.api.get(releasesPath(appId), { headers })],
        ['GET one', () => fx.api.get(releasesPath(appId, '1/'), { headers })],
        ['POST archive', () => upload(appId, validArchive(), { authorization })],
        ['POST from srv', () => fx.api.post(releasesPath(appId), { headers, body: { from: 'srv' } })],
        ['POST rollback', () => fx.api.post(`/${company}/apps/${appId}/rollback/`, { headers, body: { version: 1 } })],
      ] as Array<[string, () => Promise<{ status: number; text: string; body: any }>]>;
    };
    for (const [label, call] of routes(`Token ${other.token}`)) {
      const answer = await call();
      expect(answer.status, `${label}: ${answer.text}`).toBe(404);
      expect(answer.body.code, label).toBe('not_found');
    }
    for (const authorization of [`Token ${'x'.repeat(40)}`, null]) {
      for (const [label, call] of routes(authorization)) {
        const answer = await call();
        expect(answer.status, `${label} (${authorization ?? 'no token'}): ${answer.text}`).toBe(401);
      }
    }
    // Through the attacker's own company id, the app is not there either.
    expect((await upload(appId, validArchive(), { authorization: `Token ${other.token}`, company: other.company.id })).status).toBe(404);
    expect(await releaseList(appId)).toHaveLength(1);
    expect(await storedFiles(appId)).toHaveLength(1);
  });
});

describe('roles', () => {
  // Attack: a read-only member deploys code. Refusal: 403 naming the developer role; nothing kept.
  it('lets a viewer list releases but answers 403 to its deploys and rollbacks', async () => {
    const viewer = await register(fx.api, 'Viewer');
    const invited = await fx.api.post(`/${owner.company.id}/invitations/`, { token: owner.token, body: { email: viewer.email, role: 'viewer' } });
    expect(invited.status, invited.text).toBe(200);
    const accepted = await fx.api.post('/invitations/accept/', { token: viewer.token, body: { token: invited.body.token } });
    expect(accepted.status, accepted.text).toBe(200);
    const appId = await newApp('viewed');
    expect(await releaseList(appId, viewer)).toEqual([]);
    const archive = await upload(appId, validArchive(), { authorization: `Token ${viewer.token}` });
    expect(archive.status, archive.text).toBe(403);
    expect(archive.body.message).toMatch(/needs the developer role/);
    const snapshot = await fx.api.post(releasesPath(appId), { token: viewer.token, body: { from: 'srv' } });
    expect(snapshot.status, snapshot.text).toBe(403);
    const rollback = await fx.api.post(`/${owner.company.id}/apps/${appId}/rollback/`, { token: viewer.token });
    expect(rollback.status, rollback.text).toBe(403);
    expect(await releaseList(appId)).toEqual([]);
    expect(await storedFiles(appId)).toEqual([]);
  });
});

describe('uploads past RELEASE_ARCHIVE_MAX', () => {
  // Attack: fill the host's release store with a huge upload, declared or streamed without a length.
  // Refusal: 413 payload_too_large; nothing is kept, not even a partial file.
  it('answers 413 to an honest Content-Length over 2mb, and keeps nothing', async () => {
    const appId = await newApp('toolarge');
    const answer = await upload(appId, randomBytes(3 * MB));
    expect(answer.status, answer.text).toBe(413);
    expect(answer.body.code).toBe('payload_too_large');
    expect(answer.body.message).toMatch(/larger than the 2097152 bytes this app may upload/);
    expect(await storedFiles(appId)).toEqual([]);
    expect(await releaseList(appId)).toEqual([]);
  });

  // Attack: a chunked upload past the limit, then another request on the same keep-alive connection
  // (what fetch, curl and every pooling client do). Expected: the next request is answered, or the
  // server closes the connection (`Connection: close`) rather than leave it open and deaf.
  it('answers the next request on the connection of a refused chunked upload, or closes it', async () => {
    const appId = await newApp('chunkedagain');
    const { first, second, closed } = await chunkedThenGet(releasesPath(appId), 3 * MB);
    expect(first).toMatch(/^HTTP\/1\.1 413 /);
    expect(await storedFiles(appId)).toEqual([]);
    // The refused body is drained, not destroyed: the connection goes on answering.
    expect({ second: second.split('\r\n')[0] || '(nothing within 5 s)', closed }).toSatisfy(
      (r: { second: string; closed: boolean }) => r.closed || /^HTTP\/1\.1 200 /.test(r.second),
    );
  });

  // A deploy script killed mid-upload (or a client that opens uploads and walks away): nothing is
  // kept, and the operator's log says the client left, not that a backing service is down.
  it('keeps nothing of an upload the client abandons, and logs it as the client leaving', async () => {
    const appId = await newApp('abandoned');
    for (let i = 0; i < 3; i++) await abandonedUpload(releasesPath(appId), MB, 256 * 1024);
    const left = () => fx.berth.logs().match(/the client closed the connection before its request body was in/g)?.length ?? 0;
    await eventually('each abandoned upload is logged', async () => left() === 3, 5000);
    expect(fx.berth.logs()).not.toMatch(/backing service unavailable/);
    await eventually('no partial file is left', async () => (await storedFiles(appId)).length === 0, 5000);
    expect(await releaseList(appId)).toEqual([]);
    // The app takes a whole upload afterwards: no deploy was left holding its lock.
    const answer = await upload(appId, incompressibleArchive(64 * 1024));
    expect(answer.status, answer.text).toBe(200);
  });

  // A client that sends the whole chunked body before reading the answer (fetch) gets the 413.
  it('answers 413 to a chunked upload (no Content-Length) once it passes 2mb, and keeps no partial file', async () => {
    const appId = await newApp('chunked');
    const answer = await upload(appId, chunkedBody(3 * MB));
    expect(answer.status, answer.text).toBe(413);
    expect(answer.body.code).toBe('payload_too_large');
    expect(await storedFiles(appId)).toEqual([]);
    expect((await fx.db.query('SELECT version FROM releases WHERE app_id = $1', [appId])).rows).toEqual([]);
  });
});

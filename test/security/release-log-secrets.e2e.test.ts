// Attack catalogue: reading an app's sealed secrets through its deploy log.
import { createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useBerth } from '../support/fixture.js';
import { register, waitForOperation } from '../support/http.js';
import { openSse } from '../support/sse.js';
import { dropStoragesOnServers } from '../support/storage-clients.js';

const fx = useBerth('relsecrets', { BERTH_ROLES: 'api,worker', SECRETS_KEY: randomBytes(32).toString('base64'), JOB_BACKOFF_MS: '200' });
afterAll(() => dropStoragesOnServers((sql) => fx.db.query(sql)));

const SECRET = `sk-live-${randomBytes(12).toString('hex')}`;
const ROTATED = `sk-next-${randomBytes(12).toString('hex')}`;
const KEY = `-----BEGIN TEST KEY-----\n${randomBytes(24).toString('base64')}\n-----END TEST KEY-----`;
// Characters that a URL carries percent-encoded: the password appears both ways.
const PASSWORD = `Db/pass+${randomBytes(8).toString('hex')}@x`;
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

type Account = Awaited<ReturnType<typeof register>>;
let owner: Account;
let viewer: Account;
let appId: number;
const company = () => owner.company.id;
const settle = async (answer: { status: number; text: string; body: any }) => {
  expect(answer.status, answer.text).toBe(200);
  const op = await waitForOperation(fx.api, owner.token, company(), answer.body.operation_id, 120_000);
  expect(op.status, op.message).toBe('success');
  return answer.body;
};

beforeAll(async () => {
  owner = await register(fx.api, 'Secret Keeper');
  viewer = await register(fx.api, 'Onlooker');
  const invited = await fx.api.post(`/${company()}/invitations/`, { token: owner.token, body: { email: viewer.email, role: 'viewer' } });
  expect(invited.status, invited.text).toBe(200);
  expect((await fx.api.post('/invitations/accept/', { token: viewer.token, body: { token: invited.body.token } })).status).toBe(200);

  const plans = (await fx.api.get(`/${company()}/plans/`, { token: owner.token })).body;
  appId = (await settle(await fx.api.post(`/${company()}/apps/`, { token: owner.token, body: { name: 'sealed', image: 'berth/runtime:2026.11-1', plan: plans[0].id } }))).id;
  const secrets = `/${company()}/apps/${appId}/config/secrets`;
  await settle(await fx.api.put(`${secrets}/API_KEY/`, { token: owner.token, body: { value: SECRET } }));
  await settle(await fx.api.put(`${secrets}/SIGNING_KEY/`, { token: owner.token, body: { value: KEY } }));
  const storage = await settle(await fx.api.post(`/${company()}/storages/`, { token: owner.token, body: { type: 'pgsql', password: PASSWORD } }));
  await settle(await fx.api.post(`/${company()}/apps/${appId}/bindings/`, { token: owner.token, body: { storage_id: storage.id, password: PASSWORD } }));
  // Stored, not applied: the container still holds SECRET, the API already ROTATED.
  const later = await fx.api.put(`${secrets}/API_KEY/?restart=false`, { token: owner.token, body: { value: ROTATED } });
  expect(later.status, later.text).toBe(200);
}, 300_000);

describe('secrets in deploy logs', () => {
  /*
   * Attack: a member who may only read (viewer) cannot read the app's secrets through the
   *   config API, but reads every release's log and follows every operation live. A release
   *   command that prints its environment (a migration tool's debug output, `env`, a
   *   connection string in an error) would hand them the secrets and the database password.
   * Expected: every value of the app's secrets, the storage password also percent-encoded
   *   in DATABASE_URL, each line of a multi-line key, and a secret changed but not yet
   *   applied (the old value is what the command sees) are masked as *** in the stored log,
   *   in the live output and in the operation's messages. The command did see the values
   *   (their hashes, printed beside, are in the log).
   * Reference: OWASP API Security Top 10 2023, API3:2023 Broken Object Property Level
   *   Authorization (exposing properties a user should not read); GitHub Actions masks
   *   secrets in workflow logs the same way.
   */
  it('masks the secrets a release command prints, in the log, the live output and the operation', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-relsecrets-'));
    writeFileSync(join(dir, 'server.js'), "require('node:http').createServer((q, s) => s.end('ok')).listen(process.env.PORT);\n");
    const command = [
      'echo "key=$API_KEY"',
      'echo "url=$DATABASE_URL"',
      'echo "password=$DATABASE_PASSWORD" >&2',
      'printf "%s\\n" "$SIGNING_KEY"',
      'env | sort',
      'printf "%s" "$API_KEY" | sha256sum',
      'printf "%s" "$DATABASE_PASSWORD" | sha256sum',
    ].join('; ');
    writeFileSync(join(dir, 'berth.json'), JSON.stringify({ release: command }));
    const archive = execFileSync('tar', ['-czf', '-', '-C', dir, '.']);
    const posted = await fetch(`${fx.berth.url}/${company()}/apps/${appId}/releases/`, {
      method: 'POST',
      headers: { authorization: `Token ${owner.token}`, 'content-type': 'application/gzip' },
      body: new Uint8Array(archive),
    });
    const release = await posted.json();
    expect(posted.status, JSON.stringify(release)).toBe(200);
    const stream = await openSse(`${fx.berth.url}/${company()}/operations/${release.operation_id}/`, viewer.token);
    expect(stream.status).toBe(200);
    await stream.ended;
    const op = await waitForOperation(fx.api, viewer.token, company(), release.operation_id, 120_000);
    expect(op.status, op.message).toBe('success');

    const read = await fx.api.get(`/${company()}/apps/${appId}/releases/${release.version}/`, { token: viewer.token });
    expect(read.status, read.text).toBe(200);
    const log: string = read.body.log;
    // The command saw the secrets: the old API_KEY (not applied yet) and the password.
    expect(log).toContain(sha256(SECRET));
    expect(log).toContain(sha256(PASSWORD));
    expect(log).toMatch(/^key=\*\*\*$/m);
    expect(log).toMatch(/^url=postgresql?:\/\/[^:]+:\*\*\*@/m);
    expect(log).toMatch(/^password=\*\*\*$/m);
    expect(log).toMatch(/^API_KEY=\*\*\*$/m);

    const live = stream.events.filter((e) => e.event === 'output').map((e) => e.data.line as string);
    expect(live).toContain('key=***');
    const messages = stream.events.filter((e) => e.event === 'operation').map((e) => e.data.message as string);
    for (const text of [log, live.join('\n'), messages.join('\n'), JSON.stringify(op)]) {
      for (const secret of [SECRET, ROTATED, PASSWORD, encodeURIComponent(PASSWORD), ...KEY.split('\n')]) expect(text).not.toContain(secret);
    }
  }, 240_000);
});

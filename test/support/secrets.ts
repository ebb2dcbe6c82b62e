// An app with secrets of every kind, and a viewer who may read its logs but not its secrets: what
// the attack tests on secrets in logs (test/security/*-log-secrets) start from.
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import type { BerthFixture } from './fixture.js';
import { register, waitForOperation } from './http.js';
import { dropStoragesOnServers } from './storage-clients.js';

export const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

type Account = Awaited<ReturnType<typeof register>>;

export interface AppWithSecrets {
  owner: Account;
  viewer: Account;
  appId: number;
  /** API_KEY as the container holds it. */
  secret: string;
  /** API_KEY as stored since, with restart=false: not in the container yet. */
  rotated: string;
  /** SIGNING_KEY: a value of several lines. */
  key: string;
  /** The bound PostgreSQL storage's password, with characters a URL carries percent-encoded. */
  password: string;
  /** Every form of a secret that must never be shown. */
  forbidden(): string[];
}

/** Follows the operation an answer started until it succeeds. */
export async function settle(fx: BerthFixture, who: Account, answer: { status: number; text: string; body: any }) {
  expect(answer.status, answer.text).toBe(200);
  const op = await waitForOperation(fx.api, who.token, who.company.id, answer.body.operation_id, 120_000);
  expect(op.status, op.message).toBe('success');
  return answer.body;
}

/** Before the file's tests: the app `name` with secrets API_KEY and SIGNING_KEY, plain `vars`, and a bound storage. */
export function useAppWithSecrets(fx: BerthFixture, name: string, vars: Record<string, string> = {}): AppWithSecrets {
  const app = {
    secret: `sk-live-${randomBytes(12).toString('hex')}`,
    rotated: `sk-next-${randomBytes(12).toString('hex')}`,
    key: `-----BEGIN TEST KEY-----\n${randomBytes(24).toString('base64')}\n-----END TEST KEY-----`,
    password: `Db/pass+${randomBytes(8).toString('hex')}@x`,
    forbidden: () => [app.secret, app.rotated, app.password, encodeURIComponent(app.password), ...app.key.split('\n')],
  } as AppWithSecrets;
  afterAll(() => dropStoragesOnServers((sql) => fx.db.query(sql)));
  beforeAll(async () => {
    const owner = (app.owner = await register(fx.api, 'Secret Keeper'));
    app.viewer = await register(fx.api, 'Onlooker');
    const company = owner.company.id;
    const invited = await fx.api.post(`/${company}/invitations/`, { token: owner.token, body: { email: app.viewer.email, role: 'viewer' } });
    expect(invited.status, invited.text).toBe(200);
    expect((await fx.api.post('/invitations/accept/', { token: app.viewer.token, body: { token: invited.body.token } })).status).toBe(200);

    const plans = (await fx.api.get(`/${company}/plans/`, { token: owner.token })).body;
    app.appId = (await settle(fx, owner, await fx.api.post(`/${company}/apps/`, { token: owner.token, body: { name, image: 'berth/runtime:2026.11-1', plan: plans[0].id } }))).id;
    const config = `/${company}/apps/${app.appId}/config/`;
    await settle(fx, owner, await fx.api.put(`${config}secrets/API_KEY/`, { token: owner.token, body: { value: app.secret } }));
    await settle(fx, owner, await fx.api.put(`${config}secrets/SIGNING_KEY/`, { token: owner.token, body: { value: app.key } }));
    if (Object.keys(vars).length) await settle(fx, owner, await fx.api.patch(config, { token: owner.token, body: { vars } }));
    const storage = await settle(fx, owner, await fx.api.post(`/${company}/storages/`, { token: owner.token, body: { type: 'pgsql', password: app.password } }));
    await settle(fx, owner, await fx.api.post(`/${company}/apps/${app.appId}/bindings/`, { token: owner.token, body: { storage_id: storage.id, password: app.password } }));
    // Stored, not applied: the container still holds the secret, the API already the rotated one.
    const later = await fx.api.put(`${config}secrets/API_KEY/?restart=false`, { token: owner.token, body: { value: app.rotated } });
    expect(later.status, later.text).toBe(200);
  }, 300_000);
  return app;
}

/** Deploys `files` to the app as a release archive (GNU tar, as CI would make it); the API's answer. */
export async function deployFiles(fx: BerthFixture, app: AppWithSecrets, files: Record<string, string>): Promise<{ version: number; operation_id: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-secrets-'));
  for (const [path, text] of Object.entries(files)) writeFileSync(join(dir, path), text);
  const archive = execFileSync('tar', ['-czf', '-', '-C', dir, '.']);
  rmSync(dir, { recursive: true, force: true });
  const posted = await fetch(`${fx.berth.url}/${app.owner.company.id}/apps/${app.appId}/releases/`, {
    method: 'POST',
    headers: { authorization: `Token ${app.owner.token}`, 'content-type': 'application/gzip' },
    body: new Uint8Array(archive),
  });
  const release = await posted.json();
  expect(posted.status, JSON.stringify(release)).toBe(200);
  return release;
}

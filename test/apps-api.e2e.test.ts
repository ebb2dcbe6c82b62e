// The apps API's rules: Rosti's field rules, whole-object updates, tenancy, quotas, domains.
import { beforeAll, describe, expect, it } from 'vitest';
import { useBerth } from './support/fixture.js';
import { newPublicKey } from './support/ssh.js';
import { register, waitForOperation } from './support/http.js';

const fx = useBerth('appsapi', { BERTH_ROLES: 'api,worker', APPS_PER_COMPANY: '6', JOB_BACKOFF_MS: '200' });
const IMAGE = 'berth/runtime:2026.11-1';

const sshKey = newPublicKey;

let owner: Awaited<ReturnType<typeof register>>;
let plan: number;
beforeAll(async () => {
  owner = await register(fx.api, 'Rules Co');
  plan = (await fx.api.get(`/${owner.company.id}/plans/`, { token: owner.token })).body[0].id;
});

const create = (body: Record<string, unknown>, who = owner) => fx.api.post(`/${who.company.id}/apps/`, { token: who.token, body });

async function createReady(body: Record<string, unknown>, who = owner) {
  const answer = await create({ image: IMAGE, plan, ...body }, who);
  expect(answer.status, answer.text).toBe(200);
  expect((await waitForOperation(fx.api, who.token, who.company.id, answer.body.operation_id)).status).toBe('success');
  return answer.body;
}

describe('app field rules', () => {
  it('names every bad field at once, unknown fields included', async () => {
    const bad = await create({ name: 'Bad Name!', image: IMAGE, plan, app_port: 8000, mode: 'ftp', domains: 'ok.example.com bad..name', ssh_keys: ['ssh-rsa AAAA'], colour: 'red' });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('validation_error');
    expect(Object.keys(bad.body.errors).sort()).toEqual(['app_port', 'colour', 'domains', 'mode', 'name', 'ssh_keys']);
    expect(bad.body.errors.app_port).toEqual(['must be between 1024 and 65535 and not 8000']);
    expect(bad.body.errors.colour).toEqual(['is not a known field']);
    expect(bad.body.errors.domains[0]).toMatch(/bad\.\.name/);
    for (const port of [1023, 65536, 8000, 80.5]) {
      expect((await create({ name: 'p', image: IMAGE, plan, app_port: port })).body.errors, String(port)).toHaveProperty('app_port');
    }
  });

  it('requires a catalog runtime and an existing plan, naming the field', async () => {
    const image = await create({ name: 'x', image: 'debian:bookworm', plan });
    expect(image.status).toBe(400);
    expect(Object.keys(image.body.errors)).toEqual(['image']);
    const missingPlan = await create({ name: 'x', image: IMAGE, plan: 999 });
    expect(missingPlan.status).toBe(400);
    expect(Object.keys(missingPlan.body.errors)).toEqual(['plan']);
    const missing = await create({});
    expect(Object.keys(missing.body.errors).sort()).toEqual(['image', 'name', 'plan']);
  });

  it('accepts OpenSSH public keys only, normalised, and refuses private, unknown or weak ones', async () => {
    const ed = sshKey('ed25519');
    const weak = sshKey('rsa', 1024);
    expect((await create({ name: 'k', image: IMAGE, plan, ssh_keys: [ed, weak] })).body.errors.ssh_keys).toEqual(['key 2 is an RSA key shorter than 2048 bits']);
    const priv = await create({ name: 'k', image: IMAGE, plan, ssh_keys: ['-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----'] });
    expect(priv.body.errors.ssh_keys[0]).toMatch(/private key/);
    const app = await createReady({ name: 'keys', ssh_keys: [`  ${ed}  `], ssh_password: 'a long ssh password' });
    expect(app.ssh_keys).toEqual([ed]);
    expect(app.ssh_password_set).toBe(true);
    expect(JSON.stringify(app)).not.toContain('a long ssh password');
    const row = await fx.db.query('SELECT ssh_password_hash FROM apps WHERE id = $1', [app.id]);
    expect(row.rows[0].ssh_password_hash).toMatch(/^\$argon2id\$/);
  });

  it('takes domains as an array or a space-separated string, stores IDN in punycode, accepts wildcards', async () => {
    const app = await createReady({ name: 'domains', domains: 'Shop.Example.COM  bücher.example.com *.wild.example.com' });
    expect(app.domains).toEqual(['shop.example.com', 'xn--bcher-kva.example.com', '*.wild.example.com']);
    const twice = await fx.api.put(`/${owner.company.id}/apps/${app.id}/`, { token: owner.token, body: { domains: ['a.example.com', 'A.example.com'] } });
    expect(twice.body.errors.domains[0]).toMatch(/listed twice/);
    // None of them points at this platform (127.0.0.1, ::1): the status names each and says what to do.
    const status = await fx.api.get(`/${owner.company.id}/apps-status/${app.id}/`, { token: owner.token });
    expect(status.body.dns_status).toBe(false);
    for (const name of ['shop.example.com', 'xn--bcher-kva.example.com', '*.wild.example.com']) {
      expect(status.body.errors.find((e: string) => e.startsWith(`${name} `)), name).toMatch(/127\.0\.0\.1, ::1/);
    }
  });
});

describe('updates', () => {
  let app: any;
  beforeAll(async () => {
    app = await createReady({ name: 'echo', app_port: 9000 });
  });

  it('accept the whole object a read returned, read-only fields and smtp_* included, and change nothing', async () => {
    const read = (await fx.api.get(`/${owner.company.id}/apps/${app.id}/`, { token: owner.token })).body;
    const sent = { ...read, smtp_host: 'smtp.example.com', smtp_port: 587, ssh_password: '' };
    for (const method of ['PUT', 'PATCH']) {
      const answer = await fx.api.call(method, `/${owner.company.id}/apps/${app.id}/`, { token: owner.token, body: sent });
      expect(answer.status, answer.text).toBe(200);
      expect(answer.body.operation_id).toBe(read.operation_id);
      expect(answer.body).toEqual(read);
    }
  });

  it('refuse a new name, naming the field', async () => {
    const renamed = await fx.api.put(`/${owner.company.id}/apps/${app.id}/`, { token: owner.token, body: { name: 'other' } });
    expect(renamed.status).toBe(400);
    expect(Object.keys(renamed.body.errors)).toEqual(['name']);
  });

  it('change keys and password without an operation; null switches password login off', async () => {
    const key = sshKey('ed25519');
    const keyed = await fx.api.put(`/${owner.company.id}/apps/${app.id}/`, { token: owner.token, body: { ssh_keys: [key], ssh_password: 'another long password' } });
    expect(keyed.body).toMatchObject({ ssh_keys: [key], ssh_password_set: true, operation_id: app.operation_id });
    const off = await fx.api.patch(`/${owner.company.id}/apps/${app.id}/`, { token: owner.token, body: { ssh_password: null } });
    expect(off.body.ssh_password_set).toBe(false);
  });

  it('queues a change that arrives while another runs: its own operation, carried out after it', async () => {
    const first = await fx.api.put(`/${owner.company.id}/apps-action/${app.id}/`, { token: owner.token, body: { action: 'restart' } });
    expect(first.status).toBe(200);
    const second = await fx.api.put(`/${owner.company.id}/apps-action/${app.id}/`, { token: owner.token, body: { action: 'rebuild' } });
    expect(second.status, second.text).toBe(200);
    expect(second.body.operation_id).toBeGreaterThan(first.body.operation_id);
    const [one, two] = [
      await waitForOperation(fx.api, owner.token, owner.company.id, first.body.operation_id),
      await waitForOperation(fx.api, owner.token, owner.company.id, second.body.operation_id),
    ];
    expect([one.status, two.status]).toEqual(['success', 'success']);
    expect(new Date(one.finished_at).getTime()).toBeLessThanOrEqual(new Date(two.finished_at).getTime());
    const bad = await fx.api.put(`/${owner.company.id}/apps-action/${app.id}/`, { token: owner.token, body: { action: 'explode' } });
    expect(bad.body.errors).toEqual({ action: ['must be one of start, stop, restart, rebuild'] });
  });
});

describe('names, domains and quotas across the platform', () => {
  it('keeps names unique per company (409) but not across companies', async () => {
    await createReady({ name: 'unique' });
    const again = await create({ name: 'unique', image: IMAGE, plan });
    expect(again.status).toBe(409);
    expect(Object.keys(again.body.errors)).toEqual(['name']);
    const other = await register(fx.api, 'Other Co');
    const theirs = await createReady({ name: 'unique' }, other);
    expect(theirs.name).toBe('unique');
  });

  it('gives a domain to one app only, in any company (409 naming it), and keeps the apps domain for defaults', async () => {
    const other = await register(fx.api, 'Domain Co');
    const mine = await createReady({ name: 'site', domains: ['taken.example.com'] }, other);
    const clash = await create({ name: 'clash', image: IMAGE, plan, domains: ['free.example.com', 'taken.example.com'] });
    expect(clash.status).toBe(409);
    expect(clash.body.errors.domains[0]).toMatch(/taken\.example\.com is already used/);
    const squat = await create({ name: 'squat', image: IMAGE, plan, domains: [`site-${mine.id}.apps.localhost`] });
    expect(squat.status).toBe(400);
    expect(squat.body.errors.domains[0]).toMatch(/platform's domain/);
  });

  it('caps apps per company with 403 quota_exceeded', async () => {
    const capped = await register(fx.api, 'Capped Co');
    for (const name of ['a', 'b', 'c', 'd', 'e', 'f']) expect((await create({ name, image: IMAGE, plan }, capped)).status).toBe(200);
    const over = await create({ name: 'g', image: IMAGE, plan }, capped);
    expect(over.status).toBe(403);
    expect(over.body.code).toBe('quota_exceeded');
  });
});

describe('tenancy', () => {
  it("gives another company's token 404 on every app, action, status and operation route", async () => {
    const app = await createReady({ name: 'private' });
    const stranger = await register(fx.api, 'Stranger');
    const base = `/${owner.company.id}`;
    for (const [method, url, body] of [
      ['GET', `${base}/apps/`, undefined],
      ['POST', `${base}/apps/`, { name: 'x', image: IMAGE, plan }],
      ['GET', `${base}/apps/${app.id}/`, undefined],
      ['PUT', `${base}/apps/${app.id}/`, { app_port: 9001 }],
      ['PATCH', `${base}/apps/${app.id}/`, { app_port: 9001 }],
      ['DELETE', `${base}/apps/${app.id}/`, undefined],
      ['PUT', `${base}/apps-action/${app.id}/`, { action: 'stop' }],
      ['GET', `${base}/apps-status/${app.id}/`, undefined],
      ['GET', `${base}/operations/${app.operation_id}/`, undefined],
      ['GET', `${base}/operations/?app=${app.id}`, undefined],
    ] as const) {
      const answer = await fx.api.call(method, url, { token: stranger.token, body });
      expect(answer.status, `${method} ${url}`).toBe(404);
      expect(answer.body.code).toBe('not_found');
    }
    // Through the stranger's own company the app does not exist either.
    const s = `/${stranger.company.id}`;
    for (const url of [`${s}/apps/${app.id}/`, `${s}/apps-status/${app.id}/`, `${s}/operations/${app.operation_id}/`]) {
      expect((await fx.api.get(url, { token: stranger.token })).status, url).toBe(404);
    }
    expect((await fx.api.put(`${s}/apps-action/${app.id}/`, { token: stranger.token, body: { action: 'stop' } })).status).toBe(404);
    expect((await fx.api.delete(`${s}/apps/${app.id}/`, { token: stranger.token })).status).toBe(404);
    expect((await fx.api.get(`${s}/operations/?app=${app.id}`, { token: stranger.token })).body).toEqual([]);
    // Nothing happened to it.
    expect((await fx.api.get(`${base}/apps/${app.id}/`, { token: owner.token })).body).toMatchObject({ enabled: true, app_port: 8080 });
  });
});

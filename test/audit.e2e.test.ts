// Audit events (issue 14, item 5): every kind of change, made over HTTP by members of each role
// from addresses of their own (X-Forwarded-For behind a trusted proxy), records exactly the event
// expected: who, with which token, from where, what, to which target. Events read newest first
// and filter; admins and owners read them, nobody else; each account reads its own, failed
// logins included; and no secret the test used is anywhere in the events table.
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { EVENT_ACTIONS } from '../dist/src/events/event-actions.js';
import { startDns } from './support/dns.js';
import { useBerth } from './support/fixture.js';
import { type Answer, waitForOperation } from './support/http.js';
import { newPublicKey } from './support/ssh.js';
import { dropStoragesOnServers } from './support/storage-clients.js';

const dns = await startDns(0);
const fx = useBerth('audit', { BERTH_ROLES: 'api,worker', SECRETS_KEY: randomBytes(32).toString('base64'), TRUST_PROXY: 'true', JOB_BACKOFF_MS: '200', DNS_RESOLVERS: `127.0.0.1:${dns.port}` });
afterAll(async () => {
  await dropStoragesOnServers((sql) => fx.db.query(sql));
  await dns.close();
});

/** Everything secret the test sends or receives: none of it may reach an event. */
const secrets: string[] = [];
const secret = <T extends string>(value: T): T => (secrets.push(value), value);

interface Member {
  email: string;
  token: string;
  tokenId: number;
  accountId: number;
  companyId: number;
  ip: string;
}
type Event = { action: string; account_id: number | null; token_id: number | null; ip: string | null; target_type: string | null; target_id: string | null; data: object };

const headers = (ip: string) => ({ 'x-forwarded-for': ip });
let counter = 0;

async function signUp(name: string, ip: string): Promise<Member> {
  const email = `${name.toLowerCase()}-${Date.now()}-${counter++}@example.test`;
  const answer = await fx.api.post('/auth/register/', { body: { email, password: secret(`${name} audit password 1`), name }, headers: headers(ip) });
  expect(answer.status, answer.text).toBe(200);
  const token = secret(answer.body.token as string);
  const tokenId = (await fx.api.get('/tokens/', { token })).body[0].id;
  return { email, token, tokenId, accountId: answer.body.account.id, companyId: answer.body.company.id, ip };
}

/** The API as `who`, from `who.ip` as the proxy in front of Berth says. */
const as = (who: Member) => {
  const call = (method: string, path: string, body?: unknown) => fx.api.call(method, path, { token: who.token, body, headers: headers(who.ip) });
  return {
    get: (path: string) => call('GET', path),
    post: (path: string, body: unknown = {}) => call('POST', path, body),
    put: (path: string, body: unknown) => call('PUT', path, body),
    patch: (path: string, body: unknown) => call('PATCH', path, body),
    delete: (path: string) => call('DELETE', path),
  };
};

const ok = (answer: Answer) => {
  expect(answer.status, answer.text).toBe(200);
  return answer.body;
};

/** The events expected in the company, oldest first, as each change is made. */
const expected: Event[] = [];
const expectEvent = (who: Member, action: string, target: [string, number | string], data: object = {}, override: Partial<Event> = {}) => {
  expected.push({ action, account_id: who.accountId, token_id: who.tokenId, ip: who.ip, target_type: target[0], target_id: String(target[1]), data, ...override });
};
const project = ({ action, account_id, token_id, ip, target_type, target_id, data }: Event) => ({ action, account_id, token_id, ip, target_type, target_id, data });

let owner: Member, admin: Member, dev: Member, viewer: Member, outsider: Member;
const company = () => owner.companyId;
let midpoint = '';
let appId = 0;
const DOMAIN = 'audit-shop.example';

async function joinCompany(who: Member, role: string, inviter: Member) {
  const invited = ok(await as(inviter).post(`/${company()}/invitations/`, { email: who.email, role }));
  secret(invited.token);
  expectEvent(inviter, 'invitation.create', ['invitation', invited.id], { role });
  ok(await as(who).post('/invitations/accept/', { token: invited.token }));
  expectEvent(who, 'invitation.accept', ['invitation', invited.id], { role });
}

describe('recording', () => {
  it('records the company and its members: creation, invitations, roles, leaving', async () => {
    owner = await signUp('Owner', '203.0.113.1');
    // Registering came with no token: the new account is who acted.
    expectEvent(owner, 'company.create', ['company', company()], { name: 'Owner' }, { token_id: null });
    [admin, dev, viewer, outsider] = await Promise.all([signUp('Admin', '203.0.113.2'), signUp('Dev', '203.0.113.3'), signUp('Viewer', '203.0.113.4'), signUp('Outsider', '203.0.113.9')]);
    await joinCompany(admin, 'admin', owner);
    await joinCompany(dev, 'developer', owner);
    await joinCompany(viewer, 'viewer', admin);
    const extra = await signUp('Extra', '2001:db8::5');
    await joinCompany(extra, 'viewer', admin);
    ok(await as(admin).patch(`/${company()}/members/${extra.accountId}/`, { role: 'developer' }));
    expectEvent(admin, 'member.role', ['member', extra.accountId], { role: 'developer', previous: 'viewer' });
    ok(await as(extra).delete(`/${company()}/members/${extra.accountId}/`));
    expectEvent(extra, 'member.remove', ['member', extra.accountId], { role: 'developer' });
    const invited = ok(await as(admin).post(`/${company()}/invitations/`, { email: 'someone-else@example.test', role: 'viewer' }));
    secret(invited.token);
    expectEvent(admin, 'invitation.create', ['invitation', invited.id], { role: 'viewer' });
    ok(await as(admin).delete(`/${company()}/invitations/${invited.id}/`));
    expectEvent(admin, 'invitation.withdraw', ['invitation', invited.id], { role: 'viewer' });
    ok(await as(owner).patch(`/companies/${company()}/`, { name: 'Audit Co' }));
    expectEvent(owner, 'company.rename', ['company', company()], { name: 'Audit Co' });
    // A moment clearly between two changes, for the `since` filter (server and test share a clock).
    await new Promise((r) => setTimeout(r, 50));
    midpoint = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 50));
  });

  it('records every app change, naming the fields changed and never their values', async () => {
    const key = secret(newPublicKey());
    const created = ok(await as(dev).post(`/${company()}/apps/`, { name: 'audited', image: 'berth/runtime:2026.11-1', plan: 1 }));
    appId = created.id;
    expectEvent(dev, 'app.create', ['app', appId], { name: 'audited', operation_id: created.operation_id });
    const settle = async (body: { operation_id: number }) => expect((await waitForOperation(fx.api, dev.token, company(), body.operation_id, 120_000)).status).toBe('success');
    await settle(created);
    const bigger = ok(await as(dev).patch(`/${company()}/apps/${appId}/`, { plan: 2 }));
    expectEvent(dev, 'app.update', ['app', appId], { fields: ['plan'], operation_id: bigger.operation_id });
    await settle(bigger);
    ok(await as(dev).put(`/${company()}/apps/${appId}/`, { ssh_keys: [key], ssh_password: secret('Ssh audit password 1') }));
    expectEvent(dev, 'app.update', ['app', appId], { fields: ['ssh_keys', 'ssh_password'] });
    // The object sent back as it was read changes nothing, and records nothing.
    ok(await as(dev).put(`/${company()}/apps/${appId}/`, ok(await as(dev).get(`/${company()}/apps/${appId}/`))));
    // A config change names the variables, never a value, a secret's least of all.
    ok(await as(dev).patch(`/${company()}/apps/${appId}/config/?restart=false`, { vars: { PLAIN: secret('plain config value 1') } }));
    expectEvent(dev, 'app.config', ['app', appId], { version: 1, set: ['PLAIN'], unset: [], applied: false });
    const sealed = ok(await as(dev).put(`/${company()}/apps/${appId}/config/secrets/TOKEN/`, { value: secret('sealed config value 1') }));
    expectEvent(dev, 'app.config', ['app', appId], { version: 2, set: ['TOKEN'], unset: [], applied: true, operation_id: sealed.operation_id });
    await settle(sealed);
    // Releases: what /srv/app holds recorded as release 1, then deployed again by a rollback.
    const snapshot = ok(await as(dev).post(`/${company()}/apps/${appId}/releases/`, { from: 'srv' }));
    expectEvent(dev, 'release.create', ['app', appId], { version: 1, source: 'srv', operation_id: snapshot.operation_id });
    await settle(snapshot);
    const rollback = ok(await as(dev).post(`/${company()}/apps/${appId}/rollback/`, { version: 1 }));
    expectEvent(dev, 'release.rollback', ['app', appId], { version: 2, source: 'rollback', rollback_of: 1, operation_id: rollback.operation_id });
    await settle(rollback);
    for (const action of ['stop', 'start', 'restart', 'rebuild']) {
      const done = ok(await as(dev).put(`/${company()}/apps-action/${appId}/`, { action }));
      expectEvent(dev, `app.${action}`, ['app', appId], { operation_id: done.operation_id });
      await settle(done);
    }
    const gone = ok(await as(dev).delete(`/${company()}/apps/${appId}/`));
    expectEvent(dev, 'app.delete', ['app', appId], { name: 'audited', operation_id: gone.operation_id });
    await settle(gone);
  }, 600_000);

  it('records every storage change, never the password or its verifier', async () => {
    const first = secret('Audit-Store-pass1');
    const second = secret('Audit-Store-pass2');
    for (const password of [first, second]) secret('*' + createHash('sha1').update(createHash('sha1').update(password).digest()).digest('hex').toUpperCase());
    const settle = async (body: { operation_id: number }) => expect((await waitForOperation(fx.api, admin.token, company(), body.operation_id)).status).toBe('success');
    const created = ok(await as(admin).post(`/${company()}/storages/`, { type: 'mariadb', password: first, note: 'first' }));
    expectEvent(admin, 'storage.create', ['storage', created.id], { type: 'mariadb', name: created.name, operation_id: created.operation_id });
    await settle(created);
    const changed = ok(await as(admin).put(`/${company()}/storages/${created.id}/`, { password: second }));
    expectEvent(admin, 'storage.password', ['storage', created.id], { fields: ['password'], operation_id: changed.operation_id });
    await settle(changed);
    ok(await as(admin).put(`/${company()}/storages/${created.id}/`, { note: 'second' }));
    expectEvent(admin, 'storage.note', ['storage', created.id], { fields: ['note'] });
    // Bound to an app and unbound: the events name the storage and the prefix, never the password.
    const app = ok(await as(admin).post(`/${company()}/apps/`, { name: 'bound', image: 'berth/runtime:2026.11-1', plan: 1 }));
    expectEvent(admin, 'app.create', ['app', app.id], { name: 'bound', operation_id: app.operation_id });
    await settle(app);
    const bound = ok(await as(admin).post(`/${company()}/apps/${app.id}/bindings/`, { storage_id: created.id, password: second }));
    expectEvent(admin, 'app.bind', ['app', app.id], { storage_id: created.id, prefix: 'DATABASE', version: 1, operation_id: bound.operation_id });
    await settle(bound);
    const unbound = ok(await as(admin).delete(`/${company()}/apps/${app.id}/bindings/${created.id}/`));
    expectEvent(admin, 'app.unbind', ['app', app.id], { storage_id: created.id, prefix: 'DATABASE', version: 2, operation_id: unbound.operation_id });
    await settle(unbound);
    const appGone = ok(await as(admin).delete(`/${company()}/apps/${app.id}/`));
    expectEvent(admin, 'app.delete', ['app', app.id], { name: 'bound', operation_id: appGone.operation_id });
    await settle(appGone);
    const gone = ok(await as(admin).delete(`/${company()}/storages/${created.id}/`));
    expectEvent(admin, 'storage.delete', ['storage', created.id], { name: created.name, operation_id: gone.operation_id });
    await settle(gone);
  }, 240_000);

  it('records a domain’s challenge and its verification, not the calls that change nothing', async () => {
    const challenge = ok(await as(dev).post(`/${company()}/domains/${DOMAIN}/verify/`));
    expectEvent(dev, 'domain.verify', ['domain', DOMAIN], { status: 'unverified' });
    ok(await as(dev).post(`/${company()}/domains/${DOMAIN}/verify/`));
    dns.set(challenge.record.name, 'TXT', [challenge.record.value]);
    expect(ok(await as(dev).post(`/${company()}/domains/${DOMAIN}/verify/`)).status).toBe('verified');
    expectEvent(dev, 'domain.verify', ['domain', DOMAIN], { status: 'verified' });
    ok(await as(dev).post(`/${company()}/domains/${DOMAIN}/verify/`));
    ok(await as(dev).delete(`/${company()}/domains/${DOMAIN}/`));
    expectEvent(dev, 'domain.delete', ['domain', DOMAIN], { status: 'verified' });
  });
});

describe('reading', () => {
  it('lists the company’s events newest first, exactly as expected', async () => {
    const events = ok(await as(owner).get(`/${company()}/events/`)) as Array<Event & { id: number; created_at: string }>;
    expect(events.map(project)).toEqual([...expected].reverse());
    expect(events.map((e) => e.id)).toEqual([...events.map((e) => e.id)].sort((a, b) => b - a));
    expect(ok(await as(admin).get(`/${company()}/events/`))).toEqual(events);
  });

  it('filters by action, target and time, and refuses a filter it cannot apply, naming it', async () => {
    const list = async (query: string) => (ok(await as(owner).get(`/${company()}/events/?${query}`)) as Event[]).map(project);
    const newestFirst = [...expected].reverse();
    expect(await list('action=app.create')).toEqual(newestFirst.filter((e) => e.action === 'app.create'));
    expect(await list(`target_type=app&target_id=${appId}`)).toEqual(newestFirst.filter((e) => e.target_type === 'app' && e.target_id === String(appId)));
    expect(await list(`target_type=domain&target_id=${DOMAIN}`)).toHaveLength(3);
    expect(await list('target_type=storage&action=storage.note')).toEqual(newestFirst.filter((e) => e.action === 'storage.note'));
    expect(await list(`since=${midpoint}`)).toEqual(newestFirst.slice(0, newestFirst.findIndex((e) => e.action === 'company.rename')));
    for (const [query, field] of [['action=app.explode', 'action'], ['target_type=planet', 'target_type'], ['target_id=', 'target_id'], ['since=yesterday', 'since'], ['colour=red', 'colour']]) {
      const refused = await as(owner).get(`/${company()}/events/?${query}`);
      expect(refused.status, query).toBe(400);
      expect(Object.keys(refused.body.errors), query).toEqual([field]);
    }
  });

  it('shows events to admins and owners only: 403 for viewers and developers, 404 elsewhere', async () => {
    for (const who of [viewer, dev]) {
      const refused = await as(who).get(`/${company()}/events/`);
      expect(refused.status).toBe(403);
      expect(refused.body.message).toMatch(/needs the admin role/);
    }
    expect((await as(outsider).get(`/${company()}/events/`)).status).toBe(404);
  });

  it('keeps the account’s own events: tokens, account changes, logins failed or not, companies deleted', async () => {
    const ci = ok(await as(owner).post('/tokens/', { name: 'ci', access: 'read' }));
    secret(ci.token);
    ok(await as(owner).delete(`/tokens/${ci.id}/`));
    const side = ok(await as(owner).post('/companies/', { name: 'Side' }));
    ok(await as(owner).delete(`/companies/${side.id}/`));
    // A stream ticket for a browser's EventSource: recorded with its path, never the ticket.
    const streamPath = `/api/v1/${company()}/events/stream`;
    secret(ok(await as(owner).post('/stream-tickets/', { path: streamPath })).ticket);
    // A deleted company's events went with it; its deletion stays with the account.
    expect((await fx.db.query('SELECT count(*)::int AS n FROM events WHERE company_id = $1', [side.id])).rows[0].n).toBe(0);
    const registered = { action: 'auth.register', account_id: owner.accountId, token_id: null, ip: owner.ip, target_type: 'account', target_id: String(owner.accountId), data: { via: 'registration' } };
    expect((ok(await as(owner).get('/account/events/')) as Event[]).map(project)).toEqual([
      { ...registered, action: 'token.stream_ticket', token_id: owner.tokenId, target_type: 'token', target_id: String(owner.tokenId), data: { path: streamPath } },
      { ...registered, action: 'company.delete', token_id: owner.tokenId, target_type: 'company', target_id: String(side.id), data: { name: 'Side' } },
      { ...registered, action: 'token.revoke', token_id: owner.tokenId, target_type: 'token', target_id: String(ci.id), data: { name: 'ci' } },
      { ...registered, action: 'token.create', token_id: owner.tokenId, target_type: 'token', target_id: String(ci.id), data: { name: 'ci', access: 'read', companies: null } },
      registered,
    ]);

    ok(await as(viewer).patch('/account/', { name: 'Vera' }));
    const login = await fx.api.post('/auth/login/', { body: { email: viewer.email, password: 'Viewer audit password 1' }, headers: headers('198.51.100.7') });
    secret(ok(login).token);
    const wrong = secret('not the password at all');
    expect((await fx.api.post('/auth/login/', { body: { email: viewer.email, password: wrong }, headers: headers('192.0.2.66') })).status).toBe(401);
    const loginId = (ok(await as(viewer).get('/tokens/')) as Array<{ id: number; name: string }>).find((t) => t.name === 'login')!.id;
    ok(await as(viewer).patch('/account/', { password: secret('Viewer new password 2'), current_password: 'Viewer audit password 1' }));
    const own = { account_id: viewer.accountId, token_id: viewer.tokenId, ip: viewer.ip, target_type: 'account', target_id: String(viewer.accountId) };
    const mine = (ok(await as(viewer).get('/account/events/')) as Event[]).map(project);
    expect(mine).toEqual([
      { ...own, action: 'account.password', data: { fields: ['password'], revoked_token_ids: [loginId] } },
      { ...own, action: 'auth.login_failed', token_id: null, ip: '192.0.2.66', data: {} },
      { ...own, action: 'auth.login', token_id: null, ip: '198.51.100.7', target_type: 'token', target_id: String(loginId), data: {} },
      { ...own, action: 'account.update', data: { fields: ['name'] } },
      { ...own, action: 'auth.register', token_id: null, data: { via: 'registration' } },
    ]);
    expect((ok(await as(viewer).get('/account/events/?action=auth.login_failed')) as Event[]).map(project)).toEqual([mine[1]]);
    expect((await as(viewer).get('/account/events/?target_type=account')).body.errors).toHaveProperty('target_type');
  });

  it('records a failed login for an email without an account with nothing that identifies one', async () => {
    const email = secret(`nobody-${Date.now()}@example.test`);
    expect((await fx.api.post('/auth/login/', { body: { email, password: 'whatever it may be' }, headers: headers('192.0.2.99') })).status).toBe(401);
    const rows = (await fx.db.query(`SELECT company_id, account_id, token_id, target_type, target_id, data FROM events WHERE ip = '192.0.2.99'`)).rows;
    expect(rows).toEqual([{ company_id: null, account_id: null, token_id: null, target_type: null, target_id: null, data: {} }]);
  });

  it('answers pages of the newest first (100 by default), the next one in Link', async () => {
    await fx.db.query(`INSERT INTO events (company_id, action, data) SELECT $1, 'test.filler', '{}' FROM generate_series(1, 120)`, [outsider.companyId]);
    const first = await as(outsider).get(`/${outsider.companyId}/events/`);
    const events = ok(first) as Array<{ id: number }>;
    expect(events).toHaveLength(100);
    expect(events[0].id).toBe((await fx.db.query('SELECT max(id) AS id FROM events WHERE company_id = $1', [outsider.companyId])).rows[0].id);
    const next = /<([^>]+)>; rel="next"/.exec(first.headers.get('link') ?? '')?.[1];
    expect(next).toMatch(/\/events\/\?.*after=/);
    const rest = ok(await as(outsider).get(next!.replace('/api/v1', ''))) as Array<{ id: number }>;
    expect(rest[0].id).toBeLessThan(events.at(-1)!.id);
  });
});

describe('the events table', () => {
  it('holds every action Berth records', async () => {
    const actions = (await fx.db.query('SELECT DISTINCT action FROM events')).rows.map((r) => r.action);
    // A move needs two nodes: test/swarm.e2e.test.ts checks its event.
    const elsewhere = ['app.move'];
    expect(EVENT_ACTIONS.filter((a: string) => !actions.includes(a) && !elsewhere.includes(a))).toEqual([]);
  });

  it('holds no secret: no password, token, invitation, key, verifier or hash, and no email', async () => {
    const dump = (await fx.db.query('SELECT e::text AS row FROM events e')).rows.map((r) => r.row).join('\n');
    expect(secrets.length).toBeGreaterThan(20);
    expect(secrets.filter((s) => dump.includes(s))).toEqual([]);
    for (const pattern of [/berth[A-Za-z0-9]{35}/, /binv[A-Za-z0-9_-]{36}/, /\$argon2/, /SCRAM-SHA-256/, /ssh-ed25519/, /\*[0-9A-F]{40}/, /@/]) expect(dump).not.toMatch(pattern);
  });
});

// Teams: members with roles, invitations passed on by hand, the last owner kept, scoped and
// read-only tokens, expiring login tokens, account changes, and role changes seen by every API
// process within the membership cache's second.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useBerth } from './support/fixture.js';
import { client, register, waitForOperation } from './support/http.js';
import { startBerth } from './support/server.js';
import { dropStoragesOnServers } from './support/storage-clients.js';

const fx = useBerth('teams', { BERTH_ROLES: 'api,worker', AUTH_CACHE_TTL_MS: '1000', JOB_BACKOFF_MS: '200' });
// Runs before the fixture's own teardown drops the test database: a storage a failed test left goes too.
afterAll(() => dropStoragesOnServers((sql) => fx.db.query(sql)));
type Who = Awaited<ReturnType<typeof register>>;
let owner: Who;
let dev: Who;
const company = () => owner.company.id;

/** Invites `who` with `role` and has them accept; returns the invitation as created. */
async function join(who: Who, role: string) {
  const invited = await fx.api.post(`/${company()}/invitations/`, { token: owner.token, body: { email: who.email, role } });
  expect(invited.status, invited.text).toBe(200);
  const accepted = await fx.api.post('/invitations/accept/', { token: who.token, body: { token: invited.body.token } });
  expect(accepted.status, accepted.text).toBe(200);
  expect(accepted.body).toMatchObject({ id: company(), role });
  return invited.body;
}

beforeAll(async () => {
  owner = await register(fx.api, 'Team Co');
  dev = await register(fx.api, 'Dev');
});

describe('invitations', () => {
  it('lets the invited account join with its role; the token is shown once and never listed', async () => {
    const invited = await join(dev, 'developer');
    expect(invited.token).toMatch(/^binv[A-Za-z0-9_-]{36}$/);
    const list = await fx.api.get(`/${company()}/invitations/`, { token: owner.token });
    expect(list.text).not.toContain(invited.token);
    expect(list.body.find((i: any) => i.id === invited.id)).toMatchObject({ email: dev.email, role: 'developer', status: 'accepted' });
    const members = await fx.api.get(`/${company()}/members/`, { token: dev.token });
    expect(members.body.map((m: any) => [m.email, m.role])).toEqual([[owner.email, 'owner'], [dev.email, 'developer']]);
    // Accepted once only.
    expect((await fx.api.post('/invitations/accept/', { token: dev.token, body: { token: invited.token } })).status).toBe(409);
  });

  it('refuses another email, an expired invitation, and one withdrawn', async () => {
    const stranger = await register(fx.api, 'Stranger');
    const someone = await register(fx.api, 'Someone');
    const invited = await fx.api.post(`/${company()}/invitations/`, { token: owner.token, body: { email: someone.email, role: 'viewer' } });
    const wrong = await fx.api.post('/invitations/accept/', { token: stranger.token, body: { token: invited.body.token } });
    expect(wrong.status).toBe(403);
    expect(wrong.body.message).toMatch(/another email address/);
    await fx.db.query(`UPDATE invitations SET expires_at = now() - interval '1 minute' WHERE id = $1`, [invited.body.id]);
    const late = await fx.api.post('/invitations/accept/', { token: someone.token, body: { token: invited.body.token } });
    expect(late.status).toBe(409);
    expect(late.body.message).toMatch(/expired/);
    const again = await fx.api.post(`/${company()}/invitations/`, { token: owner.token, body: { email: someone.email, role: 'viewer' } });
    expect((await fx.api.delete(`/${company()}/invitations/${again.body.id}/`, { token: owner.token })).status).toBe(200);
    expect((await fx.api.post('/invitations/accept/', { token: someone.token, body: { token: again.body.token } })).status).toBe(404);
    // An admin cannot invite an owner; a developer cannot invite at all.
    expect((await fx.api.post(`/${company()}/invitations/`, { token: dev.token, body: { email: 'x@example.test', role: 'viewer' } })).status).toBe(403);
  });
});

describe('members and owners', () => {
  it('keeps the last owner, and lets an owner hand over', async () => {
    const self = owner.account.id;
    const demote = await fx.api.patch(`/${company()}/members/${self}/`, { token: owner.token, body: { role: 'admin' } });
    expect(demote.status).toBe(409);
    expect(demote.body.message).toMatch(/at least one owner/);
    expect((await fx.api.delete(`/${company()}/members/${self}/`, { token: owner.token })).status).toBe(409);
    // A developer cannot change roles; the error names the role it needs.
    const tried = await fx.api.patch(`/${company()}/members/${dev.account.id}/`, { token: dev.token, body: { role: 'admin' } });
    expect(tried.status).toBe(403);
    expect(tried.body.message).toMatch(/needs the admin role/);
    expect((await fx.api.patch(`/${company()}/members/${dev.account.id}/`, { token: owner.token, body: { role: 'owner' } })).body.role).toBe('owner');
    expect((await fx.api.patch(`/${company()}/members/${self}/`, { token: owner.token, body: { role: 'admin' } })).body.role).toBe('admin');
    expect((await fx.api.patch(`/${company()}/members/${self}/`, { token: dev.token, body: { role: 'owner' } })).body.role).toBe('owner');
    expect((await fx.api.patch(`/${company()}/members/${dev.account.id}/`, { token: owner.token, body: { role: 'developer' } })).body.role).toBe('developer');
  });

  it('lets anyone leave, and the company is renamed and deleted by its owner only', async () => {
    const own = (await fx.api.post('/companies/', { token: owner.token, body: { name: 'Short Lived' } })).body;
    const viewer = await register(fx.api, 'Leaver');
    const invited = await fx.api.post(`/${own.id}/invitations/`, { token: owner.token, body: { email: viewer.email, role: 'admin' } });
    await fx.api.post('/invitations/accept/', { token: viewer.token, body: { token: invited.body.token } });
    expect((await fx.api.patch(`/companies/${own.id}/`, { token: viewer.token, body: { name: 'Mine now' } })).status).toBe(403);
    expect((await fx.api.patch(`/companies/${own.id}/`, { token: owner.token, body: { name: 'Renamed' } })).body).toMatchObject({ id: own.id, name: 'Renamed' });
    expect((await fx.api.delete(`/${own.id}/members/${viewer.account.id}/`, { token: viewer.token })).status).toBe(200);
    expect((await fx.api.get(`/${own.id}/members/`, { token: viewer.token })).status).toBe(404);
    const app = await fx.api.post(`/${own.id}/apps/`, { token: owner.token, body: { name: 'blocker', image: 'berth/runtime:2026.11-1', plan: 1 } });
    await waitForOperation(fx.api, owner.token, own.id, app.body.operation_id);
    const storage = await fx.api.post(`/${own.id}/storages/`, { token: owner.token, body: { type: 'pgsql', password: 'Blocker-storage-1' } });
    expect((await waitForOperation(fx.api, owner.token, own.id, storage.body.operation_id)).status).toBe('success');
    const refused = await fx.api.delete(`/companies/${own.id}/`, { token: owner.token });
    expect(refused.status).toBe(409);
    expect(refused.body.message).toBe(`the company still has 1 app (blocker) and 1 storage (${storage.body.name}): delete them first`);
    const gone = await fx.api.delete(`/${own.id}/apps/${app.body.id}/`, { token: owner.token });
    expect((await waitForOperation(fx.api, owner.token, own.id, gone.body.operation_id)).status).toBe('success');
    const onlyStorage = await fx.api.delete(`/companies/${own.id}/`, { token: owner.token });
    expect(onlyStorage.status).toBe(409);
    expect(onlyStorage.body.message).toBe(`the company still has 1 storage (${storage.body.name}): delete them first`);
    const dropped = await fx.api.delete(`/${own.id}/storages/${storage.body.id}/`, { token: owner.token });
    expect((await waitForOperation(fx.api, owner.token, own.id, dropped.body.operation_id)).status).toBe('success');
    expect((await fx.api.delete(`/companies/${own.id}/`, { token: owner.token })).status).toBe(200);
    expect((await fx.api.get('/companies/', { token: owner.token })).body.map((c: any) => c.id)).not.toContain(own.id);
  });

  it('applies a role change in another API process within the membership cache’s second', async () => {
    const other = await startBerth({ ...fx.env, BERTH_ROLES: 'api' });
    try {
      const b = client(other.url);
      const body = { name: 'roletest', image: 'berth/runtime:2026.11-1', plan: 1 };
      // Warm process B's cache with the developer role, then demote through process A.
      expect((await b.get(`/${company()}/apps/`, { token: dev.token })).status).toBe(200);
      expect((await fx.api.patch(`/${company()}/members/${dev.account.id}/`, { token: owner.token, body: { role: 'viewer' } })).status).toBe(200);
      await new Promise((r) => setTimeout(r, 1100));
      const refused = await b.post(`/${company()}/apps/`, { token: dev.token, body });
      expect(refused.status).toBe(403);
      expect(refused.body.message).toMatch(/needs the developer role in the company; you are a viewer/);
      // Removed altogether: the company is gone for them in process B too.
      expect((await fx.api.delete(`/${company()}/members/${dev.account.id}/`, { token: owner.token })).status).toBe(200);
      await new Promise((r) => setTimeout(r, 1100));
      expect((await b.get(`/${company()}/apps/`, { token: dev.token })).status).toBe(404);
    } finally {
      await other.stop();
    }
  });
});

describe('tokens and the account', () => {
  it('scopes tokens to companies and to reading, and shows both', async () => {
    const second = (await fx.api.post('/companies/', { token: owner.token, body: { name: 'Second' } })).body;
    const scoped = await fx.api.post('/tokens/', { token: owner.token, body: { name: 'ci', companies: [second.id] } });
    expect(scoped.body).toMatchObject({ companies: [second.id], access: 'write' });
    expect((await fx.api.get(`/${company()}/apps/`, { token: scoped.body.token })).status).toBe(404);
    expect((await fx.api.get(`/${second.id}/apps/`, { token: scoped.body.token })).status).toBe(200);
    expect((await fx.api.get('/companies/', { token: scoped.body.token })).body.map((c: any) => c.id)).toEqual([second.id]);
    // A scoped token makes no token wider than itself, nor companies, nor account changes.
    expect((await fx.api.post('/tokens/', { token: scoped.body.token, body: { name: 'wider', companies: [company()] } })).status).toBe(400);
    expect((await fx.api.post('/tokens/', { token: scoped.body.token, body: { name: 'same' } })).body.companies).toEqual([second.id]);
    expect((await fx.api.post('/companies/', { token: scoped.body.token, body: { name: 'More' } })).status).toBe(403);
    const reader = await fx.api.post('/tokens/', { token: owner.token, body: { name: 'dashboard', access: 'read' } });
    expect(reader.body).toMatchObject({ companies: null, access: 'read' });
    expect((await fx.api.get(`/${company()}/apps/`, { token: reader.body.token })).status).toBe(200);
    const write = await fx.api.post(`/${company()}/storages/`, { token: reader.body.token, body: { type: 'pgsql', password: 'Reader-cannot-123' } });
    expect(write.status).toBe(403);
    expect(write.body.message).toMatch(/read-only/);
    expect((await fx.api.get('/tokens/', { token: owner.token })).body.find((t: any) => t.name === 'dashboard')).toMatchObject({ access: 'read', companies: null });
  });

  it('gives login tokens an expiry, and a new password revokes every other token', async () => {
    const login = await fx.api.post('/auth/login/', { body: { email: owner.email, password: owner.password } });
    const listed = (await fx.api.get('/tokens/', { token: owner.token })).body.filter((t: any) => t.name === 'login');
    const days = (new Date(listed.at(-1).expires_at).getTime() - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(29.9);
    expect(days).toBeLessThanOrEqual(30);
    expect((await fx.api.get('/account/', { token: owner.token })).body).toMatchObject({ id: owner.account.id, email: owner.email });
    const wrong = await fx.api.patch('/account/', { token: owner.token, body: { password: 'A quite new password 1', current_password: 'nope' } });
    expect(wrong.body.errors).toHaveProperty('current_password');
    const changed = await fx.api.patch('/account/', { token: owner.token, body: { password: 'A quite new password 1', current_password: owner.password, name: 'Boss' } });
    expect(changed.status, changed.text).toBe(200);
    expect(changed.body.name).toBe('Boss');
    await new Promise((r) => setTimeout(r, 1100));
    expect((await fx.api.get('/companies/', { token: login.body.token })).status).toBe(401);
    expect((await fx.api.get('/companies/', { token: owner.token })).status).toBe(200);
  });
});

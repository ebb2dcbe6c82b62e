// What Rosti's own client (rostictl, Go) sends and decodes, on the wire: its tokens, its empty
// JSON bodies, its catalog reads before a company is chosen, its whole-number prices and unsigned
// ids, its app names, `down` followed at once by `start`, and its status struct of numbers.
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { hashToken } from '../dist/src/auth/token-secret.js';
import { useBerth } from './support/fixture.js';
import { register, waitForOperation } from './support/http.js';

const fx = useBerth('rosti', { BERTH_ROLES: 'api,worker', JOB_BACKOFF_MS: '200' });
let owner: Awaited<ReturnType<typeof register>>;
const IMAGE = 'berth/runtime:2026.11-1';

/** A request exactly as rostictl's `call` makes it: Token auth, JSON content type, the body as given (empty on GET and DELETE). */
async function rosti(method: string, path: string, token: string, body = '') {
  const answer = await fetch(`${fx.berth.url}/${path}`, { method, headers: { authorization: `Token ${token}`, 'content-type': 'application/json' }, body: method === 'GET' ? undefined : body });
  const text = await answer.text();
  return { status: answer.status, text, body: text ? JSON.parse(text) : undefined };
}

beforeAll(async () => {
  owner = await register(fx.api, 'Rosti Co');
});

describe("Rosti's client", () => {
  it('gets tokens of exactly 40 letters and digits, and tokens issued before keep working', async () => {
    expect(owner.token).toMatch(/^[A-Za-z0-9]{40}$/);
    expect(owner.token.startsWith('berth')).toBe(true);
    const made = await fx.api.post('/tokens/', { token: owner.token, body: { name: 'rostictl' } });
    expect(made.body.token).toMatch(/^berth[A-Za-z0-9]{35}$/);
    const login = await fx.api.post('/auth/login/', { body: { email: owner.email, password: owner.password } });
    expect(login.body.token).toMatch(/^[A-Za-z0-9]{40}$/);
    // A token of the former shape (berth_ and 43 base64url characters), as the database still holds them.
    const old = `berth_${randomBytes(32).toString('base64url')}`;
    await fx.db.query('INSERT INTO api_tokens (account_id, name, token_hash, hint) VALUES ($1, $2, $3, $4)', [owner.account.id, 'old', hashToken(old), 'berth_…old']);
    expect((await rosti('GET', 'companies/', old)).status).toBe(200);
    // Shapes are checked before anything is looked up: neither a longer nor a mixed one passes.
    expect((await rosti('GET', 'companies/', `${owner.token}x`)).status).toBe(401);
    expect((await rosti('GET', 'companies/', `berth_${owner.token.slice(5)}`)).status).toBe(401);
  });

  it('reads the catalogs for company 0, before a company is chosen, with whole-number prices', async () => {
    for (const company of [0, owner.company.id]) {
      const plans = await rosti('GET', `${company}/plans/`, owner.token);
      expect(plans.status, plans.text).toBe(200);
      expect(plans.body.length).toBeGreaterThanOrEqual(5);
      for (const plan of plans.body) {
        for (const field of ['id', 'ram', 'disk', 'price', 'cpu_quota']) expect(Number.isInteger(plan[field]) && plan[field] >= 0, `${plan.name}.${field}`).toBe(true);
      }
      const runtimes = await rosti('GET', `${company}/runtimes/`, owner.token);
      expect(runtimes.status).toBe(200);
      expect(runtimes.body.filter((r: any) => r.default).map((r: any) => r.image)).toEqual([IMAGE]);
    }
    // Company 0 is for catalogs only; without a token, nothing.
    expect((await fx.api.get('/0/plans/')).status).toBe(401);
    expect((await rosti('GET', '0/apps/', owner.token)).status).toBe(404);
    const stranger = await register(fx.api, 'Stranger');
    expect((await rosti('GET', `${owner.company.id}/plans/`, stranger.token)).status).toBe(404);
  });

  it('creates, reads and deletes an app with empty JSON bodies on GET and DELETE', async () => {
    const created = await rosti('POST', `${owner.company.id}/apps/`, owner.token, JSON.stringify({ name: 'My_Shop.v2', image: IMAGE, plan: 1, domains: [] }));
    expect(created.status, created.text).toBe(200);
    // Stored as given; its default domain spells it as a DNS label.
    expect(created.body).toMatchObject({ name: 'My_Shop.v2', domains: [`my-shop-v2-${created.body.id}.apps.localhost`] });
    expect(created.body.default_domain).toBe(`my-shop-v2-${created.body.id}.apps.localhost`);
    expect((await waitForOperation(fx.api, owner.token, owner.company.id, created.body.operation_id)).status).toBe('success');
    const read = await rosti('GET', `${owner.company.id}/apps/${created.body.id}/`, owner.token);
    expect(read.status).toBe(200);
    // Names are unique in a company whatever their case.
    const twin = await rosti('POST', `${owner.company.id}/apps/`, owner.token, JSON.stringify({ name: 'my_shop.V2', image: IMAGE, plan: 1 }));
    expect(twin.status).toBe(409);
    expect(twin.body.errors.name[0]).toMatch(/already the name/);
    const bad = await rosti('POST', `${owner.company.id}/apps/`, owner.token, JSON.stringify({ name: '_shop', image: IMAGE, plan: 1 }));
    expect(bad.body.errors.name).toBeDefined();
    const removed = await rosti('DELETE', `${owner.company.id}/apps/${created.body.id}/`, owner.token);
    expect(removed.status, removed.text).toBe(200);
    expect((await waitForOperation(fx.api, owner.token, owner.company.id, removed.body.operation_id)).status).toBe('success');
    expect((await rosti('GET', `${owner.company.id}/apps/${created.body.id}/`, owner.token)).status).toBe(404);
  });

  it('runs `down` then `start` sent back to back: both succeed, in order, and the app runs', async () => {
    const created = await rosti('POST', `${owner.company.id}/apps/`, owner.token, JSON.stringify({ name: 'backtoback', image: IMAGE, plan: 1 }));
    await waitForOperation(fx.api, owner.token, owner.company.id, created.body.operation_id);
    const action = (name: string) => rosti('PUT', `${owner.company.id}/apps-action/${created.body.id}/`, owner.token, JSON.stringify({ action: name }));
    const stop = await action('stop');
    const start = await action('start');
    expect([stop.status, start.status]).toEqual([200, 200]);
    const stopped = await waitForOperation(fx.api, owner.token, owner.company.id, stop.body.operation_id);
    const started = await waitForOperation(fx.api, owner.token, owner.company.id, start.body.operation_id);
    expect([stopped.kind, stopped.status, started.kind, started.status]).toEqual(['app.stop', 'success', 'app.start', 'success']);
    expect(new Date(stopped.finished_at) <= new Date(started.finished_at)).toBe(true);
    const app = await rosti('GET', `${owner.company.id}/apps/${created.body.id}/`, owner.token);
    expect(app.body).toMatchObject({ enabled: true, status: 'running' });
    // A real conflict stays one: an app being deleted takes no further change.
    const gone = await rosti('DELETE', `${owner.company.id}/apps/${created.body.id}/`, owner.token);
    const late = await action('start');
    expect(late.status).toBe(409);
    await waitForOperation(fx.api, owner.token, owner.company.id, gone.body.operation_id);
  });

  it('decodes the status into its numeric struct: sizes in GB, 0 over the limit, usage negative when unknown', async () => {
    const created = await rosti('POST', `${owner.company.id}/apps/`, owner.token, JSON.stringify({ name: 'status', image: IMAGE, plan: 1 }));
    await waitForOperation(fx.api, owner.token, owner.company.id, created.body.operation_id);
    const status = await rosti('GET', `${owner.company.id}/apps-status/${created.body.id}/`, owner.token);
    expect(status.status).toBe(200);
    const { storage, memory } = status.body;
    for (const value of [storage.usage, storage.limit, storage.over_limit, memory.usage, memory.limit]) expect(typeof value).toBe('number');
    expect(storage).toMatchObject({ limit: 1, over_limit: 0 });
    expect(storage.usage).toBeGreaterThanOrEqual(0);
    expect(storage.usage).toBeLessThan(1);
    expect(status.body.primary_tech).toMatchObject({ name: 'node' });
    const stop = await rosti('PUT', `${owner.company.id}/apps-action/${created.body.id}/`, owner.token, JSON.stringify({ action: 'stop' }));
    await waitForOperation(fx.api, owner.token, owner.company.id, stop.body.operation_id);
    const idle = await rosti('GET', `${owner.company.id}/apps-status/${created.body.id}/`, owner.token);
    expect(idle.body.storage).toEqual({ usage: -1, limit: 1, over_limit: 0 });
  });
});

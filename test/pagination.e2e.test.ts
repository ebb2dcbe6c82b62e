// Lists stay plain arrays; `?limit=` and an opaque `?after=` cursor page them, and the next page
// is in a `Link` header. A walk that follows Link sees every item once, in order, even while
// items are created between its pages.
import { beforeAll, describe, expect, it } from 'vitest';
import { useBerth } from './support/fixture.js';
import { register } from './support/http.js';

const fx = useBerth('paging', {
  APPS_PER_COMPANY: '1000',
  APPS_PER_ACCOUNT: '1000',
  // More apps than a test installation's block of 200 ports holds. Without the worker role no
  // container is made, so these ports are numbers in the database and clash with nothing.
  APP_PORTS: '40000-40999',
  SSH_PORTS: '41000-41999',
});
const IMAGE = 'berth/runtime:2026.11-1';
const APPS = 250;

let owner: Awaited<ReturnType<typeof register>>;
let plan: number;
const company = () => owner.company.id;

interface Fetched {
  status: number;
  body: any;
  link: string | null;
  url: string;
}

/** GET as a client would, following a Link resolved against the URL that gave it. */
async function get(url: string, token = owner.token): Promise<Fetched> {
  const absolute = new URL(url, fx.berth.url).toString();
  const response = await fetch(absolute, { headers: { authorization: `Token ${token}` } });
  const body = await response.json();
  return { status: response.status, body, link: response.headers.get('link'), url: absolute };
}

/** The next page's URL from a Link header, checking its form. */
function nextUrl(answer: Fetched): string | null {
  if (answer.link === null) return null;
  const match = /^<(\/api\/v1\/[^>]*)>; rel="next"$/.exec(answer.link);
  expect(match, answer.link).not.toBeNull();
  return new URL(match![1], answer.url).toString();
}

/** Every page of a list, calling `between` after each page that has a next one. */
async function walk(path: string, token = owner.token, between: () => Promise<void> = async () => {}): Promise<{ pages: any[][]; urls: string[] }> {
  const pages: any[][] = [];
  const urls: string[] = [];
  let url: string | null = `${fx.berth.url}${path}`;
  while (url) {
    const answer = await get(url, token);
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    expect(Array.isArray(answer.body)).toBe(true);
    pages.push(answer.body);
    urls.push(url);
    url = nextUrl(answer);
    if (url) await between();
    expect(pages.length).toBeLessThan(100);
  }
  return { pages, urls };
}

let appSeq = 0;
async function createApp(): Promise<number> {
  const answer = await fx.api.post(`/${company()}/apps/`, { token: owner.token, body: { name: `app-${String(appSeq++).padStart(4, '0')}`, image: IMAGE, plan } });
  expect(answer.status, answer.text).toBe(200);
  return answer.body.id;
}

const ids = (items: any[]) => items.map((i) => i.id);
const ascending = (xs: number[]) => xs.every((x, i) => i === 0 || xs[i - 1] < x);

beforeAll(async () => {
  owner = await register(fx.api, 'Paging Co');
  plan = (await fx.api.get(`/${company()}/plans/`, { token: owner.token })).body[0].id;
  for (let i = 0; i < APPS; i += 10) await Promise.all(Array.from({ length: Math.min(10, APPS - i) }, () => createApp()));
}, 180_000);

describe('apps, a page at a time', () => {
  it('walks 250 apps 40 at a time with no duplicate or gap while apps come and go between pages', async () => {
    const before = ids((await get(`/api/v1/${company()}/apps/?limit=500`)).body);
    expect(before.length).toBeGreaterThanOrEqual(APPS);
    const created: number[] = [];
    const gone: number[] = [];
    const { pages, urls } = await walk(`/${company()}/apps/?limit=40`, owner.token, async () => {
      created.push(await createApp(), await createApp());
      // An app already seen disappears: with OFFSET the next page would skip one that was not.
      gone.push(before[gone.length * 40]);
      await fx.db.query('DELETE FROM apps WHERE id = $1', [gone[gone.length - 1]]);
    });
    const seen = ids(pages.flat());
    expect(new Set(seen).size).toBe(seen.length);
    expect(ascending(seen)).toBe(true);
    expect(gone.length).toBeGreaterThanOrEqual(6);
    expect(seen.slice(0, before.length)).toEqual(before);
    // Apps made during the walk sort after every earlier one; the walk reaches those made in time.
    expect(seen.slice(before.length).every((id) => created.includes(id))).toBe(true);
    expect(pages.slice(0, -1).every((page) => page.length === 40)).toBe(true);
    expect(urls.slice(1).every((url) => new URL(url).searchParams.get('limit') === '40')).toBe(true);
  }, 120_000);

  it('answers the default 100 without ?limit, as Rosti’s client reads, with a Link to the rest', async () => {
    const all = ids((await get(`/api/v1/${company()}/apps/?limit=500`)).body);
    const first = await get(`/api/v1/${company()}/apps/`);
    expect(first.status).toBe(200);
    expect(ids(first.body)).toEqual(all.slice(0, 100));
    const next = new URL(nextUrl(first)!);
    expect(next.pathname).toBe(`/api/v1/${company()}/apps/`);
    expect([...next.searchParams.keys()]).toEqual(['after']);
    expect(ids((await get(next.toString())).body)).toEqual(all.slice(100, 200));
  });

  it('takes a limit up to PAGE_LIMIT_MAX (500) and refuses more with 400 naming limit', async () => {
    const max = await get(`/api/v1/${company()}/apps/?limit=500`);
    expect(max.status).toBe(200);
    expect(max.body.length).toBeGreaterThan(APPS);
    const over = await get(`/api/v1/${company()}/apps/?limit=501`);
    expect(over.status).toBe(400);
    expect(over.body).toMatchObject({ code: 'validation_error', errors: { limit: ['must be a whole number from 1 to 500'] } });
  });

  it('has no Link on the last page, even one that ends exactly at the limit', async () => {
    const all = ids((await get(`/api/v1/${company()}/apps/?limit=500`)).body);
    expect((await get(`/api/v1/${company()}/apps/?limit=500`)).link).toBeNull();
    const tail = await get(`/api/v1/${company()}/apps/?limit=${all.length - 3}`);
    const last = await get(nextUrl(tail)!);
    expect(ids(last.body)).toEqual(all.slice(-3));
    expect(last.link).toBeNull();
    const exact = await get(`/api/v1/${company()}/apps/?limit=${all.length}`);
    expect(exact.body.length).toBe(all.length);
    expect(exact.link).toBeNull();
  });

  it('refuses a bad limit or after with 400 naming the field', async () => {
    const cursor = (values: unknown) => Buffer.from(JSON.stringify(values)).toString('base64url');
    const cases: Array<[string, string]> = [
      ['limit=0', 'limit'],
      ['limit=-1', 'limit'],
      ['limit=ten', 'limit'],
      ['limit=1.5', 'limit'],
      ['limit=', 'limit'],
      ['limit=2&limit=3', 'limit'],
      ['after=!!!', 'after'],
      ['after=' + 'A'.repeat(500), 'after'],
      ['after=' + cursor({ id: 1 }), 'after'],
      ['after=' + cursor(['1']), 'after'],
      ['after=' + cursor([1.5]), 'after'],
      ['after=' + cursor([2 ** 31]), 'after'],
      // A members cursor is not an apps cursor.
      ['after=' + cursor(['2026-01-01T00:00:00.000000Z', 1]), 'after'],
      // Decodes, but is not how this server writes one.
      ['after=' + Buffer.from('[ 1 ]').toString('base64url'), 'after'],
    ];
    for (const [query, field] of cases) {
      const answer = await get(`/api/v1/${company()}/apps/?${query}`);
      expect(answer.status, query).toBe(400);
      expect(answer.body.code, query).toBe('validation_error');
      expect(Object.keys(answer.body.errors), query).toEqual([field]);
    }
    const both = await get(`/api/v1/${company()}/apps/?limit=0&after=%25`);
    expect(Object.keys(both.body.errors).sort()).toEqual(['after', 'limit']);
    // An empty cursor is the first page, so a client's loop may start with one.
    expect(ids((await get(`/api/v1/${company()}/apps/?limit=5&after=`)).body)).toEqual(ids((await get(`/api/v1/${company()}/apps/?limit=5`)).body));
  });
});

describe('operations', () => {
  it('pages newest first and keeps the app= and storage= filters in Link', async () => {
    const app = await createApp();
    for (let i = 0; i < 4; i++) {
      const restart = await fx.api.put(`/${company()}/apps-action/${app}/`, { token: owner.token, body: { action: 'restart' } });
      expect(restart.status, restart.text).toBe(200);
    }
    const storage = await fx.api.post(`/${company()}/storages/`, { token: owner.token, body: { type: 'pgsql', password: 'Paging-pass-long-1' } });
    expect(storage.status, storage.text).toBe(200);

    // Newer operations arrive while the walk goes on: with OFFSET they would push old ones back onto the next page.
    const restart = async () => void (await fx.api.put(`/${company()}/apps-action/${app}/`, { token: owner.token, body: { action: 'restart' } }));
    const { pages, urls } = await walk(`/${company()}/operations/?app=${app}&storage=${storage.body.id}&limit=2`, owner.token, restart);
    const ops = pages.flat();
    expect(ops).toHaveLength(6);
    expect(new Set(ids(ops)).size).toBe(6);
    expect(pages.map((p) => p.length)).toEqual([2, 2, 2]);
    expect(ascending(ids(ops).reverse())).toBe(true);
    expect(ops[0]).toMatchObject({ target_type: 'storage', target_id: storage.body.id });
    expect(ops.slice(1).every((op) => op.target_type === 'app' && op.target_id === app)).toBe(true);
    for (const url of urls.slice(1)) {
      const params = new URL(url).searchParams;
      expect([params.get('app'), params.get('storage'), params.get('limit')]).toEqual([String(app), String(storage.body.id), '2']);
    }
    // The default is the newest 100, what the list answered before it paged.
    const latest = await get(`/api/v1/${company()}/operations/`);
    expect(latest.body).toHaveLength(100);
    expect(ascending(ids(latest.body).reverse())).toBe(true);
    expect(latest.body[0].id).toBeGreaterThan(ops[0].id);
    expect(latest.link).not.toBeNull();
    expect((await get(`/api/v1/${company()}/operations/?app=${app}&limit=x`)).body.errors).toHaveProperty('limit');
  });
});

describe('every other list that can grow', () => {
  let others: Array<Awaited<ReturnType<typeof register>>>;
  beforeAll(async () => {
    others = [];
    for (let i = 0; i < 3; i++) {
      const who = await register(fx.api, `Member ${i}`);
      const invited = await fx.api.post(`/${company()}/invitations/`, { token: owner.token, body: { email: who.email, role: 'viewer' } });
      expect((await fx.api.post('/invitations/accept/', { token: who.token, body: { token: invited.body.token } })).status).toBe(200);
      others.push(who);
    }
    await fx.api.post(`/${company()}/invitations/`, { token: owner.token, body: { email: 'pending@example.test', role: 'viewer' } });
    for (let i = 0; i < 4; i++) expect((await fx.api.post('/tokens/', { token: owner.token, body: { name: `t${i}` } })).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await fx.api.post(`/${company()}/storages/`, { token: owner.token, body: { type: 'mariadb', password: `Paging-pass-long-${i}` } })).status).toBe(200);
    for (let i = 0; i < 2; i++) expect((await fx.api.post('/companies/', { token: owner.token, body: { name: `Extra ${i}` } })).status).toBe(200);
    for (const name of ['c', 'a', 'b']) expect((await fx.api.post(`/${company()}/domains/${name}.paging.example/verify/`, { token: owner.token })).status).toBe(200);
  });

  const lists = () => ({
    tokens: '/tokens/',
    members: `/${company()}/members/`,
    storages: `/${company()}/storages/`,
    invitations: `/${company()}/invitations/`,
    companies: '/companies/',
    domains: `/${company()}/domains/`,
  });

  for (const name of ['tokens', 'members', 'storages', 'invitations', 'companies', 'domains'] as const) {
    it(`pages ${name} two at a time, in the order of the whole list`, async () => {
      const path = lists()[name];
      const whole = await get(`/api/v1${path}`);
      expect(whole.status).toBe(200);
      expect(whole.link).toBeNull();
      expect(whole.body.length).toBeGreaterThanOrEqual(3);
      const { pages } = await walk(`${path}?limit=2`);
      expect(pages.flat()).toEqual(whole.body);
      expect(pages.length).toBe(Math.ceil(whole.body.length / 2));
    });
  }

  it('keeps each list’s order: members as they joined, domains by name', async () => {
    const members = (await get(`/api/v1/${company()}/members/?limit=500`)).body;
    expect(members.map((m: any) => m.account_id)).toEqual([owner.account.id, ...others.map((o) => o.account.id)]);
    const domains = (await get(`/api/v1/${company()}/domains/`)).body;
    expect(domains.map((d: any) => d.domain)).toEqual(['a.paging.example', 'b.paging.example', 'c.paging.example']);
  });
});

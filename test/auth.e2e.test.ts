import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBerth } from './support/fixture.js';
import { client, register } from './support/http.js';
import { ROOT, startBerth } from './support/server.js';
import { REDIS_URL } from './support/services.js';

const fx = useBerth('auth');

describe('registration and the catalogs', () => {
  it('register → token → companies → plans → runtimes', async () => {
    const registered = await fx.api.post('/auth/register/', { body: { email: 'Owner@Acme.test', password: 'a long enough password', name: 'Acme' } });
    expect(registered.status).toBe(200);
    expect(registered.body.account).toMatchObject({ email: 'owner@acme.test', name: 'Acme' });
    expect(registered.body.company).toMatchObject({ name: 'Acme', role: 'owner' });
    // 40 letters and digits, as Rosti's client requires, behind a recognisable prefix.
    expect(registered.body.token).toMatch(/^berth[A-Za-z0-9]{35}$/);
    expect(JSON.stringify(registered.body)).not.toContain('password');
    const token = registered.body.token;

    const companies = await fx.api.get('/companies/', { token });
    expect(companies.status).toBe(200);
    expect(companies.body).toEqual([{ id: registered.body.company.id, name: 'Acme', role: 'owner' }]);

    const plans = await fx.api.get(`/${registered.body.company.id}/plans/`, { token });
    expect(plans.status).toBe(200);
    expect(plans.body.map((p: any) => [p.name, p.ram, p.cpu_quota, p.disk])).toEqual([
      ['Mini', 128, 25, 1],
      ['Start+', 512, 50, 10],
      ['Normal+', 2048, 200, 25],
      ['Pro+', 4096, 200, 50],
      ['Business+', 8192, 400, 100],
    ]);
    for (const plan of plans.body) expect(typeof plan.price).toBe('number');

    const runtimes = await fx.api.get(`/${registered.body.company.id}/runtimes`, { token });
    expect(runtimes.status).toBe(200);
    expect(runtimes.body.length).toBeGreaterThanOrEqual(2);
    expect(runtimes.body.filter((r: any) => r.default)).toHaveLength(1);
    expect(Object.keys(runtimes.body[0]).sort()).toEqual(['default', 'id', 'image', 'name', 'show', 'techs']);
  });

  it('names the default company after the email when no name is given', async () => {
    const answer = await fx.api.post('/auth/register', { body: { email: 'solo@example.test', password: 'a long enough password' } });
    expect(answer.status).toBe(200);
    expect(answer.body.company.name).toBe('solo@example.test');
  });

  it('refuses a second account with the same email, whatever its case (409 naming email)', async () => {
    await register(fx.api).then(async ({ email }) => {
      const again = await fx.api.post('/auth/register/', { body: { email: email.toUpperCase(), password: 'another long password' } });
      expect(again.status).toBe(409);
      expect(again.body).toMatchObject({ code: 'conflict', errors: { email: ['is already registered'] } });
    });
  });

  it('stores passwords with argon2id and tokens only as SHA-256', async () => {
    const { email, token } = await register(fx.api);
    const account = await fx.db.query('SELECT id, password_hash FROM accounts WHERE email = $1', [email]);
    expect(account.rows[0].password_hash).toMatch(/^\$argon2id\$/);
    const tokens = await fx.db.query('SELECT token_hash FROM api_tokens WHERE account_id = $1', [account.rows[0].id]);
    const { createHash } = await import('node:crypto');
    expect(tokens.rows.map((r) => r.token_hash)).toEqual([createHash('sha256').update(token).digest('hex')]);
    const dump = await fx.db.query("SELECT string_agg(t::text, '') AS all FROM api_tokens t");
    expect(dump.rows[0].all).not.toContain(token);
  });

  it('logs in with email and password and issues a new token', async () => {
    const { email, password, token } = await register(fx.api);
    const login = await fx.api.post('/auth/login/', { body: { email: email.toUpperCase(), password } });
    expect(login.status).toBe(200);
    expect(login.body.token).not.toBe(token);
    expect((await fx.api.get('/companies/', { token: login.body.token })).status).toBe(200);

    const wrong = await fx.api.post('/auth/login/', { body: { email, password: 'not the password' } });
    expect(wrong.status).toBe(401);
    expect(wrong.body.code).toBe('unauthorized');
    const unknown = await fx.api.post('/auth/login/', { body: { email: 'nobody@example.test', password } });
    expect(unknown.status).toBe(401);
    expect(unknown.body.message).toBe(wrong.body.message);
  });
});

describe('tokens', () => {
  it('lists tokens without secrets, creates one shown once, revokes it', async () => {
    const { token } = await register(fx.api);
    const created = await fx.api.post('/tokens/', { token, body: { name: 'ci' } });
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({ name: 'ci', expires_at: null, last_used_at: null });
    expect(created.body.hint).toBe(`berth…${created.body.token.slice(-4)}`);

    expect((await fx.api.get('/companies/', { token: created.body.token })).status).toBe(200);
    const listed = await fx.api.get('/tokens/', { token });
    expect(listed.status).toBe(200);
    expect(listed.body.map((t: any) => t.name)).toEqual(['registration', 'ci']);
    expect(listed.text).not.toContain(created.body.token);
    expect(listed.text).not.toContain(token);
    expect(listed.body.find((t: any) => t.name === 'ci').last_used_at).not.toBeNull();

    const revoked = await fx.api.delete(`/tokens/${created.body.id}/`, { token });
    expect(revoked.status).toBe(200);
    expect((await fx.api.get('/companies/', { token: created.body.token })).status).toBe(401);
    expect((await fx.api.get('/tokens/', { token })).body.map((t: any) => t.name)).toEqual(['registration']);
    expect((await fx.api.delete(`/tokens/${created.body.id}/`, { token })).status).toBe(404);
  });

  it("cannot revoke another account's token (404)", async () => {
    const alice = await register(fx.api);
    const bob = await register(fx.api);
    const bobs = await fx.api.get('/tokens/', { token: bob.token });
    const attempt = await fx.api.delete(`/tokens/${bobs.body[0].id}/`, { token: alice.token });
    expect(attempt.status).toBe(404);
    expect((await fx.api.get('/companies/', { token: bob.token })).status).toBe(200);
  });

  it('validates expires_at', async () => {
    const { token } = await register(fx.api);
    const past = await fx.api.post('/tokens/', { token, body: { name: 'old', expires_at: '2001-01-01T00:00:00Z' } });
    expect(past.status).toBe(400);
    expect(past.body.errors.expires_at).toEqual(['must be in the future']);
    const garbage = await fx.api.post('/tokens/', { token, body: { name: 'x', expires_at: 'tomorrow-ish' } });
    expect(garbage.status).toBe(400);
    expect(garbage.body.errors).toHaveProperty('expires_at');
  });

  it('an expired token stops working', async () => {
    const { token } = await register(fx.api);
    const soon = new Date(Date.now() + 1500).toISOString();
    const created = await fx.api.post('/tokens/', { token, body: { name: 'short-lived', expires_at: soon } });
    expect(created.status).toBe(200);
    expect((await fx.api.get('/companies/', { token: created.body.token })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1700));
    const expired = await fx.api.get('/companies/', { token: created.body.token });
    expect(expired.status).toBe(401);
    expect(expired.body.code).toBe('unauthorized');
  });
});

describe('401 for every way a token can be wrong', () => {
  let token: string;
  let revoked: string;
  beforeAll(async () => {
    token = (await register(fx.api)).token;
    const extra = await fx.api.post('/tokens/', { token, body: { name: 'to-revoke' } });
    revoked = extra.body.token;
    await fx.api.delete(`/tokens/${extra.body.id}/`, { token });
  });

  const cases: Array<[string, () => Record<string, string>]> = [
    ['missing', () => ({})],
    ['malformed header', () => ({ authorization: `Token` })],
    ['unknown scheme', () => ({ authorization: `Basic ${token}` })],
    ['not token-shaped', () => ({ authorization: 'Token abc' })],
    ['unknown token', () => ({ authorization: `Token berth_${'A'.repeat(43)}` })],
    ['revoked token', () => ({ authorization: `Token ${revoked}` })],
  ];
  for (const [name, headers] of cases) {
    it(`${name} → 401 in the error shape`, async () => {
      const answer = await fx.api.get('/companies/', { headers: headers() });
      expect(answer.status).toBe(401);
      expect(answer.body).toMatchObject({ code: 'unauthorized', errors: {} });
      expect(typeof answer.body.message).toBe('string');
    });
  }

  it('accepts Token and Bearer, in any case', async () => {
    for (const scheme of ['Token', 'token', 'TOKEN', 'Bearer', 'bearer']) {
      expect((await fx.api.get('/companies/', { authorization: `${scheme} ${token}` })).status).toBe(200);
    }
  });

  it('never reads a token from the query string or the body', async () => {
    expect((await fx.api.get(`/companies/?token=${token}`)).status).toBe(401);
    expect((await fx.api.get(`/companies/?access_token=${token}`)).status).toBe(401);
    expect((await fx.api.post('/companies/', { body: { name: 'x', token } })).status).toBe(401);
  });
});

describe('across processes', () => {
  it('a token revoked in one process stops working in another within a second', async () => {
    const second = await startBerth({ DATABASE_URL: fx.db.url, MIGRATIONS_RUN: 'false' });
    try {
      const other = client(second.url);
      const { token } = await register(fx.api);
      const created = await fx.api.post('/tokens/', { token, body: { name: 'shared' } });
      // Warm the second process's cache with the token.
      expect((await other.get('/companies/', { token: created.body.token })).status).toBe(200);
      expect((await other.get('/companies/', { token: created.body.token })).status).toBe(200);
      expect((await fx.api.delete(`/tokens/${created.body.id}/`, { token })).status).toBe(200);
      await new Promise((r) => setTimeout(r, 1050));
      expect((await other.get('/companies/', { token: created.body.token })).status).toBe(401);
    } finally {
      await second.stop();
    }
  });
});

describe('operator-managed installations', () => {
  it('register answers 403 when switched off; the operator command creates accounts', async () => {
    const closed = await startBerth({ DATABASE_URL: fx.db.url, MIGRATIONS_RUN: 'false', REGISTRATION_ENABLED: 'false' });
    try {
      const answer = await client(closed.url).post('/auth/register/', { body: { email: 'x@example.test', password: 'long enough password' } });
      expect(answer.status).toBe(403);
      expect(answer.body.code).toBe('forbidden');

      const run = promisify(execFile);
      const child = run(process.execPath, ['dist/src/cli/berth.js', 'account:create', '--email', 'ops@example.test', '--name', 'Ops Team', '--password-stdin'], {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? '', DATABASE_URL: fx.db.url, REDIS_URL },
      });
      child.child.stdin!.end('operator password 1\n');
      const { stdout } = await child;
      const token = /token: (berth[A-Za-z0-9]{35})\b/.exec(stdout)?.[1];
      expect(token).toBeDefined();
      const companies = await client(closed.url).get('/companies/', { token });
      expect(companies.body).toMatchObject([{ name: 'Ops Team', role: 'owner' }]);
      const login = await client(closed.url).post('/auth/login/', { body: { email: 'ops@example.test', password: 'operator password 1' } });
      expect(login.status).toBe(200);
    } finally {
      await closed.stop();
    }
  });
});

describe('brute force', () => {
  it('locks an address out with 429 and Retry-After after too many failed logins or registrations', async () => {
    const limited = await startBerth({ DATABASE_URL: fx.db.url, MIGRATIONS_RUN: 'false', TRUST_PROXY: 'true', LOGIN_FAILURES_PER_IP: '3', REGISTRATIONS_PER_IP: '2' });
    try {
      const lapi = client(limited.url);
      // A new documentation-range address each call: the attacker, elsewhere, and signups are
      // never the same. Counters are the installation's own (startBerth gives each a QUEUE_PREFIX).
      let last = 0;
      const ip = () => ({ 'x-forwarded-for': `203.0.113.${++last}` });
      const attacker = ip();
      const { email, password } = await register(fx.api);
      for (let i = 0; i < 3; i++) {
        const wrong = await lapi.post('/auth/login/', { body: { email: `${i}${email}`, password: 'guess guess guess' }, headers: attacker });
        expect(wrong.status).toBe(401);
      }
      const blocked = await lapi.post('/auth/login/', { body: { email, password }, headers: attacker });
      expect(blocked.status).toBe(429);
      expect(blocked.body.code).toBe('rate_limited');
      expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
      // The same right password from elsewhere still works.
      const elsewhere = await lapi.post('/auth/login/', { body: { email, password }, headers: ip() });
      expect({ status: elsewhere.status, body: elsewhere.body }).toMatchObject({ status: 200 });
      // Another installation on the same Redis keeps counts of its own.
      const neighbour = await startBerth({ DATABASE_URL: fx.db.url, MIGRATIONS_RUN: 'false', TRUST_PROXY: 'true', LOGIN_FAILURES_PER_IP: '3' });
      try {
        expect((await client(neighbour.url).post('/auth/login/', { body: { email, password }, headers: attacker })).status).toBe(200);
      } finally {
        await neighbour.stop();
      }

      const signups = ip();
      for (let i = 0; i < 2; i++) {
        const ok = await lapi.post('/auth/register/', { body: { email: `s${i}${Date.now()}@example.test`, password: 'long enough pass' }, headers: signups });
        expect(ok.status).toBe(200);
      }
      const third = await lapi.post('/auth/register/', { body: { email: `s3${Date.now()}@example.test`, password: 'long enough pass' }, headers: signups });
      expect(third.status).toBe(429);
    } finally {
      await limited.stop();
    }
  });

  // Ten failures lock the email for that address only: another address is the owner's own test
  // (test/security/auth-login.e2e.test.ts), since an attacker must not be able to lock them out.
  it('refuses an address that failed ten logins on one email, even with the right password', async () => {
    const { email, password } = await register(fx.api);
    for (let i = 0; i < 10; i++) expect((await fx.api.post('/auth/login/', { body: { email, password: 'nope nope nope' } })).status).toBe(401);
    const blocked = await fx.api.post('/auth/login/', { body: { email, password } });
    expect(blocked.status).toBe(429);
  });
});

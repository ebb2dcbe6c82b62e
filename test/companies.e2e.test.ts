import { describe, expect, it } from 'vitest';
import { useBerth } from './support/fixture.js';
import { register } from './support/http.js';

const fx = useBerth('companies');

describe('companies', () => {
  it('creates a company owned by the caller and lists it beside the default one', async () => {
    const { token, company } = await register(fx.api, 'Agency');
    const created = await fx.api.post('/companies/', { token, body: { name: '  Client Shop  ' } });
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({ name: 'Client Shop', role: 'owner' });
    expect(Number.isInteger(created.body.id)).toBe(true);

    const listed = await fx.api.get('/companies/', { token });
    expect(listed.body).toEqual([company, created.body]);
    const membership = await fx.db.query('SELECT role FROM memberships WHERE company_id = $1', [created.body.id]);
    expect(membership.rows).toEqual([{ role: 'owner' }]);
    // The new company's catalogs are reachable at once.
    expect((await fx.api.get(`/${created.body.id}/plans/`, { token })).status).toBe(200);
  });

  it('names the field when the company name is missing or too long', async () => {
    const { token } = await register(fx.api);
    const missing = await fx.api.post('/companies/', { token, body: {} });
    expect(missing.status).toBe(400);
    expect(Object.keys(missing.body.errors)).toEqual(['name']);
    const long = await fx.api.post('/companies/', { token, body: { name: 'x'.repeat(101) } });
    expect(long.body.errors.name[0]).toMatch(/shorter than or equal to 100/);
  });
});

describe('tenant isolation', () => {
  it("a member of one company gets 404 on another company's routes, as for a company that does not exist", async () => {
    const alice = await register(fx.api, 'Alice');
    const bob = await register(fx.api, 'Bob');
    const foreign = await fx.api.get(`/${bob.company.id}/plans/`, { token: alice.token });
    const missing = await fx.api.get(`/2147483000/plans/`, { token: alice.token });
    expect(foreign.status).toBe(404);
    expect(missing.status).toBe(404);
    expect(foreign.body).toEqual(missing.body);
    expect(foreign.body.code).toBe('not_found');
    for (const path of ['plans', 'runtimes']) {
      expect((await fx.api.get(`/${bob.company.id}/${path}/`, { token: alice.token })).status).toBe(404);
      expect((await fx.api.get(`/${bob.company.id}/${path}/`, { token: bob.token })).status).toBe(200);
    }
    const aliceCompanies = await fx.api.get('/companies/', { token: alice.token });
    expect(aliceCompanies.body.map((c: any) => c.id)).not.toContain(bob.company.id);
  });

  it('answers 400 for a non-numeric company id and 404 for one out of range, never 500', async () => {
    const { token } = await register(fx.api);
    const words = await fx.api.get('/acme/plans/', { token });
    expect(words.status).toBe(400);
    expect(words.body).toMatchObject({ code: 'validation_error', errors: { company_id: ['must be a positive integer'] } });
    for (const id of ['0', '2147483648', '99999999999999999999999', '-1', '1.5', '1e3']) {
      const answer = await fx.api.get(`/${id}/apps/`, { token });
      expect([400, 404]).toContain(answer.status);
      expect(answer.body.code).toMatch(/validation_error|not_found/);
    }
    expect((await fx.api.get('/0/apps/', { token })).status).toBe(404);
    expect((await fx.api.get('/2147483648/plans/', { token })).status).toBe(404);
    // The catalogs are global: company 0 (none chosen yet, as Rosti's client asks) reads them.
    expect((await fx.api.get('/0/plans/', { token })).status).toBe(200);
  });

  it('checks the token before the company, so a stranger learns nothing about company ids', async () => {
    const { company } = await register(fx.api);
    const answer = await fx.api.get(`/${company.id}/plans/`);
    expect(answer.status).toBe(401);
  });
});

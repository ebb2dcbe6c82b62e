// Attack catalogue: multiplying quotas by opening companies. Each company brings its own app and
// storage allowance, so an account that may open any number of them has no limit at all.
// Reference: OWASP API Security Top 10 2023, API4 Unrestricted Resource Consumption, and API6
// Unrestricted Access to Sensitive Business Flows.
import { beforeAll, describe, expect, it } from 'vitest';
import { useBerth } from '../support/fixture.js';
import { register } from '../support/http.js';

// The API alone: what is counted is the rows it records, whatever the workers later make of them.
const fx = useBerth('quotas', { BERTH_ROLES: 'api', COMPANIES_PER_ACCOUNT: '3', APPS_PER_COMPANY: '4', APPS_PER_ACCOUNT: '5', STORAGES_PER_COMPANY: '4', STORAGES_PER_ACCOUNT: '3' });
let owner: Awaited<ReturnType<typeof register>>;

beforeAll(async () => {
  owner = await register(fx.api, 'Many Co');
});

const codes = (answers: Array<{ status: number }>) => answers.map((a) => a.status).sort();

describe('quotas that companies cannot multiply', () => {
  // Attack: open companies in parallel, past the limit, to race the count.
  // Refusal: 403 quota_exceeded; exactly the allowance is created.
  it('limits the companies one account owns, under parallel requests', async () => {
    const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => fx.api.post('/companies/', { token: owner.token, body: { name: `Extra ${i}` } })));
    // Registration made the first; two more fit.
    expect(codes(answers)).toEqual([200, 200, 403, 403, 403, 403, 403, 403]);
    const refused = answers.find((a) => a.status === 403)!;
    expect(refused.body).toMatchObject({ code: 'quota_exceeded' });
    expect(refused.body.message).toMatch(/owns 3 companies, the most one account may own \(3\)/);
    expect((await fx.api.get('/companies/', { token: owner.token })).body).toHaveLength(3);
  });

  // Attack: spread apps and storages over the account's companies, in parallel, to exceed what one
  // account may hold. Refusal: 403 quota_exceeded past the account's total.
  it('counts apps and storages per account across its companies, under parallel requests', async () => {
    const companies = (await fx.api.get('/companies/', { token: owner.token })).body.map((c: any) => c.id);
    const apps = await Promise.all(
      Array.from({ length: 9 }, (_, i) =>
        fx.api.post(`/${companies[i % 3]}/apps/`, { token: owner.token, body: { name: `app${i}`, image: 'berth/runtime:2026.11-1', plan: 1 } }),
      ),
    );
    expect(apps.filter((a) => a.status === 200)).toHaveLength(5);
    expect(apps.filter((a) => a.status === 403).every((a) => a.body.code === 'quota_exceeded')).toBe(true);
    const storages = await Promise.all(
      Array.from({ length: 6 }, (_, i) => fx.api.post(`/${companies[i % 3]}/storages/`, { token: owner.token, body: { type: 'pgsql', password: `Quota-test-pass${i}!` } })),
    );
    expect(storages.filter((a) => a.status === 200)).toHaveLength(3);
    expect(storages.find((a) => a.status === 403)!.body.message).toMatch(/the account that owns this company has 3 storages across its companies/);
    // Another account is not held by the first one's use.
    const other = await register(fx.api, 'Other Co');
    const theirs = await fx.api.post(`/${other.company.id}/apps/`, { token: other.token, body: { name: 'mine', image: 'berth/runtime:2026.11-1', plan: 1 } });
    expect(theirs.status, theirs.text).toBe(200);
  });
});

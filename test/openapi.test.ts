import { execFile } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BerthProcess, ROOT, startBerth } from './support/server.js';
import { createTestDatabase, TestDatabase } from './support/services.js';

const run = promisify(execFile);
const committed = () => readFileSync(`${ROOT}/openapi.json`, 'utf8');
const quiet = { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' };

describe('openapi.json', () => {
  it('is exactly what the code generates (run `npm run openapi` after changing the API)', async () => {
    const { stdout } = await run(process.execPath, ['dist/src/cli/openapi.js'], { cwd: ROOT, maxBuffer: 16 << 20 });
    expect(stdout).toBe(committed());
  });

  it('passes the Redocly linter with no errors', async () => {
    const result = await run(`${ROOT}/node_modules/.bin/redocly`, ['lint', 'openapi.json', '--format', 'stylish'], { cwd: ROOT, env: quiet }).catch(
      (err) => err,
    );
    expect(result.stdout + result.stderr).toMatch(/valid/);
    expect(result.code ?? 0).toBe(0);
  });

  it('documents the Rosti conventions: 200 on create, both auth schemes, unique operation ids', () => {
    const doc = JSON.parse(committed());
    const operations = Object.values(doc.paths).flatMap((p: any) => Object.values(p)) as any[];
    expect(operations.length).toBeGreaterThanOrEqual(10);
    expect(operations.filter((o) => o.responses['201'])).toEqual([]);
    const ids = operations.map((o) => o.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual(['bearer', 'token']);
    expect(doc.components.securitySchemes.token).toMatchObject({ type: 'apiKey', in: 'header', name: 'Authorization' });
  });
});

describe('a TypeScript SDK generated from openapi.json', () => {
  let db: TestDatabase;
  let berth: BerthProcess;
  const out = `${ROOT}/test/.sdk`;

  beforeAll(async () => {
    rmSync(out, { recursive: true, force: true });
    await run(`${ROOT}/node_modules/.bin/openapi-ts`, ['-i', 'openapi.json', '-o', 'test/.sdk'], { cwd: ROOT, env: quiet });
    db = await createTestDatabase('sdk');
    berth = await startBerth({ DATABASE_URL: db.url });
  });
  afterAll(async () => {
    await berth?.stop();
    await db?.drop();
  });

  it('is served with Swagger UI by a running Berth', async () => {
    const root = berth.url.replace(/\/api\/v1$/, '');
    const ui = await fetch(`${root}/api/docs`);
    expect(ui.status).toBe(200);
    expect(await ui.text()).toMatch(/swagger-ui/i);
    const served = await fetch(`${root}/api/docs/openapi.json`);
    expect(await served.json()).toEqual(JSON.parse(committed()));
  });

  it('drives register → companies → plans', async () => {
    const sdk = await import('./.sdk/index.js');
    const baseUrl = berth.url.replace(/\/api\/v1$/, '');
    const registered = await sdk.register({ baseUrl, body: { email: 'sdk@example.test', password: 'generated client pw', name: 'SDK Co' } });
    expect(registered.response?.status).toBe(200);
    const token = registered.data!.token;

    // The SDK applies the documented security schemes itself.
    const auth = (scheme: { type: string }) => (scheme.type === 'apiKey' ? `Token ${token}` : token);
    const companies = await sdk.listCompanies({ baseUrl, auth });
    expect(companies.response?.status).toBe(200);
    expect(companies.data).toEqual([{ id: registered.data!.company.id, name: 'SDK Co', role: 'owner' }]);

    const plans = await sdk.listPlans({ baseUrl, auth, path: { company_id: companies.data![0].id } });
    expect(plans.response?.status).toBe(200);
    expect(plans.data!.map((p) => p.name)).toContain('Normal+');

    const denied = await sdk.listPlans({ baseUrl, path: { company_id: companies.data![0].id } });
    expect(denied.response?.status).toBe(401);
    expect(denied.error).toMatchObject({ code: 'unauthorized' });
  });
});

// Attack: one token flooding the API, spread over two API processes to slip past a per-process
// count. Per-token limits are counted in Redis across processes: of 40 requests in a minute, in
// parallel over both, exactly RATE_LIMIT_PER_MINUTE get through, the rest 429 `rate_limited`
// with Retry-After; deploy-like changes have a lower limit of their own; every answer says where
// the token stands (X-RateLimit-*). Reference: OWASP API Security Top 10 2023, API4
// Unrestricted Resource Consumption.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerEnv, removeInstallation } from '../support/docker.js';
import { client, Client, register } from '../support/http.js';
import { BerthProcess, removeKeys, startBerth } from '../support/server.js';
import { createTestDatabase, REDIS_URL, TestDatabase } from '../support/services.js';

const LIMIT = 20;
const DEPLOYS = 3;
let db: TestDatabase;
let env: Record<string, string>;
const processes: BerthProcess[] = [];
let apis: Client[] = [];

beforeAll(async () => {
  db = await createTestDatabase('ratelimit');
  env = {
    ...dockerEnv(),
    DATABASE_URL: db.url,
    QUEUE_PREFIX: `berth-test-${randomBytes(4).toString('hex')}`,
    RATE_LIMIT_PER_MINUTE: String(LIMIT),
    RATE_LIMIT_DEPLOYS_PER_MINUTE: String(DEPLOYS),
  };
  processes.push(await startBerth(env));
  processes.push(await startBerth({ ...env, MIGRATIONS_RUN: 'false' }));
  apis = processes.map((p) => client(p.url));
}, 120_000);

afterAll(async () => {
  await Promise.all(processes.map((p) => p.stop()));
  // The two processes share a prefix, so neither owns it: its queues' keys go here.
  await removeKeys(REDIS_URL, env.QUEUE_PREFIX);
  await removeInstallation(env.DOCKER_NAME_PREFIX);
  await db?.drop();
});

/** Windows are whole minutes: a burst that must fit in one starts with at least 15 s of it left. */
async function startOfWindowRoom(): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < 15_000) await new Promise((r) => setTimeout(r, left + 200));
}

/** A fresh token: register makes one (it counts one request of its own in no token's window). */
async function freshToken() {
  return register(apis[0], 'Rate Limited');
}

describe('per-token rate limits', () => {
  it('says where a token stands on every answer', async () => {
    await startOfWindowRoom();
    const who = await freshToken();
    const answer = await apis[0].get('/companies/', { token: who.token });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('x-ratelimit-limit')).toBe(String(LIMIT));
    expect(Number(answer.headers.get('x-ratelimit-remaining'))).toBe(LIMIT - 1);
    const reset = Number(answer.headers.get('x-ratelimit-reset'));
    expect(reset % 60).toBe(0);
    expect(reset - Date.now() / 1000).toBeGreaterThan(0);
    expect(reset - Date.now() / 1000).toBeLessThanOrEqual(60);
    // An error answer too.
    const missing = await apis[1].get(`/${who.company.id}/apps/999999/`, { token: who.token });
    expect(missing.status).toBe(404);
    expect(missing.headers.get('x-ratelimit-limit')).toBe(String(LIMIT));
  });

  it('lets exactly the limit through of 40 parallel requests over two API processes', async () => {
    await startOfWindowRoom();
    const who = await freshToken();
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => apis[i % 2].get('/companies/', { token: who.token })));
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 200).length, statuses.join(',')).toBe(LIMIT);
    expect(statuses.filter((s) => s === 429).length).toBe(40 - LIMIT);
    for (const refused of answers.filter((a) => a.status === 429)) {
      expect(refused.body).toMatchObject({ code: 'rate_limited', message: expect.stringMatching(/made the 20 requests a minute it may \(RATE_LIMIT_PER_MINUTE\)/) });
      const retry = Number(refused.headers.get('retry-after'));
      expect(retry).toBeGreaterThan(0);
      expect(retry).toBeLessThanOrEqual(60);
      expect(refused.headers.get('x-ratelimit-remaining')).toBe('0');
    }
    // Another token of the same account counts on its own.
    const second = await apis[1].post('/tokens/', { token: (await apis[0].post('/auth/login/', { body: { email: who.email, password: who.password } })).body.token, body: { name: 'second' } });
    expect(second.status, second.text).toBe(200);
    expect((await apis[0].get('/companies/', { token: second.body.token })).status).toBe(200);
  });

  it('holds deploy-like changes to their own lower limit', async () => {
    await startOfWindowRoom();
    const who = await freshToken();
    // Actions on an app that does not exist: each is counted before anything else is looked at.
    const answers: Array<{ status: number; body: any }> = [];
    for (let i = 0; i < DEPLOYS + 2; i++) answers.push(await apis[i % 2].put(`/${who.company.id}/apps-action/999999/`, { token: who.token, body: { action: 'restart' } }));
    expect(answers.map((a) => a.status)).toEqual([404, 404, 404, 429, 429]);
    expect(answers[3].body.message).toMatch(/made the 3 deploy-like changes a minute it may \(RATE_LIMIT_DEPLOYS_PER_MINUTE\)/);
    // Reads go on: the general limit is not spent.
    expect((await apis[0].get('/companies/', { token: who.token })).status).toBe(200);
  });
});

// Attack catalogue: flooding the API with one token while Redis, where per-token requests are
// counted across processes, is down.
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Answer, client, Client, register } from '../support/http.js';
import { freePort, startRedis, stopRedis } from '../support/private-redis.js';
import { BerthProcess, startBerth } from '../support/server.js';
import { createTestDatabase, TestDatabase } from '../support/services.js';

const LIMIT = 8;
let db: TestDatabase;
let redis: ChildProcess;
let berth: BerthProcess;
let api: Client;

beforeAll(async () => {
  db = await createTestDatabase('ratelimit_redis_down');
  const port = await freePort();
  redis = await startRedis(port);
  berth = await startBerth({ DATABASE_URL: db.url, REDIS_URL: `redis://127.0.0.1:${port}`, RATE_LIMIT_PER_MINUTE: String(LIMIT) });
  api = client(berth.url, berth);
}, 120_000);

afterAll(async () => {
  await berth?.stop();
  if (redis) await stopRedis(redis);
  await db?.drop();
});

describe('per-token rate limit while Redis is down', () => {
  /*
   * Attack: a token's requests are counted in Redis, shared by every API process. Whoever can
   *   make Redis unreachable (or simply waits for it to be) floods the API with reads, which go on
   *   without Redis, past the per-token limit.
   * Expected: the API keeps answering, and each process holds the limit on its own count of the
   *   window: the requests made before Redis went count, the ones past the limit are 429
   *   `rate_limited` with Retry-After and X-RateLimit-Remaining 0.
   * Reference: OWASP API Security Top 10 2023, API4:2023 Unrestricted Resource Consumption.
   */
  it('holds the limit on the process own count', async () => {
    // Windows are whole minutes: the burst starts with at least 15 s of one left.
    const left = 60_000 - (Date.now() % 60_000);
    if (left < 15_000) await new Promise((r) => setTimeout(r, left + 200));
    const who = await register(api, 'Flood Without Redis');
    for (let i = 0; i < 3; i++) expect((await api.get('/companies/', { token: who.token })).status).toBe(200);
    await stopRedis(redis);
    const answers: Answer[] = [];
    for (let i = 0; i < LIMIT + 4; i++) answers.push(await api.get('/companies/', { token: who.token }));
    expect(answers.map((a) => a.status)).toEqual([...Array(LIMIT - 3).fill(200), ...Array(7).fill(429)]);
    expect(answers[0].body).toEqual([{ id: who.company.id, name: 'Flood Without Redis', role: 'owner' }]);
    const refused = answers[answers.length - 1];
    expect(refused.body).toMatchObject({ code: 'rate_limited' });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(refused.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(answers[LIMIT - 4].headers.get('x-ratelimit-remaining')).toBe('0');
    await berth.waitForLog(/rate limits counted by each process on its own, Redis is unavailable/);
  }, 60_000);
});

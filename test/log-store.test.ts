// The log store's retention against a real Redis: an app's log keeps at most
// LOGS_RETENTION_BYTES, the oldest lines going first, none older than LOGS_RETENTION_SECONDS
// (also for an app that gets no new lines), and each line once whoever appends it.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../dist/src/config/config.js';
import { LogStore } from '../dist/src/logs/log-store.js';

const redis = new Redis(process.env.REDIS_URL || 'redis://127.0.0.1:6379');
const prefix = `berth-test-logs-${randomBytes(4).toString('hex')}`;
const config = loadConfig({ QUEUE_PREFIX: prefix, LOGS_RETENTION_BYTES: '4kb', LOGS_RETENTION_SECONDS: '60' });
const store = new LogStore(config, redis);
afterAll(async () => {
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
});

let clock = 0;
/** Lines with increasing engine times (nine digits of fraction, as the collector writes them). */
function lines(count: number, text: (i: number) => string) {
  return Array.from({ length: count }, (_, i) => ({
    timestamp: `2026-12-02T10:00:00.${String(++clock).padStart(9, '0')}Z`,
    process: 'app',
    stream: 'stdout' as const,
    message: text(i),
  }));
}

describe('the log store', () => {
  it('keeps each line once, whoever appends it, and trims the oldest past the bytes allowed', async () => {
    const batch = lines(100, (i) => `line ${String(i).padStart(3, '0')} ${'x'.repeat(60)}`);
    await store.append(1, batch.slice(0, 60));
    // A second writer (a container's last drain) with lines the first stored already, and newer ones.
    await store.append(1, batch.slice(40));
    const kept = await store.range(1, '0-0', '+', 1000);
    const numbers = kept.map((e) => Number(e.message.slice(5, 8)));
    expect(numbers).toEqual(Array.from({ length: numbers.length }, (_, i) => 100 - numbers.length + i));
    const bytes = kept.reduce((n, e) => n + e.message.length + e.timestamp.length + e.process.length + e.stream.length, 0);
    expect(bytes).toBeLessThanOrEqual(4096);
    expect(numbers.length).toBeGreaterThan(30);
    expect(Number(await redis.get(`${store.key(1)}:bytes`))).toBe(bytes);
  });

  it('drops lines past their age, on the next append or on a sweep of an app with none', async () => {
    const key = store.key(2);
    const old = Date.now() - 61_000;
    // Lines that arrived more than LOGS_RETENTION_SECONDS ago (stream ids are arrival times).
    for (let i = 0; i < 5; i++) await redis.xadd(key, `${old}-${i}`, 't', '2026-12-02T09:00:00.000000000Z', 'p', 'app', 's', 'stdout', 'm', `old ${i}`);
    await redis.set(`${key}:bytes`, 5 * 40);
    await store.trim(2);
    expect(await store.range(2, '0-0', '+', 100)).toEqual([]);
    for (let i = 0; i < 3; i++) await redis.xadd(key, `${old}-${10 + i}`, 't', '2026-12-02T09:00:00.000000000Z', 'p', 'app', 's', 'stdout', 'm', `old ${i}`);
    await store.append(2, lines(2, (i) => `new ${i}`));
    expect((await store.range(2, '0-0', '+', 100)).map((e) => e.message)).toEqual(['new 0', 'new 1']);
  });
});

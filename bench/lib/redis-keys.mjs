// Removes every Redis key under a prefix (a test's or a benchmark's queues, logs and caches), once
// the processes that used them have stopped. Plain JavaScript, shared by the benchmarks and the
// tests (test/support/server.ts imports it, typed by redis-keys.d.mts).
import { Redis } from 'ioredis';

/** Unlinks `<prefix>:*` on the Redis at `url`; throws when that Redis cannot be reached. */
export async function removeRedisKeys(url, prefix) {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 2000, retryStrategy: () => null });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

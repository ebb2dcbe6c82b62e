// The log follow hub against a real Redis: a follower whose client has too much unread is given
// nothing until it has read it, then catches up from the store: every line, in order, once, with
// lines stored meanwhile; one follower's pause holds back no other. The SSE stream is faked here
// (a port: deliver, afterRead); logs-follow-burst.e2e.test.ts follows a real app over HTTP.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../dist/src/config/config.js';
import { LogFollowHub } from '../dist/src/logs/log-follow-hub.js';
import { LogStore, type StoredEntry } from '../dist/src/logs/log-store.js';

const redis = new Redis(process.env.REDIS_URL || 'redis://127.0.0.1:6379');
const prefix = `berth-test-hub-${randomBytes(4).toString('hex')}`;
const store = new LogStore(loadConfig({ QUEUE_PREFIX: prefix }), redis);
const hub = new LogFollowHub(redis, store);
afterAll(async () => {
  hub.onApplicationShutdown();
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
});

let clock = 0;
async function print(appId: number, from: number, count: number): Promise<void> {
  const entries = Array.from({ length: count }, (_, i) => ({
    timestamp: `2026-12-03T10:00:00.${String(++clock).padStart(9, '0')}Z`,
    process: 'app',
    stream: 'stdout' as const,
    message: `line ${from + i}`,
  }));
  await store.append(appId, entries);
}

/** A client that takes `room` lines, then has too much unread until `read()` is called. */
function client(room: number) {
  const got: string[] = [];
  let space = room;
  let waiting: (() => void) | null = null;
  return {
    got,
    get paused() {
      return waiting !== null;
    },
    read() {
      space = room;
      const resume = waiting;
      waiting = null;
      resume?.();
    },
    sink: {
      deliver(entry: StoredEntry) {
        if (space === 0) return false;
        space -= 1;
        got.push(entry.message);
        return true;
      },
      gap(after: string) {
        if (space === 0) return false;
        space -= 1;
        got.push(`gap after ${after}`);
        return true;
      },
      afterRead(resume: () => void) {
        waiting = resume;
      },
      fail(err: Error) {
        throw err;
      },
    },
  };
}

async function until(what: string, check: () => boolean): Promise<void> {
  const end = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > end) throw new Error(`${what}: not within 10 s`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const numbers = (n: number) => Array.from({ length: n }, (_, i) => `line ${i}`);

describe('the log follow hub', () => {
  it('pauses a follower whose client has too much unread and catches it up from the store, in order, once each', async () => {
    const slow = client(50);
    const fast = client(Number.MAX_SAFE_INTEGER);
    const stopSlow = hub.follow(1, '0-0', slow.sink);
    const stopFast = hub.follow(1, '0-0', fast.sink);
    await new Promise((r) => setTimeout(r, 100));
    await print(1, 0, 400);
    await until('the fast follower has every line', () => fast.got.length === 400);
    await until('the slow follower is paused', () => slow.paused);
    expect(slow.got).toEqual(numbers(50));
    // Lines stored while it is paused come too, after the rest.
    await print(1, 400, 200);
    await until('the fast follower has the new lines', () => fast.got.length === 600);
    while (slow.got.length < 600) {
      await until('the slow follower takes more or is paused', () => slow.paused);
      slow.read();
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(slow.got).toEqual(numbers(600));
    expect(fast.got).toEqual(numbers(600));
    // And it goes on live once caught up.
    slow.read();
    await print(1, 600, 10);
    await until('the slow follower has the live lines', () => slow.got.length === 610);
    expect(slow.got).toEqual(numbers(610));
    stopSlow();
    stopFast();
  });

  it('never resumes a follower that has gone', async () => {
    const slow = client(5);
    const stop = hub.follow(2, '0-0', slow.sink);
    await new Promise((r) => setTimeout(r, 100));
    await print(2, 0, 20);
    await until('paused', () => slow.paused);
    stop();
    slow.read();
    await new Promise((r) => setTimeout(r, 200));
    expect(slow.got).toEqual(numbers(5));
  });

  it('tells a follower starting from a numbered line of the lines trimmed after it, then goes on', async () => {
    await print(3, 0, 10);
    const stored = await store.range(3, '0-0', '+', 100);
    expect(stored.map((e) => e.n)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    // Retention takes the oldest lines first: up to line 5, past line 2 where the follower starts.
    await redis.xdel(store.key(3), ...stored.slice(0, 6).map((e) => e.id));
    const reader = client(Number.MAX_SAFE_INTEGER);
    const stop = hub.follow(3, stored[2].id, reader.sink, stored[2].n);
    await print(3, 10, 1);
    await until('the follower has the new line', () => reader.got.includes('line 10'));
    expect(reader.got).toEqual([`gap after ${stored[2].id}`, 'line 6', 'line 7', 'line 8', 'line 9', 'line 10']);
    stop();
    // Without the line's number (a client coming back after a line trimmed since), the hub cannot
    // tell: the API asks the store (trimmedAfter) and tells the client first.
    expect(await store.trimmedAfter(3, stored[2].id)).toBe(stored[5].id);
    expect(await store.trimmedAfter(3, stored[5].id)).toBeNull();
  });
});

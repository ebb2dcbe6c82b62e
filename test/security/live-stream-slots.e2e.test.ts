// Open more live streams than LIVE_STREAMS_PER_COMPANY allows by waiting: each open stream holds a
// PostgreSQL listener's share, a socket and buffers. The company's count in Redis expired three
// heartbeats after the last stream was opened, while refreshing a slot only renewed the slot, so
// every slot was forgotten and as many more streams opened each time. Against a real Berth and Redis.
// Reference: OWASP API4:2023 (Unrestricted Resource Consumption).
import { afterAll, describe, expect, it } from 'vitest';
import { useBerth } from '../support/fixture.js';
import { register } from '../support/http.js';
import { openSse, SseClient } from '../support/sse.js';

const HEARTBEAT_MS = 300;
const fx = useBerth('slots', { BERTH_ROLES: 'api', LIVE_HEARTBEAT_MS: String(HEARTBEAT_MS), LIVE_STREAMS_PER_COMPANY: '2' });
const opened: SseClient[] = [];
afterAll(() => opened.forEach((s) => s.close()));

describe('the per-company stream limit over time', () => {
  it('still refuses a third stream long after the first two opened, while they stay open', async () => {
    const owner = await register(fx.api, 'Patient Streamer');
    const open = async () => {
      const stream = await openSse(`${fx.berth.url}/${owner.company.id}/events/stream`, owner.token);
      opened.push(stream);
      return stream.status;
    };
    expect([await open(), await open()]).toEqual([200, 200]);
    // Ten heartbeats: the count's own expiry (three) passes three times over.
    for (let round = 0; round < 3; round++) {
      await new Promise((r) => setTimeout(r, HEARTBEAT_MS * 10 / 3));
      expect(await open(), `round ${round}`).toBe(429);
    }
    expect(opened.filter((s) => s.status === 200 && s.end === null)).toHaveLength(2);
  }, 60_000);
});

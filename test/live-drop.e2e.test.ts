// A company's event stream whose client stops reading while events pour in, against a real Berth,
// PostgreSQL and its triggers: Berth holds no more than LIVE_BUFFER_MAX of it unread, drops the
// client (never buffering without bound), and gives its stream slot back. The events come from
// operations changed in PostgreSQL, where the triggers that announce every change live: tens of
// megabytes of them, more than loopback's socket buffers take before Berth has to hold anything.
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { useBerth } from './support/fixture.js';
import { postApp, register } from './support/http.js';
import { openSse, openSseWhenFree, summary } from './support/sse.js';

// Heartbeats far apart: what drops the client here is an event finding it too far behind, not a
// heartbeat finding it stalled (test/live-sse.test.ts has that one).
const fx = useBerth('livedrop', { BERTH_ROLES: 'api', LIVE_BUFFER_MAX: '64kb', LIVE_HEARTBEAT_MS: '60000', LIVE_STREAMS_PER_COMPANY: '1' });
// About 1.3 kB an event (a 1000-character message): 40 MB in all.
const CHANGES = 30_000;

describe("a company's event stream with a client that stops reading", () => {
  it('drops the client once it has more than LIVE_BUFFER_MAX unread, and frees its slot', async () => {
    const owner = await register(fx.api, 'Stalled Reader');
    // An API without workers: the app's operation stays queued, which is all the test needs of it.
    const created = await postApp(fx.api, owner, 'busy');
    const streamUrl = `${fx.berth.url}/${owner.company.id}/events/stream`;

    const stalled = await openSse(streamUrl, owner.token);
    expect(stalled.status).toBe(200);
    stalled.pause();

    const db = new pg.Client({ connectionString: fx.db.url });
    await db.connect();
    try {
      // One change after another, each announced on commit as the worker's progress would be.
      for (let done = 0; done < CHANGES; done += 5000) {
        await db.query(
          `DO $$ BEGIN FOR i IN ${done + 1}..${done + 5000} LOOP
             UPDATE operations SET message = 'step ' || i || ' ' || repeat('x', 990) WHERE id = ${created.operation_id};
           END LOOP; END $$`,
        );
      }
    } finally {
      await db.end();
    }

    // The slot comes back once the client is dropped: the company may open a stream again.
    const again = await openSseWhenFree(streamUrl, owner.token, 20_000);
    expect(again.status, JSON.stringify(again.body)).toBe(200);
    again.close();

    // What the stalled client still gets is what the sockets held: a part of the changes, in
    // order, then the end of the stream.
    stalled.resume();
    await stalled.ended;
    const steps = stalled.events.filter((e) => e.event === 'operation').map((e) => Number(/^step (\d+) /.exec(e.data.message)?.[1]));
    expect(steps.length, summary(stalled.events)).toBeGreaterThan(0);
    expect(steps.length, summary(stalled.events)).toBeLessThan(CHANGES);
    expect(steps).toEqual([...steps].sort((a, b) => a - b));
    expect(stalled.end).not.toBe('closed here');
  }, 120_000);
});

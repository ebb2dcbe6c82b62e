// Following a release's output with a client that reads far more slowly than the release command
// prints, against a real Berth (API and worker), PostgreSQL, Redis and Docker: the client is not
// dropped; what it could not take is counted and told (`gap`) once it has read, every line is
// either received, in order, or counted, and the stream ends with the final state.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useBerth } from './support/fixture.js';
import { postApp, register, waitForOperation } from './support/http.js';
import { openSse, summary } from './support/sse.js';

// A client is taken for gone after two heartbeats with too much unread: longer than the release prints.
const HEARTBEAT_MS = 30_000;
const fx = useBerth('liveslow', { BERTH_ROLES: 'api,worker', LIVE_BUFFER_MAX: '64kb', LIVE_HEARTBEAT_MS: String(HEARTBEAT_MS), JOB_BACKOFF_MS: '200' });
// About 1 kB a line, 10 MB in all: more than the kernel's buffers on loopback and the client's own
// hold (about 4 MB), so the server has to hold back.
const COUNT = 10_000;

describe('an operation stream with a slow client', () => {
  it('is not dropped: the lines it missed are counted and told, the others come in order, then the final state', async () => {
    const owner = await register(fx.api, 'Slow Reader');
    const created = await postApp(fx.api, owner, 'chatty');
    expect((await waitForOperation(fx.api, owner.token, owner.company.id, created.operation_id)).status).toBe('success');

    const dir = mkdtempSync(join(tmpdir(), 'berth-liveslow-'));
    writeFileSync(join(dir, 'server.js'), "require('node:http').createServer((q, s) => s.end('ok')).listen(process.env.PORT);\n");
    const release = `P=$(printf "%0980d" 0); i=0; while [ $i -lt ${COUNT} ]; do echo "L$i $P"; i=$((i+1)); done`;
    writeFileSync(join(dir, 'berth.json'), JSON.stringify({ release }));
    const archive = execFileSync('tar', ['-czf', '-', '-C', dir, '.']);
    rmSync(dir, { recursive: true, force: true });
    const posted = await fetch(`${fx.berth.url}/${owner.company.id}/apps/${created.id}/releases/`, {
      method: 'POST',
      headers: { authorization: `Token ${owner.token}`, 'content-type': 'application/gzip' },
      body: new Uint8Array(archive),
    });
    const answer = await posted.json();
    expect(posted.status, JSON.stringify(answer)).toBe(200);

    const stream = await openSse(`${fx.berth.url}/${owner.company.id}/operations/${answer.operation_id}/`, owner.token);
    expect(stream.status).toBe(200);
    // The client reads nothing until the release has printed everything (its log has the last line).
    stream.pause();
    const last = `L${COUNT - 1} `;
    for (const end = Date.now() + 2 * HEARTBEAT_MS - 10_000; ; ) {
      const read = await fx.api.get(`/${owner.company.id}/apps/${created.id}/releases/${answer.version}/`, { token: owner.token });
      if (String(read.body?.log).includes(last)) break;
      expect(Date.now(), 'the release printed every line in time').toBeLessThan(end);
      await new Promise((r) => setTimeout(r, 500));
    }
    stream.resume();
    await stream.ended;

    expect(stream.end, summary(stream.events)).toBe('by the server');
    expect(stream.events.some((e) => e.event === 'dropped'), summary(stream.events)).toBe(false);
    const final = stream.events.at(-1)!;
    expect([final.event, final.data.status]).toEqual(['operation', 'success']);
    // Walk the stream: each line's number follows the one before, or a gap before it says how many
    // were skipped; the lines the last gap counts may be the last ones.
    let next = 0;
    let gaps = 0;
    let skippedSinceLine = 0;
    for (const e of stream.events) {
      if (e.event === 'gap') {
        gaps += 1;
        expect(e.data.skipped).toBeGreaterThan(0);
        expect(e.data.message).toContain(`${e.data.skipped} line`);
        skippedSinceLine += e.data.skipped;
      } else if (e.event === 'output') {
        const n = Number(/^L(\d+) /.exec(e.data.line)?.[1]);
        expect(n, `line ${e.data.line.slice(0, 12)} after ${next - 1}, ${skippedSinceLine} skipped`).toBe(next + skippedSinceLine);
        next = n + 1;
        skippedSinceLine = 0;
      }
    }
    expect(next + skippedSinceLine).toBe(COUNT);
    expect(gaps).toBeGreaterThan(0);
    // The client got what the buffers held before it fell behind, and the lines after it caught up.
    const received = stream.events.filter((e) => e.event === 'output').length;
    expect(received).toBeGreaterThan(0);
    expect(received).toBeLessThan(COUNT);
    const ids = stream.events.map((e) => e.id);
    expect(ids).toEqual(ids.map((_, i) => `${answer.operation_id}-${i + 1}`));
  }, 240_000);
});

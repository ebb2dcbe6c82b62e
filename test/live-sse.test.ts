// A live stream's client that stops reading is dropped once it leaves LIVE_BUFFER_MAX unread,
// never buffered for without bound; a sender that can wait (offer) is told when the client has
// read, and the client is dropped only if it does not; heartbeats keep an idle stream alive. The HTTP response is
// faked here (a port: write, end, destroy, writableLength); live-events.e2e.test.ts streams for real.
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { SseStream } from '../src/live/sse-stream.js';

/** A response whose client never reads: everything written stays buffered. */
function stalledResponse() {
  const raw = Object.assign(new EventEmitter(), {
    written: [] as string[],
    writableLength: 0,
    destroyed: false,
    ended: false,
    writeHead: () => undefined,
    write(chunk: string): boolean {
      raw.written.push(chunk);
      raw.writableLength += Buffer.byteLength(chunk);
      return false;
    },
    end(chunk?: string) {
      if (chunk) raw.written.push(chunk);
      raw.ended = true;
    },
    destroy() {
      raw.destroyed = true;
      raw.emit('close');
    },
  });
  const reply = { raw, hijack: () => undefined, getHeaders: () => ({ 'access-control-allow-origin': 'https://dash.example.test' }) };
  const request = { id: 'req-1', raw: new EventEmitter() };
  return { raw, reply, request };
}

describe('a live stream', () => {
  it('drops a client that leaves more than the limit unread, and says why', async () => {
    const { raw, reply, request } = stalledResponse();
    const stream = new SseStream(request as never, reply as never, { heartbeatMs: 60_000, maxBufferedBytes: 1000 });
    let sent = 0;
    while (stream.send('app', { id: 1, status: 'running', padding: 'x'.repeat(100) }, String(sent))) sent += 1;
    // About 1000 bytes of frames, then dropped: not one frame more is buffered.
    expect(sent).toBeGreaterThan(5);
    expect(sent).toBeLessThan(12);
    expect(raw.destroyed).toBe(true);
    expect(raw.written.at(-1)).toContain('event: dropped');
    await stream.closed;
    expect(stream.open).toBe(false);
    expect(stream.send('app', {})).toBe(false);
  });

  it('writes a heartbeat comment while idle, and stops when the client leaves', async () => {
    const { raw, reply, request } = stalledResponse();
    raw.write = (chunk: string) => (raw.written.push(chunk), true);
    const stream = new SseStream(request as never, reply as never, { heartbeatMs: 20, maxBufferedBytes: 1000 });
    await new Promise((r) => setTimeout(r, 110));
    const beats = raw.written.filter((w) => w === ': heartbeat\n\n').length;
    expect(beats).toBeGreaterThanOrEqual(3);
    request.raw.emit('close');
    await stream.closed;
    await new Promise((r) => setTimeout(r, 60));
    expect(raw.written.filter((w) => w === ': heartbeat\n\n').length).toBe(beats);
  });

  it('stops offering past the limit without dropping, resumes once the client has read, and drops one that does not read', async () => {
    const { raw, reply, request } = stalledResponse();
    const stream = new SseStream(request as never, reply as never, { heartbeatMs: 40, maxBufferedBytes: 1000 });
    let offered = 0;
    while (stream.offer(`data: ${'x'.repeat(100)}\n\n`)) offered += 1;
    expect(offered).toBeGreaterThan(5);
    expect(offered).toBeLessThan(12);
    expect(stream.open).toBe(true);
    let resumed = 0;
    let replaced = 0;
    // Asked twice before the client reads: the sender goes on once, the latest ask.
    stream.afterRead(() => (replaced += 1));
    stream.afterRead(() => (resumed += 1));
    // The client reads everything: the sender goes on.
    await new Promise((r) => setTimeout(r, 20));
    raw.writableLength = 0;
    raw.emit('drain');
    raw.emit('drain');
    expect(resumed).toBe(1);
    expect(replaced).toBe(0);
    expect(stream.offer('data: again\n\n')).toBe(true);
    // No heartbeat is written on top of unread bytes, and a client that reads nothing more is dropped after two heartbeats.
    while (stream.offer(`data: ${'x'.repeat(100)}\n\n`));
    stream.afterRead(() => (resumed += 1));
    const before = raw.written.length;
    await new Promise((r) => setTimeout(r, 60));
    expect(raw.destroyed).toBe(false);
    expect(raw.written.length).toBe(before);
    await stream.closed;
    expect(raw.destroyed).toBe(true);
    expect(raw.written.at(-1)).toContain('event: dropped');
    expect(resumed).toBe(1);
    expect(stream.offer('data: late\n\n')).toBe(false);
  });

  it('drops a client that has more than the limit unread and no sender waiting for it two heartbeats after a heartbeat finds it', async () => {
    const { raw, reply, request } = stalledResponse();
    const stream = new SseStream(request as never, reply as never, { heartbeatMs: 40, maxBufferedBytes: 1000 });
    // Written while under the limit, and over it afterwards: no event follows to find it out.
    expect(stream.send('app', { padding: 'x'.repeat(1500) })).toBe(true);
    // The first heartbeat (at 40 ms) neither writes on top of it nor drops it.
    await new Promise((r) => setTimeout(r, 70));
    expect(raw.destroyed).toBe(false);
    expect(raw.written.some((w) => w.includes('heartbeat'))).toBe(false);
    await stream.closed;
    expect(raw.destroyed).toBe(true);
    expect(raw.written.at(-1)).toContain('event: dropped');
  });

  it('keeps such a client when it reads in time, and goes on with heartbeats', async () => {
    const { raw, reply, request } = stalledResponse();
    const stream = new SseStream(request as never, reply as never, { heartbeatMs: 40, maxBufferedBytes: 1000 });
    expect(stream.send('app', { padding: 'x'.repeat(1500) })).toBe(true);
    await new Promise((r) => setTimeout(r, 70));
    raw.writableLength = 0;
    raw.emit('drain');
    raw.write = (chunk: string) => (raw.written.push(chunk), true);
    await new Promise((r) => setTimeout(r, 150));
    expect(stream.open).toBe(true);
    expect(raw.written.filter((w) => w === ': heartbeat\n\n').length).toBeGreaterThanOrEqual(2);
    stream.close();
  });
});

// An operation's stream with a client that reads more slowly than the operation prints: it is sent
// nothing past LIVE_BUFFER_MAX unread, then told how many lines it missed (`gap`) and given the
// newest state once it has read, and the stream still ends with the final state. A client that
// stops reading is dropped. The HTTP response is faked here (write, drain, writableLength);
// live-slow.e2e.test.ts follows a real release.
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { OperationFeed } from '../src/live/operation-feed.js';
import { SseStream } from '../src/live/sse-stream.js';
import type { OperationDto } from '../src/operations/dto/operation.dto.js';

/** A response whose client reads only when told to (`read()`): until then, what is written stays unread. */
function slowResponse() {
  const raw = Object.assign(new EventEmitter(), {
    written: [] as string[],
    writableLength: 0,
    destroyed: false,
    writeHead: () => undefined,
    write(chunk: string): boolean {
      raw.written.push(chunk);
      raw.writableLength += Buffer.byteLength(chunk);
      return raw.writableLength < 100;
    },
    end(chunk?: string) {
      if (chunk) raw.written.push(chunk);
    },
    destroy() {
      raw.destroyed = true;
      raw.emit('close');
    },
    /** The client reads everything written so far. */
    read() {
      raw.writableLength = 0;
      raw.emit('drain');
    },
  });
  const reply = { raw, hijack: () => undefined, getHeaders: () => ({}) };
  const request = { id: 'req-1', raw: new EventEmitter() };
  return { raw, reply, request };
}

/** The frames written, parsed: event name, id and data. */
function events(written: string[]) {
  return written
    .join('')
    .split('\n\n')
    .filter((f) => f.includes('event: '))
    .map((f) => ({ event: /event: (\S+)/.exec(f)![1], id: /id: (\S+)/.exec(f)?.[1], data: JSON.parse(/data: (.*)/.exec(f)![1]) }));
}

const op = (status: OperationDto['status'], message: string = status): OperationDto => ({
  id: 7, kind: 'app.release', target_type: 'app', target_id: 3, status, message, created_at: new Date(0), started_at: null, finished_at: null,
});
const line = (i: number) => `line ${i} ${'x'.repeat(200)}`;

describe('an operation stream', () => {
  it('counts the lines a slow client missed, tells it once it has read, and ends with the final state', async () => {
    const { raw, reply, request } = slowResponse();
    const stream = new SseStream(request as never, reply as never, { heartbeatMs: 60_000, maxBufferedBytes: 1000 });
    const feed = new OperationFeed(stream, 7);
    feed.state(op('running'));
    for (let i = 0; i < 40; i++) feed.output(line(i));
    const before = events(raw.written);
    // About 1000 bytes went out; the rest waits for the client, which is not dropped.
    const sent = before.filter((e) => e.event === 'output').length;
    expect(sent).toBeGreaterThan(2);
    expect(sent).toBeLessThan(10);
    expect(raw.destroyed).toBe(false);
    // A state change while behind is held, and only the newest is sent.
    feed.state(op('running', 'step two'));
    feed.state(op('running', 'step three'));
    feed.output(line(40));
    raw.read();
    const after = events(raw.written).slice(before.length);
    expect(after.map((e) => e.event)).toEqual(['gap', 'operation']);
    expect(after[0].data).toMatchObject({ skipped: 41 - sent, message: expect.stringContaining(`${41 - sent} lines of output not sent`) });
    expect(after[1].data.message).toBe('step three');
    // Then on as before: lines, and the final state ends the stream.
    feed.output(line(41));
    feed.state(op('success'));
    await stream.closed;
    const all = events(raw.written);
    expect(all.slice(-2).map((e) => [e.event, e.data.line ?? e.data.status])).toEqual([['output', line(41)], ['operation', 'success']]);
    // Ids count the events sent, one after another.
    expect(all.map((e) => e.id)).toEqual(all.map((_, i) => `7-${i + 1}`));
    expect(all.some((e) => e.event === 'dropped')).toBe(false);
  });

  it('sends the final state only after the client has read, and never a state older than one sent', async () => {
    const { raw, reply, request } = slowResponse();
    const stream = new SseStream(request as never, reply as never, { heartbeatMs: 60_000, maxBufferedBytes: 500 });
    const feed = new OperationFeed(stream, 7);
    feed.state(op('running'));
    for (let i = 0; i < 10; i++) feed.output(line(i));
    feed.state(op('success'));
    expect(stream.open).toBe(true);
    feed.state(op('pending'));
    raw.read();
    await stream.closed;
    const tail = events(raw.written).slice(-2);
    expect(tail.map((e) => e.event)).toEqual(['gap', 'operation']);
    expect(tail[1].data.status).toBe('success');
  });

  it('drops a client that stops reading, two heartbeats after it fell behind', async () => {
    const { raw, reply, request } = slowResponse();
    const stream = new SseStream(request as never, reply as never, { heartbeatMs: 20, maxBufferedBytes: 500 });
    const feed = new OperationFeed(stream, 7);
    feed.state(op('running'));
    for (let i = 0; i < 10; i++) feed.output(line(i));
    await stream.closed;
    expect(raw.destroyed).toBe(true);
    expect(raw.written.at(-1)).toContain('event: dropped');
    feed.output(line(10));
    feed.state(op('success'));
    expect(raw.written.at(-1)).toContain('event: dropped');
  });
});

import type { FastifyReply, FastifyRequest } from 'fastify';

export interface SseOptions {
  /** A comment line this often keeps proxies from closing an idle stream. */
  heartbeatMs: number;
  /** Bytes a client may leave unread; past them it is dropped, never buffered without bound. */
  maxBufferedBytes: number;
}

// A client that `offer` stopped sending to is dropped if it still has more than the limit unread
// this many heartbeat intervals later: it has stopped reading.
const STALL_HEARTBEATS = 2;

/** One event as it goes on the wire: `id:`, `event:`, `data:` (JSON). */
export function frame(event: string, data: unknown, id?: string): string {
  return `${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/**
 * A server-sent events stream on a hijacked Fastify reply: `event:`/`id:`/`data:` frames,
 * heartbeats, and a slow consumer never buffered for: `send` drops it (its stream closed with a
 * last `dropped` event it may never read), `offer` waits for it to read, and drops it if it does
 * not; a heartbeat that finds it behind gives it the same time to read. `closed` resolves once the
 * stream ends, either side.
 */
export class SseStream {
  private heartbeat: NodeJS.Timeout;
  private stall: NodeJS.Timeout | null = null;
  /** What `afterRead` calls once the client has read. */
  private resume: (() => void) | null = null;
  private done = false;
  private resolveClosed!: () => void;
  readonly closed = new Promise<void>((resolve) => (this.resolveClosed = resolve));

  constructor(
    request: FastifyRequest,
    private readonly reply: FastifyReply,
    private readonly options: SseOptions,
    headers: Record<string, string> = {},
  ) {
    // Headers hooks set on the reply (CORS, the request id) do not reach a hijacked answer by themselves.
    const set = Object.fromEntries(Object.entries(reply.getHeaders()).filter((e): e is [string, string] => typeof e[1] === 'string'));
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, {
      ...set,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      // nginx and similar proxies would otherwise hold events back in a buffer.
      'x-accel-buffering': 'no',
      'x-request-id': String(request.id),
      ...headers,
    });
    raw.write(`retry: 2000\n: connected\n\n`);
    this.heartbeat = setInterval(() => {
      // A sender waiting for its client to read (afterRead) has its own limit on the wait.
      if (this.resume !== null) return;
      // More than the limit unread, and no event since to find it out: the client gets the time a
      // waiting sender gives it (two heartbeats) before it is dropped.
      if (this.full) return this.afterRead(() => undefined);
      this.write(': heartbeat\n\n');
    }, options.heartbeatMs);
    this.heartbeat.unref();
    raw.on('close', () => this.finish());
    request.raw.on('close', () => this.finish());
  }

  get open(): boolean {
    return !this.done;
  }

  /** Sends one event; false once the stream has ended (or just ended, the client being too slow). */
  send(event: string, data: unknown, id?: string): boolean {
    return this.write(frame(event, data, id));
  }

  /** Sends a frame made by `frame()` (one made once for every stream that sends it). */
  sendFrame(frame: string): boolean {
    return this.write(frame);
  }

  /**
   * Sends a frame unless the client has more than the limit unread: false then, and the frame is
   * not sent. For a sender that can send the rest later (a log follower reads it back from the
   * store): it stops, and `afterRead` tells it when to go on.
   */
  offer(frame: string): boolean {
    if (this.done || this.full) return false;
    this.reply.raw.write(frame);
    return true;
  }

  /**
   * Calls `resume` once the client has read what was unread when `offer` refused. A client that
   * still has more than the limit unread two heartbeat intervals later has stopped reading: it is
   * dropped (its slot and its unread bytes let go of) and `resume` is never called.
   */
  afterRead(resume: () => void): void {
    if (this.done) return;
    // One wait at a time: a second ask before the client has read replaces the first (two
    // resumes would send the sender on twice).
    const waiting = this.resume !== null;
    this.resume = resume;
    if (waiting) return;
    const raw = this.reply.raw;
    const go = () => {
      raw.off('drain', go);
      if (this.stall) clearTimeout(this.stall);
      this.stall = null;
      const next = this.resume;
      this.resume = null;
      if (!this.done) next?.();
    };
    raw.on('drain', go);
    this.stall = setTimeout(() => (this.full ? this.drop() : go()), this.options.heartbeatMs * STALL_HEARTBEATS);
    this.stall.unref();
  }

  close(): void {
    if (this.done) return;
    this.reply.raw.end();
    this.finish();
  }

  private write(frame: string): boolean {
    if (this.done) return false;
    if (this.full) {
      this.drop();
      return false;
    }
    this.reply.raw.write(frame);
    return true;
  }

  private get full(): boolean {
    return this.reply.raw.writableLength > this.options.maxBufferedBytes;
  }

  private drop(): void {
    const raw = this.reply.raw;
    raw.end(`event: dropped\ndata: ${JSON.stringify({ reason: 'the client read too slowly' })}\n\n`);
    // end() would wait for the unread bytes: the connection goes now.
    raw.destroy();
    this.finish();
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    clearInterval(this.heartbeat);
    if (this.stall) clearTimeout(this.stall);
    this.resolveClosed();
  }
}

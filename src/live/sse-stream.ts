import type { FastifyReply, FastifyRequest } from 'fastify';

export interface SseOptions {
  /** A comment line this often keeps proxies from closing an idle stream. */
  heartbeatMs: number;
  /** Bytes a client may leave unread; past them it is dropped, never buffered without bound. */
  maxBufferedBytes: number;
}

/** One event as it goes on the wire: `id:`, `event:`, `data:` (JSON). */
export function frame(event: string, data: unknown, id?: string): string {
  return `${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/**
 * A server-sent events stream on a hijacked Fastify reply: `event:`/`id:`/`data:` frames,
 * heartbeats, and a slow consumer dropped (its stream closed with a last `dropped` event it may
 * never read) rather than buffered for. `closed` resolves once the stream ends, either side.
 */
export class SseStream {
  private heartbeat: NodeJS.Timeout;
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
    this.heartbeat = setInterval(() => this.write(': heartbeat\n\n'), options.heartbeatMs);
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

  close(): void {
    if (this.done) return;
    this.reply.raw.end();
    this.finish();
  }

  private write(frame: string): boolean {
    if (this.done) return false;
    const raw = this.reply.raw;
    if (raw.writableLength > this.options.maxBufferedBytes) {
      raw.end(`event: dropped\ndata: ${JSON.stringify({ reason: 'the client read too slowly' })}\n\n`);
      // end() would wait for the unread bytes: the connection goes now.
      raw.destroy();
      this.finish();
      return false;
    }
    raw.write(frame);
    return true;
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    clearInterval(this.heartbeat);
    this.resolveClosed();
  }
}

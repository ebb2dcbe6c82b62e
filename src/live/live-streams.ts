import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DataSource } from 'typeorm';
import { type Principal, TOKEN_USABLE } from '../common/access/principal.js';
import { DomainError } from '../common/errors/domain-error.js';
import { BerthConfig } from '../config/config.js';
import { CONFIG } from '../config/config.module.js';
import type { OperationDto } from '../operations/dto/operation.dto.js';
import { LiveEvent, LiveEvents } from './live-events.js';
import { OperationFeed } from './operation-feed.js';
import { SseStream } from './sse-stream.js';
import { StreamSlots } from './stream-slots.js';

/** Whether a request asks for server-sent events (`Accept: text/event-stream`). */
export function wantsEvents(request: FastifyRequest): boolean {
  return /(^|,)\s*text\/event-stream/i.test(request.headers.accept ?? '');
}

/**
 * The API's live streams: a company's operation and app-status changes, and one operation until
 * it ends. Each holds one of the company's stream slots while it is open.
 */
@Injectable()
export class LiveStreams {
  constructor(
    @Inject(CONFIG) private readonly config: BerthConfig,
    @InjectDataSource() private readonly db: DataSource,
    private readonly events: LiveEvents,
    private readonly slots: StreamSlots,
  ) {}

  /** `operation` and `app` events of the company, as they happen, until the client leaves. */
  async company(companyId: number, request: FastifyRequest, reply: FastifyReply): Promise<void> {
    let stream: SseStream | null = null;
    let seq = 0;
    await this.open(companyId, request, reply, (event) => {
      if (event.kind === 'operation') stream?.send('operation', event.operation, String(++seq));
      else if (event.kind === 'app') stream?.send('app', event.app, String(++seq));
    }, async (opened) => {
      stream = opened;
    });
  }

  /**
   * One operation's state changes and output: its state now first, then each change, and the
   * stream ends with its final state. `current` reads it (404 before any stream opens).
   */
  async operation(companyId: number, operationId: number, current: () => Promise<OperationDto>, request: FastifyRequest, reply: FastifyReply): Promise<void> {
    let feed: OperationFeed | null = null;
    const pending: LiveEvent[] = [];
    const deliver = (event: LiveEvent) => {
      if (event.kind === 'operation') feed!.state(event.operation);
      else if (event.kind === 'output') feed!.output(event.line);
    };
    await this.open(companyId, request, reply, (event) => {
      const mine = (event.kind === 'operation' && event.operation.id === operationId) || (event.kind === 'output' && event.operation_id === operationId);
      if (!mine) return;
      if (feed) deliver(event);
      else pending.push(event);
    }, async (opened) => {
      const now = await current();
      feed = new OperationFeed(opened, operationId);
      feed.state(now);
      for (const event of pending.splice(0)) deliver(event);
    }, current);
  }

  /**
   * Takes a slot, subscribes (before anything is read, so no change falls in between), then opens
   * the stream and holds it until it ends. `check` runs first: its error (a 404) is answered as usual.
   */
  private async open(
    companyId: number,
    request: FastifyRequest,
    reply: FastifyReply,
    listener: (event: LiveEvent) => void,
    start: (stream: SseStream) => Promise<void>,
    check?: () => Promise<unknown>,
  ): Promise<void> {
    await check?.();
    await this.serve(companyId, request, reply, async () => {
      let unsubscribe: () => void;
      try {
        unsubscribe = await this.events.subscribe(companyId, listener);
      } catch {
        throw new DomainError('unavailable', 'live events (PostgreSQL) are unavailable; try again shortly');
      }
      return { start, stop: unsubscribe };
    });
  }

  /**
   * One live stream of the company's, holding one of its slots while it is open. `prepare` runs
   * before the answer is an event stream: its error is answered as usual (the slot given back).
   * Then the stream opens, `start` feeds it (its failure closes the stream), and once the stream
   * ends, either side, `stop` lets go of what feeds it.
   */
  async serve(
    companyId: number,
    request: FastifyRequest,
    reply: FastifyReply,
    prepare: () => Promise<{ start: (stream: SseStream) => void | Promise<void>; stop: () => void }>,
  ): Promise<void> {
    const slot = await this.slots.take(companyId);
    let feed: Awaited<ReturnType<typeof prepare>>;
    try {
      feed = await prepare();
    } catch (err) {
      slot.release();
      throw err;
    }
    const stream = new SseStream(request, reply, { heartbeatMs: this.config.live.heartbeatMs, maxBufferedBytes: this.config.live.maxBufferedBytes });
    // The guards let the request in once; a stream outlives it: asked again each heartbeat.
    const principal = request.user;
    const refresh = setInterval(() => {
      slot.refresh();
      if (principal) void this.stillAllowed(principal, companyId).then((allowed) => allowed || endAccess(stream), () => undefined);
    }, this.config.live.heartbeatMs);
    refresh.unref();
    try {
      await feed.start(stream);
    } catch {
      stream.close();
    }
    await stream.closed;
    clearInterval(refresh);
    feed.stop();
    slot.release();
  }

  /**
   * Whether the stream's reader may still read the company: its token (or the one behind its
   * ticket) neither revoked nor expired, its account still a member. A database that does not
   * answer keeps the stream as it is: the next heartbeat asks again.
   */
  private async stillAllowed(principal: Principal, companyId: number): Promise<boolean> {
    const rows: unknown[] = await this.db.query(
      `SELECT 1 FROM api_tokens t JOIN memberships m ON m.account_id = t.account_id AND m.company_id = $2
        WHERE t.id = $1 AND ${TOKEN_USABLE}`,
      [principal.tokenId, companyId],
    );
    return rows.length > 0;
  }
}

function endAccess(stream: SseStream): void {
  stream.send('error', { code: 'unauthorized', message: "this stream's access ended: its token was revoked or expired, or its account is no longer a member of the company" });
  stream.close();
}

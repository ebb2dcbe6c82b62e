import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { Redis } from 'ioredis';
import { DataSource } from 'typeorm';
import { principalOfRow, type Principal, TOKEN_USABLE, type TokenRow } from '../common/access/principal.js';
import { DomainError } from '../common/errors/domain-error.js';
import { randomBase62 } from '../common/random-text.js';
import { REDIS } from '../common/redis/redis.module.js';
import { BerthConfig } from '../config/config.js';
import { CONFIG } from '../config/config.module.js';
import type { AuditActor } from '../common/access/principal.js';
import { EventsService } from '../events/events.service.js';

/** The streams a ticket may open: what a browser's EventSource, which cannot send headers, reads. */
const STREAM_PATHS = [/^\/api\/v1\/\d+\/events\/stream$/, /^\/api\/v1\/\d+\/operations\/\d+$/, /^\/api\/v1\/\d+\/apps\/\d+\/logs$/];
const TICKET = /^bst_[0-9A-Za-z]{32}$/;

/** `/api/v1/5/events/stream/` and `/api/v1/5/events/stream` are one stream. */
function streamPath(path: string): string | null {
  const bare = path.length > 1 ? path.replace(/\/+$/, '') : path;
  return STREAM_PATHS.some((re) => re.test(bare)) ? bare : null;
}

interface Ticket {
  tokenId: number;
  path: string;
}

/**
 * Stream tickets: a browser's EventSource cannot send `Authorization`, and a token must never
 * travel in a URL (logs, history, Referer). A ticket is made with the token for one stream path,
 * lives STREAM_TICKET_TTL_MS, is kept in Redis by its hash only, and opens that stream read-only
 * for as long as the token that made it stays valid (it may reconnect within its life, as
 * EventSource does by itself).
 */
@Injectable()
export class StreamTickets {
  constructor(
    @Inject(CONFIG) private readonly config: BerthConfig,
    @Inject(REDIS) private readonly redis: Redis,
    @InjectDataSource() private readonly db: DataSource,
    private readonly events: EventsService,
  ) {}

  async issue(principal: Principal, path: unknown, actor: AuditActor): Promise<{ ticket: string; path: string; expires_at: string }> {
    const bare = typeof path === 'string' ? streamPath(path.split('?')[0]) : null;
    if (!bare) throw DomainError.field('path', 'must be a stream: /api/v1/{company_id}/events/stream, /api/v1/{company_id}/operations/{id} or /api/v1/{company_id}/apps/{id}/logs');
    const ticket = `bst_${randomBase62(32)}`;
    const ttl = this.config.live.ticketTtlMs;
    try {
      await this.redis.set(this.key(ticket), JSON.stringify({ tokenId: principal.tokenId, path: bare } satisfies Ticket), 'PX', ttl);
    } catch {
      throw new DomainError('unavailable', 'stream tickets (Redis) are unavailable; try again shortly');
    }
    await this.events.recordAfter(actor, { action: 'token.stream_ticket', companyId: null, target: { type: 'token', id: principal.tokenId }, data: { path: bare } });
    return { ticket, path: bare, expires_at: new Date(Date.now() + ttl).toISOString() };
  }

  /** The principal a request's `?ticket=` stands for, read-only; 401 when it opens nothing here. */
  async principalOf(request: FastifyRequest, ticket: string): Promise<Principal> {
    const refused = DomainError.unauthorized('stream ticket is unknown, expired, or for another stream');
    if (request.method !== 'GET' || !TICKET.test(ticket)) throw refused;
    const stored = await this.redis.get(this.key(ticket)).catch(() => null);
    const found = stored ? (JSON.parse(stored) as Ticket) : null;
    if (!found || found.path !== streamPath(request.url.split('?')[0])) throw refused;
    const rows: TokenRow[] = await this.db.query(
      `SELECT id, account_id, expires_at, companies, access FROM api_tokens WHERE id = $1 AND ${TOKEN_USABLE}`,
      [found.tokenId],
    );
    if (!rows[0]) throw DomainError.unauthorized('the token that made this stream ticket is revoked or expired');
    // A ticket opens a stream to read, whatever the token may do.
    return { ...principalOfRow(rows[0]), access: 'read' };
  }

  private key(ticket: string): string {
    return `${this.config.jobs.queuePrefix}:stream-ticket:${createHash('sha256').update(ticket).digest('hex')}`;
  }
}

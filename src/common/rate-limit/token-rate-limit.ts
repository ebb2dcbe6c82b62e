import { Inject, Injectable, Logger } from '@nestjs/common';
import { Redis } from 'ioredis';
import { BerthConfig } from '../../config/config.js';
import { CONFIG } from '../../config/config.module.js';
import { REDIS } from '../redis/redis.module.js';

const WINDOW_MS = 60_000;
const MAX_CHUNK = 50;

// Reserves up to ARGV[1] units of the window's ARGV[2], never past it: of parallel reservations
// from every process, no more than the limit are ever granted in all.
const RESERVE = `
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
local got = math.min(tonumber(ARGV[1]), tonumber(ARGV[2]) - used)
if got <= 0 then return { 0, used } end
used = redis.call('INCRBY', KEYS[1], got)
if used == got then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
return { got, used }`;

/** What a request may do now, and what the rate-limit headers say. */
export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Unix seconds when the window ends. */
  reset: number;
}

interface Lease {
  window: number;
  granted: number;
  used: number;
  /** What every process had reserved of the window at this one's last reservation. */
  reservedEverywhere: number;
}

/**
 * Requests per token per minute, counted in Redis across every API process without a Redis
 * round trip per request: each process reserves units in chunks (smaller as the limit nears, one
 * at a time at the end) and spends them locally. Redis never grants more than the limit, so the
 * limit holds under any parallel load; units a process reserved and did not use are lost to the
 * window, a few at most. Fixed one-minute windows (`X-RateLimit-Reset` is the window's end). While
 * Redis cannot be reached, each process holds the limit on its own count.
 */
@Injectable()
export class TokenRateLimit {
  private readonly logger = new Logger('rate-limit');
  private readonly leases = new Map<string, Lease>();
  private lastWarned = 0;

  constructor(
    @Inject(CONFIG) private readonly config: BerthConfig,
    @Inject(REDIS) private readonly redis: Redis,
  ) {}

  /** Synchronous while this process holds units of the token's lease; a promise when Redis is asked. */
  take(bucket: string, tokenId: number, limit: number): RateDecision | Promise<RateDecision> {
    const window = Math.floor(Date.now() / WINDOW_MS);
    const key = `${bucket}:${tokenId}`;
    let lease = this.leases.get(key);
    if (!lease || lease.window !== window) {
      if (!lease && this.leases.size > 10_000) this.forgetOld(window);
      lease = { window, granted: 0, used: 0, reservedEverywhere: 0 };
      this.leases.set(key, lease);
    }
    if (lease.used < lease.granted) return this.spend(lease, limit);
    return this.reserve(key, lease, limit);
  }

  private spend(lease: Lease, limit: number): RateDecision {
    lease.used += 1;
    return this.decision(lease, limit, true);
  }

  private async reserve(key: string, lease: Lease, limit: number): Promise<RateDecision> {
    const want = Math.max(1, Math.min(MAX_CHUNK, Math.ceil((limit - lease.reservedEverywhere) / 8)));
    const redisKey = `${this.config.jobs.queuePrefix}:rate:${key}:${lease.window}`;
    try {
      const [got, total] = (await this.redis.eval(RESERVE, 1, redisKey, want, limit, WINDOW_MS * 2)) as [number, number];
      lease.granted += got;
      lease.reservedEverywhere = Math.max(lease.reservedEverywhere, total);
    } catch (err) {
      // Redis away: the API goes on answering what needs no Redis, and a token is never unlimited
      // meanwhile. Each process counts the window's requests of the token on its own, so with
      // several API processes a token may get the limit from each until Redis is back.
      if (Date.now() - this.lastWarned > 10_000) {
        this.lastWarned = Date.now();
        this.logger.warn(`rate limits counted by each process on its own, Redis is unavailable: ${(err as Error).message}`);
      }
      if (lease.used >= limit) return { allowed: false, limit, remaining: 0, reset: this.reset(lease) };
      lease.granted = ++lease.used;
      return { allowed: true, limit, remaining: limit - lease.used, reset: this.reset(lease) };
    }
    if (lease.used < lease.granted) return this.spend(lease, limit);
    return this.decision(lease, limit, false);
  }

  private decision(lease: Lease, limit: number, allowed: boolean): RateDecision {
    const remaining = Math.max(0, limit - lease.reservedEverywhere + (lease.granted - lease.used));
    return { allowed, limit, remaining, reset: this.reset(lease) };
  }

  private reset(lease: Lease): number {
    return ((lease.window + 1) * WINDOW_MS) / 1000;
  }

  private forgetOld(window: number): void {
    for (const [key, lease] of this.leases) if (lease.window !== window) this.leases.delete(key);
  }
}

import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { DomainError } from '../common/errors/domain-error.js';
import { REDIS } from '../common/redis/redis.module.js';
import { BerthConfig } from '../config/config.js';
import { CONFIG } from '../config/config.module.js';

// Takes a slot when fewer than ARGV[3] are held, in one step: of parallel openers exactly the
// limit get one. A slot is held by refreshing its expiry; a process that died gives its slots
// back once they expire (three heartbeats).
const TAKE = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1`;

// Holds a slot for another three heartbeats, and the key with it: the key's own expiry (set when a
// slot is taken) would otherwise forget every slot of a company whose streams outlive it, and let
// as many more open. A slot a stalled process lost is counted again: its stream is still open.
const REFRESH = `
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1`;

/** A held slot: refresh it while the stream lives, give it back when it ends. */
export interface StreamSlot {
  refresh(): void;
  release(): void;
}

/** Concurrent live streams per company, counted in Redis across every API process. */
@Injectable()
export class StreamSlots {
  private readonly ttlMs: number;

  constructor(
    @Inject(CONFIG) private readonly config: BerthConfig,
    @Inject(REDIS) private readonly redis: Redis,
  ) {
    this.ttlMs = config.live.heartbeatMs * 3;
  }

  /** A slot of the company's, or 429 naming the limit. */
  async take(companyId: number): Promise<StreamSlot> {
    const key = `${this.config.jobs.queuePrefix}:live-streams:${companyId}`;
    const id = randomUUID();
    const now = Date.now();
    let taken: number;
    try {
      taken = (await this.redis.eval(TAKE, 1, key, now, now + this.ttlMs, this.config.live.streamsPerCompany, id, this.ttlMs)) as number;
    } catch {
      throw new DomainError('unavailable', 'the stream counter (Redis) is unavailable; try again shortly');
    }
    if (taken !== 1) {
      const limit = this.config.live.streamsPerCompany;
      throw new DomainError('rate_limited', `this company has ${limit} live streams open, the most it may (LIVE_STREAMS_PER_COMPANY); close one first`, undefined, {
        'Retry-After': String(Math.ceil(this.ttlMs / 1000)),
      });
    }
    return {
      refresh: () => void this.redis.eval(REFRESH, 1, key, Date.now() + this.ttlMs, id, this.ttlMs).catch(() => undefined),
      release: () => void this.redis.zrem(key, id).catch(() => undefined),
    };
  }
}

import { Inject, Injectable } from '@nestjs/common';
import { Redis } from 'ioredis';
import { BerthConfig } from '../../config/config.js';
import { CONFIG } from '../../config/config.module.js';
import { DomainError } from '../errors/domain-error.js';
import { REDIS } from '../redis/redis.module.js';

// Fixed window in Redis, atomic in one round trip, shared by every Berth process.
const HIT = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return { count, redis.call('PTTL', KEYS[1]) }`;

// Gives back what attempt() took for something that turned out not to count (a login that
// succeeded). A key that expired meanwhile is not left behind at -1 without an expiry.
const REFUND = `
if redis.call('DECR', KEYS[1]) <= 0 then redis.call('DEL', KEYS[1]) end`;

/** What attempt() decided: whether the limit still had room for this attempt, and when the window ends. */
export interface Attempt {
  allowed: boolean;
  retryAfterMs: number;
}

export interface Limit {
  /** Key namespace, e.g. "login-email". */
  name: string;
  max: number;
  windowMs: number;
}

@Injectable()
export class RateLimiter {
  private readonly prefix: string;

  constructor(@Inject(REDIS) private readonly redis: Redis, @Inject(CONFIG) config: BerthConfig) {
    // Per installation, like its queues: two installations sharing a Redis count apart.
    this.prefix = `${config.jobs.queuePrefix}:rate`;
  }

  private key(limit: Limit, subject: string): string {
    return `${this.prefix}:${limit.name}:${subject}`;
  }

  /** Throws 429 with Retry-After when `subject` has already used up `limit`. A limit of 0 is off. */
  async check(limit: Limit, subject: string): Promise<void> {
    if (limit.max === 0) return;
    const [count, ttl] = await Promise.all([this.redis.get(this.key(limit, subject)), this.redis.pttl(this.key(limit, subject))]);
    if (Number(count ?? 0) >= limit.max) throw tooMany(ttl);
  }

  /** Counts one event against `limit` for `subject`. */
  async hit(limit: Limit, subject: string): Promise<void> {
    if (limit.max === 0) return;
    await this.redis.eval(HIT, 1, this.key(limit, subject), String(limit.windowMs));
  }

  /**
   * Counts this attempt and says whether the limit had room for it, in one round trip: unlike
   * check() then hit(), parallel attempts cannot all pass before any of them is counted.
   */
  async attempt(limit: Limit, subject: string): Promise<Attempt> {
    if (limit.max === 0) return { allowed: true, retryAfterMs: 0 };
    const [count, ttl] = (await this.redis.eval(HIT, 1, this.key(limit, subject), String(limit.windowMs))) as [number, number];
    return { allowed: count <= limit.max, retryAfterMs: ttl };
  }

  /** Takes back one attempt counted by attempt(). */
  async refund(limit: Limit, subject: string): Promise<void> {
    if (limit.max === 0) return;
    await this.redis.eval(REFUND, 1, this.key(limit, subject));
  }

  async reset(limit: Limit, subject: string): Promise<void> {
    await this.redis.del(this.key(limit, subject));
  }
}

/** The 429 for an attempt() that was not allowed. */
export function tooMany(ttlMs: number): DomainError {
  const seconds = Math.max(1, Math.ceil(ttlMs / 1000));
  return new DomainError('rate_limited', `too many attempts; try again in ${seconds} s`, {}, { 'retry-after': String(seconds) });
}

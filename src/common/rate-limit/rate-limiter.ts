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

// Check and count in one step: of many parallel callers exactly `max` get through in a
// window, where check-then-hit lets all of them pass the check before any hit lands. A refused
// attempt is not counted (the window is full anyway).
const ATTEMPT = `
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
if count >= tonumber(ARGV[2]) then return { 0, redis.call('PTTL', KEYS[1]) } end
count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return { 1, 0 }`;

// Gives a counted attempt back, never below zero: a window that ended has nothing to give, and
// the last unit takes the key with it rather than leaving one without an expiry.
const REFUND = `
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
if count > 1 then redis.call('DECR', KEYS[1]) elseif count == 1 then redis.call('DEL', KEYS[1]) end
return 0`;

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
   * Counts this attempt if the limit has room for it, and says whether it had, in one round trip:
   * unlike check() then hit(), parallel attempts cannot all pass before any of them is counted.
   * A limit of 0 is off.
   */
  async attempt(limit: Limit, subject: string): Promise<Attempt> {
    if (limit.max === 0) return { allowed: true, retryAfterMs: 0 };
    const [taken, ttl] = (await this.redis.eval(ATTEMPT, 1, this.key(limit, subject), String(limit.windowMs), String(limit.max))) as [number, number];
    return { allowed: taken === 1, retryAfterMs: ttl };
  }

  /** attempt(), throwing 429 with Retry-After when the limit has no room left. */
  async consume(limit: Limit, subject: string): Promise<void> {
    const { allowed, retryAfterMs } = await this.attempt(limit, subject);
    if (!allowed) throw tooMany(retryAfterMs);
  }

  /** Gives back an attempt that turned out not to count (a login that succeeded, say). */
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

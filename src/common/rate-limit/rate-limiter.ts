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
// window, where check-then-hit lets all of them pass the check before any hit lands.
const CONSUME = `
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
if count >= tonumber(ARGV[2]) then return { 0, redis.call('PTTL', KEYS[1]) } end
count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return { 1, 0 }`;

// Gives a consumed unit back, never below zero: a window that ended has nothing to give.
const REFUND = `
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
if count > 0 then redis.call('DECR', KEYS[1]) end
return 0`;

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
   * Takes one unit of `limit` for `subject`, checked and counted atomically in one round
   * trip; throws 429 with Retry-After when none is left. For attempts that must be
   * counted before they are evaluated, however many run in parallel. A limit of 0 is off.
   */
  async consume(limit: Limit, subject: string): Promise<void> {
    if (limit.max === 0) return;
    const [taken, ttl] = (await this.redis.eval(CONSUME, 1, this.key(limit, subject), String(limit.windowMs), String(limit.max))) as [number, number];
    if (taken !== 1) throw tooMany(ttl);
  }

  /** Gives back a unit `consume` took, for an attempt that turned out not to count (e.g. it succeeded). */
  async refund(limit: Limit, subject: string): Promise<void> {
    if (limit.max === 0) return;
    await this.redis.eval(REFUND, 1, this.key(limit, subject));
  }

  async reset(limit: Limit, subject: string): Promise<void> {
    await this.redis.del(this.key(limit, subject));
  }
}

function tooMany(ttlMs: number): DomainError {
  const seconds = Math.max(1, Math.ceil(ttlMs / 1000));
  return new DomainError('rate_limited', `too many attempts; try again in ${seconds} s`, {}, { 'retry-after': String(seconds) });
}

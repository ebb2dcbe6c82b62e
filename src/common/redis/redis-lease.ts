import type { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';

// Take the lease when nobody holds it, or extend it when this holder does: one step, so two
// processes can never both believe they hold it.
const HOLD = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
return 0`;
const GIVE_BACK = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

/**
 * A lease in Redis that one process at a time holds: whoever holds it renews it before each
 * piece of work; a holder that died loses it once `ttlMs` has passed without a renewal.
 */
export class RedisLease {
  private readonly holder = randomUUID();

  constructor(
    private readonly redis: Redis,
    private readonly key: string,
    private readonly ttlMs: number,
  ) {}

  /** True when this process holds the lease now (taking or renewing it); false when another does or Redis is away. */
  async hold(): Promise<boolean> {
    try {
      return (await this.redis.eval(HOLD, 1, this.key, this.holder, this.ttlMs)) === 1;
    } catch {
      return false;
    }
  }

  /** Gives the lease up at once (if held), so another process need not wait for it to expire. */
  async release(): Promise<void> {
    await this.redis.eval(GIVE_BACK, 1, this.key, this.holder).catch(() => undefined);
  }
}

import { Global, Inject, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { Redis } from 'ioredis';
import { BerthConfig } from '../../config/config.js';
import { CONFIG } from '../../config/config.module.js';
import { closeRedis } from '../../provisioning/queues.module.js';

export const REDIS = Symbol('Redis');

// Commands fail fast while disconnected (below), so start-up waits briefly for the
// first connection; if Redis is down, Berth starts anyway and health reports it.
const FIRST_CONNECT_WAIT_MS = 5000;

async function createRedis(config: BerthConfig): Promise<Redis> {
  const logger = new Logger('redis');
  const redis = new Redis(config.redisUrl.reveal(), {
    // Fail a command at once while Redis is away instead of queueing it forever:
    // the caller answers 503 and the client retries.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
  });
  let lastLogged = 0;
  redis.on('error', (err: Error) => {
    // ioredis reports every reconnect attempt; one line per 10 s is enough.
    if (Date.now() - lastLogged > 10_000) {
      lastLogged = Date.now();
      logger.warn(`redis unavailable: ${err.message}`);
    }
  });
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, FIRST_CONNECT_WAIT_MS);
    redis.once('ready', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  return redis;
}

@Global()
@Module({
  providers: [{ provide: REDIS, inject: [CONFIG], useFactory: createRedis }],
  exports: [REDIS],
})
export class RedisModule implements OnApplicationShutdown {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  async onApplicationShutdown(): Promise<void> {
    await closeRedis(this.redis);
  }
}

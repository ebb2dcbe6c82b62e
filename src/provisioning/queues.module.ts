import { Global, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { Processor, Queue, Worker, WorkerOptions } from 'bullmq';
import { Redis } from 'ioredis';
import { BerthConfig } from '../config/config.js';
import { within } from '../common/within.js';
import { CONFIG } from '../config/config.module.js';
import { QueueName } from './jobs.js';

export const STORAGES_QUEUE = Symbol('StoragesQueue');
export const APPS_QUEUE = Symbol('AppsQueue');

/**
 * Whether the queue's Redis connection is up right now. BullMQ itself would wait
 * for Redis indefinitely; the API asks first and answers 503 instead.
 */
export function queueConnected(queue: Queue): boolean {
  return (queue.opts.connection as Redis).status === 'ready';
}

export async function closeRedis(redis: Redis): Promise<void> {
  await redis.quit().catch(() => redis.disconnect());
}

/** Adds a job, giving up after `ms` so a Redis that vanishes mid-call cannot hang a request. */
export async function addWithin<T>(queue: Queue<T>, ms: number, ...args: Parameters<Queue<T>['add']>): Promise<void> {
  await within(queue.add(...args), ms, 'the queue');
}

/**
 * The consumer side of a queue, for a worker role. Its Redis connection is its own
 * (BullMQ blocks on it) and retries forever while Redis is away; closeConsumer closes both.
 */
export function consumer<T>(name: QueueName, config: BerthConfig, process: Processor<T>, options: Omit<WorkerOptions, 'connection' | 'prefix'>): Worker<T> {
  return new Worker<T>(name, process, {
    ...options,
    prefix: config.jobs.queuePrefix,
    connection: new Redis(config.redisUrl.reveal(), { maxRetriesPerRequest: null }),
  });
}

export async function closeConsumer(worker: Worker | undefined): Promise<void> {
  if (!worker) return;
  await worker.close();
  // BullMQ leaves a connection it was given open: it is ours to close.
  await closeRedis(worker.opts.connection as Redis);
}

/**
 * The producer side of the queues, for the API. Its Redis connection fails
 * fast while Redis is away, so an API call answers 503 at once instead of
 * hanging with a change half-made.
 */
function producer(name: QueueName, config: BerthConfig): Queue {
  const queue = new Queue(name, {
    prefix: config.jobs.queuePrefix,
    connection: new Redis(config.redisUrl.reveal(), { enableOfflineQueue: false, maxRetriesPerRequest: 1 }),
  });
  // Redis being away is reported by health; an unhandled 'error' event would crash the process.
  queue.on('error', () => undefined);
  return queue;
}

@Global()
@Module({
  providers: [
    { provide: STORAGES_QUEUE, inject: [CONFIG], useFactory: (config: BerthConfig) => producer(QueueName.Storages, config) },
    { provide: APPS_QUEUE, inject: [CONFIG], useFactory: (config: BerthConfig) => producer(QueueName.Apps, config) },
  ],
  exports: [STORAGES_QUEUE, APPS_QUEUE],
})
export class QueuesModule implements OnApplicationShutdown {
  constructor(
    @Inject(STORAGES_QUEUE) private readonly storages: Queue,
    @Inject(APPS_QUEUE) private readonly apps: Queue,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    for (const queue of [this.storages, this.apps]) {
      await queue.close().catch(() => undefined);
      // BullMQ leaves a connection it was given open: it is ours to close.
      await closeRedis(queue.opts.connection as Redis);
    }
  }
}

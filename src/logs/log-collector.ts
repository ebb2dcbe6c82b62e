import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { Redis } from 'ioredis';
import { AppEnvironment } from '../app-config/app-environment.js';
import { appSecretMask } from '../app-config/app-secret-mask.js';
import { every, Periodic } from '../common/periodic.js';
import { RedisLease } from '../common/redis/redis-lease.js';
import { REDIS } from '../common/redis/redis.module.js';
import { BerthConfig } from '../config/config.js';
import { CONFIG } from '../config/config.module.js';
import { CONTAINER_DRIVER, ContainerDriver } from '../containers/container-driver.js';
import { copyLogs } from './log-lines.js';
import { LogStore } from './log-store.js';

// How often running containers are looked for: a container that starts is followed within this.
const SCAN_MS = 1000;
// The collector's lease: held by one worker process at a time, renewed well before it expires.
const LEASE_MS = 10_000;
const RENEW_MS = 3000;
// Stopped apps' logs get no new lines to trim them: their age limit is applied this often.
const SWEEP_MS = 10 * 60_000;

/**
 * Copies every running app container's output into the LogStore (docs/logs.md): one engine log
 * stream per running container, held by one worker process (a Redis lease), whatever the number
 * of readers. A stream that ends (the container stopped) is followed again once it runs; the
 * store's cursor makes every copy start after the last line stored, so nothing is stored twice.
 */
@Injectable()
export class LogCollector implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('log-collector');
  private readonly lease: RedisLease;
  private readonly following = new Map<number, AbortController>();
  private loops: Periodic[] = [];
  private leased = false;

  constructor(
    @Inject(CONFIG) private readonly config: BerthConfig,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(CONTAINER_DRIVER) private readonly driver: ContainerDriver,
    private readonly store: LogStore,
    private readonly environment: AppEnvironment,
  ) {
    this.lease = new RedisLease(redis, `${config.jobs.queuePrefix}:logs:collector`, LEASE_MS);
  }

  onModuleInit(): void {
    const warn = (what: string) => (err: Error) => this.logger.warn(`${what}: ${err.message}`);
    this.loops = [
      every(RENEW_MS, () => this.holdLease(), warn('lease'), 0),
      every(SCAN_MS, () => this.scan(), warn('scan'), 0),
      every(SWEEP_MS, () => this.sweep(), warn('sweep')),
    ];
  }

  async onApplicationShutdown(): Promise<void> {
    this.loops.forEach((l) => l.stop());
    this.stopAll();
    if (this.leased) await this.lease.release();
  }

  private async holdLease(): Promise<void> {
    const held = await this.lease.hold();
    if (held !== this.leased) this.logger.log(held ? 'collecting apps’ logs' : 'lost the log collector lease');
    this.leased = held;
    if (!held) this.stopAll();
  }

  /** Follows each running container not followed yet. */
  private async scan(): Promise<void> {
    if (!this.leased) return;
    for (const container of await this.driver.list()) {
      if (container.running && !this.following.has(container.appId)) this.follow(container.appId);
    }
  }

  private follow(appId: number): void {
    const abort = new AbortController();
    this.following.set(appId, abort);
    // Secrets that change while the container runs do not reach it (it keeps the environment it
    // was made with, which the mask covers): a new container is followed anew, with a new mask.
    appSecretMask(this.environment, appId, this.driver)
      .then((mask) => copyLogs(this.driver, this.store, appId, mask, true, abort.signal))
      .catch((err: Error) => {
        if (!abort.signal.aborted) this.logger.warn({ appId }, `following the container's output: ${err.message}`);
      })
      // Ended (the container stopped, or a failure): the next scan follows it again if it runs.
      .finally(() => {
        if (this.following.get(appId) === abort) this.following.delete(appId);
      });
  }

  private stopAll(): void {
    for (const abort of this.following.values()) abort.abort();
    this.following.clear();
  }

  private async sweep(): Promise<void> {
    if (!this.leased) return;
    const prefix = `${this.config.jobs.queuePrefix}:logs:`;
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500, 'TYPE', 'stream');
      cursor = next;
      for (const key of keys) {
        const appId = Number(key.slice(prefix.length));
        if (Number.isInteger(appId)) await this.store.trim(appId);
      }
    } while (cursor !== '0');
  }
}

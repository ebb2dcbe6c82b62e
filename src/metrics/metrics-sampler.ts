import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { performance } from 'node:perf_hooks';
import { REDIS } from '../common/redis/redis.module.js';
import { BerthConfig } from '../config/config.js';
import { CONFIG } from '../config/config.module.js';
import { CONTAINER_DRIVER, ContainerDriver, ContainerSample } from '../containers/container-driver.js';
import { metricRow, MetricRow } from './metric-rates.js';
import { MetricsWriter } from './metrics-writer.js';
import { RedisLease } from '../common/redis/redis-lease.js';

// Containers read at once. Docker answers a one-shot stats request from its next collection round,
// one a second shared by every request waiting then: reading the containers together costs about
// one round a tick (measured: 20 apps, 8 at a time 3.1 s, 64 at a time 1.1 s). Bounded all the same,
// so a large host does not open thousands of engine connections at once.
const CONCURRENCY = 128;
const PRUNE_EVERY_MS = 5 * 60_000;

/** What one tick did: the figures a benchmark of the sampler reads from its log line. */
export interface TickReport {
  apps: number;
  written: number;
  failed: number;
  durationMs: number;
  /** CPU time this process spent during the tick (user + system), in ms. */
  cpuMs: number;
}

/**
 * Samples every running app's container each METRICS_INTERVAL_MS, on ticks aligned to the
 * interval, so every app's readings share their timestamps. However many worker processes run,
 * one holds the Redis lease and samples; the others only check that it is still held.
 * A tick that runs past the next one skips it instead of piling up.
 */
@Injectable()
export class MetricsSampler implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('metrics-sampler');
  private readonly lease: RedisLease;
  // The reading before of each app's container: rates are differences with it.
  private readonly previous = new Map<number, ContainerSample>();
  private timer?: NodeJS.Timeout;
  private current: Promise<unknown> = Promise.resolve();
  private stopped = false;
  private lastPruneMs = 0;

  constructor(
    @Inject(CONFIG) private readonly config: BerthConfig,
    @Inject(CONTAINER_DRIVER) private readonly driver: ContainerDriver,
    @Inject(REDIS) redis: Redis,
    private readonly writer: MetricsWriter,
  ) {
    // Three missed renewals (and a second's slack for a slow tick) before another worker takes over.
    this.lease = new RedisLease(redis, `${config.jobs.queuePrefix}:metrics-sampler`, 3 * config.metrics.intervalMs + 1000);
  }

  onModuleInit(): void {
    this.schedule();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.current;
    await this.lease.release();
  }

  private schedule(): void {
    if (this.stopped) return;
    const interval = this.config.metrics.intervalMs;
    const next = (Math.floor(Date.now() / interval) + 1) * interval;
    this.timer = setTimeout(() => {
      this.current = this.tick(new Date(next))
        .catch((err: Error) => this.logger.warn(`metrics tick: ${err.message}`))
        .finally(() => this.schedule());
    }, next - Date.now());
    this.timer.unref();
  }

  /** One tick at `at`: null when another process holds the lease. */
  async tick(at: Date): Promise<TickReport | null> {
    if (!(await this.lease.hold())) {
      // Another process samples now. Should this one take over later, rates against its old readings
      // would be averages over the whole time in between, passed off as the latest interval's.
      this.previous.clear();
      return null;
    }
    const started = performance.now();
    const cpuBefore = process.cpuUsage();
    const running = [...new Set((await this.driver.list()).filter((c) => c.running).map((c) => c.appId))];
    const rows: MetricRow[] = [];
    let failed = 0;
    await eachLimited(running, CONCURRENCY, async (appId) => {
      const sample = await this.driver.sample(appId).catch(() => {
        failed++;
        return null;
      });
      if (!sample) return;
      rows.push(metricRow(appId, sample, this.previous.get(appId)));
      this.previous.set(appId, sample);
    });
    const sampled = new Set(rows.map((r) => r.appId));
    for (const appId of this.previous.keys()) if (!sampled.has(appId)) this.previous.delete(appId);
    await this.writer.write(at, rows);
    if (at.getTime() - this.lastPruneMs >= PRUNE_EVERY_MS) {
      this.lastPruneMs = at.getTime();
      await this.writer.prune(at.getTime());
    }
    const cpu = process.cpuUsage(cpuBefore);
    const report: TickReport = { apps: running.length, written: rows.length, failed, durationMs: Math.round(performance.now() - started), cpuMs: Math.round((cpu.user + cpu.system) / 1000) };
    this.logger.debug(report, 'metrics tick');
    if (report.durationMs > this.config.metrics.intervalMs) {
      this.logger.warn(report, `a metrics tick took ${report.durationMs} ms, longer than METRICS_INTERVAL_MS: ticks are being skipped`);
    }
    return report;
  }
}

/** Runs `work` on every item, at most `limit` at a time. */
async function eachLimited<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await work(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}

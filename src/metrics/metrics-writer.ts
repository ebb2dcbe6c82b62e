import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { BerthConfig } from '../config/config.js';
import { CONFIG } from '../config/config.module.js';
import type { MetricRow } from './metric-rates.js';

// One statement per tick, whatever the number of apps: the rows go in as arrays. Apps deleted
// meanwhile are left out by the join (their rows would break the foreign key and the whole
// tick). A tick already written (a second sampler during a lease handover) adds nothing, to
// the samples nor to the buckets: only rows actually inserted are added to their bucket.
const WRITE = `
WITH incoming AS (
    SELECT u.* FROM unnest($2::int[], $3::real[], $4::bigint[], $5::bigint[], $6::real[], $7::real[], $8::bigint[], $9::int[])
        AS u(app_id, cpu, mem, lim, rx, tx, srv, restarts)
    JOIN apps ON apps.id = u.app_id
), inserted AS (
    INSERT INTO app_metric_samples (app_id, at, cpu_percent, memory_used_bytes, memory_limit_bytes, net_rx_bytes_per_second, net_tx_bytes_per_second, srv_used_bytes, restarts)
    SELECT app_id, $1::timestamptz, cpu, mem, lim, rx, tx, srv, restarts FROM incoming
    ON CONFLICT (app_id, at) DO NOTHING
    RETURNING *
)
INSERT INTO app_metric_buckets AS b (app_id, bucket_start, samples, cpu_sum, cpu_count, cpu_max, memory_used_sum, memory_used_max,
                                     memory_limit_bytes, net_rx_sum, net_tx_sum, net_count, srv_used_max, restarts)
SELECT app_id, $10::timestamptz, 1, coalesce(cpu_percent, 0), (cpu_percent IS NOT NULL)::int, cpu_percent, memory_used_bytes, memory_used_bytes,
       memory_limit_bytes, coalesce(net_rx_bytes_per_second, 0), coalesce(net_tx_bytes_per_second, 0),
       (net_rx_bytes_per_second IS NOT NULL)::int, srv_used_bytes, coalesce(restarts, 0)
  FROM inserted
ON CONFLICT (app_id, bucket_start) DO UPDATE SET
    samples = b.samples + EXCLUDED.samples,
    cpu_sum = b.cpu_sum + EXCLUDED.cpu_sum,
    cpu_count = b.cpu_count + EXCLUDED.cpu_count,
    cpu_max = greatest(b.cpu_max, EXCLUDED.cpu_max),
    memory_used_sum = b.memory_used_sum + EXCLUDED.memory_used_sum,
    memory_used_max = greatest(b.memory_used_max, EXCLUDED.memory_used_max),
    memory_limit_bytes = greatest(b.memory_limit_bytes, EXCLUDED.memory_limit_bytes),
    net_rx_sum = b.net_rx_sum + EXCLUDED.net_rx_sum,
    net_tx_sum = b.net_tx_sum + EXCLUDED.net_tx_sum,
    net_count = b.net_count + EXCLUDED.net_count,
    srv_used_max = greatest(b.srv_used_max, EXCLUDED.srv_used_max),
    restarts = b.restarts + EXCLUDED.restarts`;

/** Stores the sampler's ticks and deletes what is past retention. */
@Injectable()
export class MetricsWriter {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(CONFIG) private readonly config: BerthConfig,
  ) {}

  /** Every app's row of the tick at `at`, and each added into its bucket, in one statement. */
  async write(at: Date, rows: MetricRow[]): Promise<void> {
    if (rows.length === 0) return;
    const bucketMs = this.config.metrics.bucketSeconds * 1000;
    const bucketStart = new Date(Math.floor(at.getTime() / bucketMs) * bucketMs);
    const column = <K extends keyof MetricRow>(key: K) => rows.map((r) => r[key]);
    await this.db.query(WRITE, [
      at,
      column('appId'),
      column('cpuPercent'),
      column('memoryUsedBytes'),
      column('memoryLimitBytes'),
      column('netRxBytesPerSecond'),
      column('netTxBytesPerSecond'),
      column('srvUsedBytes'),
      column('restarts'),
      bucketStart,
    ]);
  }

  /** Deletes full-resolution readings and buckets past their retention. */
  async prune(nowMs: number): Promise<void> {
    const { fullRetentionSeconds, bucketRetentionSeconds } = this.config.metrics;
    await this.db.query('DELETE FROM app_metric_samples WHERE at < $1', [new Date(nowMs - fullRetentionSeconds * 1000)]);
    await this.db.query('DELETE FROM app_metric_buckets WHERE bucket_start < $1', [new Date(nowMs - bucketRetentionSeconds * 1000)]);
  }
}

import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { App } from '../../apps/entities/app.entity.js';

const bigint = { to: (v: number | null) => v, from: (v: string | null) => (v === null ? null : Number(v)) };

/**
 * One reading of one app's container at full resolution, taken by the worker's sampler every
 * METRICS_INTERVAL_MS (`at` is the tick's time, the same for every app). Rates (CPU, network)
 * come from the difference with the reading before; null where there was none to compare with.
 * Kept METRICS_FULL_RETENTION_SECONDS; the downsampled buckets keep the longer view.
 */
@Entity('app_metric_samples')
@Index('app_metric_samples_at_idx', ['at'])
export class AppMetricSample {
  @PrimaryColumn({ name: 'app_id', type: 'int', primaryKeyConstraintName: 'PK_app_metric_samples' })
  appId: number;

  @ManyToOne(() => App, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'app_id', foreignKeyConstraintName: 'app_metric_samples_app_id_fkey' })
  app?: App;

  @PrimaryColumn({ type: 'timestamptz', primaryKeyConstraintName: 'PK_app_metric_samples' })
  at: Date;

  /** Percent of the plan's CPU quota used since the reading before (100: all of it). */
  @Column({ name: 'cpu_percent', type: 'real', nullable: true })
  cpuPercent: number | null;

  @Column({ name: 'memory_used_bytes', type: 'bigint', transformer: bigint })
  memoryUsedBytes: number;

  @Column({ name: 'memory_limit_bytes', type: 'bigint', transformer: bigint })
  memoryLimitBytes: number;

  @Column({ name: 'net_rx_bytes_per_second', type: 'real', nullable: true })
  netRxBytesPerSecond: number | null;

  @Column({ name: 'net_tx_bytes_per_second', type: 'real', nullable: true })
  netTxBytesPerSecond: number | null;

  @Column({ name: 'srv_used_bytes', type: 'bigint', nullable: true, transformer: bigint })
  srvUsedBytes: number | null;

  /** Restarts of the container by the engine since the reading before. */
  @Column({ type: 'int', nullable: true })
  restarts: number | null;
}

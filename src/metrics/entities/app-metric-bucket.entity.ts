import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { App } from '../../apps/entities/app.entity.js';

const bigint = { to: (v: number | null) => v, from: (v: string | null) => (v === null ? null : Number(v)) };

/**
 * One app's readings over METRICS_BUCKET_SECONDS, starting at `bucket_start` (a multiple of the
 * width since the epoch). Sums and counts rather than averages, so each tick adds its readings in
 * one upsert and any number of buckets averages exactly. Kept METRICS_BUCKET_RETENTION_SECONDS.
 */
@Entity('app_metric_buckets')
@Index('app_metric_buckets_start_idx', ['bucketStart'])
export class AppMetricBucket {
  @PrimaryColumn({ name: 'app_id', type: 'int', primaryKeyConstraintName: 'PK_app_metric_buckets' })
  appId: number;

  @ManyToOne(() => App, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'app_id', foreignKeyConstraintName: 'app_metric_buckets_app_id_fkey' })
  app?: App;

  @PrimaryColumn({ name: 'bucket_start', type: 'timestamptz', primaryKeyConstraintName: 'PK_app_metric_buckets' })
  bucketStart: Date;

  /** Readings added: the count memory's sum is over. */
  @Column({ type: 'int', default: 0 })
  samples: number;

  @Column({ name: 'cpu_sum', type: 'double precision', default: 0 })
  cpuSum: number;

  /** Readings that had a CPU figure (the first of a container has none). */
  @Column({ name: 'cpu_count', type: 'int', default: 0 })
  cpuCount: number;

  @Column({ name: 'cpu_max', type: 'real', nullable: true })
  cpuMax: number | null;

  @Column({ name: 'memory_used_sum', type: 'double precision', default: 0 })
  memoryUsedSum: number;

  @Column({ name: 'memory_used_max', type: 'bigint', default: 0, transformer: bigint })
  memoryUsedMax: number;

  @Column({ name: 'memory_limit_bytes', type: 'bigint', default: 0, transformer: bigint })
  memoryLimitBytes: number;

  @Column({ name: 'net_rx_sum', type: 'double precision', default: 0 })
  netRxSum: number;

  @Column({ name: 'net_tx_sum', type: 'double precision', default: 0 })
  netTxSum: number;

  /** Readings that had network rates. */
  @Column({ name: 'net_count', type: 'int', default: 0 })
  netCount: number;

  @Column({ name: 'srv_used_max', type: 'bigint', nullable: true, transformer: bigint })
  srvUsedMax: number | null;

  @Column({ type: 'int', default: 0 })
  restarts: number;
}

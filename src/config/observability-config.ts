import type { Reader } from './reader.js';

/** Apps' logs: collected from every container by the worker, kept off the plan's disk. */
export interface LogsConfig {
  /** Most lines one request may ask for (`lines`). */
  linesMax: number;
  /** Bytes of log messages kept per app; the oldest lines go first past it. */
  retentionBytes: number;
  /** Age past which an app's lines go, in seconds. */
  retentionSeconds: number;
}

/** Apps' metrics: sampled by the worker, full resolution for a day and downsampled for 30. */
export interface MetricsConfig {
  /** How often every running app's container is sampled. */
  intervalMs: number;
  /** How long full-resolution samples are kept, in seconds. */
  fullRetentionSeconds: number;
  /** Width of a downsampled bucket, in seconds. */
  bucketSeconds: number;
  /** How long downsampled buckets are kept, in seconds. */
  bucketRetentionSeconds: number;
}

const DAY = 86_400;

export function readLogsConfig(read: Reader): LogsConfig {
  return {
    linesMax: read.int('LOGS_LINES_MAX', 10_000, 1, 1_000_000),
    retentionBytes: read.size('LOGS_RETENTION_BYTES', '2mb', 1024, 1024 ** 3),
    retentionSeconds: read.int('LOGS_RETENTION_SECONDS', 7 * DAY, 60, 365 * DAY),
  };
}

export function readMetricsConfig(read: Reader): MetricsConfig {
  return {
    intervalMs: read.int('METRICS_INTERVAL_MS', 15_000, 200, 3_600_000),
    fullRetentionSeconds: read.int('METRICS_FULL_RETENTION_SECONDS', DAY, 60, 30 * DAY),
    bucketSeconds: read.int('METRICS_BUCKET_SECONDS', 300, 10, DAY),
    bucketRetentionSeconds: read.int('METRICS_BUCKET_RETENTION_SECONDS', 30 * DAY, 60, 366 * DAY),
  };
}

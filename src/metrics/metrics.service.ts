import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { App } from '../apps/entities/app.entity.js';
import { DomainError } from '../common/errors/domain-error.js';
import { BerthConfig } from '../config/config.js';
import { CONFIG } from '../config/config.module.js';
import { MetricsDto } from './dto/metrics.dto.js';
import { MetricsQuery, MetricsRange, resolveRange } from './metrics-range.js';

// Both tables answer the same columns per point, so one loop fills the series from either.
const FROM_SAMPLES = `
    SELECT floor((extract(epoch FROM at) - $2::float8) / $3::float8)::int AS i,
           avg(cpu_percent) AS cpu, avg(memory_used_bytes) AS mem, max(memory_limit_bytes) AS lim,
           avg(net_rx_bytes_per_second) AS rx, avg(net_tx_bytes_per_second) AS tx,
           max(srv_used_bytes) AS srv, sum(restarts) AS restarts
      FROM app_metric_samples
     WHERE app_id = $1 AND at >= to_timestamp($2::float8) AND at < to_timestamp($4::float8)
     GROUP BY 1`;
const FROM_BUCKETS = `
    SELECT floor((extract(epoch FROM bucket_start) - $2::float8) / $3::float8)::int AS i,
           sum(cpu_sum) / nullif(sum(cpu_count), 0) AS cpu, sum(memory_used_sum) / nullif(sum(samples), 0) AS mem,
           max(memory_limit_bytes) AS lim, sum(net_rx_sum) / nullif(sum(net_count), 0) AS rx,
           sum(net_tx_sum) / nullif(sum(net_count), 0) AS tx, max(srv_used_max) AS srv, sum(restarts) AS restarts
      FROM app_metric_buckets
     WHERE app_id = $1 AND bucket_start >= to_timestamp($2::float8) AND bucket_start < to_timestamp($4::float8)
     GROUP BY 1`;

interface PointRow {
  i: number;
  cpu: number | null;
  mem: string | null;
  lim: string | null;
  rx: number | null;
  tx: number | null;
  srv: string | null;
  restarts: string | null;
}

const TICK_SLACK_MS = 2000;

const num = (v: string | number | null, digits = 0) => (v === null ? null : Math.round(Number(v) * 10 ** digits) / 10 ** digits);

/** Reads apps' metrics as the worker's sampler stored them. */
@Injectable()
export class MetricsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(CONFIG) private readonly config: BerthConfig,
  ) {}

  /** The app's series over the query's range, from full-resolution readings or from buckets past their retention. */
  async series(companyId: number, appId: number, query: MetricsQuery): Promise<MetricsDto> {
    const range = resolveRange(query, this.config.metrics, Date.now());
    if (!(await this.db.getRepository(App).exists({ where: { id: appId, companyId } }))) throw DomainError.notFound('app');
    const endS = range.startS + range.points * range.step;
    const rows: PointRow[] = await this.db.query(range.source === 'samples' ? FROM_SAMPLES : FROM_BUCKETS, [appId, range.startS, range.step, endS]);
    return fill(range, rows);
  }

  /** The app's CPU use (percent of its plan's quota) at its latest reading, if that is recent (three intervals); null otherwise. */
  async currentCpu(appId: number): Promise<number | null> {
    // A reading is stamped with its tick's start and written once the engine answered, a second or so later.
    const recentS = (3 * this.config.metrics.intervalMs + TICK_SLACK_MS) / 1000;
    const rows: { cpu: number | null }[] = await this.db.query(
      `SELECT cpu_percent AS cpu FROM app_metric_samples WHERE app_id = $1 AND at > now() - make_interval(secs => $2::float8) ORDER BY at DESC LIMIT 1`,
      [appId, recentS],
    );
    return num(rows[0]?.cpu ?? null, 1);
  }
}

function fill(range: MetricsRange, rows: PointRow[]): MetricsDto {
  const n = range.points;
  const blank = () => new Array<number | null>(n).fill(null);
  const out: MetricsDto = {
    since: new Date(range.startS * 1000),
    until: new Date((range.startS + n * range.step) * 1000),
    step: range.step,
    timestamps: Array.from({ length: n }, (_, i) => new Date((range.startS + i * range.step) * 1000)),
    cpu_percent: blank(),
    memory_used_bytes: blank(),
    memory_limit_bytes: blank(),
    net_rx_bytes_per_second: blank(),
    net_tx_bytes_per_second: blank(),
    srv_used_bytes: blank(),
    restarts: blank(),
  };
  for (const row of rows) {
    if (row.i < 0 || row.i >= n) continue;
    out.cpu_percent[row.i] = num(row.cpu, 1);
    out.memory_used_bytes[row.i] = num(row.mem);
    out.memory_limit_bytes[row.i] = num(row.lim);
    out.net_rx_bytes_per_second[row.i] = num(row.rx, 1);
    out.net_tx_bytes_per_second[row.i] = num(row.tx, 1);
    out.srv_used_bytes[row.i] = num(row.srv);
    out.restarts[row.i] = num(row.restarts);
  }
  return out;
}

import { ApiProperty } from '@nestjs/swagger';
import { IsOptional, IsRFC3339, Matches } from 'class-validator';

const RFC3339 = { message: 'must be an RFC 3339 date-time, like 2026-11-22T10:00:00Z' };

export class MetricsQueryDto {
  /** Start of the range (RFC 3339); an hour before `until` when left out. */
  @ApiProperty({ type: 'string', format: 'date-time', required: false })
  @IsOptional()
  @IsRFC3339(RFC3339)
  since?: string;

  /** End of the range (RFC 3339), not included; now when left out. */
  @ApiProperty({ type: 'string', format: 'date-time', required: false })
  @IsOptional()
  @IsRFC3339(RFC3339)
  until?: string;

  /**
   * Width of each point: seconds (`60`) or a duration (`30s`, `5m`, `1h`, `1d`). At least the sampling
   * interval; for a range reaching back past the full-resolution retention (a day), at least the
   * downsampled buckets' width (5 minutes), and rounded up to a whole number of them. Left out, it is
   * chosen so the series has about 360 points.
   */
  @ApiProperty({ type: 'string', required: false, example: '5m' })
  @IsOptional()
  @Matches(/^\d{1,9}[smhd]?$/, { message: 'must be a whole number of seconds, or a duration like 30s, 5m, 1h or 1d' })
  step?: string;
}

const series = (description: string) => ApiProperty({ description, type: 'array', items: { type: 'number', nullable: true } });

/**
 * An app's metrics as aligned series: the n-th value of every series belongs to `timestamps[n]`
 * and covers the `step` seconds from it. A value is null where no reading exists (the app was not
 * running, or nothing was sampled then).
 */
export class MetricsDto {
  /** Start of the first point: the requested `since` rounded down to a multiple of `step` since the epoch, so points line up across requests. */
  @ApiProperty({ type: 'string', format: 'date-time' })
  since: Date;
  /** End of the last point. */
  @ApiProperty({ type: 'string', format: 'date-time' })
  until: Date;
  /** Seconds each point covers. */
  @ApiProperty({ type: 'integer' })
  step: number;
  /** Start of each point. */
  @ApiProperty({ type: 'array', items: { type: 'string', format: 'date-time' } })
  timestamps: Date[];
  @series("Average CPU use in percent of the plan's CPU quota: 100 is all of it (the app is slowed down to it).")
  cpu_percent: (number | null)[];
  @series('Average memory in use, in bytes, page cache the kernel can reclaim left out.')
  memory_used_bytes: (number | null)[];
  @series("The plan's memory limit, in bytes: past it the app's processes are killed.")
  memory_limit_bytes: (number | null)[];
  @series('Average bytes received per second.')
  net_rx_bytes_per_second: (number | null)[];
  @series('Average bytes sent per second.')
  net_tx_bytes_per_second: (number | null)[];
  @series('Bytes used on /srv (the most seen in the step); null without disk quotas (DISK_QUOTA=off), where it cannot be read cheaply.')
  srv_used_bytes: (number | null)[];
  @series("Restarts of the app's container during the step (the whole container: supervisord's restarts of a single program are not counted).")
  restarts: (number | null)[];
}

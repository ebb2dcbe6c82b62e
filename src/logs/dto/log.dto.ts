import { ApiHideProperty, ApiProperty } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { Allow, IsBoolean, IsInt, IsOptional, IsRFC3339, Matches, Min } from 'class-validator';

/** One line of an app's log. */
export class LogLineDto {
  /** When the line was printed (as the engine received it), RFC 3339 in UTC with nanoseconds. */
  @ApiProperty({ type: 'string', format: 'date-time' })
  timestamp: string;
  /** The supervisord program that printed it, or `container` for the container's own output (supervisord's, say). */
  process: string;
  @ApiProperty({ enum: ['stdout', 'stderr'] })
  stream: 'stdout' | 'stderr';
  /** The line, without its line end. */
  message: string;
}

export class LogQueryDto {
  /** The last this many lines (default 100, at most LOGS_LINES_MAX); with `follow`, those first, then new lines as they come. */
  @ApiProperty({ type: 'integer', minimum: 1, required: false })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'must be a whole number of lines' })
  @Min(1)
  lines?: number;

  /** Only lines printed at or after this time (RFC 3339, e.g. 2026-12-02T10:00:00Z). */
  @ApiProperty({ type: 'string', format: 'date-time', required: false })
  @IsOptional()
  @IsRFC3339({ message: 'must be an RFC 3339 date-time, like 2026-12-02T10:00:00Z' })
  since?: string;

  /** Only lines of this supervisord program, or `container` for the container's own output. */
  @IsOptional()
  @Matches(/^[A-Za-z0-9_.:@-]{1,128}$/, { message: 'must be a supervisord program name or container' })
  process?: string;

  /** Keep the answer open and send new lines as server-sent events (as `Accept: text/event-stream` does). */
  @ApiProperty({ type: 'boolean', required: false })
  @IsOptional()
  @Transform(({ value }) => (value === 'true' || value === '1' ? true : value === 'false' || value === '0' ? false : value))
  @IsBoolean({ message: 'must be true or false' })
  follow?: boolean;

  /** A browser's stream ticket (read by the authentication guard, documented with POST /stream-tickets/). */
  @ApiHideProperty()
  @Allow()
  ticket?: string;
}

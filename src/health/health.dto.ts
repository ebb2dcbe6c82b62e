import { ApiProperty } from '@nestjs/swagger';

export class CheckDto {
  @ApiProperty({ enum: ['up', 'down'] })
  status: 'up' | 'down';
  /** Round trip of the check in milliseconds. */
  @ApiProperty({ type: 'integer' })
  latency_ms: number;
  /** Why the check failed. */
  message?: string;
}

export class HealthChecksDto {
  database: CheckDto;
  redis: CheckDto;
}

export class HealthDto {
  /** "ok" when every check is up, "unavailable" (with HTTP 503) otherwise. */
  @ApiProperty({ enum: ['ok', 'unavailable'] })
  status: 'ok' | 'unavailable';
  version: string;
  checks: HealthChecksDto;
}

export class VersionDto {
  /** Always "berth". */
  name: string;
  version: string;
}

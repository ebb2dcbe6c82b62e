import { ApiProperty } from '@nestjs/swagger';

export class MemoryStatusDto {
  /** MB in use now. */
  @ApiProperty({ type: 'number' })
  usage: number;
  /** MB the plan allows. */
  @ApiProperty({ type: 'integer' })
  limit: number;
}

/** CPU use as a share of the plan's quota, like memory's usage of its limit. */
export class CpuStatusDto {
  /** Percent of the plan's CPU quota in use at the latest reading (the worker samples every METRICS_INTERVAL_MS); -1 when there is no recent one (the app is not running, say). */
  @ApiProperty({ type: 'number' })
  usage: number;
  /** Always 100: all of the plan's quota. Past it the app is slowed down, never stopped. */
  @ApiProperty({ type: 'number' })
  limit: number;
}

/** Sizes in GB, as Rosti's client decodes them (numbers, never null). */
export class StorageStatusDto {
  /** GB used under /srv; negative when it could not be measured (the app is not running, say). */
  @ApiProperty({ type: 'number' })
  usage: number;
  /** GB the plan allows. */
  @ApiProperty({ type: 'number' })
  limit: number;
  /** How many GB over the limit /srv is; 0 when under it or unknown. */
  @ApiProperty({ type: 'number' })
  over_limit: number;
}

export class TechDto {
  name: string;
  /** Version found in the running container; empty when it is not running. */
  version: string;
}

/** The certificate of one HTTPS name (mode https+le). */
export class CertificateStatusDto {
  domain: string;
  /** pending: requested, not there yet; issued: served, HTTP redirects to HTTPS; failed: the CA did not issue one (see error, and next_try_at). */
  @ApiProperty({ enum: ['pending', 'issued', 'failed'] })
  status: 'pending' | 'issued' | 'failed';
  @ApiProperty({ type: 'string', format: 'date-time', nullable: true })
  expires_at: Date | null;
  /** Why the last try failed (failed). */
  error: string;
  /** When the edge tries again (failed). */
  @ApiProperty({ type: 'string', format: 'date-time', nullable: true })
  next_try_at: Date | null;
}

/** What the platform observes of an app right now. */
export class AppStatusDto {
  /** The container is running. */
  running: boolean;
  /** Something answers HTTP (below 500) on the app port. */
  http_status: boolean;
  /** Every domain resolves to the platform's public addresses. */
  dns_status: boolean;
  /** Problems to act on, each a sentence. */
  errors: string[];
  /** Facts worth knowing, each a sentence. */
  info: string[];
  memory: MemoryStatusDto;
  cpu: CpuStatusDto;
  storage: StorageStatusDto;
  /** The technology the app was set up with: what `rosti <tech>` chose inside the container (`/srv/bin/primary_tech`). Empty while the app is not running. */
  primary_tech: TechDto;
  /** The runtime's technologies, with the versions the container has. */
  techs: TechDto[];
  /** Each HTTPS name's certificate (empty for mode http). Until one is issued the name is served over HTTP. */
  certificates: CertificateStatusDto[];
}

import { ApiProperty } from '@nestjs/swagger';

export class MemoryStatusDto {
  /** MB in use now. */
  @ApiProperty({ type: 'number' })
  usage: number;
  /** MB the plan allows. */
  @ApiProperty({ type: 'integer' })
  limit: number;
}

export class StorageStatusDto {
  /** MB used under /srv (null when it could not be measured). */
  @ApiProperty({ type: 'number', nullable: true })
  usage: number | null;
  /** MB the plan allows. */
  @ApiProperty({ type: 'integer' })
  limit: number;
  over_limit: boolean;
}

export class TechDto {
  name: string;
  /** Version found in the running container; empty when it is not running. */
  version: string;
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
  storage: StorageStatusDto;
  primary_tech: TechDto;
  techs: TechDto[];
}

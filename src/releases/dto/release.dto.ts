import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, Min } from 'class-validator';
import { RELEASE_SOURCES, RELEASE_STATUSES, type ReleaseSource, type ReleaseStatus } from '../entities/release.entity.js';

/** `POST …/releases/` with JSON: record what /srv/app holds now (deployed over SSH) as a release. */
export class SnapshotReleaseDto {
  /** `srv`: the current /srv/app. (An archive is sent as the body itself, `Content-Type: application/gzip`.) */
  @ApiProperty({ enum: ['srv'] })
  @IsIn(['srv'])
  from: 'srv';
}

export class RollbackDto {
  /** No body is `{}`: roll back to the release before. */
  static readonly bodyOptional = true;

  /** The release whose files and config come back; default: the one active before the current one. */
  @ApiProperty({ type: 'integer', required: false })
  @IsOptional()
  @IsInt()
  @Min(1)
  version?: number;
}

/** A release just recorded: follow `operation_id` until it ends. */
export class ReleaseCreatedDto {
  @ApiProperty({ type: 'integer' })
  version: number;
  @ApiProperty({ enum: RELEASE_STATUSES })
  status: ReleaseStatus;
  @ApiProperty({ type: 'integer' })
  operation_id: number;
}

export class ReleaseDto {
  @ApiProperty({ type: 'integer' })
  version: number;
  @ApiProperty({ enum: RELEASE_STATUSES })
  status: ReleaseStatus;
  @ApiProperty({ enum: RELEASE_SOURCES })
  source: ReleaseSource;
  /** For a rollback: the release whose files (and config) it brought back. */
  @ApiProperty({ type: 'integer', nullable: true })
  rollback_of: number | null;
  /** The app's config version whose values it runs with (null until deployed). */
  @ApiProperty({ type: 'integer', nullable: true })
  config_version: number | null;
  /** Bytes its files unpack to. */
  @ApiProperty({ type: 'integer' })
  size: number;
  /** Bytes of its archive in the release store. */
  @ApiProperty({ type: 'integer' })
  archive_size: number;
  @ApiProperty({ type: 'integer', nullable: true })
  operation_id: number | null;
  /** Why it failed, or what became of it. */
  @ApiProperty({ type: 'string', nullable: true })
  message: string | null;
  @ApiProperty({ type: 'string', format: 'date-time' })
  created_at: string;
  /** The account that made it (null: an operator). */
  @ApiProperty({ type: 'integer', nullable: true })
  created_by: number | null;
  @ApiProperty({ type: 'string', format: 'date-time', nullable: true })
  finished_at: string | null;
}

/** One release with its deploy log: the steps taken and the release command's output. */
export class ReleaseDetailDto extends ReleaseDto {
  log: string;
}

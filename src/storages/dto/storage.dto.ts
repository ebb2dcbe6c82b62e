import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { STORAGE_TYPES, type StorageType } from '../engines/storage-engine.js';
import { STORAGE_STATUSES, type StorageStatus } from '../storage.entity.js';
import { IsStoragePassword } from './storage-password.validator.js';

export class StorageDto {
  @ApiProperty({ type: 'integer' })
  id: number;
  @ApiProperty({ enum: STORAGE_TYPES, enumName: 'StorageType' })
  type: StorageType;
  /** Database name. */
  name: string;
  /** User to log in as. */
  username: string;
  /** Host apps connect to (every app container resolves it, e.g. pgsql.berth.internal); from elsewhere, reach it through an SSH tunnel via one of the company's apps. */
  host: string;
  /** Port apps connect to on `host`. */
  @ApiProperty({ type: 'integer' })
  port: number;
  note: string;
  @ApiProperty({ enum: STORAGE_STATUSES, enumName: 'StorageStatus' })
  status: StorageStatus;
  /** The latest operation on this storage. */
  @ApiProperty({ type: 'integer', nullable: true })
  operation_id: number | null;
  date: Date;
}

export class CreateStorageDto {
  @ApiProperty({ enum: STORAGE_TYPES, enumName: 'StorageType' })
  @IsIn(STORAGE_TYPES, { message: `must be one of ${STORAGE_TYPES.join(', ')}` })
  type: StorageType;

  /**
   * The database user's password. 12 to 128 characters with three of lower case, upper case,
   * digits and other characters, or 20 characters or more. Berth never stores or returns it.
   */
  @IsStoragePassword()
  password: string;

  /** Free text for people, up to 255 characters. */
  @IsOptional()
  @IsString()
  @MaxLength(255)
  note?: string;
}

export class UpdateStorageDto {
  /** A new password (same policy as on create). */
  @IsOptional()
  @IsStoragePassword()
  password?: string;

  @IsOptional()
  @IsString()
  @MaxLength(255)
  note?: string;
}

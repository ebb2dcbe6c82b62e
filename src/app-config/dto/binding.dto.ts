import { ApiProperty } from '@nestjs/swagger';
import { IsBoolean, IsInt, IsOptional, IsString, Matches, Min } from 'class-validator';
import { STORAGE_TYPES, type StorageType } from '../../storages/engines/storage-engine.js';
import { BINDING_PREFIX } from '../binding-vars.js';

export class CreateBindingDto {
  /** One of the company's storages. */
  @ApiProperty({ type: 'integer' })
  @IsInt()
  @Min(1)
  storage_id: number;

  /** The variables' prefix: `DATABASE` (the default) makes `DATABASE_URL`, `DATABASE_HOST`, … */
  @IsOptional()
  @IsString()
  @Matches(BINDING_PREFIX, { message: 'must be upper-case letters, digits and _, starting with a letter, at most 64' })
  prefix?: string;

  /** The storage's current password (checked with the database server), or… */
  @IsOptional()
  @IsString()
  password?: string;

  /** …`true` to give the storage a new generated password, set on the server and kept only sealed. */
  @IsOptional()
  @IsBoolean()
  rotate?: boolean;
}

export class BindingDto {
  @ApiProperty({ type: 'integer' })
  storage_id: number;
  @ApiProperty({ enum: STORAGE_TYPES })
  type: StorageType;
  /** The storage's database name. */
  name: string;
  prefix: string;
  /** The variables the binding manages. */
  variables: string[];
  @ApiProperty({ type: 'string', format: 'date-time' })
  created_at: string;
}

export class BindingChangeDto extends BindingDto {
  /** The config version the binding made. */
  @ApiProperty({ type: 'integer' })
  version: number;
  /** The operation that applies it to the app. */
  @ApiProperty({ type: 'integer', nullable: true })
  operation_id: number | null;
  /** The storage's own operation, when `rotate` gave it a new password. */
  @ApiProperty({ type: 'integer', nullable: true })
  storage_operation_id: number | null;
}

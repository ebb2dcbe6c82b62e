import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { PageQueryDto } from '../../common/pagination/page-query.dto.js';
import { OPERATION_STATUSES, type OperationStatus, TARGET_TYPES, type TargetType } from '../operation.entity.js';

export class OperationDto {
  @ApiProperty({ type: 'integer' })
  id: number;
  /** What is done, e.g. "storage.create". */
  kind: string;
  @ApiProperty({ enum: TARGET_TYPES, enumName: 'OperationTargetType' })
  target_type: TargetType;
  @ApiProperty({ type: 'integer' })
  target_id: number;
  @ApiProperty({ enum: OPERATION_STATUSES, enumName: 'OperationStatus' })
  status: OperationStatus;
  /** What happened, or why it failed. */
  message: string;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}

export class ListOperationsQueryDto extends PageQueryDto {
  /** Only operations on this app. */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(2_147_483_647)
  app?: number;

  /** Only operations on this storage. */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(2_147_483_647)
  storage?: number;
}

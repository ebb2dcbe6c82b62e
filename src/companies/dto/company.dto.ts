import { Transform } from 'class-transformer';
import { IsString, Length } from 'class-validator';
import { COMPANY_ROLES, type CompanyRole } from '../entities/membership.entity.js';
import { ApiProperty } from '@nestjs/swagger';

export class CompanyDto {
  @ApiProperty({ type: 'integer' })
  id: number;
  name: string;
  /** The caller's role in this company. */
  @ApiProperty({ enum: COMPANY_ROLES, enumName: 'CompanyRole' })
  role: CompanyRole;
}

export class CreateCompanyDto {
  /** Display name; 1 to 100 characters. */
  @Transform(({ value }) => (typeof value === 'string' ? value.trim() : value))
  @IsString()
  @Length(1, 100)
  name: string;
}

import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsIn, IsString, Length, MaxLength } from 'class-validator';
import { COMPANY_ROLES, type CompanyRole } from '../entities/membership.entity.js';

export class MemberDto {
  @ApiProperty({ type: 'integer' })
  account_id: number;
  email: string;
  name: string;
  @ApiProperty({ enum: COMPANY_ROLES, enumName: 'CompanyRole' })
  role: CompanyRole;
  /** When the account joined the company. */
  created_at: Date;
}

export class ChangeRoleDto {
  @ApiProperty({ enum: COMPANY_ROLES, enumName: 'CompanyRole' })
  @IsIn(COMPANY_ROLES, { message: `must be one of ${COMPANY_ROLES.join(', ')}` })
  role: CompanyRole;
}

export class InvitationDto {
  @ApiProperty({ type: 'integer' })
  id: number;
  email: string;
  @ApiProperty({ enum: COMPANY_ROLES, enumName: 'CompanyRole' })
  role: CompanyRole;
  /** pending until accepted or expired. */
  @ApiProperty({ enum: ['pending', 'accepted', 'expired'] })
  status: 'pending' | 'accepted' | 'expired';
  created_at: Date;
  expires_at: Date;
  @ApiProperty({ type: 'string', format: 'date-time', nullable: true })
  accepted_at: Date | null;
}

export class CreatedInvitationDto extends InvitationDto {
  /** What the invited person gives `POST /api/v1/invitations/accept`. Shown in this answer only: pass it on yourself (nothing is mailed). */
  token: string;
}

export class CreateInvitationDto {
  /** The email of the account that may accept it (it may be created later). */
  @Transform(({ value }) => (typeof value === 'string' ? value.trim().toLowerCase() : value))
  @IsEmail({}, { message: 'must be an email address' })
  @MaxLength(254)
  email: string;

  @ApiProperty({ enum: COMPANY_ROLES, enumName: 'CompanyRole' })
  @IsIn(COMPANY_ROLES, { message: `must be one of ${COMPANY_ROLES.join(', ')}` })
  role: CompanyRole;
}

export class AcceptInvitationDto {
  /** The token the inviter passed on. */
  @Transform(({ value }) => (typeof value === 'string' ? value.trim() : value))
  @IsString()
  @Length(1, 100)
  token: string;
}

import { ApiProperty } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsDate, IsOptional, IsString, Length, MinDate } from 'class-validator';

export class TokenDto {
  @ApiProperty({ type: 'integer' })
  id: number;
  name: string;
  /** The prefix and last characters of the secret, to recognise it. */
  hint: string;
  created_at: Date;
  last_used_at: Date | null;
  expires_at: Date | null;
}

export class CreatedTokenDto extends TokenDto {
  /** The secret. Shown only in this answer; Berth keeps only its hash. */
  token: string;
}

export class CreateTokenDto {
  /** What the token is for, e.g. "ci" or "laptop". */
  @Transform(({ value }) => (typeof value === 'string' ? value.trim() : value))
  @IsString()
  @Length(1, 100)
  name: string;

  /** When the token stops working (ISO 8601); absent = never. */
  @IsOptional()
  @Type(() => Date)
  @IsDate({ message: 'must be an ISO 8601 date-time' })
  @MinDate(() => new Date(), { message: 'must be in the future' })
  expires_at?: Date;
}

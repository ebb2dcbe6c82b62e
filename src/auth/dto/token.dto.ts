import { ApiProperty } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { ArrayMaxSize, ArrayUnique, IsArray, IsDate, IsIn, IsInt, IsOptional, IsString, Length, Min, MinDate } from 'class-validator';
import { TOKEN_ACCESS, type TokenAccess } from '../entities/api-token.entity.js';

export class TokenDto {
  @ApiProperty({ type: 'integer' })
  id: number;
  name: string;
  /** The prefix and last characters of the secret, to recognise it. */
  hint: string;
  created_at: Date;
  last_used_at: Date | null;
  expires_at: Date | null;
  /** The companies the token reaches; null: every company of the account. */
  @ApiProperty({ type: 'integer', isArray: true, nullable: true })
  companies: number[] | null;
  /** read: GET requests only; write: whatever the account's roles allow. */
  @ApiProperty({ enum: TOKEN_ACCESS, enumName: 'TokenAccess' })
  access: TokenAccess;
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

  /** Company ids the token may reach (default: all of the account's, or all the creating token reaches). */
  @ApiProperty({ type: 'integer', isArray: true, required: false })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @ArrayUnique()
  @IsInt({ each: true })
  @Min(1, { each: true })
  companies?: number[];

  /** read: the token may only make GET requests. Default write. */
  @ApiProperty({ enum: TOKEN_ACCESS, enumName: 'TokenAccess', required: false })
  @IsOptional()
  @IsIn(TOKEN_ACCESS, { message: `must be one of ${TOKEN_ACCESS.join(', ')}` })
  access?: TokenAccess;
}

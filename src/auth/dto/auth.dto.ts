import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsOptional, IsString, Length, MaxLength } from 'class-validator';
import { CompanyDto } from '../../companies/dto/company.dto.js';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);
const lower = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim().toLowerCase() : value);

export class RegisterDto {
  /** Login name; compared without regard to case. */
  @Transform(lower)
  @IsEmail({}, { message: 'must be an email address' })
  @MaxLength(254)
  email: string;

  /** 10 to 1024 characters. */
  @IsString()
  @Length(10, 1024, { message: 'must be 10 to 1024 characters long' })
  password: string;

  /** Display name; defaults to the email address. The default company is named after it. */
  @IsOptional()
  @Transform(trim)
  @IsString()
  @Length(1, 100)
  name?: string;
}

export class LoginDto {
  @Transform(lower)
  @IsString()
  @MaxLength(254)
  email: string;

  @IsString()
  @MaxLength(1024)
  password: string;
}

export class AccountDto {
  @ApiProperty({ type: 'integer' })
  id: number;
  email: string;
  name: string;
  created_at: Date;
}

export class RegisterResponseDto {
  account: AccountDto;
  /** The account's default company, named after the account. */
  company: CompanyDto;
  /** An API token for the new account. Shown once. */
  token: string;
}

export class LoginResponseDto {
  /** A new API token. Shown once. */
  token: string;
}

import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsOptional, IsString, Length, MaxLength } from 'class-validator';
import { CompanyDto } from '../../companies/dto/company.dto.js';
import { ACCOUNT_PASSWORD_MAX, ACCOUNT_PASSWORD_MIN, IsAccountPassword } from './account-password.validator.js';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);
const lower = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim().toLowerCase() : value);

export class RegisterDto {
  /** Login name; compared without regard to case. */
  // Declared explicitly, like password below, only so the schema keeps its field order.
  @ApiProperty()
  @Transform(lower)
  @IsEmail({}, { message: 'must be an email address' })
  @MaxLength(254)
  email: string;

  /** 10 to 1024 characters. */
  // The rule counts code points; the schema's bounds say the same for clients.
  @ApiProperty({ minLength: ACCOUNT_PASSWORD_MIN, maxLength: ACCOUNT_PASSWORD_MAX })
  @IsAccountPassword()
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

/** Changes to the signed-in account: its name, or its password (with the current one). */
export class UpdateAccountDto {
  @IsOptional()
  @Transform(trim)
  @IsString()
  @Length(1, 100)
  name?: string;

  /** A new password, 10 to 1024 characters; every other token of the account stops working. */
  @ApiProperty({ minLength: ACCOUNT_PASSWORD_MIN, maxLength: ACCOUNT_PASSWORD_MAX, required: false })
  @IsOptional()
  @IsAccountPassword()
  password?: string;

  /** The password now in use; required with `password`. */
  @IsOptional()
  @IsString()
  @MaxLength(1024)
  current_password?: string;
}

import { ApiProperty, type ApiPropertyOptions, OmitType, PartialType } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Length, Matches, Max, MaxLength, Min, NotEquals, ValidateIf } from 'class-validator';
import { IgnoreFields } from '../../common/validation/ignore-fields.js';
import { APP_MODES, type AppMode } from '../entities/app.entity.js';
import { APP_NAME, APP_NAME_MAX, IsDomainList, IsSshKeyList, normalizeSshKeys, splitDomains } from './app-fields.js';

export const APP_ACTIONS = ['start', 'stop', 'restart', 'rebuild'] as const;
export type AppAction = (typeof APP_ACTIONS)[number];

// What reads return and writes ignore, so a client may send back the object it read.
const READ_ONLY = ['id', 'date', 'enabled', 'ssh_access', 'status', 'status_message', 'operation_id', 'ssh_password_set', 'default_domain', 'config_version', 'config_running_version'];
const SMTP_FIELDS = /^smtp_/;
const PORT_RULE = 'must be between 1024 and 65535 and not 8000';
// An empty password is what reads would hold: sending it back changes nothing.
const emptyIsAbsent = ({ value }: { value: unknown }) => (value === '' ? undefined : value);

const DOMAINS_SCHEMA: ApiPropertyOptions = {
  oneOf: [{ type: 'array', items: { type: 'string' } }, { type: 'string' }],
  description: 'Host names as an array, or one string of names separated by spaces. Empty: a default domain is assigned.',
  example: ['shop.example.com', 'www.shop.example.com'],
  required: false,
};

@IgnoreFields(READ_ONLY, SMTP_FIELDS)
export class CreateAppDto {
  /** Letters, digits, dashes, underscores and dots; unique in the company whatever the case; cannot change later. The default domain spells it in lower case, with dashes for `_` and `.`. */
  @IsString()
  @Length(1, APP_NAME_MAX)
  @Matches(APP_NAME, { message: 'must be letters, digits, dashes, underscores and dots, starting and ending with a letter or digit' })
  name: string;

  /** A runtime tag from `GET /{company_id}/runtimes/`. */
  @IsString()
  @MaxLength(200)
  image: string;

  /** A plan id from `GET /{company_id}/plans/`. */
  @ApiProperty({ type: 'integer' })
  @IsInt()
  @Min(1)
  @Max(2_147_483_647)
  plan: number;

  @ApiProperty(DOMAINS_SCHEMA)
  @IsOptional()
  @Transform(splitDomains)
  @IsDomainList()
  domains?: string[];

  @ApiProperty({ enum: APP_MODES, enumName: 'AppMode', required: false, default: 'http' })
  @IsOptional()
  @IsIn(APP_MODES, { message: `must be one of ${APP_MODES.join(', ')}` })
  mode?: AppMode;

  /** Port the app listens on inside the container: 1024-65535 except 8000; 8080 by default. */
  @ApiProperty({ type: 'integer', required: false, default: 8080 })
  @IsOptional()
  @IsInt({ message: PORT_RULE })
  @Min(1024, { message: PORT_RULE })
  @Max(65535, { message: PORT_RULE })
  @NotEquals(8000, { message: PORT_RULE })
  app_port?: number;

  /** OpenSSH public keys allowed to log in over SSH. */
  @IsOptional()
  @Transform(normalizeSshKeys)
  @IsSshKeyList()
  ssh_keys?: string[];

  /** Password for SSH logins (10 to 1024 characters); write-only. */
  @IsOptional()
  @Transform(emptyIsAbsent)
  @IsString()
  @Length(10, 1024, { message: 'must be 10 to 1024 characters long' })
  ssh_password?: string;
}

/** Any subset of the app's fields; `name` may be sent only unchanged. */
@IgnoreFields(READ_ONLY, SMTP_FIELDS)
export class UpdateAppDto extends PartialType(OmitType(CreateAppDto, ['name', 'ssh_password'] as const)) {
  /** The app's current name (it cannot change). */
  @IsOptional()
  @IsString()
  name?: string;

  /** A new SSH password; `null` switches password login off; empty or absent leaves it as it is. */
  @ApiProperty({ type: 'string', nullable: true, required: false })
  @Transform(emptyIsAbsent)
  @ValidateIf((_, value) => value !== undefined && value !== null)
  @IsString()
  @Length(10, 1024, { message: 'must be 10 to 1024 characters long' })
  ssh_password?: string | null;
}

export class AppActionDto {
  @ApiProperty({ enum: APP_ACTIONS, enumName: 'AppAction' })
  @IsIn(APP_ACTIONS, { message: `must be one of ${APP_ACTIONS.join(', ')}` })
  action: AppAction;
}

import { ApiProperty } from '@nestjs/swagger';
import { IsObject, IsOptional } from 'class-validator';

/** What a secret's value reads as, everywhere. */
export const REDACTED = '[REDACTED]';

export class AppConfigDto {
  /** The latest version stored (0: never changed). */
  @ApiProperty({ type: 'integer' })
  version: number;
  /** The version the app's container runs (below `version` while a change stored with `restart=false` waits for a restart). */
  @ApiProperty({ type: 'integer' })
  running_version: number;
  /** Every variable by name; a secret's value reads `[REDACTED]`. */
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' }, example: { NODE_ENV: 'production', API_KEY: REDACTED } })
  vars: Record<string, string>;
  /** The names of the variables that are secrets. */
  secrets: string[];
  /** Variables managed by storage bindings, to the storage id managing each: the config API does not change them. */
  @ApiProperty({ type: 'object', additionalProperties: { type: 'integer' }, example: { DATABASE_URL: 12 } })
  managed: Record<string, number>;
  /** When the latest version was made; null before any. */
  @ApiProperty({ type: 'string', format: 'date-time', nullable: true })
  updated_at: string | null;
}

export class SetConfigVarsDto {
  /**
   * Names (POSIX shell names: letters, digits and `_`, not starting with a digit) to a string
   * to set, or null to remove. Names Berth or the runtime set (`PORT`, `HOME`, `PATH`, `LANG`,
   * `BERTH_*`, …) are refused by name.
   */
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string', nullable: true }, example: { NODE_ENV: 'production', OLD_FLAG: null } })
  @IsObject({ message: 'must be an object of names to a string or null' })
  vars: Record<string, unknown>;
}

export class SetSecretDto {
  /** The secret's value: stored encrypted, never shown again. */
  @ApiProperty({ type: 'string' })
  @IsOptional()
  value: unknown;
}

export class ConfigChangeDto {
  /** The version the change made (the current one when it changed nothing). */
  @ApiProperty({ type: 'integer' })
  version: number;
  /** The operation that applies it; null when it was only stored (`restart=false`). */
  @ApiProperty({ type: 'integer', nullable: true })
  operation_id: number | null;
}

export class ConfigChangeEntryDto {
  name: string;
  @ApiProperty({ enum: ['set', 'unset'] })
  change: 'set' | 'unset';
  /** Whether the variable was a secret (its value is never part of the history). */
  secret: boolean;
}

export class ConfigVersionDto {
  @ApiProperty({ type: 'integer' })
  version: number;
  /** What the version changed: names, never values. */
  @ApiProperty({ type: [ConfigChangeEntryDto] })
  changes: ConfigChangeEntryDto[];
  @ApiProperty({ type: 'string', format: 'date-time' })
  created_at: string;
  /** The account that made it; null for an operator command. */
  @ApiProperty({ type: 'integer', nullable: true })
  created_by: number | null;
}

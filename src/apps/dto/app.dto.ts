import { ApiProperty } from '@nestjs/swagger';
import { APP_MODES, APP_STATUSES, type AppMode, type AppStatus } from '../entities/app.entity.js';

/** Where and as whom to log in over SSH (shell, rsync, scp, sftp). */
export class SshAccessDto {
  hostname: string;
  @ApiProperty({ type: 'integer' })
  port: number;
  username: string;
}

export class AppDto {
  @ApiProperty({ type: 'integer' })
  id: number;
  /** When the app was created. */
  date: Date;
  name: string;
  /** Whether the app should run (start) or not (stop). */
  enabled: boolean;
  /** The runtime image tag the app runs on. */
  image: string;
  /** Host names the app answers to; a default one when it was given none. */
  domains: string[];
  /** `{name}-{id}.<apps domain>`: the app answers to it whatever its `domains`, so replacing them never leaves it without a working address. */
  default_domain: string;
  @ApiProperty({ enum: APP_MODES, enumName: 'AppMode' })
  mode: AppMode;
  /** Plan id. */
  @ApiProperty({ type: 'integer' })
  plan: number;
  /** Port the app listens on inside its container. */
  @ApiProperty({ type: 'integer' })
  app_port: number;
  ssh_access: SshAccessDto[];
  ssh_keys: string[];
  /** Whether password login over SSH is on (the password itself is never returned). */
  ssh_password_set: boolean;
  @ApiProperty({ enum: APP_STATUSES, enumName: 'AppStatus' })
  status: AppStatus;
  /** Why the status is what it is. */
  status_message: string;
  /** The latest operation on this app. */
  @ApiProperty({ type: 'integer', nullable: true })
  operation_id: number | null;
  /** The latest config version stored (0: none); see `/apps/{id}/config/`. */
  @ApiProperty({ type: 'integer' })
  config_version: number;
  /** The config version the app's container runs; below `config_version` until a stored change is applied. */
  @ApiProperty({ type: 'integer' })
  config_running_version: number;
}

import { Module } from '@nestjs/common';
import { SshHostKeysController } from './ssh-host-keys.controller.js';
import { SshHostKeys } from './ssh-host-keys.service.js';

/** What the API tells about the SSH gateway: its host key. */
@Module({ controllers: [SshHostKeysController], providers: [SshHostKeys] })
export class SshApiModule {}

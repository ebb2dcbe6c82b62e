import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Authenticated } from '../common/access/access.decorator.js';
import { SshHostKeyDto } from './ssh-host-key.dto.js';
import { fingerprint, SshHostKeys } from './ssh-host-keys.service.js';

@ApiTags('ssh')
@Authenticated()
@Controller('ssh-host-keys')
export class SshHostKeysController {
  constructor(private readonly hostKeys: SshHostKeys) {}

  /** The SSH gateway's host keys: compare the fingerprint with what your client shows on first connect. */
  @Get()
  async listSshHostKeys(): Promise<SshHostKeyDto[]> {
    const key = await this.hostKeys.ensure();
    return [{ algorithm: key.algorithm, public_key: key.publicKey, fingerprint: fingerprint(key.publicKey) }];
  }
}

import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash } from 'node:crypto';
import ssh2 from 'ssh2';
import { DataSource } from 'typeorm';
import { SshHostKey } from './ssh-host-key.entity.js';

export const HOST_KEY_ALGORITHM = 'ssh-ed25519';

/** `SHA256:...` as `ssh-keygen -lf` and OpenSSH's prompts print it. */
export function fingerprint(publicKey: string): string {
  const blob = Buffer.from(publicKey.split(' ')[1], 'base64');
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** The gateway's persistent ed25519 host key. */
@Injectable()
export class SshHostKeys {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** The host key, made on first use; every process (gateway or API) agrees on the first one stored. */
  async ensure(): Promise<SshHostKey> {
    const repo = this.db.getRepository(SshHostKey);
    const existing = await repo.findOneBy({ algorithm: HOST_KEY_ALGORITHM });
    if (existing) return existing;
    const pair = ssh2.utils.generateKeyPairSync('ed25519', { comment: 'berth gateway' });
    await repo
      .createQueryBuilder()
      .insert()
      .values({ algorithm: HOST_KEY_ALGORITHM, privateKey: pair.private, publicKey: pair.public.trim() })
      .orIgnore()
      .execute();
    return repo.findOneByOrFail({ algorithm: HOST_KEY_ALGORITHM });
  }
}

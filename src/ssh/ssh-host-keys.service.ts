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

/** Whether ssh2 can read both halves of the key: a gateway cannot listen with one it cannot. */
function usableHostKey(key: { privateKey: string; publicKey: string }): boolean {
  return !(ssh2.utils.parseKey(key.privateKey) instanceof Error) && !(ssh2.utils.parseKey(key.publicKey) instanceof Error);
}

/**
 * A new ed25519 pair that ssh2 reads back. Its generator drops the leading zero bytes of the public
 * key, so about one pair in 256 comes out malformed (mscdex/ssh2#1390, #1513): such a pair is made
 * again (twenty misses in a row would be a broken generator, not chance).
 */
function generateHostKey(): { private: string; public: string } {
  for (let attempt = 0; attempt < 20; attempt++) {
    const pair = ssh2.utils.generateKeyPairSync('ed25519', { comment: 'berth gateway' });
    if (usableHostKey({ privateKey: pair.private, publicKey: pair.public })) return pair;
  }
  throw new Error('ssh2 made no readable ed25519 host key in 20 attempts');
}

/** The gateway's persistent ed25519 host key. */
@Injectable()
export class SshHostKeys {
  /** The stored pair this process already found readable: parsing it costs more than the read. */
  private checked: string | null = null;

  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** The host key, made on first use; every process (gateway or API) agrees on the first one stored. */
  async ensure(): Promise<SshHostKey> {
    const repo = this.db.getRepository(SshHostKey);
    const existing = await repo.findOneBy({ algorithm: HOST_KEY_ALGORITHM });
    if (existing && this.usable(existing)) return existing;
    // A malformed key stored by an earlier Berth: no gateway could ever listen with it, so no
    // client knows it. Replaced once by whichever process comes first (the others find the new one).
    if (existing) await repo.delete({ id: existing.id, privateKey: existing.privateKey });
    const pair = generateHostKey();
    await repo
      .createQueryBuilder()
      .insert()
      .values({ algorithm: HOST_KEY_ALGORITHM, privateKey: pair.private, publicKey: pair.public.trim() })
      .orIgnore()
      .execute();
    return repo.findOneByOrFail({ algorithm: HOST_KEY_ALGORITHM });
  }

  private usable(key: SshHostKey): boolean {
    const pair = `${key.privateKey}\n${key.publicKey}`;
    if (pair === this.checked) return true;
    if (!usableHostKey(key)) return false;
    this.checked = pair;
    return true;
  }
}

import { createCipheriv, createDecipheriv, hash, randomBytes } from 'node:crypto';
import { DomainError } from '../common/errors/domain-error.js';
import type { BerthConfig } from '../config/config.js';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** Which key sealed a value: a short fingerprint, so rotation knows what to re-seal. */
function keyId(key: Buffer): string {
  return hash('sha256', key, 'hex').slice(0, 8);
}

export class SecretKeyMissingError extends Error {}

/**
 * Seals secrets with AES-256-GCM under SECRETS_KEY. A sealed value reads
 * `v1.<key id>.<iv>.<ciphertext and tag>` (base64url), and is bound to where it belongs
 * (`context`, e.g. the app and variable name): moved to another row, it does not open.
 * During a rotation, values sealed with SECRETS_KEY_PREVIOUS still open.
 */
export class SecretBox {
  private readonly current: { id: string; key: Buffer } | null;
  private readonly keys = new Map<string, Buffer>();

  constructor(config: BerthConfig['appConfig']) {
    const key = config.secretsKey?.reveal() ?? null;
    this.current = key ? { id: keyId(key), key } : null;
    for (const k of [config.secretsPreviousKey?.reveal(), key]) if (k) this.keys.set(keyId(k), k);
  }

  get enabled(): boolean {
    return this.current !== null;
  }

  /** 503 for a secret that cannot be sealed here: the operator has not set a key. */
  assertEnabled(): void {
    if (!this.current) throw new DomainError('unavailable', 'secrets are not enabled on this installation: its operator must set SECRETS_KEY');
  }

  seal(plain: string, context: string): string {
    if (!this.current) throw new SecretKeyMissingError('SECRETS_KEY is not set');
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.current.key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return [VERSION, this.current.id, iv.toString('base64url'), body.toString('base64url')].join('.');
  }

  open(sealed: string, context: string): string {
    const [version, id, iv, body] = sealed.split('.');
    const key = this.keys.get(id);
    if (version !== VERSION || !key) throw new SecretKeyMissingError(`a secret is sealed with key ${id}, which is neither SECRETS_KEY nor SECRETS_KEY_PREVIOUS`);
    const data = Buffer.from(body, 'base64url');
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'), { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
    return Buffer.concat([decipher.update(data.subarray(0, data.length - TAG_BYTES)), decipher.final()]).toString('utf8');
  }

  /** Whether a sealed value is sealed with the current key (rotation re-seals the others). */
  isCurrent(sealed: string): boolean {
    return this.current !== null && sealed.split('.')[1] === this.current.id;
  }
}

/** What binds a variable's sealed value to its place. */
export function secretContext(appId: number, name: string): string {
  return `berth:app-config:${appId}:${name}`;
}

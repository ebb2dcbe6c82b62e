import { DataSource } from 'typeorm';
import type { AuthContext, ParsedKey, PasswordAuthContext, PublicKeyAuthContext } from 'ssh2';
import { timingSafeEqual } from 'node:crypto';
import { verifyPassword } from '../auth/password.js';
import { parseKeyLine } from '../apps/dto/app-fields.js';
import { App } from '../apps/entities/app.entity.js';

/**
 * What a connection to one app's endpoint may do: read once per connection, at its first
 * attempt that needs it, so repeated attempts cost no query; key changes apply to the
 * next connection.
 */
export interface AppAccess {
  id: number;
  companyId: number;
  enabled: boolean;
  deleting: boolean;
  sshKeys: string[];
  sshPasswordHash: string | null;
}

const ACCESS = { id: true, companyId: true, enabled: true, deleting: true, sshKeys: true, sshPasswordHash: true } as const;

export async function loadAccess(db: DataSource, appId: number): Promise<AppAccess | null> {
  return db.getRepository(App).findOne({ select: ACCESS, where: { id: appId } });
}

export type AuthOutcome = 'accepted' | 'key-ok' | 'rejected' | 'unsupported';

// Apps log in as app, Rosti's user; everything else is refused like a wrong key.
export const SSH_USER = 'app';

/**
 * The signature algorithms decide() accepts for the key types apps may have,
 * announced to clients as server-sig-algs: RSA with SHA-2 only, never ssh-rsa (SHA-1).
 */
export const SIGNATURE_ALGORITHMS = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256'] as const;

function parsedKeys(keys: string[]): ParsedKey[] {
  return keys.flatMap((line) => parseKeyLine(line) ?? []);
}

function sameBlob(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Decides one authentication attempt against the app's keys and password.
 * A public key offered without a signature only asks whether it would do
 * (`key-ok`); RSA signatures must use SHA-2 (no `ssh-rsa` SHA-1).
 */
export async function decide(ctx: AuthContext, access: AppAccess | null): Promise<AuthOutcome> {
  if (ctx.method !== 'publickey' && ctx.method !== 'password') return 'unsupported';
  if (!access || access.deleting || ctx.username !== SSH_USER) return 'rejected';
  if (ctx.method === 'password') {
    const { password } = ctx as PasswordAuthContext;
    return access.sshPasswordHash && (await verifyPassword(access.sshPasswordHash, password)) ? 'accepted' : 'rejected';
  }
  const pk = ctx as PublicKeyAuthContext;
  const key = parsedKeys(access.sshKeys).find((k) => sameBlob(k.getPublicSSH(), pk.key.data));
  if (!key) return 'rejected';
  if (key.type === 'ssh-rsa' && pk.hashAlgo !== 'sha256' && pk.hashAlgo !== 'sha512') return 'rejected';
  if (!pk.signature) return 'key-ok';
  return key.verify(pk.blob!, pk.signature, pk.hashAlgo) === true ? 'accepted' : 'rejected';
}

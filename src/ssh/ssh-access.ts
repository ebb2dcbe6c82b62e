import { DataSource, In } from 'typeorm';
import type { AuthContext, ParsedKey, PasswordAuthContext, PublicKeyAuthContext } from 'ssh2';
import { timingSafeEqual } from 'node:crypto';
import { verifyPassword } from '../auth/password.js';
import { parseKeyLine } from '../apps/dto/app-fields.js';
import { App } from '../apps/entities/app.entity.js';

/**
 * What a connection to one app's endpoint may do: read once per connection, at its first
 * attempt that needs it; key changes apply to the next connection, and the gateway's
 * sync closes live ones whose credential was taken away (revocation()).
 */
export interface AppAccess {
  id: number;
  companyId: number;
  enabled: boolean;
  deleting: boolean;
  sshKeys: string[];
  sshPasswordHash: string | null;
}

/** What a connection logged in with, kept to check it again when the app's access changes. */
export type Credential = { method: 'publickey'; key: Buffer } | { method: 'password'; hash: string };

const ACCESS = { id: true, companyId: true, enabled: true, deleting: true, sshKeys: true, sshPasswordHash: true } as const;

export async function loadAccess(db: DataSource, appId: number): Promise<AppAccess | null> {
  return db.getRepository(App).findOne({ select: ACCESS, where: { id: appId } });
}

/** The access of several apps in one query; apps that are gone are missing. */
export async function loadAccesses(db: DataSource, appIds: number[]): Promise<AppAccess[]> {
  return db.getRepository(App).find({ select: ACCESS, where: { id: In(appIds) } });
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

/** What a connection logged in with, and the app's access as it was then. */
export interface Login {
  access: AppAccess;
  credential: Credential;
}

/** The login of an attempt decide() accepted. */
export function loginOf(ctx: AuthContext, access: AppAccess): Login {
  const credential: Credential =
    ctx.method === 'publickey' ? { method: 'publickey', key: (ctx as PublicKeyAuthContext).key.data } : { method: 'password', hash: access.sshPasswordHash! };
  return { access, credential };
}

/**
 * Why a connection may no longer stay, given the app's access `now`, or null if it may:
 * the app is gone or being deleted, it was stopped after the login, or the key or
 * password used was removed or changed (a new hash, even of the same password, counts).
 */
export function revocation(now: AppAccess | null, login: Login): string | null {
  if (!now || now.deleting) return 'the app was deleted';
  // A connection made while the app was stopped can only be told so (sessions and tunnels
  // refuse); one made before the stop must go.
  if (login.access.enabled && !now.enabled) return 'the app was stopped';
  const { credential } = login;
  if (credential.method === 'password') return now.sshPasswordHash === credential.hash ? null : 'the app\'s password was changed or removed';
  return parsedKeys(now.sshKeys).some((k) => sameBlob(k.getPublicSSH(), credential.key)) ? null : 'its key was removed from the app';
}

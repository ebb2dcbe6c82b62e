import { createHash, randomBytes } from 'node:crypto';

// A recognisable prefix lets secret scanners (and people) tell a Berth token at a glance.
export const TOKEN_PREFIX = 'berth_';
const TOKEN_SHAPE = /^berth_[A-Za-z0-9_-]{43}$/;

/** 256 bits of randomness behind the prefix. */
export function newTokenSecret(): string {
  return TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

export function isTokenShaped(secret: string): boolean {
  return TOKEN_SHAPE.test(secret);
}

export function hashToken(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** What a token list shows: the prefix and last four characters. */
export function tokenHint(secret: string): string {
  return `${TOKEN_PREFIX}…${secret.slice(-4)}`;
}

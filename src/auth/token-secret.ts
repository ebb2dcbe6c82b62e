import { hash } from 'node:crypto';
import { randomBase62 } from '../common/random-text.js';

// A recognisable prefix lets secret scanners (and people) tell a Berth token at a glance.
export const TOKEN_PREFIX = 'berth';
// Rosti's client saves only tokens of exactly 40 letters and digits: the prefix and 35 base62
// characters, 208 bits of randomness.
const RANDOM_LENGTH = 35;
const TOKEN_SHAPE = /^berth[A-Za-z0-9]{35}$/;
// Tokens issued before (`berth_` and 43 base64url characters) keep working until revoked.
const OLD_TOKEN_SHAPE = /^berth_[A-Za-z0-9_-]{43}$/;

/** `berth` and 35 characters drawn uniformly from [A-Za-z0-9]. */
export function newTokenSecret(): string {
  return TOKEN_PREFIX + randomBase62(RANDOM_LENGTH);
}

export function isTokenShaped(secret: string): boolean {
  return TOKEN_SHAPE.test(secret) || OLD_TOKEN_SHAPE.test(secret);
}

// One-shot hash: no Hash object per call, and it runs on every authenticated request.
export function hashToken(secret: string): string {
  return hash('sha256', secret, 'hex');
}

/** What a token list shows: the prefix and last four characters. */
export function tokenHint(secret: string): string {
  return `${TOKEN_PREFIX}…${secret.slice(-4)}`;
}

import argon2 from 'argon2';
import { DomainError } from '../common/errors/domain-error.js';
import { GateFullError, WorkGate } from './work-gate.js';

// argon2id with the library's defaults (64 MiB, 3 passes): the OWASP baseline.
const OPTIONS = { type: argon2.argon2id } as const;

// Each argon2 run keeps a core busy for a good part of a second, holds 64 MiB and occupies one
// of the 4 threads of libuv's pool (which file and DNS work share), so every process bounds how
// many run at once and how many may wait; the excess is refused at once (503, Retry-After)
// instead of queueing behind a burst. Checks (logins, SSH passwords) and hashes (sign-ups, new
// SSH passwords) have gates of their own, so a burst of sign-ups cannot make logins wait, and
// the two together leave a pool thread free.
const checks = new WorkGate('password checks', 2, 8);
const hashes = new WorkGate('password hashing', 1, 4);
const RETRY_AFTER_S = 1;

async function gated<T>(gate: WorkGate, task: () => Promise<T>): Promise<T> {
  try {
    return await gate.run(task);
  } catch (err) {
    if (!(err instanceof GateFullError)) throw err;
    throw new DomainError('unavailable', `too many passwords being checked at once; try again in ${RETRY_AFTER_S} s`, {}, {
      'retry-after': String(RETRY_AFTER_S),
    });
  }
}

/** Hashes a new password; throws 503 `unavailable` when this process is already hashing all it may. */
export function hashPassword(password: string): Promise<string> {
  return gated(hashes, () => argon2.hash(password, OPTIONS));
}

/** Checks a password against its hash; throws 503 `unavailable` (never a false "wrong") when too busy. */
export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  return gated(checks, async () => {
    try {
      return await argon2.verify(hash, password);
    } catch {
      return false;
    }
  });
}

let dummy: Promise<string> | undefined;
/** Spends the time a real check would, so a login for an unknown email is not faster. */
export async function burnPasswordCheck(password: string): Promise<void> {
  // Made once per process, outside the hashing gate: a full gate must not turn into an answer
  // that only unknown emails get.
  dummy ??= argon2.hash('berth-dummy-password-for-timing', OPTIONS);
  await verifyPassword(await dummy, password);
}

import argon2 from 'argon2';

// argon2id with the library's defaults (64 MiB, 3 passes): the OWASP baseline.
const OPTIONS = { type: argon2.argon2id } as const;

export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, OPTIONS);
}

export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  try {
    return await argon2.verify(hash, password);
  } catch {
    return false;
  }
}

let dummy: Promise<string> | undefined;
/** Spends the time a real check would, so a login for an unknown email is not faster. */
export async function burnPasswordCheck(password: string): Promise<void> {
  dummy ??= hashPassword('berth-dummy-password-for-timing');
  await verifyPassword(await dummy, password);
}

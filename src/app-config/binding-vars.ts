import type { StorageType } from '../storages/engines/storage-engine.js';

/** The variables a binding manages, by suffix: `<PREFIX>_URL` and the parts it is made of. */
export const BINDING_SUFFIXES = ['URL', 'HOST', 'PORT', 'NAME', 'USER', 'PASSWORD'] as const;

/** A binding's prefix: upper-case, as environment variables are by convention. */
export const BINDING_PREFIX = /^[A-Z][A-Z0-9_]{0,63}$/;

export const DEFAULT_PREFIX = 'DATABASE';

export function bindingNames(prefix: string): string[] {
  return BINDING_SUFFIXES.map((suffix) => `${prefix}_${suffix}`);
}

const SCHEMES: Record<StorageType, string> = { pgsql: 'postgresql', mariadb: 'mysql' };

export interface BoundStorage {
  type: StorageType;
  name: string;
  username: string;
}

/** The managed variables of one binding: what an app connects with, by the app-facing address. */
export function bindingVars(prefix: string, storage: BoundStorage, at: { host: string; port: number }, password: string): Record<string, string> {
  const user = encodeURIComponent(storage.username);
  return {
    [`${prefix}_URL`]: `${SCHEMES[storage.type]}://${user}:${encodeURIComponent(password)}@${at.host}:${at.port}/${storage.name}`,
    [`${prefix}_HOST`]: at.host,
    [`${prefix}_PORT`]: String(at.port),
    [`${prefix}_NAME`]: storage.name,
    [`${prefix}_USER`]: storage.username,
    [`${prefix}_PASSWORD`]: password,
  };
}

/** What binds a storage's sealed password to its storage. */
export function storagePasswordContext(storageId: number): string {
  return `berth:storage-password:${storageId}`;
}

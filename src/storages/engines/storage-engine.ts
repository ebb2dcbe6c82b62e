/** The database servers Berth creates storages on. */
export const STORAGE_TYPES = ['mariadb', 'pgsql'] as const;
export type StorageType = (typeof STORAGE_TYPES)[number];

/** Injection token for the engines, one per type: `Map<StorageType, StorageEngine>`. */
export const STORAGE_ENGINES = Symbol('StorageEngines');

/** Generated names: lower-case letters, digits and underscores, starting with a letter, at most 32 characters. */
export const SAFE_IDENTIFIER = /^[a-z][a-z0-9_]{0,31}$/;

/**
 * One database server of one engine. Berth never holds a storage's password:
 * the API turns it into the engine's own verifier (what the server itself
 * stores) and only that travels to the worker and the server.
 * Every operation is idempotent, so a retried job converges.
 */
export interface StorageEngine {
  readonly type: StorageType;
  /** Host that apps and people connect to (configurable; defaults to the server's own address). */
  readonly publicHost: string;
  readonly publicPort: number;

  /** The verifier the server would store for `password` (MariaDB: mysql_native_password hash; PostgreSQL: SCRAM-SHA-256). Pure, no I/O. */
  passwordVerifier(password: string): string;

  /** Database `name` and user `username` exist, the user's password is `verifier`, and the user reaches its own database only. */
  ensure(name: string, username: string, verifier: string): Promise<void>;

  /** Sets the existing user's password to `verifier`; throws StorageMissingError when the user does not exist. */
  setPassword(username: string, verifier: string): Promise<void>;

  /** Drops the database and the user; succeeds when they are already gone. */
  drop(name: string, username: string): Promise<void>;

  /** What exists on the server, for reconciliation and tests. */
  observe(name: string, username: string): Promise<{ database: boolean; user: boolean }>;

  /** Releases connections. */
  close(): Promise<void>;
}

/** The user or database a change needs is not on the server. */
export class StorageMissingError extends Error {}

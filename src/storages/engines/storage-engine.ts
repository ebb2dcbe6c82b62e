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
/** Where apps reach a server: the name reads give, its port, and what the name resolves to in app containers (null: DNS). */
export interface AppFacingAddress {
  host: string;
  port: number;
  address: string | null;
}

export interface StorageEngine {
  readonly type: StorageType;
  /** What storage reads give and apps connect to (pgsql.berth.internal:5432, configurable). */
  readonly appFacing: AppFacingAddress;

  /** The verifier the server would store for `password` (MariaDB: mysql_native_password hash; PostgreSQL: SCRAM-SHA-256). Pure, no I/O. */
  passwordVerifier(password: string): string;

  /** Database `name` and user `username` exist, the user's password is `verifier`, the user reaches its own database only and holds at most the configured number of connections. */
  ensure(name: string, username: string, verifier: string): Promise<void>;

  /** Brings the existing users among `usernames` to the configured connection limit; returns how many it changed. */
  conform(usernames: string[]): Promise<number>;

  /** Sets the existing user's password to `verifier`; throws StorageMissingError when the user does not exist. */
  setPassword(username: string, verifier: string): Promise<void>;

  /** Whether `password` is the user's current password, checked against the verifier the server stores (no login attempt). */
  checkPassword(username: string, password: string): Promise<boolean>;

  /** Drops the database and the user; succeeds when they are already gone. */
  drop(name: string, username: string): Promise<void>;

  /** What exists on the server, for reconciliation and tests. */
  observe(name: string, username: string): Promise<{ database: boolean; user: boolean }>;

  /** Releases connections. */
  close(): Promise<void>;
}

/** The user or database a change needs is not on the server. */
export class StorageMissingError extends Error {}

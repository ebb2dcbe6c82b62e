// The only place that reads process.env. Everything else receives a BerthConfig.
import { readFileSync } from 'node:fs';

export const ROLES = ['api', 'worker', 'ssh', 'edge'] as const;
export type Role = (typeof ROLES)[number];

/** A value that must never reach a log line; `toJSON`/inspection print a mask. */
export class Secret<T = string> {
  readonly #value: T;
  constructor(value: T) {
    this.#value = value;
  }
  reveal(): T {
    return this.#value;
  }
  toJSON(): string {
    return '[secret]';
  }
  toString(): string {
    return '[secret]';
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return '[secret]';
  }
}

export interface BerthConfig {
  version: string;
  roles: Role[];
  host: string;
  port: number;
  databaseUrl: Secret;
  databasePoolSize: number;
  redisUrl: Secret;
  migrationsRun: boolean;
  registrationEnabled: boolean;
  bodyLimitBytes: number;
  logLevel: string;
  /** How long a verified token or membership may be trusted without asking PostgreSQL. */
  authCacheTtlMs: number;
  trustProxy: boolean;
  /** Failed logins allowed per client address in 15 minutes; 0 switches the limit off. */
  loginFailuresPerIp: number;
  /** Registrations allowed per client address in an hour; 0 switches the limit off. */
  registrationsPerIp: number;
  storages: {
    mariadb: StorageServerConfig;
    pgsql: StorageServerConfig;
    /** Most storages one company may have. */
    perCompany: number;
  };
  jobs: {
    /** Prefix of the queues' keys in Redis: installations sharing one Redis need different ones. */
    queuePrefix: string;
    /** Tries of a background job before its operation ends in error. */
    attempts: number;
    /** First retry delay; each further retry waits twice as long. */
    backoffMs: number;
    /** How often the worker's sweep looks for work that was lost. */
    sweepIntervalMs: number;
  };
}

export interface StorageServerConfig {
  /** Admin connection Berth creates databases and users through. */
  adminUrl: Secret;
  /** Where apps and people connect; defaults to the admin URL's host and port. */
  publicHost: string;
  publicPort: number;
}

export class ConfigError extends Error {
  constructor(public readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
}

type Env = Record<string, string | undefined>;

/** Reads and validates the environment once; collects every problem before failing. */
export function loadConfig(env: Env = process.env): BerthConfig {
  const problems: string[] = [];
  const read = new Reader(env, problems);
  const config: BerthConfig = {
    version: packageVersion(),
    roles: read.roles('BERTH_ROLES', 'all'),
    host: read.string('HOST', '0.0.0.0'),
    port: read.int('PORT', 3000, 0, 65535),
    databaseUrl: new Secret(read.url('DATABASE_URL', 'postgres://postgres@127.0.0.1:5432/berth', ['postgres:', 'postgresql:'])),
    databasePoolSize: read.int('DATABASE_POOL_SIZE', 16, 1, 500),
    redisUrl: new Secret(read.url('REDIS_URL', 'redis://127.0.0.1:6379', ['redis:', 'rediss:'])),
    migrationsRun: read.bool('MIGRATIONS_RUN', true),
    registrationEnabled: read.bool('REGISTRATION_ENABLED', true),
    bodyLimitBytes: read.size('BODY_LIMIT', '1mb'),
    logLevel: read.oneOf('LOG_LEVEL', 'info', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
    authCacheTtlMs: read.int('AUTH_CACHE_TTL_MS', 1000, 0, 1000),
    trustProxy: read.bool('TRUST_PROXY', false),
    loginFailuresPerIp: read.int('LOGIN_FAILURES_PER_IP', 30, 0, 1_000_000),
    registrationsPerIp: read.int('REGISTRATIONS_PER_IP', 20, 0, 1_000_000),
    storages: {
      mariadb: read.storageServer('STORAGE_MARIADB', 'mysql://root@127.0.0.1:3306', ['mysql:', 'mariadb:'], 3306),
      pgsql: read.storageServer('STORAGE_PGSQL', 'postgres://postgres@127.0.0.1:5432/postgres', ['postgres:', 'postgresql:'], 5432),
      perCompany: read.int('STORAGES_PER_COMPANY', 20, 0, 100_000),
    },
    jobs: {
      queuePrefix: read.string('QUEUE_PREFIX', 'berth'),
      attempts: read.int('JOB_ATTEMPTS', 5, 1, 100),
      backoffMs: read.int('JOB_BACKOFF_MS', 2000, 10, 3_600_000),
      sweepIntervalMs: read.int('SWEEP_INTERVAL_MS', 30_000, 100, 3_600_000),
    },
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

// Source (src/config) and build (dist/src/config) sit at different depths: walk up.
function packageVersion(): string {
  for (let dir = new URL('.', import.meta.url); dir.pathname !== '/'; dir = new URL('..', dir)) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('package.json', dir), 'utf8'));
      if (pkg.name === 'berth') return String(pkg.version);
    } catch {
      // not here; keep walking
    }
  }
  return 'unknown';
}

class Reader {
  constructor(
    private readonly env: Env,
    private readonly problems: string[],
  ) {}

  private raw(name: string): string | undefined {
    const value = this.env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  }

  string(name: string, fallback: string): string {
    return this.raw(name) ?? fallback;
  }

  int(name: string, fallback: number, min: number, max: number): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
      this.problems.push(`${name} must be a whole number from ${min} to ${max} (got "${value}")`);
      return fallback;
    }
    return Number(value);
  }

  bool(name: string, fallback: boolean): boolean {
    const value = this.raw(name)?.toLowerCase();
    if (value === undefined) return fallback;
    if (['1', 'true', 'yes', 'on'].includes(value)) return true;
    if (['0', 'false', 'no', 'off'].includes(value)) return false;
    this.problems.push(`${name} must be true or false (got "${value}")`);
    return fallback;
  }

  oneOf<T extends string>(name: string, fallback: T, allowed: readonly T[]): T {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (!allowed.includes(value as T)) {
      this.problems.push(`${name} must be one of ${allowed.join(', ')} (got "${value}")`);
      return fallback;
    }
    return value as T;
  }

  url(name: string, fallback: string, protocols: string[]): string {
    const value = this.raw(name) ?? fallback;
    try {
      const parsed = new URL(value);
      if (!protocols.includes(parsed.protocol)) {
        this.problems.push(`${name} must be a ${protocols.map((p) => p.replace(':', '://')).join(' or ')} URL`);
      }
    } catch {
      // The value may hold a password: never echo it.
      this.problems.push(`${name} is not a valid URL`);
    }
    return value;
  }

  size(name: string, fallback: string): number {
    const value = (this.raw(name) ?? fallback).toLowerCase();
    const match = /^(\d+)\s*(b|kb|mb)?$/.exec(value);
    const units: Record<string, number> = { b: 1, kb: 1024, mb: 1024 * 1024 };
    const bytes = match ? Number(match[1]) * units[match[2] ?? 'b'] : NaN;
    if (!(bytes >= 1024 && bytes <= 64 * 1024 * 1024)) {
      this.problems.push(`${name} must be a size from 1kb to 64mb, like 512kb or 1mb (got "${value}")`);
      return 1024 * 1024;
    }
    return bytes;
  }

  /** `<PREFIX>_URL` (admin) plus optional `<PREFIX>_PUBLIC_HOST` and `<PREFIX>_PUBLIC_PORT`. */
  storageServer(prefix: string, fallback: string, protocols: string[], defaultPort: number): StorageServerConfig {
    const adminUrl = this.url(`${prefix}_URL`, fallback, protocols);
    let host = '127.0.0.1';
    let port = defaultPort;
    try {
      const parsed = new URL(adminUrl);
      host = parsed.hostname || host;
      port = parsed.port ? Number(parsed.port) : defaultPort;
    } catch {
      // already reported by url()
    }
    return {
      adminUrl: new Secret(adminUrl),
      publicHost: this.string(`${prefix}_PUBLIC_HOST`, host),
      publicPort: this.int(`${prefix}_PUBLIC_PORT`, port, 1, 65535),
    };
  }

  roles(name: string, fallback: string): Role[] {
    const value = (this.raw(name) ?? fallback).toLowerCase();
    if (value === 'all') return [...ROLES];
    const roles = value.split(',').map((r) => r.trim()).filter(Boolean);
    const unknown = roles.filter((r) => !ROLES.includes(r as Role));
    if (unknown.length > 0 || roles.length === 0) {
      this.problems.push(`${name} must be "all" or a comma-separated list of ${ROLES.join(', ')} (got "${value}")`);
      return [...ROLES];
    }
    return [...new Set(roles)] as Role[];
  }
}

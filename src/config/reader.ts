// Parses environment values for loadConfig, collecting every problem instead of stopping at the first.
// config.ts imports this module; these imports are used only when a Reader runs, after both have loaded.
import { isIP } from 'node:net';
import { ROLES, type PortRange, type Role, type StorageServerConfig, type Subnet } from './config.js';
import { Secret } from './secret.js';

export type Env = Record<string, string | undefined>;

export class Reader {
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

  /** A 256-bit key given as base64 (`openssl rand -base64 32`); null when not set. Never echoed. */
  key256(name: string): Buffer | null {
    const value = this.raw(name);
    if (value === undefined || value === '') return null;
    const key = /^[A-Za-z0-9+/]{43}=$/.test(value.trim()) ? Buffer.from(value.trim(), 'base64') : null;
    if (!key || key.length !== 32) {
      this.problems.push(`${name} must be 32 bytes in base64 (44 characters, as \`openssl rand -base64 32\` prints)`);
      return null;
    }
    return key;
  }

  /** A size like `512kb`, `1mb` or `2gb`, between `min` and `max` bytes (default 1kb to 64mb: request bodies). */
  size(name: string, fallback: string, min = 1024, max = 64 * 1024 * 1024): number {
    const value = (this.raw(name) ?? fallback).toLowerCase();
    const match = /^(\d+)\s*(b|kb|mb|gb)?$/.exec(value);
    const units: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 };
    const bytes = match ? Number(match[1]) * units[match[2] ?? 'b'] : NaN;
    if (!(bytes >= min && bytes <= max)) {
      this.problems.push(`${name} must be a size from ${human(min)} to ${human(max)}, like 512kb or 1mb (got "${value}")`);
      return Math.max(min, Math.min(max, 1024 * 1024));
    }
    return bytes;
  }

  /**
   * `<PREFIX>_URL` (admin), and what apps see: `<PREFIX>_HOST` (default `appHost`), `<PREFIX>_PORT`
   * (default the URL's port) and `<PREFIX>_ADDRESS`, what that host resolves to in app containers:
   * an IP address, `gateway` (the apps network's, the default) or `dns`.
   */
  storageServer(prefix: string, fallback: string, protocols: string[], defaultPort: number, appHost: string, gateway: string): StorageServerConfig {
    const adminUrl = this.url(`${prefix}_URL`, fallback, protocols);
    let port = defaultPort;
    try {
      const parsed = new URL(adminUrl);
      port = parsed.port ? Number(parsed.port) : defaultPort;
    } catch {
      // already reported by url()
    }
    // Their meaning changed (apps connect to the app-facing name now): say so rather than guess.
    for (const old of ['HOST', 'PORT']) {
      if (this.raw(`${prefix}_PUBLIC_${old}`) !== undefined) this.problems.push(`${prefix}_PUBLIC_${old} was renamed ${prefix}_${old}`);
    }
    const address = this.raw(`${prefix}_ADDRESS`)?.toLowerCase() ?? 'gateway';
    if (address !== 'gateway' && address !== 'dns' && isIP(address) === 0) {
      this.problems.push(`${prefix}_ADDRESS must be an IP address, "gateway" or "dns" (got "${address}")`);
    }
    return {
      adminUrl: new Secret(adminUrl),
      host: this.hostname(`${prefix}_HOST`, appHost),
      port: this.int(`${prefix}_PORT`, port, 1, 65535),
      address: address === 'gateway' ? gateway : address === 'dns' ? null : address,
    };
  }

  /** An IPv4 network in CIDR notation, /8 to /28; its gateway is its first address. */
  subnet(name: string, fallback: string): Subnet {
    const value = this.raw(name) ?? fallback;
    const parsed = parseSubnet(value);
    if (parsed) return parsed;
    this.problems.push(`${name} must be an IPv4 network like 10.210.0.0/16, from /8 to /28 (got "${value}")`);
    return parseSubnet(fallback)!;
  }

  roles(name: string, fallback: string): Role[] {
    const value = (this.raw(name) ?? fallback).toLowerCase();
    const all = ROLES.filter((r) => r !== 'node');
    if (value === 'all') return all;
    const roles = value.split(',').map((r) => r.trim()).filter(Boolean);
    const unknown = roles.filter((r) => !ROLES.includes(r as Role));
    if (unknown.length > 0 || roles.length === 0) {
      this.problems.push(`${name} must be "all" or a comma-separated list of ${ROLES.join(', ')} (got "${value}")`);
      return all;
    }
    return [...new Set(roles)] as Role[];
  }

  matching(name: string, fallback: string, pattern: RegExp, rule: string): string {
    const value = this.raw(name) ?? fallback;
    if (!pattern.test(value)) {
      this.problems.push(`${name} must be ${rule} (got "${value}")`);
      return fallback;
    }
    return value;
  }

  /** A DNS name such as apps.example.com (lower case). */
  hostname(name: string, fallback: string): string {
    const value = (this.raw(name) ?? fallback).toLowerCase().replace(/\.$/, '');
    const label = '[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?';
    if (value.length > 200 || !new RegExp(`^${label}(\\.${label})*$`).test(value)) {
      this.problems.push(`${name} must be a host name like apps.example.com (got "${value}")`);
      return fallback;
    }
    return value;
  }

  /** A host name, or empty when the variable is not set. */
  optionalHostname(name: string): string {
    return this.raw(name) === undefined ? '' : this.hostname(name, '');
  }

  /** A comma-separated list of IPv4 or IPv6 addresses. */
  addresses(name: string, fallback: string): string[] {
    const value = this.raw(name) ?? fallback;
    const list = value.split(',').map((a) => a.trim()).filter(Boolean);
    const bad = list.filter((a) => isIP(a) === 0);
    if (list.length === 0 || bad.length > 0) {
      this.problems.push(`${name} must be a comma-separated list of IP addresses (got "${value}")`);
      return fallback.split(',');
    }
    return list;
  }

  /** A comma-separated list of `address` or `address:port` (`[v6]:port`) servers; empty when not set. */
  servers(name: string): string[] {
    const value = this.raw(name);
    if (value === undefined) return [];
    const list = value.split(',').map((a) => a.trim()).filter(Boolean);
    const bad = list.filter((entry) => {
      const match = /^\[([^\]]+)\](?::(\d{1,5}))?$|^([^:]+)(?::(\d{1,5}))?$|^([0-9a-fA-F:]+)$/.exec(entry);
      const host = match?.[1] ?? match?.[3] ?? match?.[5];
      const port = Number(match?.[2] ?? match?.[4] ?? 53);
      return !host || isIP(host) === 0 || port < 1 || port > 65535;
    });
    if (bad.length > 0) this.problems.push(`${name} must be a comma-separated list of IP addresses, each with an optional :port (got "${bad.join(', ')}")`);
    return bad.length > 0 ? [] : list;
  }

  /** A comma-separated list of web origins (`https://dash.example.com`, `http://localhost:8080`), exactly as browsers send them; empty when not set. */
  origins(name: string): string[] {
    const value = this.raw(name);
    if (value === undefined || value.trim() === '') return [];
    const list = value.split(',').map((o) => o.trim()).filter(Boolean);
    const bad = list.filter((origin) => {
      try {
        const url = new URL(origin);
        return !['http:', 'https:'].includes(url.protocol) || url.origin !== origin;
      } catch {
        return true;
      }
    });
    if (bad.length > 0) this.problems.push(`${name} must be a comma-separated list of origins like https://dash.example.com (scheme, host and port only; got "${bad.join(', ')}")`);
    return bad.length > 0 ? [] : list;
  }

  /** `FROM-TO`, both ports, FROM <= TO. */
  portRange(name: string, fallback: string): PortRange {
    const value = this.raw(name) ?? fallback;
    const match = /^(\d{1,5})\s*-\s*(\d{1,5})$/.exec(value);
    const from = Number(match?.[1]);
    const to = Number(match?.[2]);
    if (!match || from < 1024 || to > 65535 || from > to) {
      this.problems.push(`${name} must be a port range FROM-TO within 1024-65535, like 24000-31999 (got "${value}")`);
      const [f, t] = fallback.split('-').map(Number);
      return { from: f, to: t };
    }
    return { from, to };
  }

  /** `unix:///path/to/docker.sock` or `tcp://host:port`. */
  dockerHost(name: string, fallback: string): string {
    const value = this.raw(name) ?? fallback;
    if (!/^unix:\/\/\/.+|^tcp:\/\/[^/:]+:\d+\/?$/.test(value)) {
      this.problems.push(`${name} must be unix:///path/to/docker.sock or tcp://host:port (got "${value}")`);
      return fallback;
    }
    return value;
  }
}

function parseSubnet(value: string): Subnet | null {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(value);
  if (!match) return null;
  const octets = match.slice(1, 5).map(Number);
  const bits = Number(match[5]);
  if (octets.some((o) => o > 255) || bits < 8 || bits > 28) return null;
  const mask = (~0 << (32 - bits)) >>> 0;
  const network = (((octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]) & mask) >>> 0;
  const dotted = (n: number) => [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');
  return { cidr: `${dotted(network)}/${bits}`, gateway: dotted(network + 1) };
}

function human(bytes: number): string {
  for (const [unit, size] of [['gb', 1024 ** 3], ['mb', 1024 ** 2], ['kb', 1024]] as const) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return `${bytes}b`;
}

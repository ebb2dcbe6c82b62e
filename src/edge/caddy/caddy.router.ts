import type { EdgeConfig } from '../../config/config.js';
import { EdgeRoute, EdgeRouter, EdgeUnavailableError } from '../edge-router.js';
import { caddyConfig } from './caddy-config.js';

const TIMEOUT_MS = 10_000;

/** JSON with object keys sorted: Caddy gives its configuration back in its own key order. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b))) : v,
  );
}

/**
 * EdgeRouter over Caddy's admin API. The whole configuration is Berth's and is
 * replaced atomically (POST /load) whenever what Caddy runs differs from what
 * the apps need: a Caddy that restarted empty, or lost a route, heals at the next apply.
 */
export class CaddyRouter implements EdgeRouter {
  private readonly admin: URL;

  constructor(private readonly config: EdgeConfig) {
    this.admin = new URL(config.caddyAdminUrl);
  }

  /** The admin address as Caddy's own `admin.listen` says it: the loaded configuration must keep it. */
  get adminListen(): string {
    return `${this.admin.hostname}:${this.admin.port || 2019}`;
  }

  async ping(): Promise<void> {
    await this.request('GET', '/config/');
  }

  async apply(routes: EdgeRoute[]): Promise<boolean> {
    const desired = caddyConfig(routes, this.config, this.adminListen);
    const current = await this.request('GET', '/config/');
    if (canonical(JSON.parse(current || 'null')) === canonical(desired)) return false;
    await this.request('POST', '/load', JSON.stringify(desired));
    return true;
  }

  private async request(method: string, path: string, body?: string): Promise<string> {
    let answer: Response;
    const send = () =>
      fetch(new URL(path, this.admin), {
        method,
        body,
        headers: body ? { 'content-type': 'application/json' } : {},
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    try {
      // Caddy closes its admin connections when a load replaces its admin server (another
      // process's load too): a kept-alive connection can be found closed. Once more on a new one;
      // both requests are idempotent (a read, or loading a whole configuration).
      answer = await send().catch((err: Error) => (closedUnderUs(err) ? send() : Promise.reject(err)));
    } catch (err) {
      throw new EdgeUnavailableError(`the edge (Caddy admin API at ${this.admin.host}) is unavailable: ${(err as Error).cause ?? (err as Error).message}`);
    }
    const text = await answer.text();
    if (!answer.ok) throw new EdgeUnavailableError(`the edge (Caddy) refused ${method} ${path}: ${text.slice(0, 500)}`);
    return text;
  }
}

/** A kept-alive connection the other side had closed when the request went out on it. */
function closedUnderUs(err: Error): boolean {
  const code = (err.cause as { code?: string } | undefined)?.code;
  return code === 'UND_ERR_SOCKET' || code === 'ECONNRESET';
}

import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { spareBlock } from './docker.js';
import { BerthFixture, useBerth } from './fixture.js';

/**
 * A request to a Caddy admin API on a new connection each time: a load (Berth's, or a test's)
 * replaces Caddy's admin server and closes the connections kept alive to it.
 */
export function caddyAdmin(port: number, path: string, init: { method?: string; body?: unknown } = {}): Promise<{ status: number; text: string; json(): any }> {
  return new Promise((resolve, reject) => {
    const body = init.body === undefined ? undefined : JSON.stringify(init.body);
    const req = request({ host: '127.0.0.1', port, path, method: init.method ?? 'GET', agent: false, headers: body ? { 'content-type': 'application/json' } : {} }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, text, json: () => JSON.parse(text) }));
    });
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error(`Caddy's admin API did not answer ${path} within 10 s`)));
    req.end(body);
  });
}

export interface TestEdge {
  http: number;
  https: number;
  admin: number;
  /** A fourth port of the block, free for the test's own use (the API's, say). */
  spare: number;
  dataDir: string;
  /** Makes Caddy run an empty configuration, as one that just restarted does. */
  emptyCaddy(): Promise<void>;
}

/**
 * A Berth whose edge role runs a Caddy of its own: ports from a block of the test
 * file's own (on loopback), Caddy's internal CA, a throw-away data directory.
 */
export function useEdgeBerth(label: string, env: (edge: TestEdge) => Record<string, string>): { fx: BerthFixture; edge: TestEdge } {
  const base = spareBlock();
  const dataDir = mkdtempSync(join(tmpdir(), 'berth-caddy-'));
  // Hooks run last-registered first: this one, registered before the fixture's, runs after Caddy has stopped.
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
  const edge: TestEdge = {
    http: base,
    https: base + 1,
    admin: base + 2,
    spare: base + 3,
    dataDir,
    emptyCaddy: async () => {
      const answer = await caddyAdmin(base + 2, '/load', { method: 'POST', body: { admin: { listen: `127.0.0.1:${base + 2}` } } });
      if (answer.status !== 200) throw new Error(`Caddy refused an empty configuration: ${answer.status} ${answer.text}`);
    },
  };
  const fx = useBerth(label, {
    EDGE_ROUTER: 'caddy',
    CADDY_ADMIN_URL: `http://127.0.0.1:${edge.admin}`,
    EDGE_HTTP_PORT: String(edge.http),
    EDGE_HTTPS_PORT: String(edge.https),
    EDGE_LISTEN_ADDRESS: '127.0.0.1',
    ACME_CA: 'internal',
    CADDY_DATA_DIR: dataDir,
    ...env(edge),
  });
  return { fx, edge };
}

// The Caddy configuration Berth derives from apps' routes (a pure function; the edge e2e test runs it in Caddy).
import { describe, expect, it } from 'vitest';
import { caddyConfig } from '../dist/src/edge/caddy/caddy-config.js';
import { loadConfig } from '../dist/src/config/config.js';

const edge = loadConfig({ EDGE_HTTP_PORT: '8080', EDGE_HTTPS_PORT: '8443', ACME_CA: 'https://acme.example/dir', ACME_EMAIL: 'ops@example.com' }).edge;
const up = (port: number) => ({ host: '127.0.0.1', port });

describe('Caddy configuration', () => {
  const config = caddyConfig(
    [
      { appId: 2, domains: ['*.example.com'], mode: 'http', secured: [], upstream: up(20002) },
      // shop.example.com's certificate is held; fresh.example.com's is not yet.
      { appId: 1, domains: ['shop.example.com', '*.shop.example.com', 'fresh.example.com'], mode: 'https+le', secured: ['shop.example.com'], upstream: up(20001) },
      { appId: 3, domains: ['stopped.example.com'], mode: 'https+le', secured: ['stopped.example.com'], upstream: null },
    ],
    edge,
    '127.0.0.1:2019',
  ) as any;
  const servers = config.apps.http.servers;
  const hosts = (server: any) => server.routes.map((r: any) => r.match?.[0].host ?? 'fallback');
  const handler = (server: any, host: string) => server.routes.find((r: any) => r.match?.[0].host.includes(host)).handle[0];

  it('puts exact names before wildcards and ends with the 404 page', () => {
    expect(hosts(servers['berth-http'])).toEqual([['fresh.example.com'], ['shop.example.com'], ['stopped.example.com'], ['*.shop.example.com'], ['*.example.com'], 'fallback']);
    expect(servers['berth-http'].routes.at(-1).handle[0].status_code).toBe(404);
  });

  it('redirects HTTP to HTTPS for https+le names whose certificate is held, to the configured port, and proxies the rest', () => {
    expect(handler(servers['berth-http'], 'shop.example.com')).toMatchObject({ status_code: 308, headers: { Location: ['https://{http.request.host}:8443{http.request.uri}'] } });
    expect(handler(servers['berth-http'], '*.shop.example.com')).toMatchObject({ handler: 'reverse_proxy', upstreams: [{ dial: '127.0.0.1:20001' }] });
    expect(handler(servers['berth-https'], 'shop.example.com')).toMatchObject({ handler: 'reverse_proxy', upstreams: [{ dial: '127.0.0.1:20001' }] });
    // No certificate yet: HTTP goes on serving the app, and HTTPS is ready for when one comes.
    expect(handler(servers['berth-http'], 'fresh.example.com')).toMatchObject({ handler: 'reverse_proxy', upstreams: [{ dial: '127.0.0.1:20001' }] });
    expect(handler(servers['berth-https'], 'fresh.example.com')).toMatchObject({ handler: 'reverse_proxy' });
  });

  it('answers a stopped app’s names with the 503 page on both ports', () => {
    expect(handler(servers['berth-https'], 'stopped.example.com').status_code).toBe(503);
    expect(handler(servers['berth-http'], 'stopped.example.com').status_code).toBe(308);
  });

  it('asks ACME for exactly the https+le names that are not wildcards', () => {
    expect(config.apps.tls.certificates.automate).toEqual(['fresh.example.com', 'shop.example.com', 'stopped.example.com']);
    expect(config.apps.tls.automation.policies).toEqual([
      { subjects: ['fresh.example.com', 'shop.example.com', 'stopped.example.com'], issuers: [{ module: 'acme', ca: 'https://acme.example/dir', email: 'ops@example.com' }] },
    ]);
    // A private ACME CA's directory is trusted by its root, when one is configured.
    const privateCa = caddyConfig([], { ...edge, acmeCaRoot: '/etc/berth/ca.pem' }, 'x:1') as any;
    expect(privateCa.apps.tls.automation.policies[0].issuers[0].trusted_roots_pem_files).toEqual(['/etc/berth/ca.pem']);
    expect(config.apps.pki.certificate_authorities.local.install_trust).toBe(false);
  });

  it('keeps .localhost names on HTTP with a public CA (none would issue), and gives them HTTPS with the internal one', () => {
    const route = { appId: 9, domains: ['shop-9.apps.localhost', 'shop.example.com'], mode: 'https+le' as const, secured: ['shop-9.apps.localhost'], upstream: up(20009) };
    const publicCa = caddyConfig([route], edge, 'x:1') as any;
    expect(publicCa.apps.tls.certificates.automate).toEqual(['shop.example.com']);
    expect(handler(publicCa.apps.http.servers['berth-http'], 'shop-9.apps.localhost').handler).toBe('reverse_proxy');
    const internal = caddyConfig([route], { ...edge, acmeCa: 'internal' }, 'x:1') as any;
    expect(internal.apps.tls.certificates.automate).toEqual(['shop-9.apps.localhost', 'shop.example.com']);
    expect(internal.apps.tls.automation.policies[0].issuers).toEqual([{ module: 'internal' }]);
  });

  it('dials and listens on IPv6 addresses in brackets', () => {
    const v6 = caddyConfig([{ appId: 1, domains: ['a.example.com'], mode: 'http', secured: [], upstream: { host: '::1', port: 20001 } }], { ...edge, listenAddress: '::1' }, 'x:1') as any;
    expect(handler(v6.apps.http.servers['berth-http'], 'a.example.com').upstreams).toEqual([{ dial: '[::1]:20001' }]);
    expect(v6.apps.http.servers['berth-http'].listen).toEqual(['[::1]:8080']);
    expect(servers['berth-http'].listen).toEqual([':8080']);
  });

  it('leaves the proxy’s own logger out of the default log (the server still logs failed requests), in JSON', () => {
    expect(config.logging).toEqual({ logs: { default: { encoder: { format: 'json' }, exclude: ['http.handlers.reverse_proxy'] } } });
  });

  it('is the same JSON for the same routes in any order', () => {
    const routes = [
      { appId: 1, domains: ['a.example.com'], mode: 'http' as const, secured: [], upstream: up(1) },
      { appId: 2, domains: ['b.example.com'], mode: 'http' as const, secured: [], upstream: up(2) },
    ];
    expect(JSON.stringify(caddyConfig(routes, edge, 'x:1'))).toBe(JSON.stringify(caddyConfig([...routes].reverse(), edge, 'x:1')));
  });
});

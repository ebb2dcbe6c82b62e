import { hostPort } from '../../common/net.js';
import type { EdgeConfig } from '../../config/config.js';
import type { EdgeRoute } from '../edge-router.js';
import { httpsNames } from '../https-names.js';

// The pages Caddy itself serves. No request data goes into them (a Host header is the client's to forge).
const STOPPED_PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>App stopped</title></head>
<body style="font-family:sans-serif;max-width:36em;margin:4em auto"><h1>This app is stopped</h1>
<p>Its owner has stopped it for now. If it is yours, start it again with the action <code>start</code> of the Berth API.</p></body></html>\n`;
const UNKNOWN_PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>No such app</title></head>
<body style="font-family:sans-serif;max-width:36em;margin:4em auto"><h1>No app answers to this name</h1>
<p>Check the address, or add this domain to an app.</p></body></html>\n`;

const html = { 'Content-Type': ['text/html; charset=utf-8'], 'Cache-Control': ['no-store'] };

function listen(config: EdgeConfig, port: number): string[] {
  return [hostPort(config.listenAddress, port)];
}

type Handler = Record<string, unknown>;

function proxy(route: EdgeRoute, config: EdgeConfig): Handler {
  return {
    handler: 'reverse_proxy',
    upstreams: [{ dial: hostPort(route.upstream!.host, route.upstream!.port) }],
    // Caddy keeps 32 idle connections per upstream by default: a busier app would pay a new
    // connection (through Docker's port proxy) for most requests.
    transport: { protocol: 'http', keep_alive: { enabled: true, max_idle_conns_per_host: 512, idle_timeout: '60s' } },
    // While an app's programs restart (a release switching), Docker's port proxy accepts and then
    // resets: Caddy retries (GET only, as anything else may have reached the app) instead of a 502.
    ...(config.upstreamRetryMs > 0 ? { load_balancing: { try_duration: `${config.upstreamRetryMs}ms`, try_interval: '100ms' } } : {}),
  };
}

const stopped: Handler = { handler: 'static_response', status_code: 503, headers: { ...html, 'Retry-After': ['300'] }, body: STOPPED_PAGE };
const unknown: Handler = { handler: 'static_response', status_code: 404, headers: html, body: UNKNOWN_PAGE };

/** Exact names before wildcards, so `shop.example.com` wins over `*.example.com`. */
function hostRoutes(routes: EdgeRoute[], pick: (r: EdgeRoute) => Array<{ hosts: string[]; handle: Handler }>): unknown[] {
  const all = routes.flatMap(pick).filter((r) => r.hosts.length > 0);
  const exact = all.flatMap((r) => (r.hosts.some((h) => !h.startsWith('*.')) ? [{ ...r, hosts: r.hosts.filter((h) => !h.startsWith('*.')) }] : []));
  const wild = all.flatMap((r) => (r.hosts.some((h) => h.startsWith('*.')) ? [{ ...r, hosts: r.hosts.filter((h) => h.startsWith('*.')) }] : []));
  return [...exact, ...wild].map((r) => ({ match: [{ host: r.hosts }], handle: [r.handle], terminal: true }));
}

/**
 * The whole Caddy configuration for `routes`, deterministic (same routes, same
 * JSON), so comparing it with what Caddy runs tells whether anything changed.
 * Certificates are requested for the listed HTTPS names only: Caddy never
 * obtains one for a name Berth does not know.
 */
export function caddyConfig(routes: EdgeRoute[], config: EdgeConfig, adminListen: string): Record<string, unknown> {
  const sorted = [...routes].sort((a, b) => a.appId - b.appId);
  const redirectHost = config.httpsPort === 443 ? '{http.request.host}' : `{http.request.host}:${config.httpsPort}`;
  const redirect: Handler = { handler: 'static_response', status_code: 308, headers: { Location: [`https://${redirectHost}{http.request.uri}`] } };

  // HTTP redirects a name to HTTPS only once its certificate is held: until then (and should
  // the CA never issue one) the site goes on answering over HTTP.
  const httpRoutes = hostRoutes(sorted, (r) => {
    const held = new Set(r.secured);
    const secure = httpsNames(r, config).filter((d) => held.has(d));
    const plain = r.domains.filter((d) => !secure.includes(d));
    return [
      { hosts: plain, handle: r.upstream ? proxy(r, config) : stopped },
      { hosts: secure, handle: redirect },
    ];
  });
  const httpsRoutes = hostRoutes(sorted, (r) => [{ hosts: httpsNames(r, config), handle: r.upstream ? proxy(r, config) : stopped }]);
  const subjects = [...new Set(sorted.flatMap((r) => httpsNames(r, config)))].sort();
  const issuer =
    config.acmeCa === 'internal'
      ? { module: 'internal' }
      : {
          module: 'acme',
          ca: config.acmeCa,
          ...(config.acmeEmail ? { email: config.acmeEmail } : {}),
          ...(config.acmeCaRoot ? { trusted_roots_pem_files: [config.acmeCaRoot] } : {}),
        };

  return {
    admin: { listen: adminListen },
    // Caddy 2.6's proxy builds a debug logger with the whole request for every request, even when
    // nothing logs at debug (about 7 % of the edge's CPU). Its failures still reach the log: the
    // server logs each request that ended in an error (`http.log.error`).
    // JSON whatever the output: the edge role reads certificate failures from it (tls.obtain).
    logging: { logs: { default: { encoder: { format: 'json' }, exclude: ['http.handlers.reverse_proxy'] } } },
    apps: {
      http: {
        http_port: config.httpPort,
        https_port: config.httpsPort,
        servers: {
          'berth-http': { listen: listen(config, config.httpPort), automatic_https: { disable: true }, routes: [...httpRoutes, { handle: [unknown] }] },
          'berth-https': {
            listen: listen(config, config.httpsPort),
            automatic_https: { disable: true },
            tls_connection_policies: [{}],
            routes: [...httpsRoutes, { handle: [unknown] }],
          },
        },
      },
      tls: {
        certificates: { automate: subjects },
        automation: { policies: [{ ...(subjects.length ? { subjects } : {}), issuers: [issuer] }] },
      },
      // Caddy's internal CA must not add itself to this machine's trust store.
      pki: { certificate_authorities: { local: { install_trust: false } } },
    },
  };
}

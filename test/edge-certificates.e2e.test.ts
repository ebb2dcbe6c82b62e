// https+le never takes a site down: while no certificate can be had (the ACME CA unreachable),
// the domain keeps answering over HTTP and the API says why and when the edge tries again; once
// the CA (Pebble, Let's Encrypt's test server, on loopback) issues one, HTTPS works and HTTP redirects.
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDns, TestDns } from './support/dns.js';
import { eventually } from './support/docker.js';
import { useEdgeBerth } from './support/edge.js';
import { register, waitForOperation } from './support/http.js';
import { runTool } from './support/ssh.js';

const DOMAIN = 'shop.berth-test.example';
let acmePort = 0;
let pebble: ChildProcess | undefined;

const { fx, edge } = useEdgeBerth('certs', ({ spare, dataDir }) => {
  acmePort = spare;
  // The ACME directory's own HTTPS certificate, and the root Caddy is told to trust it by.
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
    '-keyout', join(dataDir, 'acme-key.pem'), '-out', join(dataDir, 'acme-cert.pem')], { stdio: 'ignore' });
  return {
    BERTH_ROLES: 'api,worker,edge',
    ACME_CA: `https://127.0.0.1:${spare}/dir`,
    ACME_CA_ROOT: join(dataDir, 'acme-cert.pem'),
    EDGE_CERT_CHECK_MS: '300',
    SWEEP_INTERVAL_MS: '1000',
    // The test's own DNS (UDP, on the same number as the CA's TCP port): where the domain is proved.
    DNS_RESOLVERS: `127.0.0.1:${spare}`,
  };
});
let dns: TestDns;
afterAll(async () => {
  pebble?.kill();
  await dns?.close();
});

/** curl as a visitor would, with the test name resolving to the edge on loopback. */
async function visit(scheme: 'http' | 'https', ...extra: string[]) {
  const port = scheme === 'http' ? edge.http : edge.https;
  const run = await runTool('curl', ['-s', '--max-time', '10', '--resolve', `${DOMAIN}:${port}:127.0.0.1`, '-o', '-', '-w', '\n%{http_code}', ...extra, `${scheme}://${DOMAIN}:${port}/`]);
  const text = run.stdout.toString();
  const cut = text.lastIndexOf('\n');
  return { code: run.code, status: Number(text.slice(cut + 1)), body: text.slice(0, cut) };
}

let owner: Awaited<ReturnType<typeof register>>;
let app: any;
const certificate = async () => (await fx.api.get(`/${owner.company.id}/apps-status/${app.id}/`, { token: owner.token })).body;

beforeAll(async () => {
  owner = await register(fx.api, 'Secure Co');
  // A custom domain is routed, and gets a certificate, once its company proves control of it.
  dns = await startDns(acmePort);
  const challenge = await fx.api.post(`/${owner.company.id}/domains/${DOMAIN}/verify/`, { token: owner.token });
  dns.set(`_berth-challenge.${DOMAIN}`, 'TXT', [challenge.body.record.value]);
  expect((await fx.api.post(`/${owner.company.id}/domains/${DOMAIN}/verify/`, { token: owner.token })).body.status).toBe('verified');
  const created = await fx.api.post(`/${owner.company.id}/apps/`, {
    token: owner.token,
    body: { name: 'shop', image: 'berth/runtime:2026.11-1', plan: 1, mode: 'https+le', domains: [DOMAIN] },
  });
  expect(created.status, created.text).toBe(200);
  app = created.body;
  expect((await waitForOperation(fx.api, owner.token, owner.company.id, app.operation_id)).status).toBe('success');
}, 60_000);

describe('an https+le domain', () => {
  it('keeps serving HTTP, and reports failed with the reason and the next try, while no certificate can be issued', async () => {
    const failed = await eventually('the certificate is reported failed', async () => {
      const status = await certificate();
      return status.certificates?.[0]?.status === 'failed' ? status : undefined;
    }, 60_000);
    const cert = failed.certificates[0];
    expect(cert).toMatchObject({ domain: DOMAIN, status: 'failed', expires_at: null });
    expect(cert.error).toMatch(new RegExp(`127\\.0\\.0\\.1:${acmePort}.*connection refused`));
    expect(new Date(cert.next_try_at).getTime()).toBeGreaterThan(Date.now() - 5_000);
    expect(failed.errors.join('\n')).toMatch(new RegExp(`no certificate could be had for ${DOMAIN.replace(/\./g, '\\.')}: .*serves ${DOMAIN.replace(/\./g, '\\.')} over HTTP meanwhile`));
    // The site is up over HTTP (once the app has started): no redirect to an HTTPS that would fail.
    const page = await eventually('the app answers over HTTP', async () => {
      const answer = await visit('http');
      return answer.status === 200 ? answer : undefined;
    });
    expect(page.body).toContain('default Node.js app');
    expect((await visit('https', '-k')).code).not.toBe(0);
    // Its default domain answers whatever its domains, and is in the read.
    expect(app.default_domain).toBe(`shop-${app.id}.apps.localhost`);
    const fallback = await runTool('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', `http://${app.default_domain}:${edge.http}/`]);
    expect(fallback.stdout.toString()).toBe('200');
  });

  it('gets HTTPS, and HTTP redirects, once the CA issues the certificate', async () => {
    const config = join(edge.dataDir, 'pebble.json');
    writeFileSync(config, JSON.stringify({
      pebble: {
        listenAddress: `127.0.0.1:${acmePort}`,
        managementListenAddress: `127.0.0.1:${acmePort + 5}`,
        certificate: join(edge.dataDir, 'acme-cert.pem'),
        privateKey: join(edge.dataDir, 'acme-key.pem'),
        httpPort: edge.http,
        tlsPort: edge.https,
        ocspResponderURL: '',
        externalAccountBindingRequired: false,
      },
    }));
    // A test CA: it issues without validating challenges (no DNS for the test name here).
    pebble = spawn('pebble', ['-config', config], { env: { ...process.env, PEBBLE_VA_ALWAYS_VALID: '1', PEBBLE_WFE_NONCEREJECT: '0', PEBBLE_VA_NOSLEEP: '1' }, stdio: 'ignore' });
    // Caddy tries again when it said it would (a minute after the first failure).
    const issued = await eventually('the certificate is issued', async () => {
      const status = await certificate();
      return status.certificates?.[0]?.status === 'issued' ? status : undefined;
    }, 150_000);
    expect(new Date(issued.certificates[0].expires_at).getTime()).toBeGreaterThan(Date.now());
    expect(issued.certificates[0].error).toBe('');
    const root = join(edge.dataDir, 'pebble-root.pem');
    const fetched = await runTool('curl', ['-sk', '-o', root, `https://127.0.0.1:${acmePort + 5}/roots/0`]);
    expect(fetched.code).toBe(0);
    const page = await visit('https', '--cacert', root);
    expect(page.code).toBe(0);
    expect(page.status).toBe(200);
    expect(page.body).toContain('default Node.js app');
    await eventually('HTTP redirects to HTTPS', async () => (await visit('http')).status === 308);
  }, 180_000);
});

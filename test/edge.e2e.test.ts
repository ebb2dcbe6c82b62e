// The edge: apps reached by their domains through a real Caddy, driven by Berth, tested with curl.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { eventually } from './support/docker.js';
import { caddyAdmin, useEdgeBerth } from './support/edge.js';
import { register, waitForOperation } from './support/http.js';
import { runTool } from './support/ssh.js';

const { fx, edge } = useEdgeBerth('edge', ({ spare }) => ({
  BERTH_ROLES: 'api,worker,edge',
  EDGE_API_HOST: 'api.localhost',
  // A fixed port for the API: the edge routes EDGE_API_HOST to it.
  PORT: String(spare),
  SWEEP_INTERVAL_MS: '1000',
  JOB_BACKOFF_MS: '200',
  EDGE_CERT_CHECK_MS: '300',
}));

/** curl, as a visitor would use it: `*.localhost` resolves to loopback by itself. */
async function visit(url: string, ...extra: string[]) {
  const run = await runTool('curl', ['-s', '--max-time', '10', '-o', '-', '-w', '\n%{http_code} %{redirect_url}', ...extra, url]);
  const text = run.stdout.toString();
  const cut = text.lastIndexOf('\n');
  const [status, location] = text.slice(cut + 1).split(' ');
  return { code: run.code, status: Number(status), location, body: text.slice(0, cut) };
}
const http = (host: string, path = '/') => visit(`http://${host}:${edge.http}${path}`);
let rootCert: string;
const https = (host: string, path = '/') => visit(`https://${host}:${edge.https}${path}`, '--cacert', rootCert);

let a: Awaited<ReturnType<typeof register>>;
let b: Awaited<ReturnType<typeof register>>;
let blue: any;
let green: any;

async function createApp(who: typeof a, body: Record<string, unknown>) {
  const plan = (await fx.api.get(`/${who.company.id}/plans/`, { token: who.token })).body[0].id;
  const created = await fx.api.post(`/${who.company.id}/apps/`, { token: who.token, body: { plan, image: 'berth/runtime:2026.11-1', ...body } });
  expect(created.status, created.text).toBe(200);
  const op = await waitForOperation(fx.api, who.token, who.company.id, created.body.operation_id);
  expect(op.status, op.message).toBe('success');
  return created.body;
}

async function change(who: typeof a, method: 'PUT' | 'DELETE', url: string, body?: unknown) {
  const answer = await fx.api.call(method, `/${who.company.id}/${url}`, { token: who.token, body });
  expect(answer.status, answer.text).toBe(200);
  expect((await waitForOperation(fx.api, who.token, who.company.id, answer.body.operation_id)).status).toBe('success');
}

/** The app answers through the edge (the container may still be starting its server). */
const answers = (host: string, text: string) => eventually(`${host} answers`, async () => {
  const page = await http(host);
  return page.status === 200 && page.body.includes(text) ? page : undefined;
});

beforeAll(async () => {
  a = await register(fx.api, 'Blue Co');
  b = await register(fx.api, 'Green Co');
  blue = await createApp(a, { name: 'blue', domains: 'blue.localhost www.blue.localhost' });
  green = await createApp(b, { name: 'green', image: 'berth/runtime-python:2026.11-1' });
  rootCert = join(edge.dataDir, 'test-root.pem');
  const ca = (await caddyAdmin(edge.admin, '/pki/ca/local')).json();
  writeFileSync(rootCert, ca.root_certificate);
});

describe('the edge', () => {
  it('routes the apps of two companies by their own domains, the default domain included', async () => {
    expect(green.domains).toEqual([`green-${green.id}.apps.localhost`]);
    expect((await answers('blue.localhost', 'Node.js')).body).toContain('default Node.js app');
    expect((await answers('www.blue.localhost', 'Node.js')).status).toBe(200);
    expect((await answers(`green-${green.id}.apps.localhost`, 'Python')).body).toContain('default Python app');
  });

  it('passes the default pages through whole: with their length, not as a stream', async () => {
    // A response without a length is a stream to Caddy, flushed piece by piece; the default
    // pages must not cost the edge that (see bench/edge).
    for (const host of ['blue.localhost', `green-${green.id}.apps.localhost`]) {
      const head = (await runTool('curl', ['-s', '--max-time', '10', '-D', '-', '-o', '/dev/null', `http://${host}:${edge.http}/`])).stdout.toString().toLowerCase();
      expect(head).toMatch(/^http\/1\.1 200/);
      expect(head).toMatch(/\ncontent-length: [1-9]\d+\r\n/);
      expect(head).not.toContain('transfer-encoding');
    }
  });

  it('answers 404 for hosts no app has', async () => {
    const page = await http('nobody.localhost');
    expect(page.status).toBe(404);
    expect(page.body).toMatch(/No app answers to this name/);
  });

  it('makes a domain change live once its operation succeeds', async () => {
    await change(a, 'PUT', `apps/${blue.id}/`, { domains: ['sky.localhost'] });
    expect((await http('sky.localhost')).status).toBe(200);
    expect((await http('blue.localhost')).status).toBe(404);
  });

  it('shows a stopped app’s domains a friendly 503 page, and serves them again on start', async () => {
    const host = `green-${green.id}.apps.localhost`;
    await change(b, 'PUT', `apps-action/${green.id}/`, { action: 'stop' });
    const page = await http(host);
    expect(page.status).toBe(503);
    expect(page.body).toMatch(/This app is stopped/);
    await change(b, 'PUT', `apps-action/${green.id}/`, { action: 'start' });
    await answers(host, 'Python');
  });

  it('serves an https+le app over TLS with a certificate for its domain only, and redirects HTTP', async () => {
    const secure = await createApp(a, { name: 'secure', mode: 'https+le', domains: ['secure.localhost', '*.wild.localhost'] });
    const page = await eventually('secure.localhost answers over TLS', async () => {
      const answer = await https('secure.localhost');
      return answer.status === 200 ? answer : undefined;
    });
    expect(page.body).toContain('default Node.js app');
    // HTTP redirects once the edge is seen to hold the certificate.
    const redirect = await eventually('HTTP redirects to HTTPS', async () => {
      const answer = await http('secure.localhost', '/some/path?x=1');
      return answer.status === 308 ? answer : undefined;
    });
    expect(redirect.location).toBe(`https://secure.localhost:${edge.https}/some/path?x=1`);
    // Wildcards stay HTTP only: served without a redirect, and no certificate is made for them.
    expect((await answers('any.wild.localhost', 'Node.js')).status).toBe(200);
    expect((await https('any.wild.localhost')).code).not.toBe(0);
    expect((await https('nobody.localhost')).code).not.toBe(0);
    const automate = (await caddyAdmin(edge.admin, '/config/apps/tls/certificates/automate')).json();
    // Its default domain too (.localhost names get certificates from the internal CA).
    expect(automate).toEqual(['api.localhost', `secure-${secure.id}.apps.localhost`, 'secure.localhost']);
    // A plain-HTTP app gets no certificate either.
    expect((await https('sky.localhost')).code).not.toBe(0);
    expect(secure.mode).toBe('https+le');
  });

  it('serves Berth’s own API at EDGE_API_HOST over HTTPS, and keeps that name from apps', async () => {
    const health = await eventually('the API answers through the edge', async () => {
      const answer = await https('api.localhost', '/api/v1/health');
      return answer.status === 200 ? answer : undefined;
    });
    expect(JSON.parse(health.body).status).toBe('ok');
    await eventually('HTTP redirects the API to HTTPS', async () => (await http('api.localhost', '/api/v1/health')).status === 308);
    const plan = (await fx.api.get(`/${a.company.id}/plans/`, { token: a.token })).body[0].id;
    const squat = await fx.api.post(`/${a.company.id}/apps/`, { token: a.token, body: { name: 'api', image: 'berth/runtime:2026.11-1', plan, domains: ['api.localhost'] } });
    expect(squat.status).toBe(409);
    expect(squat.body.errors.domains[0]).toMatch(/serves its API/);
  });

  it('refuses a domain another app holds, in any company, with 409 naming it', async () => {
    const plan = (await fx.api.get(`/${b.company.id}/plans/`, { token: b.token })).body[0].id;
    const clash = await fx.api.post(`/${b.company.id}/apps/`, { token: b.token, body: { name: 'thief', image: 'berth/runtime:2026.11-1', plan, domains: ['sky.localhost'] } });
    expect(clash.status).toBe(409);
    expect(clash.body.errors.domains[0]).toMatch(/sky\.localhost is already used/);
  });

  it('heals a Caddy that restarted empty on the next sweep', async () => {
    // Caddy took the empty configuration (emptyCaddy checks its answer); the sweep, every second,
    // may heal it before any request could see it empty, so only the healing is asserted.
    await edge.emptyCaddy();
    await answers('sky.localhost', 'Node.js');
  });

  it('removes a deleted app’s routes: its domains answer 404', async () => {
    await change(a, 'DELETE', `apps/${blue.id}/`);
    expect((await http('sky.localhost')).status).toBe(404);
  });
});

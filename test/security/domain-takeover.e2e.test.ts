// Attack catalogue: taking another's domain, and mapping internal names through the API.
// Berth is pointed at a DNS server of the test's own on loopback (DNS_RESOLVERS).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDns, TestDns } from '../support/dns.js';
import { eventually } from '../support/docker.js';
import { useEdgeBerth } from '../support/edge.js';
import { register, waitForOperation } from '../support/http.js';
import { runTool } from '../support/ssh.js';

const VICTIM = 'victim-shop.example';
let dnsPort = 0;
const { fx, edge } = useEdgeBerth('takeover', ({ spare }) => {
  dnsPort = spare;
  return { BERTH_ROLES: 'api,worker,edge', DNS_RESOLVERS: `127.0.0.1:${spare}`, SWEEP_INTERVAL_MS: '1000' };
});
let dns: TestDns;
let attacker: Awaited<ReturnType<typeof register>>;
let victim: Awaited<ReturnType<typeof register>>;

beforeAll(async () => {
  dns = await startDns(dnsPort);
  attacker = await register(fx.api, 'Attacker Co');
  victim = await register(fx.api, 'Victim Co');
});
afterAll(() => dns?.close());

async function createApp(who: typeof attacker, name: string, domains: string[]) {
  const answer = await fx.api.post(`/${who.company.id}/apps/`, { token: who.token, body: { name, image: 'berth/runtime:2026.11-1', plan: 1, domains } });
  if (answer.status === 200) expect((await waitForOperation(fx.api, who.token, who.company.id, answer.body.operation_id)).status).toBe('success');
  return answer;
}

/** What a visitor of `host` gets from the edge (the app's page, or the edge's own 404). */
async function visit(host: string) {
  const run = await runTool('curl', ['-s', '--max-time', '10', '--resolve', `${host}:${edge.http}:127.0.0.1`, '-w', '\n%{http_code}', `http://${host}:${edge.http}/`]);
  const text = run.stdout.toString();
  return { status: Number(text.slice(text.lastIndexOf('\n') + 1)), body: text.slice(0, text.lastIndexOf('\n')) };
}

describe('domain takeover', () => {
  // Attack: claim a public suffix (or a wildcard over one) to receive every site under it.
  // Refusal: 400 naming `domains`. Reference: OWASP API Security Top 10 2023, API8 Security Misconfiguration.
  it('refuses public suffixes and wildcards over them', async () => {
    for (const domains of [['*.co.uk'], ['co.uk'], ['*.github.io'], ['github.io']]) {
      const answer = await createApp(attacker, 'suffix', domains);
      expect(answer.status, domains[0]).toBe(400);
      expect(answer.body.errors.domains[0]).toMatch(/public suffix/);
    }
    const verify = await fx.api.post(`/${attacker.company.id}/domains/co.uk/verify/`, { token: attacker.token });
    expect(verify.status).toBe(400);
  });

  // Attack: name someone else's domain first; receive its traffic (and an HTTPS certificate) while
  // its DNS points at the platform. Refusal: the domain is not routed until the company proves
  // control by DNS. Reference: OWASP API Top 10 2023, API1 Broken Object Level Authorization.
  it('does not route a domain its company has not proved control of', async () => {
    dns.set(VICTIM, 'A', ['127.0.0.1']);
    const squat = await createApp(attacker, 'squat', [VICTIM]);
    expect(squat.status, squat.text).toBe(200);
    expect((await visit(VICTIM)).status).toBe(404);
    const status = await fx.api.get(`/${attacker.company.id}/apps-status/${squat.body.id}/`, { token: attacker.token });
    expect(status.body.errors).toContainEqual(
      expect.stringMatching(/^victim-shop\.example is not routed until this company proves it controls victim-shop\.example: create a TXT record _berth-challenge\.victim-shop\.example with the value berth-verify=\S+, then POST /),
    );
    const tried = await fx.api.post(`/${attacker.company.id}/domains/${VICTIM}/verify/`, { token: attacker.token });
    expect(tried.body).toMatchObject({ domain: VICTIM, status: 'unverified', record: { type: 'TXT', name: `_berth-challenge.${VICTIM}` } });
    // The squatter's app keeps its default domain (once its server is up).
    await eventually('the default domain answers', async () => (await visit(squat.body.default_domain)).status === 200);
  });

  // The real owner proves control with the TXT record; then the name is theirs alone.
  it('routes a verified domain to its company, which takes it from an unproved claim; others cannot take it back', async () => {
    const first = await fx.api.post(`/${victim.company.id}/domains/${VICTIM}/verify/`, { token: victim.token });
    expect(first.body.status).toBe('unverified');
    dns.set(`_berth-challenge.${VICTIM}`, 'TXT', [first.body.record.value]);
    const proved = await fx.api.post(`/${victim.company.id}/domains/${VICTIM}/verify/`, { token: victim.token });
    expect(proved.body).toMatchObject({ domain: VICTIM, status: 'verified' });
    const shop = await createApp(victim, 'shop', [VICTIM, `*.${VICTIM}`]);
    expect(shop.status, shop.text).toBe(200);
    await eventually('the verified domain reaches the owner’s app', async () => (await visit(VICTIM)).status === 200);
    expect((await visit(`www.${VICTIM}`)).status).toBe(200);
    // The squatter can neither verify it now nor name it, or a name under it, again.
    const again = await fx.api.post(`/${attacker.company.id}/domains/${VICTIM}/verify/`, { token: attacker.token });
    expect(again.status).toBe(409);
    for (const domains of [[VICTIM], [`api.${VICTIM}`], [`*.${VICTIM}`]]) {
      const squat = await createApp(attacker, 'squat2', domains);
      expect(squat.status, domains[0]).toBe(409);
      expect(squat.body.errors.domains[0]).toMatch(/another company has verified/);
    }
    // Names under the apps domain stay the platform's to assign.
    expect((await fx.api.post(`/${victim.company.id}/domains/apps.localhost/verify/`, { token: victim.token })).status).toBe(400);
  });
});

describe('DNS answers are not echoed', () => {
  // Attack: name an internal-only host as an app domain and read what the platform's resolver
  // answers from apps-status, mapping the internal network. Refusal: the status says only whether
  // the domain points at the platform. Reference: OWASP API Top 10 2023, API7 Server Side Request Forgery.
  it('says only whether a domain points at the platform, through the configured resolver', async () => {
    dns.set('db.corp.example', 'A', ['10.20.30.40']);
    dns.set('mixed.corp.example', 'A', ['127.0.0.1', '10.20.30.41']);
    const app = await createApp(attacker, 'mapper', ['db.corp.example', 'mixed.corp.example', 'nothing.corp.example']);
    expect(app.status, app.text).toBe(200);
    const status = await fx.api.get(`/${attacker.company.id}/apps-status/${app.body.id}/`, { token: attacker.token });
    const said = JSON.stringify(status.body);
    expect(said).not.toMatch(/10\.20\.30\.4/);
    expect(status.body.errors).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^db\.corp\.example does not point at this platform: point its A \(or AAAA\) record at 127\.0\.0\.1/),
        expect.stringMatching(/^mixed\.corp\.example points only partly at this platform/),
        expect.stringMatching(/^nothing\.corp\.example does not resolve/),
      ]),
    );
    // Asked of the test's server, not the host's resolver.
    expect(dns.asked).toEqual(expect.arrayContaining(['db.corp.example', 'mixed.corp.example']));
  });
});

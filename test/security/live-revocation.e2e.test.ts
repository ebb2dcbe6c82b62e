// Attack catalogue: keep reading a company's live events after access to it was taken away. The
// guards checked a stream's reader once, when it opened; the stream then ran for as long as the
// client held it. A member removed from the company went on receiving its changes (a new app's
// name, every operation), and so did a stream opened with a ticket whose token was revoked.
// Against a real Berth (API) and PostgreSQL.
// Reference: OWASP API Security Top 10 2023, API1:2023 Broken Object Level Authorization and
// API2:2023 Broken Authentication (a revoked credential that still works).
import { describe, expect, it } from 'vitest';
import { useBerth } from '../support/fixture.js';
import { register } from '../support/http.js';
import { openSse, SseClient, summary } from '../support/sse.js';

const HEARTBEAT_MS = 300;
const fx = useBerth('liverevoke', { BERTH_ROLES: 'api', LIVE_HEARTBEAT_MS: String(HEARTBEAT_MS) });
type Who = Awaited<ReturnType<typeof register>>;

const stream = (who: Who) => `${fx.berth.url}/${who.company.id}/events/stream`;

/** Creates an app in the owner's company (no worker: its operation stays pending), an event for every open stream. */
async function change(owner: Who, name: string) {
  const plan = (await fx.api.get(`/${owner.company.id}/plans/`, { token: owner.token })).body[0].id;
  const created = await fx.api.post(`/${owner.company.id}/apps/`, { token: owner.token, body: { name, image: 'berth/runtime:2026.11-1', plan } });
  expect(created.status, created.text).toBe(200);
}

/** Waits for the server to end the stream; fails naming what the stream got. */
async function endedByServer(client: SseClient) {
  await Promise.race([client.ended, new Promise((r) => setTimeout(r, 20 * HEARTBEAT_MS))]);
  expect(client.end, summary(client.events)).toBe('by the server');
  expect(client.events.at(-1)).toMatchObject({ event: 'error', data: { code: 'unauthorized' } });
}

describe('a live stream whose access is taken away', () => {
  it("ends for a member removed from the company, who gets none of its later changes", async () => {
    const owner = await register(fx.api, 'Streaming Owner');
    const viewer = await register(fx.api, 'Soon Removed');
    const invited = await fx.api.post(`/${owner.company.id}/invitations/`, { token: owner.token, body: { email: viewer.email, role: 'viewer' } });
    expect((await fx.api.post('/invitations/accept/', { token: viewer.token, body: { token: invited.body.token } })).status).toBe(200);

    const watching = await openSse(stream(owner), viewer.token);
    expect(watching.status).toBe(200);
    await change(owner, 'before-removal');
    await watching.until((events) => events.some((e) => e.event === 'app' && e.data.name === 'before-removal'));
    const removed = await fx.api.delete(`/${owner.company.id}/members/${viewer.account.id}/`, { token: owner.token });
    expect(removed.status, removed.text).toBe(200);

    await endedByServer(watching);
    await change(owner, 'secret-project');
    await new Promise((r) => setTimeout(r, 3 * HEARTBEAT_MS));
    expect(JSON.stringify(watching.events)).not.toContain('secret-project');
  }, 60_000);

  it('ends a stream opened with a ticket once the token that made the ticket is revoked', async () => {
    const owner = await register(fx.api, 'Ticket Owner');
    const made = await fx.api.post('/tokens/', { token: owner.token, body: { name: 'dashboard' } });
    expect(made.status, made.text).toBe(200);
    const path = `/api/v1/${owner.company.id}/events/stream`;
    const ticket = (await fx.api.post('/stream-tickets/', { token: made.body.token, body: { path } })).body.ticket;
    const watching = await openSse(`${fx.berth.url.replace(/\/api\/v1$/, '')}${path}?ticket=${ticket}`, '');
    expect(watching.status, JSON.stringify(watching.body)).toBe(200);
    expect((await fx.api.delete(`/tokens/${made.body.id}/`, { token: owner.token })).status).toBe(200);

    await endedByServer(watching);
    await change(owner, 'after-revocation');
    await new Promise((r) => setTimeout(r, 3 * HEARTBEAT_MS));
    expect(JSON.stringify(watching.events)).not.toContain('after-revocation');
  }, 60_000);
});

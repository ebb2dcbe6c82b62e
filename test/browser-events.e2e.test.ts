// A dashboard in a real browser (headless Chromium, driven by playwright-core): a page of an
// allowed origin opens an EventSource to Berth with a stream ticket (an EventSource cannot send
// Authorization, and a token must never be in a URL) and receives the company's live events; a
// page of another origin is refused by CORS with a valid ticket all the same. Tickets open only
// their one stream, and only while the token that made them is valid.
import { createServer, Server } from 'node:http';
import { chromium, Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spareBlock } from './support/docker.js';
import { useBerth } from './support/fixture.js';
import { register } from './support/http.js';

const PAGE_PORT = spareBlock();
const ALLOWED = `http://127.0.0.1:${PAGE_PORT}`;
const OTHER = `http://127.0.0.1:${PAGE_PORT + 1}`;
const fx = useBerth('browser', { BERTH_ROLES: 'api,worker', CORS_ORIGINS: ALLOWED, JOB_BACKOFF_MS: '200' });
let browser: Browser;
const servers: Server[] = [];

beforeAll(async () => {
  for (const port of [PAGE_PORT, PAGE_PORT + 1]) {
    const server = createServer((_req, res) => res.end('<!doctype html><title>dashboard</title><p>dashboard</p>'));
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    servers.push(server);
  }
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
});

afterAll(async () => {
  await browser?.close();
  for (const server of servers) server.close();
});

async function ticketFor(token: string, path: string) {
  const answer = await fx.api.post('/stream-tickets/', { token, body: { path } });
  expect(answer.status, answer.text).toBe(200);
  return answer.body as { ticket: string; path: string; expires_at: string };
}

/** In the page: an EventSource on `url`, until an `operation` event comes (its data) or it fails ('error'). */
function listen(url: string) {
  return new Promise<unknown>((resolve) => {
    const source = new EventSource(url);
    source.addEventListener('operation', (event) => {
      source.close();
      resolve(JSON.parse((event as MessageEvent).data));
    });
    source.onerror = () => {
      if (source.readyState === EventSource.CLOSED) resolve('error');
    };
    setTimeout(() => resolve('timeout'), 20_000);
  });
}

describe('live events in a browser', () => {
  it("delivers a company's events to an EventSource on an allowed origin, opened with a stream ticket", async () => {
    const owner = await register(fx.api, 'Browser Owner');
    const stream = `/api/v1/${owner.company.id}/events/stream`;
    const { ticket, path } = await ticketFor(owner.token, stream);
    expect(ticket).toMatch(/^bst_/);
    expect(path).toBe(stream);
    const page = await browser.newPage();
    await page.goto(`${ALLOWED}/`);
    const received = page.evaluate(listen, `${fx.berth.url.replace(/\/api\/v1$/, '')}${stream}?ticket=${ticket}`);
    // Once the page listens, a change in the company.
    await new Promise((r) => setTimeout(r, 1000));
    const plans = (await fx.api.get(`/${owner.company.id}/plans/`, { token: owner.token })).body;
    const created = await fx.api.post(`/${owner.company.id}/apps/`, { token: owner.token, body: { name: 'seen-in-browser', image: 'berth/runtime:2026.11-1', plan: plans[0].id } });
    expect(created.status, created.text).toBe(200);
    expect(await received).toMatchObject({ id: created.body.operation_id, kind: 'app.create' });
    await page.close();
  }, 60_000);

  it('refuses the same stream to a page of another origin', async () => {
    const owner = await register(fx.api, 'Browser Other');
    const stream = `/api/v1/${owner.company.id}/events/stream`;
    const { ticket } = await ticketFor(owner.token, stream);
    const page = await browser.newPage();
    await page.goto(`${OTHER}/`);
    const received = page.evaluate(listen, `${fx.berth.url.replace(/\/api\/v1$/, '')}${stream}?ticket=${ticket}`);
    await new Promise((r) => setTimeout(r, 1000));
    const plans = (await fx.api.get(`/${owner.company.id}/plans/`, { token: owner.token })).body;
    await fx.api.post(`/${owner.company.id}/apps/`, { token: owner.token, body: { name: 'not-seen', image: 'berth/runtime:2026.11-1', plan: plans[0].id } });
    expect(await received).toBe('error');
    await page.close();
  }, 60_000);

  it('opens only its one stream, never a change, and no longer once its token is revoked', async () => {
    const owner = await register(fx.api, 'Ticket Holder');
    const stream = `/${owner.company.id}/events/stream`;
    const { ticket } = await ticketFor(owner.token, `/api/v1${stream}`);
    const open = (path: string, method = 'GET') => fetch(`${fx.berth.url}${path}?ticket=${ticket}`, { method, headers: { accept: 'text/event-stream' } });
    const ok = await open(stream);
    expect(ok.status).toBe(200);
    await ok.body?.cancel();
    // Within its life it opens its stream again (EventSource reconnects by itself), and nothing else.
    const again = await open(`${stream}/`);
    expect(again.status).toBe(200);
    await again.body?.cancel();
    expect((await open(`/${owner.company.id}/apps`)).status).toBe(401);
    expect((await open(`/${owner.company.id}/apps`, 'POST')).status).toBe(401);
    expect((await fetch(`${fx.berth.url}${stream}?ticket=bst_${'x'.repeat(32)}`)).status).toBe(401);
    // A path that is no stream is refused when the ticket is asked for.
    expect((await fx.api.post('/stream-tickets/', { token: owner.token, body: { path: `/api/v1/${owner.company.id}/apps` } })).status).toBe(400);
    // The token goes: its ticket stops working.
    const tokenId = (await fx.api.get('/tokens/', { token: owner.token })).body[0].id;
    expect((await fx.api.delete(`/tokens/${tokenId}/`, { token: owner.token })).status).toBe(200);
    expect((await open(stream)).status).toBe(401);
  });
});

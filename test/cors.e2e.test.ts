// CORS: pages of the origins in CORS_ORIGINS may call the API from a browser with Authorization
// and read Link, Retry-After and the rate-limit headers; any other origin's preflight is refused
// and its answers carry no CORS header, so the browser keeps them from the page. (The headless
// browser test of a cross-origin EventSource comes with stream tickets.)
import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { useBerth } from './support/fixture.js';
import { register } from './support/http.js';

const ALLOWED = 'https://dash.example.test';
const fx = useBerth('cors', { BERTH_ROLES: 'api', CORS_ORIGINS: `${ALLOWED},http://localhost:8080` });

/** A raw request, Origin and all (fetch would not let a page choose it). */
function call(method: string, path: string, headers: Record<string, string>): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const url = new URL(`${fx.berth.url}${path}`);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path: url.pathname + url.search, method, headers }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const preflight = (origin: string, path = '/companies/') =>
  call('OPTIONS', path, { origin, 'access-control-request-method': 'PATCH', 'access-control-request-headers': 'authorization, content-type' });

describe('CORS', () => {
  it('answers a preflight from an allowed origin, admitting Authorization', async () => {
    const answer = await preflight(ALLOWED);
    expect(answer.status).toBe(204);
    expect(answer.headers['access-control-allow-origin']).toBe(ALLOWED);
    expect(answer.headers['access-control-allow-headers']).toMatch(/Authorization/);
    expect(answer.headers['access-control-allow-methods']).toMatch(/PATCH/);
    expect(answer.headers['access-control-allow-credentials']).toBeUndefined();
    expect(answer.headers.vary).toMatch(/Origin/);
  });

  it("lets an allowed origin's page read the answer and the headers clients need", async () => {
    const owner = await register(fx.api, 'Cors Owner');
    const answer = await call('GET', '/companies/', { origin: 'http://localhost:8080', authorization: `Token ${owner.token}` });
    expect(answer.status).toBe(200);
    expect(answer.headers['access-control-allow-origin']).toBe('http://localhost:8080');
    const exposed = String(answer.headers['access-control-expose-headers']).split(/,\s*/);
    expect(exposed).toEqual(expect.arrayContaining(['Link', 'Retry-After', 'X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset']));
    // An error answer too: a page must be able to read why it was refused.
    const refused = await call('GET', '/companies/', { origin: ALLOWED });
    expect(refused.status).toBe(401);
    expect(refused.headers['access-control-allow-origin']).toBe(ALLOWED);
  });

  it('carries the CORS headers on a live stream, whose answer is written by hand', async () => {
    const owner = await register(fx.api, 'Cors Streamer');
    const stream = await new Promise<Record<string, string | string[] | undefined>>((resolve, reject) => {
      const url = new URL(`${fx.berth.url}/${owner.company.id}/events/stream`);
      const req = request({ host: url.hostname, port: url.port, path: url.pathname, headers: { origin: ALLOWED, authorization: `Token ${owner.token}` } }, (res) => {
        resolve(res.headers);
        req.destroy();
      });
      req.on('error', reject);
      req.end();
    });
    expect(stream['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(stream['access-control-allow-origin']).toBe(ALLOWED);
  });

  it("refuses another origin's preflight with 403, and gives its answers no CORS header", async () => {
    for (const origin of ['https://evil.example', 'https://dash.example.test.evil.example', 'null', 'http://dash.example.test']) {
      const answer = await preflight(origin);
      expect(answer.status, origin).toBe(403);
      expect(JSON.parse(answer.body)).toMatchObject({ code: 'forbidden', message: expect.stringMatching(/may not call this API from a browser/) });
      expect(answer.headers['access-control-allow-origin'], origin).toBeUndefined();
      const simple = await call('GET', '/health/', { origin });
      expect(simple.status).toBe(200);
      expect(simple.headers['access-control-allow-origin'], origin).toBeUndefined();
    }
  });
});

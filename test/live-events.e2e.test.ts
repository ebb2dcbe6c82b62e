// Live events over server-sent events, against a real Berth, PostgreSQL, Redis and Docker: an
// operation's stream ends with its final state and carries a release's steps and its release
// command's output; a company's stream carries operation and app-status changes and nothing of
// another company's; heartbeats keep an idle stream alive; streams count toward the company's limit.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useBerth } from './support/fixture.js';
import { postApp, register, waitForOperation } from './support/http.js';
import { openSse, openSseWhenFree } from './support/sse.js';

const fx = useBerth('live', { BERTH_ROLES: 'api,worker', LIVE_HEARTBEAT_MS: '300', LIVE_STREAMS_PER_COMPANY: '2', JOB_BACKOFF_MS: '200' });
type Owner = Awaited<ReturnType<typeof register>>;
let owner: Owner;
let other: Owner;
let appId = 0;

const url = (path: string) => `${fx.berth.url}${path}`;

const statuses = (events: Array<{ event: string; data: any }>) => events.filter((e) => e.event === 'operation').map((e) => e.data.status);

describe('live events', () => {
  it('streams an operation from its state now until it ends with its final state', async () => {
    owner = await register(fx.api, 'Live Owner');
    other = await register(fx.api, 'Live Other');
    const created = await postApp(fx.api, owner, 'livey');
    appId = created.id;
    const stream = await openSse(url(`/${owner.company.id}/operations/${created.operation_id}/`), owner.token);
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    await stream.ended;
    const seen = statuses(stream.events);
    expect(seen.at(-1)).toBe('success');
    expect(seen).toEqual([...seen].sort((a, b) => ['pending', 'running', 'success'].indexOf(a) - ['pending', 'running', 'success'].indexOf(b)));
    const last = stream.events.at(-1)!;
    // The final event is the operation exactly as the REST API reads it.
    const read = await fx.api.get(`/${owner.company.id}/operations/${created.operation_id}/`, { token: owner.token });
    expect(last.data).toEqual(read.body);
    expect(last.id).toMatch(new RegExp(`^${created.operation_id}-\\d+$`));

    // An operation that has ended: one event, its final state, and the stream ends.
    const again = await openSse(url(`/${owner.company.id}/operations/${created.operation_id}/`), owner.token);
    await again.ended;
    expect(statuses(again.events)).toEqual(['success']);
  }, 120_000);

  it("carries a release's steps and its release command's output, in order", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-live-'));
    writeFileSync(join(dir, 'server.js'), "require('node:http').createServer((q, s) => s.end('ok')).listen(process.env.PORT);\n");
    writeFileSync(join(dir, 'berth.json'), JSON.stringify({ release: 'sleep 1; echo first line; echo second line >&2; echo third line' }));
    const archive = execFileSync('tar', ['-czf', '-', '-C', dir, '.']);
    rmSync(dir, { recursive: true, force: true });
    const posted = await fetch(url(`/${owner.company.id}/apps/${appId}/releases/`), {
      method: 'POST',
      headers: { authorization: `Token ${owner.token}`, 'content-type': 'application/gzip' },
      body: new Uint8Array(archive),
    });
    const release = await posted.json();
    expect(posted.status, JSON.stringify(release)).toBe(200);
    const stream = await openSse(url(`/${owner.company.id}/operations/${release.operation_id}/`), owner.token);
    await stream.ended;
    const messages = stream.events.filter((e) => e.event === 'operation').map((e) => e.data.message);
    expect(messages).toContain('release 1: running the release command: sleep 1; echo first line; echo second line >&2; echo third line');
    expect(messages.some((m) => /release 1: waiting up to .* for HTTP/.test(m))).toBe(true);
    const lines = stream.events.filter((e) => e.event === 'output').map((e) => e.data.line);
    expect(lines.filter((l) => l !== 'second line')).toEqual(['first line', 'third line']);
    expect(lines).toContain('second line');
    expect(statuses(stream.events).at(-1)).toBe('success');
  }, 120_000);

  it("carries a company's operation and app-status changes, with heartbeats, and nothing of another company's", async () => {
    const mine = await openSse(url(`/${owner.company.id}/events/stream`), owner.token);
    const theirs = await openSse(url(`/${other.company.id}/events/stream`), other.token);
    expect([mine.status, theirs.status]).toEqual([200, 200]);
    const restart = await fx.api.put(`/${owner.company.id}/apps-action/${appId}/`, { token: owner.token, body: { action: 'restart' } });
    expect(restart.status, restart.text).toBe(200);
    await waitForOperation(fx.api, owner.token, owner.company.id, restart.body.operation_id);
    const events = await mine.until((all) => all.some((e) => e.event === 'operation' && e.data.id === restart.body.operation_id && e.data.status === 'success'));
    expect(events.filter((e) => e.event === 'operation' && e.data.id === restart.body.operation_id).map((e) => e.data.status)).toContain('running');
    expect(events.some((e) => e.event === 'app' && e.data.id === appId && e.data.status === 'running')).toBe(true);
    // Heartbeats every 300 ms on both; not one event of the first company on the second's.
    await theirs.until(() => theirs.comments >= 3, 5000);
    expect(theirs.events).toEqual([]);
    mine.close();
    theirs.close();
  }, 120_000);

  it('answers 404 to another company for an operation, on its own path or the owner’s', async () => {
    const op = (await fx.api.get(`/${owner.company.id}/operations/`, { token: owner.token })).body[0].id;
    const foreign = await openSse(url(`/${other.company.id}/operations/${op}/`), other.token);
    expect(foreign.status).toBe(404);
    const trespass = await openSse(url(`/${owner.company.id}/operations/${op}/`), other.token);
    expect(trespass.status).toBe(404);
  });

  it('holds a company to LIVE_STREAMS_PER_COMPANY open streams, across stream kinds, and frees a slot when one closes', async () => {
    // Slots of the streams closed above are given back: two open now.
    const first = await openSse(url(`/${owner.company.id}/events/stream`), owner.token);
    const second = await openSse(url(`/${owner.company.id}/events/stream`), owner.token);
    expect([first.status, second.status]).toEqual([200, 200]);
    const third = await openSse(url(`/${owner.company.id}/events/stream`), owner.token);
    expect(third.status).toBe(429);
    expect(third.body).toMatchObject({ code: 'rate_limited', message: expect.stringMatching(/2 live streams open, the most it may/) });
    expect(Number(third.headers.get('retry-after'))).toBeGreaterThan(0);
    // Another company is not held to this one's count.
    const elsewhere = await openSse(url(`/${other.company.id}/events/stream`), other.token);
    expect(elsewhere.status).toBe(200);
    first.close();
    const fourth = await openSseWhenFree(url(`/${owner.company.id}/events/stream`), owner.token, 5000);
    expect(fourth.status).toBe(200);
    second.close();
    fourth.close();
    elsewhere.close();
  });
});

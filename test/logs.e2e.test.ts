// Apps' logs through the API, against a real Berth (API and worker), Redis and Docker with the
// runtime image's supervisord: every program's stdout and stderr and the container's own output,
// filtered by lines, since and process; followed over SSE within a second of being printed,
// resumed with Last-Event-ID; kept across stop/start, each line once and in order; bounded by
// LOGS_RETENTION_BYTES; and nothing of one company's reaches another's.
import { describe, expect, it } from 'vitest';
import { docker } from './support/docker.js';
import { useBerth } from './support/fixture.js';
import { register, waitForOperation } from './support/http.js';
import { addProgram, appContainer, createPythonApp, until } from './support/app-programs.js';
import { openSse } from './support/sse.js';

const RETENTION = 256 * 1024;
const fx = useBerth('logs', { BERTH_ROLES: 'api,worker', JOB_BACKOFF_MS: '200', LOGS_RETENTION_BYTES: String(RETENTION), LOGS_LINES_MAX: '5000', LIVE_HEARTBEAT_MS: '500' });
type Owner = Awaited<ReturnType<typeof register>>;
type Line = { timestamp: string; process: string; stream: string; message: string };
let owner: Owner;
let other: Owner;
let appId = 0;
let otherAppId = 0;

const container = (id: number) => appContainer(fx, id);
const logsUrl = (who: Owner, id: number, query = '') => `${fx.berth.url}/${who.company.id}/apps/${id}/logs/${query}`;
const createApp = (who: Owner, name: string) => createPythonApp(fx, who, name);

async function read(who: Owner, id: number, query = ''): Promise<{ status: number; body: any }> {
  return fx.api.get(`/${who.company.id}/apps/${id}/logs/${query}`, { token: who.token });
}

async function action(who: Owner, id: number, name: 'stop' | 'start'): Promise<void> {
  const answer = await fx.api.put(`/${who.company.id}/apps-action/${id}/`, { token: who.token, body: { action: name } });
  expect(answer.status, answer.text).toBe(200);
  expect((await waitForOperation(fx.api, who.token, who.company.id, answer.body.operation_id)).status).toBe('success');
}

// Prints a numbered burst on stdout and stderr when it starts, then waits.
const BURST = `import sys, time
for i in range(300):
    print(f"alpha {i}")
    print(f"alpha err {i}", file=sys.stderr)
time.sleep(1e9)`;

// Prints "marker <n>" each time /srv/var/trigger appears, then removes it. (The test writes the
// trigger beside it and renames it into place: the program never reads a half-written one.)
const MARKER = `import os, time
n = 0
while True:
    if os.path.exists('/srv/var/trigger'):
        n += 1
        print(f"marker {open('/srv/var/trigger').read().strip()}", flush=True)
        os.remove('/srv/var/trigger')
    time.sleep(0.005)`;

describe('app logs', () => {
  it("keeps every program's stdout and stderr and the container's own output, in order, and filters by lines, since and process", async () => {
    owner = await register(fx.api, 'Logs Owner');
    other = await register(fx.api, 'Logs Other');
    appId = await createApp(owner, 'logsy');
    await addProgram(fx, appId, 'alpha', BURST);
    const all = await until('the burst is collected', async () => {
      const answer = await read(owner, appId, '?process=alpha&lines=5000');
      return answer.body.length === 600 && (answer.body as Line[]);
    });
    // In order, each once: stdout and stderr of one program interleave as printed per stream.
    const out = all.filter((l) => l.stream === 'stdout').map((l) => l.message);
    const err = all.filter((l) => l.stream === 'stderr').map((l) => l.message);
    expect(out).toEqual(Array.from({ length: 300 }, (_, i) => `alpha ${i}`));
    expect(err).toEqual(Array.from({ length: 300 }, (_, i) => `alpha err ${i}`));
    expect(all.every((l) => l.process === 'alpha' && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/.test(l.timestamp))).toBe(true);
    expect(all.map((l) => l.timestamp)).toEqual([...all.map((l) => l.timestamp)].sort());

    // lines: the last n, oldest first.
    const last = (await read(owner, appId, '?process=alpha&lines=4')).body as Line[];
    expect(last).toEqual(all.slice(-4));
    // since: from a line's own timestamp on, that line included.
    const from = all[500];
    const since = (await read(owner, appId, `?process=alpha&lines=5000&since=${encodeURIComponent(from.timestamp)}`)).body as Line[];
    expect(since).toEqual(all.slice(500));
    // Default: the last 100 of every process, the default app's and the container's own among them.
    const everything = (await read(owner, appId, '?lines=5000')).body as Line[];
    expect(everything.some((l) => l.process === 'app' && l.message.includes('listening'))).toBe(true);
    const own = (await read(owner, appId, '?process=container&lines=5000')).body as Line[];
    expect(own.some((l) => /spawned: 'alpha'/.test(l.message))).toBe(true);
    expect(own.every((l) => l.process === 'container')).toBe(true);
    expect(((await read(owner, appId)).body as Line[]).length).toBe(100);
  }, 120_000);

  it('names the field of a bad query', async () => {
    for (const [query, field] of [['?lines=0', 'lines'], ['?lines=5001', 'lines'], ['?follow=true&lines=5001', 'lines'], ['?since=yesterday', 'since'], ['?process=a%20b', 'process'], ['?follow=maybe', 'follow']]) {
      const answer = await read(owner, appId, query);
      expect(answer.status, `${query}: ${JSON.stringify(answer.body)}`).toBe(400);
      expect(JSON.stringify(answer.body), query).toContain(field);
    }
  });

  it('delivers a printed line to a follower within a second, and Last-Event-ID resumes after the last line seen', async () => {
    await addProgram(fx, appId, 'marker', MARKER);
    await until('the marker program runs', async () => (await docker('exec', container(appId), 'supervisorctl', 'status', 'marker').catch((e) => String(e.stdout))).includes('RUNNING'));
    const follower = await openSse(logsUrl(owner, appId, '?process=marker&lines=1'), owner.token);
    expect(follower.status).toBe(200);
    const latencies: number[] = [];
    for (let i = 1; i <= 5; i++) {
      await docker('exec', container(appId), 'sh', '-c', `echo ${i} > /srv/var/trigger.new && mv /srv/var/trigger.new /srv/var/trigger`);
      const events = await follower.until((e) => e.some((x) => x.data.message === `marker ${i}`), 5000);
      const event = events.find((x) => x.data.message === `marker ${i}`)!;
      latencies.push(Date.now() - Date.parse(event.data.timestamp));
      expect(event.event).toBe('log');
      expect(event.id).toMatch(/^\d+-\d+$/);
    }
    // From the engine's timestamp of the line to this client: under a second each time.
    expect(Math.max(...latencies), JSON.stringify(latencies)).toBeLessThan(1000);
    const seen = follower.events.filter((e) => e.event === 'log');
    follower.close();

    // Lines printed while nobody follows come on reconnecting with Last-Event-ID, and nothing before them.
    for (const i of [6, 7]) {
      await docker('exec', container(appId), 'sh', '-c', `echo ${i} > /srv/var/trigger.new && mv /srv/var/trigger.new /srv/var/trigger`);
      await until(`marker ${i} stored`, async () => ((await read(owner, appId, '?process=marker&lines=1')).body as Line[])[0]?.message === `marker ${i}`);
    }
    const resumed = await openSse(logsUrl(owner, appId, '?process=marker&follow=true'), owner.token, { 'last-event-id': seen.at(-1)!.id! });
    const events = await resumed.until((e) => e.filter((x) => x.event === 'log').length >= 2, 5000);
    expect(events.filter((x) => x.event === 'log').map((x) => x.data.message)).toEqual(['marker 6', 'marker 7']);
    resumed.close();
  }, 120_000);

  it("opens a log stream with a stream ticket, as a browser's EventSource does, and only that app's", async () => {
    const path = `/api/v1/${owner.company.id}/apps/${appId}/logs`;
    const issued = await fx.api.post('/stream-tickets/', { token: owner.token, body: { path: `${path}/` } });
    expect(issued.status, issued.text).toBe(200);
    const origin = new URL(fx.berth.url).origin;
    const open = (p: string) => fetch(`${origin}${p}/?ticket=${issued.body.ticket}&process=marker&lines=2`, { headers: { accept: 'text/event-stream' }, signal: AbortSignal.timeout(10_000) });
    const stream = await open(path);
    expect(stream.status).toBe(200);
    const reader = stream.body!.getReader();
    let text = '';
    while (!text.includes('marker 7')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    expect(text).toContain('event: log');
    await reader.cancel();
    expect((await open(`/api/v1/${owner.company.id}/apps/${appId + 1}/logs`)).status).toBe(401);
  });

  it('keeps the history across stop and start, each line once', async () => {
    const before = (await read(owner, appId, '?process=alpha&lines=5000')).body as Line[];
    await action(owner, appId, 'stop');
    // Stopped: the container is gone, its log is not.
    const stopped = (await read(owner, appId, '?process=alpha&lines=5000')).body as Line[];
    expect(stopped).toEqual(before);
    await action(owner, appId, 'start');
    const after = await until('the second run is collected', async () => {
      const lines = (await read(owner, appId, '?process=alpha&lines=5000')).body as Line[];
      return lines.length === 1200 && lines;
    });
    expect(after.slice(0, 600)).toEqual(before);
    expect(after.filter((l) => l.message === 'alpha 0')).toHaveLength(2);
  }, 120_000);

  it("shows a company nothing of another's: 404 on its app, and its own follower gets only its own lines", async () => {
    otherAppId = await createApp(other, 'otherlogs');
    for (const path of ['', '?follow=true']) {
      const answer = await fx.api.get(`/${other.company.id}/apps/${appId}/logs/${path}`, { token: other.token });
      expect(answer.status).toBe(404);
      const cross = await fx.api.get(`/${owner.company.id}/apps/${appId}/logs/${path}`, { token: other.token });
      expect(cross.status).toBe(404);
    }
    const theirs = await openSse(logsUrl(other, otherAppId, '?lines=5000'), other.token);
    expect(theirs.status).toBe(200);
    await docker('exec', container(appId), 'sh', '-c', 'echo secret-of-owner > /srv/var/trigger.new && mv /srv/var/trigger.new /srv/var/trigger');
    await until('the owner sees its own line', async () => ((await read(owner, appId, '?process=marker&lines=1')).body as Line[])[0]?.message === 'marker secret-of-owner');
    await new Promise((r) => setTimeout(r, 500));
    theirs.close();
    expect(JSON.stringify(theirs.events)).not.toContain('secret-of-owner');
    expect(JSON.stringify(theirs.events)).not.toContain('alpha');
  }, 120_000);

  it('keeps at most LOGS_RETENTION_BYTES of an app, the newest lines', async () => {
    const big = `import time\nfor i in range(4000):\n    print(f"bulk {i:05d} " + "x" * 100)\ntime.sleep(1e9)`;
    await addProgram(fx, appId, 'bulk', big);
    const kept = await until('the bulk output is collected', async () => {
      const lines = (await read(owner, appId, '?process=bulk&lines=5000')).body as Line[];
      return lines.at(-1)?.message.startsWith('bulk 03999') && lines;
    });
    const bytes = kept.reduce((n, l) => n + l.message.length, 0);
    expect(bytes).toBeLessThan(RETENTION);
    // The oldest went first: what is left is a contiguous run up to the newest.
    const numbers = kept.map((l) => Number(l.message.slice(5, 10)));
    expect(numbers).toEqual(Array.from({ length: numbers.length }, (_, i) => 4000 - numbers.length + i));
    expect(numbers.length).toBeLessThan(4000);
  }, 120_000);
});

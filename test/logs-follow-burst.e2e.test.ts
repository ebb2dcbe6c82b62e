// Following an app's log through bursts far larger than LIVE_BUFFER_MAX, against a real Berth
// (API and worker), Redis and Docker: a client that reads more slowly than the app prints (or
// than a large backlog is sent) gets every line, in order, once each, and then the live ones; a
// client that stops reading altogether is dropped, never buffered for.
import { describe, expect, it } from 'vitest';
import { addProgram, burst as burstIn, BURSTER, burstStored, createPythonApp, PAD, programRuns, until } from './support/app-programs.js';
import { useBerth } from './support/fixture.js';
import { register } from './support/http.js';
import { openSse, summary, type SseClient } from './support/sse.js';

// A client is taken for gone after two heartbeats with too much unread: longer than a burst takes to store.
const HEARTBEAT_MS = 20_000;
const fx = useBerth('logburst', {
  BERTH_ROLES: 'api,worker',
  JOB_BACKOFF_MS: '200',
  LIVE_BUFFER_MAX: '64kb',
  LIVE_HEARTBEAT_MS: String(HEARTBEAT_MS),
  LOGS_RETENTION_BYTES: '64mb',
  LOGS_LINES_MAX: '5000',
});
type Owner = Awaited<ReturnType<typeof register>>;
let owner: Owner;
let appId = 0;
// Lines of a burst: about 4 kB each, 10 MB in all, 160 times LIVE_BUFFER_MAX and more than the
// kernel's buffers on loopback and the client's own hold (about 4 MB), so the server has to wait.
const COUNT = 2500;

const burst = (tag: string, count: number) => burstIn(fx, appId, tag, count);
const lines = (tag: string, count: number) => Array.from({ length: count }, (_, i) => `${tag} ${i} ${PAD}`);
const follow = (query: string) => openSse(`${fx.berth.url}/${owner.company.id}/apps/${appId}/logs/?process=burster&follow=true&${query}`, owner.token);
const messages = (client: SseClient) => client.events.filter((e) => e.event === 'log').map((e) => e.data.message as string);
/** The lines' tags and numbers, and whether each is whole: a failure's message stays short. */
const heads = (all: string[]) => all.map((m) => (m.endsWith(` ${PAD}`) ? m.slice(0, -PAD.length - 1) : `cut: ${m.slice(0, 20)}`));
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

const stored = (tag: string, count: number) => burstStored(fx, owner, appId, tag, count);

describe('following a log through bursts', () => {
  it('gives a client that reads more slowly than the app prints every line, in order, once each, then the live ones', async () => {
    owner = await register(fx.api, 'Burst Owner');
    appId = await createPythonApp(fx, owner, 'bursty');
    await addProgram(fx, appId, 'burster', BURSTER);
    await programRuns(fx, appId, 'burster');

    const client = await follow('lines=1');
    expect(client.status).toBe(200);
    // The client reads nothing while the app prints 160 times what it may leave unread (for less
    // than the two heartbeats after which it would be taken for gone).
    client.pause();
    await burst('A', COUNT);
    await stored('A', COUNT);
    client.resume();
    await client.until((events) => events.some((e) => e.data?.message === `A ${COUNT - 1} ${PAD}`), 60_000);
    await burst('B', 1);
    await client.until((events) => events.some((e) => e.data?.message?.startsWith('B 0')), 20_000);
    expect(client.end, summary(client.events)).toBeNull();
    expect(heads(messages(client))).toEqual(heads([...lines('A', COUNT), ...lines('B', 1)]));
    client.close();
  }, 180_000);

  it('sends a backlog larger than the limit as fast as the client reads it, then the lines after it', async () => {
    await stored('B', 1);
    const client = await follow(`lines=${COUNT + 1}`);
    expect(client.status).toBe(200);
    client.pause();
    await pause(5000);
    client.resume();
    await client.until((events) => events.some((e) => e.data?.message?.startsWith('B 0')), 60_000);
    await burst('C', 1);
    await client.until((events) => events.some((e) => e.data?.message?.startsWith('C 0')), 20_000);
    expect(client.end, summary(client.events)).toBeNull();
    expect(heads(messages(client))).toEqual(heads([...lines('A', COUNT), ...lines('B', 1), ...lines('C', 1)]));
    client.close();
  }, 120_000);

  it('drops a client that stops reading, and goes on for the others', async () => {
    const gone = await follow('lines=1');
    const reader = await follow('lines=1');
    gone.pause();
    await burst('D', COUNT);
    await stored('D', COUNT);
    // Two heartbeats without reading what is unread: the server closes the stream.
    await pause(2 * HEARTBEAT_MS + 2000);
    gone.resume();
    await until('the stream has ended', async () => gone.end !== null, 20_000);
    expect(gone.end).not.toBe('closed here');
    expect(messages(gone).length).toBeLessThan(COUNT);
    // The client that reads got all of it.
    await reader.until((events) => events.some((e) => e.data?.message === `D ${COUNT - 1} ${PAD}`), 60_000);
    expect(heads(messages(reader))).toEqual(heads([`C 0 ${PAD}`, ...lines('D', COUNT)]));
    reader.close();
  }, 120_000);
});

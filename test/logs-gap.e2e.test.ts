// Lines trimmed from an app's log (LOGS_RETENTION_BYTES) before a follower got them, against a real
// Berth (API and worker), Redis and Docker: the follower is told by a `gap` event naming the last
// line it had, before the lines still stored; never a silent hole. Both ways it happens: a client
// that waited (it read too slowly) and a client that reconnects with an old Last-Event-ID.
import { describe, expect, it } from 'vitest';
import { addProgram, burst, BURSTER, burstStored, createPythonApp, PAD, programRuns } from './support/app-programs.js';
import { useBerth } from './support/fixture.js';
import { register } from './support/http.js';
import { openSse, summary, type SseClient, type SseEvent } from './support/sse.js';

const fx = useBerth('loggap', {
  BERTH_ROLES: 'api,worker',
  JOB_BACKOFF_MS: '200',
  LIVE_BUFFER_MAX: '64kb',
  LIVE_HEARTBEAT_MS: '20000',
  // About 64 of the bursts' 4 kB lines.
  LOGS_RETENTION_BYTES: '256kb',
});
type Owner = Awaited<ReturnType<typeof register>>;
let owner: Owner;
let appId = 0;
// 10 MB: more than the kernel's buffers on loopback and the client's hold (about 4 MB), so the
// server has to wait for the client, and forty times what the log keeps.
const COUNT = 2500;
/** The id of the first line of burst A, once received: trimmed since. */
let firstOfA = '';

const follow = (query: string, headers: Record<string, string> = {}) =>
  openSse(`${fx.berth.url}/${owner.company.id}/apps/${appId}/logs/?process=burster&follow=true&${query}`, owner.token, headers);
const line = (e: SseEvent) => (e.event === 'log' ? (e.data.message as string).slice(0, -PAD.length - 1) : `${e.event} after ${e.data.after}`);
/** The line numbers of burst `tag` that `events` hold, in order. */
const numbers = (events: SseEvent[], tag: string) => events.filter((e) => e.event === 'log' && e.data.message.startsWith(`${tag} `)).map((e) => Number(e.data.message.split(' ')[1]));
const isRun = (list: number[]) => list.every((n, i) => i === 0 || n === list[i - 1] + 1);

const stored = (tag: string, count: number) => burstStored(fx, owner, appId, tag, count);

const received = (client: SseClient, message: string) => client.until((events) => events.some((e) => e.data?.message === message), 60_000);

describe('lines trimmed before a follower got them', () => {
  it('tells a client that waited which lines it missed, then sends those still stored, in order', async () => {
    owner = await register(fx.api, 'Gap Owner');
    appId = await createPythonApp(fx, owner, 'gappy');
    await addProgram(fx, appId, 'burster', BURSTER);
    await programRuns(fx, appId, 'burster');

    const client = await follow('lines=1');
    expect(client.status).toBe(200);
    client.pause();
    await burst(fx, appId, 'A', COUNT);
    await stored('A', COUNT);
    client.resume();
    await received(client, `A ${COUNT - 1} ${PAD}`);
    const events = client.events.filter((e) => e.event !== 'log' || e.data.message.startsWith('A '));
    expect(events[0], summary(client.events)).toMatchObject({ event: 'log', data: { message: `A 0 ${PAD}` } });
    expect(events.at(-1)).toMatchObject({ event: 'log', data: { message: `A ${COUNT - 1} ${PAD}` } });
    // Wherever the lines jump, a gap came between, naming the last line before it; and a gap is
    // never told where nothing was missed. (The collector stores a burst in batches larger than
    // this log keeps, so even a reading client loses lines to trimming, and is told.)
    let gaps = 0;
    for (let i = 1; i < events.length; i++) {
      if (events[i].event !== 'log') continue;
      const gap = events[i - 1].event === 'gap' ? events[i - 1] : null;
      const previous = events[gap ? i - 2 : i - 1];
      const [was, is] = [line(previous), line(events[i])].map((text) => Number(text.split(' ')[1]));
      const where = `${line(previous)} | ${gap ? `${line(gap)} | ` : ''}${line(events[i])}`;
      expect(previous.event, where).toBe('log');
      if (gap) {
        gaps++;
        // This follow shows one program, and the log is numbered as a whole: the message says so.
        expect(gap.data, where).toEqual({ after: previous.id, message: expect.stringMatching(/trimmed from the log.*; they may be of any program, not only burster$/) });
        expect(gap.id, where).toBeUndefined();
        expect(is, where).toBeGreaterThan(was + 1);
      } else expect(is, where).toBe(was + 1);
    }
    expect(gaps).toBeGreaterThan(0);
    // What is still stored after the last gap is all sent: the log keeps about 64 of these lines.
    expect(events.length - events.findLastIndex((e) => e.event === 'gap')).toBeGreaterThan(30);
    firstOfA = events.find((e) => e.event === 'log' && e.data.message.startsWith('A 0 '))!.id!;
    client.close();
  }, 180_000);

  it('tells a client that reconnects after a trimmed line, and not one that reconnects after a kept one', async () => {
    const late = await follow('', { 'last-event-id': firstOfA });
    expect(late.status).toBe(200);
    await received(late, `A ${COUNT - 1} ${PAD}`);
    expect(late.events[0]).toMatchObject({ event: 'gap', data: { after: firstOfA } });
    const kept = numbers(late.events, 'A');
    expect(isRun(kept) && kept.at(-1) === COUNT - 1 && kept[0] > 1, summary(late.events)).toBe(true);
    const newest = late.events.at(-1)!.id!;
    late.close();

    const current = await follow('', { 'last-event-id': newest });
    await burst(fx, appId, 'B', 1);
    await received(current, `B 0 ${PAD}`);
    expect(current.events.map((e) => e.event)).toEqual(['log']);
    current.close();
  }, 120_000);
});

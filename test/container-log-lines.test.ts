import { describe, expect, it } from 'vitest';
import { containerLogs } from '../dist/src/containers/docker/docker-logs.js';

// The engine's multiplexed log frames: 8-byte header (stream, length), then "time text".
function frame(stream: 1 | 2, time: string, text: string): Buffer {
  const payload = Buffer.from(`${time} ${text}`, 'utf8');
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

// A container whose logs are the given frames, in one buffer (as the engine answers without follow).
type Container = Parameters<typeof containerLogs>[0];
const container = (frames: Buffer[]) => ({ logs: async () => Buffer.concat(frames) }) as unknown as Container;

async function read(frames: Buffer[]) {
  const lines: Array<{ time: string; stream: string; text: string }> = [];
  for await (const line of containerLogs(container(frames), { follow: false, signal: new AbortController().signal })) lines.push(line);
  return lines;
}

const T = (n: number) => `2026-12-03T00:00:0${n}.5Z`;

describe('container log lines', () => {
  it('joins the parts the engine split a long line into, with the time of the last part', async () => {
    const a = 'a'.repeat(16384);
    const b = 'b'.repeat(16384);
    const lines = await read([frame(1, T(1), a), frame(2, T(2), 'an error\n'), frame(1, T(2), b), frame(1, T(3), 'end\r\n'), frame(1, T(4), 'next\n')]);
    expect(lines).toEqual([
      { time: '2026-12-03T00:00:02.500000000Z', stream: 'stderr', text: 'an error' },
      { time: '2026-12-03T00:00:03.500000000Z', stream: 'stdout', text: `${a}${b}end` },
      { time: '2026-12-03T00:00:04.500000000Z', stream: 'stdout', text: 'next' },
    ]);
  });

  it('keeps a line the output ended in, and a carriage return inside a line', async () => {
    const lines = await read([frame(1, T(1), 'one\n'), frame(1, T(2), 'half\r'), frame(1, T(3), 'way')]);
    expect(lines.map((l) => l.text)).toEqual(['one', 'half\rway']);
    expect(lines[1].time).toBe('2026-12-03T00:00:03.500000000Z');
  });

  it('lets a line without a newline grow no further than 1 MiB', async () => {
    const part = 'x'.repeat(16384);
    const lines = await read([...Array.from({ length: 70 }, () => frame(1, T(1), part)), frame(1, T(2), 'tail\n')]);
    expect(lines.map((l) => l.text.length)).toEqual([64 * 16384, 6 * 16384 + 4]);
  });
});

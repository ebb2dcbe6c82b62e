import type Docker from 'dockerode';
import type { ContainerLogLine } from '../container-driver.js';

const HEADER = 8;
/** A line held together from the engine's parts no longer than this (a runaway line without a newline). */
const MAX_LINE = 1024 * 1024;

/**
 * A container's output as the engine kept it, line by line and in order, each with the engine's
 * timestamp. Docker's multiplexed frames (8-byte header: stream, length) are read one after the
 * other, so stdout and stderr keep their interleaving (a demuxer into two streams would lose it).
 *
 * The engine keeps a line longer than 16 KiB as several parts, each but the last without its
 * newline. They are joined again here, so that a line is a line: what is masked or parsed as a
 * whole (a secret, a tagged JSON line) is whole. The joined line carries the time of its last part,
 * so a copy resuming after it does not read its later parts again.
 */
export async function* containerLogs(
  container: Docker.Container,
  options: { since?: string; follow: boolean; signal: AbortSignal },
): AsyncGenerator<ContainerLogLine> {
  const stream = (await container.logs({
    follow: options.follow as true,
    stdout: true,
    stderr: true,
    timestamps: true,
    // Fractional seconds are honoured: `since` resumes at a line, not at its second.
    since: options.since ? sinceParameter(options.since) : 0,
    abortSignal: options.signal,
  } as Docker.ContainerLogsOptions & { follow: true })) as unknown as NodeJS.ReadableStream | Buffer;
  const chunks: Iterable<Buffer> | AsyncIterable<Buffer> = Buffer.isBuffer(stream) ? [stream] : (stream as AsyncIterable<Buffer>);
  let pending: Buffer = Buffer.alloc(0);
  const parts = new LineParts();
  try {
    for await (const chunk of chunks) {
      pending = pending.length > 0 ? Buffer.concat([pending, chunk]) : chunk;
      while (pending.length >= HEADER) {
        const size = pending.readUInt32BE(4);
        if (pending.length < HEADER + size) break;
        const streamName = pending[0] === 2 ? 'stderr' : 'stdout';
        const frame = pending.subarray(HEADER, HEADER + size).toString('utf8');
        pending = pending.subarray(HEADER + size);
        const line = parseFrame(frame, streamName);
        if (!line) continue;
        const whole = parts.add(line, frame.endsWith('\n'));
        if (whole) yield whole;
      }
    }
  } catch (err) {
    if (options.signal.aborted) return;
    throw err;
  }
  // The output ended inside a line (a program that exited without a last newline): it is whole now.
  yield* parts.rest();
}

/** The parts of each stream's line that the engine split, until the part that ends it. */
class LineParts {
  private readonly open = new Map<'stdout' | 'stderr', ContainerLogLine>();

  /** The line a part completes (or one grown past MAX_LINE); null while it is still open. */
  add(part: ContainerLogLine, ends: boolean): ContainerLogLine | null {
    const held = this.open.get(part.stream);
    const line = held ? { time: part.time, stream: part.stream, text: held.text + part.text } : part;
    if (ends || line.text.length >= MAX_LINE) {
      this.open.delete(part.stream);
      return ends && line.text.endsWith('\r') ? { ...line, text: line.text.slice(0, -1) } : line;
    }
    this.open.set(part.stream, line);
    return null;
  }

  *rest(): Generator<ContainerLogLine> {
    const lines = [...this.open.values()].sort((a, b) => (a.time < b.time ? -1 : 1));
    this.open.clear();
    yield* lines;
  }
}

/** `2026-12-02T07:30:12.1234Z message\n` → a line with a fixed-width UTC timestamp. */
function parseFrame(frame: string, stream: 'stdout' | 'stderr'): ContainerLogLine | null {
  const space = frame.indexOf(' ');
  if (space < 0) return null;
  const time = normalizeTime(frame.slice(0, space));
  if (!time) return null;
  // Its newline goes; a carriage return before it goes once the line is whole (LineParts).
  return { time, stream, text: frame.endsWith('\n') ? frame.slice(space + 1, -1) : frame.slice(space + 1) };
}

/**
 * RFC 3339 with nine digits of fraction, in UTC, so that times compare as strings (the engine
 * trims trailing zeros: `.1Z` and `.12Z` would sort wrongly).
 */
export function normalizeTime(value: string): string | null {
  const match = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z$/.exec(value);
  if (!match) return null;
  return `${match[1]}.${(match[2] ?? '').padEnd(9, '0')}Z`;
}

/** The engine's `since`: seconds since the epoch with nanoseconds, just after the given line. */
function sinceParameter(time: string): string {
  const seconds = Math.floor(Date.parse(`${time.slice(0, 19)}Z`) / 1000);
  return `${seconds}.${time.slice(20, 29)}`;
}

// An exec's streams when the engine's connection closes without ending (the engine restarted, a
// reset): both still end, after what arrived, so that nothing reading them waits for ever (a deploy
// step reading tar's stderr after its exit, an SSH session). The engine is faked here: the
// connection is a stream this test closes; every e2e test runs execs against the real engine.
import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { startExec } from '../src/containers/docker/docker-exec.js';

/** One frame of Docker's multiplexed stream: 1 stdout, 2 stderr. */
const frame = (stream: 1 | 2, text: string) => {
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(Buffer.byteLength(text), 4);
  return Buffer.concat([header, Buffer.from(text)]);
};

const text = (stream: NodeJS.ReadableStream) =>
  new Promise<string>((resolve) => {
    let out = '';
    stream.on('data', (c: Buffer) => (out += c.toString()));
    stream.on('end', () => resolve(out));
  });

function engine(connection: PassThrough): Docker.Container {
  return {
    exec: async () => ({
      start: async () => connection,
      inspect: async () => ({ Running: false, ExitCode: 137 }),
      resize: async () => undefined,
    }),
  } as unknown as Docker.Container;
}

describe('an exec whose connection closes without ending', () => {
  it('ends stdout and stderr after what arrived, and reports the exit', async () => {
    const connection = new PassThrough();
    const session = await startExec(engine(connection), ['tar', '-x'], {});
    const out = text(session.stdout);
    const err = text(session.stderr);
    connection.write(frame(1, 'partial output'));
    connection.write(frame(2, 'tar: a warning'));
    await new Promise((r) => setImmediate(r));
    connection.destroy();
    expect(await out).toBe('partial output');
    expect(await err).toBe('tar: a warning');
    expect(await session.exit).toBe(137);
  });

  it('ends them as before when it ends', async () => {
    const connection = new PassThrough();
    const session = await startExec(engine(connection), ['true'], {});
    const out = text(session.stdout);
    connection.end(frame(1, 'all of it'));
    expect(await out).toBe('all of it');
    expect(await text(session.stderr)).toBe('');
  });
});

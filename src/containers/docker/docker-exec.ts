import type Docker from 'dockerode';
import { type Duplex, PassThrough } from 'node:stream';
import { within } from '../../common/within.js';
import type { ExecOptions, ExecSession } from '../container-driver.js';
import { DockerDemuxer } from './demux.js';

const OUTPUT_LIMIT = 64 * 1024;

/** Starts `argv` in the running container with its streams attached (hijacked: stdin can be half-closed). */
export async function startExec(container: Docker.Container, argv: string[], options: ExecOptions): Promise<ExecSession> {
  const tty = options.tty ?? null;
  const exec = await container.exec({
    Cmd: argv,
    User: options.user ?? 'app',
    Env: Object.entries({ ...(tty ? { TERM: tty.term } : {}), ...options.env }).map(([k, v]) => `${k}=${v}`),
    WorkingDir: options.workingDir,
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    Tty: tty !== null,
  });
  const socket = (await exec.start({ hijack: true, stdin: true, Tty: tty !== null })) as unknown as Duplex;
  // A process that exits while input is still being written to it (`head -c 1` fed a stream) gets
  // EPIPE, a peer that goes away ECONNRESET: an ordinary end of the session, which 'close' (exit)
  // reports. Unheard, the socket's 'error' event would end the whole process (every SSH session,
  // and the API where it runs beside).
  socket.on('error', () => undefined);
  if (tty) await exec.resize({ h: tty.rows, w: tty.cols }).catch(() => undefined);
  let stdout: NodeJS.ReadableStream = socket;
  let stderr: NodeJS.ReadableStream;
  if (tty) {
    // A terminal merges both streams into one.
    stderr = new PassThrough().end();
  } else {
    const demuxer = new DockerDemuxer();
    socket.pipe(demuxer);
    // A connection that closes without ending (the engine restarted, a reset) ends both streams all
    // the same, after what arrived: whoever reads them until they end would wait for ever.
    socket.once('close', () => {
      if (!demuxer.writableEnded) demuxer.end();
    });
    stdout = demuxer.stdout;
    stderr = demuxer.stderr;
  }
  const exit = new Promise<number | null>((resolve) => {
    let settled = false;
    const done = () => {
      if (settled) return;
      settled = true;
      void exitCode(exec).then(resolve);
    };
    socket.once('end', done);
    socket.once('close', done);
  });
  return {
    stdin: socket,
    stdout,
    stderr,
    exit,
    socket,
    resize: async (rows, cols) => {
      await exec.resize({ h: rows, w: cols }).catch(() => undefined);
    },
  };
}

/** Waits for a started exec with no input, collecting (the first 64 kB of) its output. */
export async function runToEnd(session: ExecSession, what: string, timeoutMs: number): Promise<{ exitCode: number | null; stdout: string; stderr: string }> {
  session.stdin.end();
  const collect = (stream: NodeJS.ReadableStream) =>
    new Promise<string>((resolve) => {
      let text = '';
      stream.on('data', (chunk: Buffer) => {
        if (text.length < OUTPUT_LIMIT) text += chunk.toString();
      });
      stream.on('end', () => resolve(text));
      stream.on('error', () => resolve(text));
    });
  try {
    const [stdout, stderr, exitCode] = await within(Promise.all([collect(session.stdout), collect(session.stderr), session.exit]), timeoutMs, `${what} in the container`);
    return { exitCode, stdout, stderr };
  } finally {
    session.socket.destroy();
  }
}

/** The exec's exit code; the engine may report the process as running for a moment after its streams closed. */
async function exitCode(exec: Docker.Exec): Promise<number | null> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const info = await exec.inspect().catch(() => null);
    if (!info) return null;
    if (!info.Running) return info.ExitCode ?? null;
    await new Promise((r) => setTimeout(r, 20));
  }
  return null;
}

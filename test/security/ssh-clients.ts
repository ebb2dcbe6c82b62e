// Attacker-side SSH clients for the security catalogue: ssh2's Client driven by hand
// (what OpenSSH will not do: hundreds of `none` requests, guesses over many connections)
// and raw TCP sockets that never speak SSH.
import { spawn } from 'node:child_process';
import { connect as tcpConnect, Socket } from 'node:net';
import ssh2, { type AuthenticationType, type ConnectConfig } from 'ssh2';

const HOST = '127.0.0.1';

/** How one connection's attempts went: answers the server gave, and how it ended. */
export interface Attempts {
  /** USERAUTH_FAILURE answers: attempts the server evaluated and refused, and said so. */
  refused: number;
  accepted: boolean;
  /** The server closed the connection before the client had sent everything. */
  closedByServer: boolean;
}

/**
 * One connection that sends `requests` authentication requests one after the other,
 * each sent when the previous one was answered, and counts the answers.
 */
export function attempt(port: number, requests: Array<{ type: 'password'; password: string } | { type: 'none' }>, extra: Partial<ConnectConfig> = {}): Promise<Attempts> {
  return new Promise((resolve) => {
    const client = new ssh2.Client();
    const result: Attempts = { refused: 0, accepted: false, closedByServer: true };
    let sent = 0;
    client.on('ready', () => {
      result.accepted = true;
      result.closedByServer = false;
      client.end();
    });
    client.on('error', () => undefined);
    client.on('close', () => resolve(result));
    client.connect({
      host: HOST,
      port,
      username: 'app',
      readyTimeout: 30_000,
      ...extra,
      authHandler: (methodsLeft: AuthenticationType[] | null, _partial: boolean | null, next: (auth: any) => void) => {
        // ssh2 calls this first with null, then after every failure.
        if (methodsLeft !== null) result.refused += 1;
        if (sent === requests.length) {
          result.closedByServer = false;
          return next(false);
        }
        next({ username: 'app', ...requests[sent++] });
      },
    });
  });
}

/** An authenticated ssh2 connection an attacker keeps open; `closed` settles when it is gone. */
export function login(port: number, auth: { privateKey: Buffer } | { password: string }): Promise<{ client: ssh2.Client; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const client = new ssh2.Client();
    // Listened for from the start: the close may come while the test looks elsewhere.
    const closed = new Promise<void>((done) => client.once('close', () => done()));
    client.once('ready', () => resolve({ client, closed }));
    client.once('error', reject);
    client.connect({ host: HOST, port, username: 'app', readyTimeout: 30_000, ...auth });
  });
}

/** Resolves with true if `promise` settles within `ms`, else with false. */
export async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([promise.then(() => true as const), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs `command` on the connection, collecting its stdout (the channel stays open while it runs). */
export function run(client: ssh2.Client, command: string): Promise<{ channel: ssh2.ClientChannel; output: () => string }> {
  return new Promise((resolve, reject) => {
    client.exec(command, (err, channel) => {
      if (err) return reject(err);
      let out = '';
      channel.on('data', (chunk: Buffer) => (out += chunk));
      channel.stderr.on('data', () => undefined);
      resolve({ channel, output: () => out });
    });
  });
}

/** A raw TCP connection that never speaks: `served` once the server's SSH banner arrives, `refused` when closed without one. */
export function silentSocket(port: number, localAddress = HOST): { socket: Socket; fate: Promise<'served' | 'refused'> } {
  const socket = tcpConnect({ host: HOST, port, localAddress });
  socket.on('error', () => undefined);
  const fate = new Promise<'served' | 'refused'>((resolve) => {
    let banner = '';
    socket.on('data', (chunk) => {
      banner += chunk;
      if (banner.startsWith('SSH-2.0-')) resolve('served');
    });
    socket.once('close', () => resolve('refused'));
  });
  return { socket, fate };
}

/** An OpenSSH `ssh` left running; `started` resolves at the command's first output line. */
export function liveSsh(args: string[], env: NodeJS.ProcessEnv = {}): { started: Promise<void>; exited: Promise<number | null>; kill(): void } {
  const child = spawn('ssh', args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const started = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      out += chunk;
      if (out.includes('\n')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`ssh exited with ${code} before its first line`)));
  });
  started.catch(() => undefined);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { started, exited, kill: () => child.kill('SIGKILL') };
}

/** Resolves with the exit code if `exited` settles within `ms`, else with 'running'. */
export async function exitWithin(exited: Promise<number | null>, ms: number): Promise<number | null | 'running'> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'running'>((resolve) => (timer = setTimeout(() => resolve('running'), ms)));
  try {
    return await Promise.race([exited, late]);
  } finally {
    clearTimeout(timer);
  }
}
